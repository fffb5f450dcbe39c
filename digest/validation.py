"""Turning pydantic's validation errors into problems with a line or a JSON path."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from digest.problems import Problems


def json_path(loc: tuple[int | str, ...]) -> str:
    """Spell a pydantic error location as a JSON path, e.g. `$.claims[2].supported`."""
    parts = ["$"]
    for step in loc:
        parts.append(f"[{step}]" if isinstance(step, int) else f".{step}")
    return "".join(parts)


def describe(error: dict[str, object]) -> str:
    """A short message for one pydantic error, naming the value's type where it helps."""
    message = str(error["msg"])
    kind = str(error["type"])
    if kind == "missing":
        return "required field is missing"
    if kind == "value_error":  # our own validators' words, without pydantic's "Value error, "
        context = error.get("ctx")
        return str(context["error"]) if isinstance(context, dict) and "error" in context else message
    if kind.endswith("_type") or kind.endswith("_parsing"):
        found = type(error.get("input")).__name__
        return f"{message[0].lower()}{message[1:]} (found {_json_name(found)})"
    return f"{message[0].lower()}{message[1:]}"


def _json_name(python_type: str) -> str:
    """The JSON or YAML word for a Python type name."""
    names = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "list": "list", "dict": "mapping", "NoneType": "null"}
    return (names | {"bytes": "binary data (`!!binary`)"}).get(python_type, python_type)


def report_json(path: Path, error: ValidationError, problems: Problems, prefix: tuple[int | str, ...] = ()) -> None:
    """Record each validation error at its JSON path."""
    for item in error.errors():
        problems.add(path, describe(dict(item)), json_path(prefix + tuple(item["loc"])))


def report_lines(path: Path, error: ValidationError, problems: Problems, line_of: Callable[[object], int]) -> None:
    """Record each validation error at the line of the front matter key it concerns."""
    for item in error.errors():
        loc = tuple(item["loc"])
        field = ".".join(str(step) for step in loc)
        line = line_of(loc[0]) if loc else 1
        prefix = f"`{field}`: " if field else ""
        problems.add(path, prefix + describe(dict(item)), line)


_JSON_POSITION = re.compile(r"^(?:Invalid JSON: )?(.*?) at line (\d+) column (\d+)$")


def report_scan(path: Path, error: ValidationError, problems: Problems) -> None:
    """Record invalid JSON at its line, and schema errors at their JSON paths."""
    details = error.errors()
    if details and details[0]["type"] == "json_invalid":
        match = _JSON_POSITION.match(str(details[0]["ctx"].get("error", "")))
        if match:
            what, line, column = match.groups()
            problems.add(path, f"invalid JSON: {what} (column {column})", int(line))
        else:
            problems.add(path, f"invalid JSON: {details[0]['msg']}")
        return
    if details and details[0]["type"] == "model_type" and not details[0]["loc"]:
        problems.add(path, "a scan must be a JSON object", "$")
        return
    report_json(path, error, problems)
