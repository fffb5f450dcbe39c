"""Turning pydantic's validation errors into problems with a line or a JSON path."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import ValidationError

from digest.problems import Problems

Loc = tuple[int | str, ...]  # a pydantic error's location: field names and list indexes
MISSING = "required field is missing"


def json_path(loc: Loc) -> str:
    """Spell a pydantic error location as a JSON path, e.g. `$.claims[2].supported`."""
    parts = ["$"]
    for step in loc:
        parts.append(f"[{step}]" if isinstance(step, int) else f".{step}")
    return "".join(parts)


def report_json(path: Path, error: ValidationError, problems: Problems, prefix: Loc = ()) -> None:
    """Record each validation error at its JSON path."""
    for loc, message in messages(error):
        problems.add(path, message, json_path(prefix + loc))


def report_lines(
    path: Path,
    error: ValidationError,
    problems: Problems,
    line_of: Callable[[object], int],
    unknown: Mapping[str, int] | None = None,
) -> None:
    """Record each validation error at the line of the front matter key it concerns; unknown keys (with their lines) may be misspelled fields."""
    for loc, message in messages(error):
        field = ".".join(str(step) for step in loc)
        line = line_of(loc[0]) if loc else 1
        if message == MISSING and len(loc) == 1 and unknown:
            close = difflib.get_close_matches(field, list(unknown), n=1)
            if close:
                line = unknown[close[0]]
                message += f"; is `{close[0]}:` (line {line}) a misspelling of it?"
        prefix = f"`{field}`: " if field else ""
        problems.add(path, prefix + message, line)


def messages(error: ValidationError) -> list[tuple[Loc, str]]:
    """Each error's location and message."""
    return [(tuple(item["loc"]), describe(dict(item))) for item in error.errors()]


def is_type_error(kind: str) -> bool:
    """Whether a pydantic error type says the value has the wrong type (rather than failing a check)."""
    return kind.endswith("_type") or kind.endswith("_parsing")


def describe(error: dict[str, object]) -> str:
    """A short message for one pydantic error, naming the value's type where it helps."""
    message = str(error["msg"])
    kind = str(error["type"])
    if kind == "missing":
        return MISSING
    if kind == "value_error":  # our own validators' words, without pydantic's "Value error, "
        context = error.get("ctx")
        return str(context["error"]) if isinstance(context, dict) and "error" in context else message
    if is_type_error(kind):
        found = type(error.get("input")).__name__
        return f"{message[0].lower()}{message[1:]} (found {_json_name(found)})"
    return f"{message[0].lower()}{message[1:]}"


def _json_name(python_type: str) -> str:
    """The JSON or YAML word for a Python type name."""
    names = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "list": "list", "dict": "mapping", "NoneType": "null"}
    return (names | {"bytes": "binary data (`!!binary`)"}).get(python_type, python_type)


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
