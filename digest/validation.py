"""Turning pydantic's validation errors into problems with a line or a JSON path."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from digest.problems import Problems

Loc = tuple[int | str, ...]  # a pydantic error's location: field names and list indexes
MISSING = "required field is missing"


def json_path(loc: Loc) -> str:
    """Spell a pydantic error location as a JSON path, e.g. `$.claims[2].supported`."""
    parts = ["$"]
    for step in loc:
        parts.append(f"[{step}]" if isinstance(step, int) else f".{step}")
    return "".join(parts)


def report_json(path: Path, error: ValidationError, problems: Problems, prefix: Loc = (), model: type[BaseModel] | None = None) -> None:
    """Record each validation error at its JSON path, one per location."""
    for loc, message in messages(error, model):
        problems.add(path, message, json_path(prefix + loc))


def report_lines(
    path: Path,
    error: ValidationError,
    problems: Problems,
    line_of: Callable[[object], int],
    model: type[BaseModel] | None = None,
    unknown: Mapping[str, int] | None = None,
) -> None:
    """Record each validation error at the line of the front matter key it concerns; unknown keys (with their lines) may be misspelled fields."""
    for loc, message in messages(error, model):
        field = ".".join(str(step) for step in loc)
        line = line_of(loc[0]) if loc else 1
        if message == MISSING and len(loc) == 1 and unknown:
            close = difflib.get_close_matches(field, list(unknown), n=1)
            if close:
                line = unknown[close[0]]
                message += f"; is `{close[0]}:` (line {line}) a misspelling of it?"
        prefix = f"`{field}`: " if field else ""
        problems.add(path, prefix + message, line)


def messages(error: ValidationError, model: type[BaseModel] | None) -> list[tuple[Loc, str]]:
    """Each error's location and message; the errors of a union's members at one location (pydantic gives one per member) made one."""
    groups: dict[int | Loc, list[ErrorDetails]] = {}  # in pydantic's order: an error alone by its index, a union's by its location
    unions: dict[Loc, tuple[Any, ...]] = {}
    for index, item in enumerate(error.errors()):
        loc = tuple(item["loc"])
        union = union_at(model, loc) if model is not None else None
        if union is None:
            groups[index] = [item]
        else:
            depth, members = union
            unions[loc[:depth]] = members
            groups.setdefault(loc[:depth], []).append(item)
    found: list[tuple[Loc, str]] = []
    for key, items in groups.items():
        if isinstance(key, tuple):
            found += union_messages(key, items, unions[key])
        else:
            found.append((tuple(items[0]["loc"]), describe(dict(items[0]))))
    return found


def union_messages(loc: Loc, items: list[ErrorDetails], members: tuple[Any, ...]) -> list[tuple[Loc, str]]:
    """One message for a value that fits no member of a union, or the messages of the members whose type it had."""
    depth = len(loc)
    # A value of a member's type that fails that member's checks (a number too large) is told why, each message once.
    specific = {(loc + tuple(item["loc"][depth + 1 :]), describe(dict(item))): None for item in items if not is_mismatch(item, depth)}
    if specific:
        return list(specific)
    found = _json_name(type(items[0]["input"]).__name__)
    return [(loc, f"input should be {spoken_list([type_name(member) for member in members])} (found {found})")]


def is_mismatch(item: ErrorDetails, depth: int) -> bool:
    """Whether a union member's error at depth says only that the value is not of that member's type."""
    return len(item["loc"]) == depth + 1 and is_type_error(item["type"])


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


# ---------------------------------------------------------------- unions in the models


def union_at(model: type[BaseModel], loc: Loc) -> tuple[int, tuple[Any, ...]] | None:
    """How many steps of loc lead to a union of types that loc goes on into (pydantic names the member in the next step), and its members."""
    annotation: Any = model
    for depth, step in enumerate(loc):
        if len(non_null(annotation)) > 1:
            return depth, get_args(bare(annotation))
        annotation = step_into(annotation, step)
        if annotation is None:
            return None
    return None


def step_into(annotation: Any, step: int | str) -> Any:
    """The type of a model's field, a list's item or a mapping's value; None for anything else."""
    inner = non_null(annotation)
    annotation = inner[0] if len(inner) == 1 else None
    origin, args = get_origin(annotation), get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(step, str):
        field = annotation.model_fields.get(step)
        return field.annotation if field is not None else None
    if origin is list and isinstance(step, int):
        return args[0]
    if origin is dict and isinstance(step, str):
        return args[1]
    return None


def non_null(annotation: Any) -> tuple[Any, ...]:
    """The types a union of types allows besides None, or the one type of anything else."""
    annotation = bare(annotation)
    if get_origin(annotation) in (Union, UnionType):
        return tuple(member for member in get_args(annotation) if member is not NoneType)
    return (annotation,)


def bare(annotation: Any) -> Any:
    """A type without its `Annotated` constraints."""
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def type_name(annotation: Any) -> str:
    """What a type is called in a message: `a string`, `an integer`, `null`."""
    annotation = bare(annotation)
    if annotation is NoneType:
        return "null"
    if get_origin(annotation) is dict or (isinstance(annotation, type) and issubclass(annotation, BaseModel | dict)):
        return "an object"
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number", list: "a list"}
    return names.get(get_origin(annotation) or annotation, getattr(annotation, "__name__", str(annotation)))


def spoken_list(words: list[str]) -> str:
    """`a, b or c`, with null last."""
    words = sorted(words, key=lambda word: word == "null")
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else "".join(words)


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
    from digest.scans import Scan  # imported here: scans imports this module to report its errors

    report_json(path, error, problems, model=Scan)
