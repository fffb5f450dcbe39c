"""YAML front matter with line-numbered errors."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from digest import files
from digest.problems import Problems

FENCE = "---"
_CSafeLoader: Any = getattr(yaml, "CSafeLoader", None)  # libyaml's loader, where PyYAML was built with it
# libyaml nests on the C stack and crashes the process on some 60,000 levels (`[[[[...` or `- - - ...`);
# longer front matter, never seen in a real note, goes to the pure-Python loader, which stops at its recursion limit.
FAST_LOAD_LIMIT = 16 * 1024
_KEY_VALUE = re.compile(r"^\s*(?:-\s+)?([^\s:#'\"][^:]*?):\s+(.*\S)")  # `key: value`, also as a list item
_COMMENT = re.compile(r"\s+#.*$")  # a comment ends a plain value


@dataclass
class FrontMatter:
    """A Markdown file split into its front matter and its body."""

    data: dict[str, Any]
    head: str  # the front matter as written, between the fences
    body: str
    body_line: int  # the file line on which the body starts (1-based)
    key_lines: dict[str, int] = field(default_factory=dict)
    scalars: dict[str, str] = field(default_factory=dict)  # top-level values as written

    def line_of(self, key: object) -> int:
        """The file line of a top-level key, or of the opening fence if unknown."""
        return self.key_lines.get(str(key), 1)


class UnclosedFence(ValueError):
    """Front matter opened by a `---` line that no later `---` line closes."""


def split(text: str) -> tuple[str | None, str, int]:
    """Separate `---` fenced YAML from the body; None when there is no front matter; UnclosedFence without a closing fence."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != FENCE:
        return None, text, 1
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() == FENCE:
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    # Read as YAML, the body would fail with a confusing error on some line of the text, or pass as a key.
    raise UnclosedFence


def parse(path: Path, text: str, problems: Problems) -> FrontMatter | None:
    """Parse a file's front matter with yaml's safe loader; record problems with file lines."""
    bad = files.first_unsafe(text)
    if bad is not None:
        problems.warn(path, f"dropped control or non-character code points (the first is U+{ord(text[bad]):04X})", text[:bad].count("\n") + 1)
        text = files.clean_text(text)
    bad = files.unsafe_reference(text)
    if bad is not None:
        problems.warn(path, "dropped a character reference to a control code point (`&#12;` and the like)", text[:bad].count("\n") + 1)
    try:
        yaml_text, body, body_line = split(text)
    except UnclosedFence:
        problems.add(path, f'front matter has no closing line "{FENCE}": end it with a line of three dashes before the text', 1)
        return None
    if yaml_text is None:
        problems.add(path, "no front matter: the file must start with a line `---`", 1)
        return None
    loaded = load_yaml(path, yaml_text, problems)
    if loaded is None:
        return None
    node, data = loaded
    return FrontMatter(data, yaml_text, body, body_line, key_lines(node), scalars(node))


def load_yaml(
    path: Path, text: str, problems: Problems, first: int = 2, what: str = "front matter "
) -> tuple[yaml.Node | None, dict[str, Any]] | None:
    """YAML text's node and mapping, its strings cleaned, the text starting at file line first; None with every problem recorded.

    what names the text in messages ("front matter "; "" for a whole file such as site.yaml).
    """
    loaded = _fast_load(text) or _careful_load(path, text, problems, first, what)
    if loaded is None:
        return None
    node, data = loaded
    if not isinstance(data, dict):
        problems.add(path, f"{what}must be a mapping of `key: value` lines", first)
        return None
    if files.too_nested(data):
        problems.add(path, f"{what}is {files.TOO_NESTED}", first)
        return None
    dropped: list[int] = []
    data = files.clean_json(data, dropped)  # YAML escapes such as "\b" make control characters too
    if dropped:
        problems.warn(path, f"dropped control or non-character code points written as escapes in the {what or 'file'}".rstrip(), first)
    return node, data


def _fast_load(yaml_text: str) -> tuple[yaml.Node | None, Any] | None:
    """The front matter's node and data with libyaml's C loader; None if it is missing or fails (then the careful loader reports why)."""
    if _CSafeLoader is None or len(yaml_text) > FAST_LOAD_LIMIT:
        return None
    try:
        loader = _CSafeLoader(yaml_text)
        try:
            node = loader.get_single_node()
            return node, loader.construct_document(node) if node is not None else {}
        finally:
            loader.dispose()
    except Exception:  # any failure is reported by the pure-Python loader, with its exact message
        return None


def _careful_load(path: Path, yaml_text: str, problems: Problems, first: int, what: str) -> tuple[yaml.Node | None, Any] | None:
    """YAML text's node and data with the pure-Python safe loader; None with a problem recorded if it is not valid YAML."""
    invalid = f"{what}is not valid YAML" if what else "not valid YAML"
    try:
        loader = yaml.SafeLoader(yaml_text)  # the reader rejects control characters here already
    except yaml.reader.ReaderError as error:
        problems.add(path, f"{invalid}: {error}", yaml_text[: max(error.position, 0)].count("\n") + first)
        return None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.reader.ReaderError as error:
        problems.add(path, f"{invalid}: {error}", yaml_text[: max(error.position, 0)].count("\n") + first)
        return None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + first if mark is not None else 1
        problems.add(path, f"{invalid}: {error.problem or error}{_hint(error, yaml_text)}", line)
        return None
    except RecursionError:
        problems.add(path, f"{invalid}: it is nested too deeply", first)
        return None
    except (yaml.YAMLError, ValueError, OverflowError, AttributeError, TypeError, KeyError, IndexError) as error:
        # PyYAML's constructors fail with plain exceptions on some bad tagged values, e.g. `!!timestamp 2026-99-99 x`
        problems.add(path, f"{invalid}: {error}", first)
        return None
    finally:
        loader.dispose()
    return node, data


def _hint(error: yaml.MarkedYAMLError, yaml_text: str) -> str:
    """Advice for the YAML error editors make most: a value holding `: ` that is not quoted."""
    if error.problem != "mapping values are not allowed here" or error.problem_mark is None:
        return ""
    lines = yaml_text.splitlines()
    index = error.problem_mark.line
    match = _KEY_VALUE.match(lines[index]) if index < len(lines) else None
    hint = '; a value with ": " in it must be quoted'
    if match is None or not re.search(r":(\s|$)", match[2]):  # the colon is not in this line's value: no example to give
        return hint
    key, value = match.groups()
    return f"{hint}, e.g. {key}: {_quoted(_COMMENT.sub('', value))}"


def _quoted(value: str) -> str:
    """A value as a quoted YAML scalar: in double quotes, or in single quotes if it holds a double quote."""
    if '"' in value:
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a double-quoted YAML scalar


def key_lines(node: yaml.Node | None, first: int = 2) -> dict[str, int]:
    """Map each top-level key to the file line it stands on (the YAML starting at file line first)."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + first for key, _ in node.value}


def scalars(node: yaml.Node | None) -> dict[str, str]:
    """Each top-level scalar value exactly as written, e.g. `2501.00010` before YAML makes it a float."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): str(value.value) for key, value in node.value if isinstance(value, yaml.ScalarNode)}
