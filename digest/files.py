"""Finding input files, refusing symlinks that lead out of their folder."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path
from typing import Any

from digest.problems import Problems


def digest_of(*parts: str | bytes) -> str:
    """A short hex hash of the parts, kept apart from each other: what the build read, as the cache keys it."""
    chunks: list[bytes] = []
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        chunks += (len(data).to_bytes(8, "little"), data)
    return hashlib.sha256(b"".join(chunks)).hexdigest()[:32]


class Changed(Exception):
    """An input file changed while the build was reading it: the build stops, and the next one reads it again."""

    def __init__(self, path: Path) -> None:
        """Name the file."""
        super().__init__(f"{path}: changed while the site was being built; build again")
        self.path = path


# Characters that XML 1.0 forbids or that feed readers choke on: C0/C1 controls
# (tab, newline and carriage return excepted), the noncharacters U+FFFE, U+FFFF, and lone
# surrogates (JSON may spell them as \ud800 escapes; no UTF-8 file or feed can carry them).
_UNSAFE = {c: None for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0xFFFE, 0xFFFF, *range(0xD800, 0xE000)]}

_UNSAFE_PATTERN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Drop control characters and noncharacters that no page or feed can carry."""
    return value.translate(_UNSAFE)


def clean_json(value: Any, dropped: list[int]) -> Any:
    """Every string in a JSON value, mapping keys included, cleaned; counts what was dropped."""
    if isinstance(value, str):
        cleaned = clean_text(value)
        if len(cleaned) != len(value):
            dropped.append(len(value) - len(cleaned))
        return cleaned
    if isinstance(value, list):
        return [clean_json(item, dropped) for item in value]
    if isinstance(value, dict):
        return {clean_json(key, dropped): clean_json(item, dropped) for key, item in value.items()}
    return value


MAX_YAML_DEPTH = 64  # front matter and settings are a few flat keys; these limits only stop crafted files
MAX_YAML_VALUES = 10_000
TOO_NESTED = f"nested more than {MAX_YAML_DEPTH} levels deep or holds more than {MAX_YAML_VALUES:,} values (each use of an alias counts)"


def too_nested(value: Any, max_depth: int = MAX_YAML_DEPTH, max_values: int = MAX_YAML_VALUES) -> bool:
    """True if YAML data nests deeper than max_depth or holds more than max_values values once aliases are expanded.

    Aliases make a value that contains itself (infinitely deep) or a few lines that expand into
    millions of values; both are caught here, before anything walks the data recursively.
    """
    pending = [(value, 0)]
    seen = 0
    while pending:
        item, depth = pending.pop()
        seen += 1
        if depth > max_depth or seen > max_values:
            return True
        if isinstance(item, dict):
            pending.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, (list, tuple, set)):
            pending.extend((part, depth + 1) for part in item)
    return False


def first_unsafe(text: str) -> int | None:
    """The index of the first character clean_text would drop, or None."""
    if len(text.translate(_UNSAFE)) == len(text):  # translate is fastest on clean (ASCII) text
        return None
    match = _UNSAFE_PATTERN.search(text)
    return match.start() if match else None


_REFERENCE = re.compile(r"&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));")


def unsafe_reference(text: str) -> int | None:
    """The index of the first character reference (`&#12;`) to a character clean_text would drop, or None.

    Markdown decodes references past any cleaning of its source: the renderer drops what they make (digest.markdown).
    """
    if "&#" not in text:
        return None
    for match in _REFERENCE.finditer(text):
        decimal, hexadecimal = match.groups()
        code = int(decimal) if decimal else int(hexadecimal, 16)
        if code <= 0x10FFFF and first_unsafe(chr(code)) is not None:
            return match.start()
    return None


def find(root: Path, suffix: str, problems: Problems) -> list[Path]:
    """Every file under root ending in suffix, sorted, each folder's files before its subfolders'; links that leave root are refused.

    Links to folders are checked but not followed, as os.walk does.
    """
    if not root.is_dir():
        return []
    top = functools.cache(root.resolve)  # resolved only if a link needs checking
    found: list[Path] = []
    folders = [str(root)]
    while folders:
        with os.scandir(folders.pop()) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
        subfolders = []
        for entry in entries:
            if entry.is_dir():
                if entry.name.startswith("."):  # hidden, as files are: a `.git`, an editor's, or the site's own marker
                    continue
                if not entry.is_symlink():
                    subfolders.append(entry.path)
                else:
                    _stays_inside(Path(entry.path), top(), problems)
            elif entry.name.endswith(suffix) and not entry.name.startswith("."):
                path = Path(entry.path)
                if not entry.is_symlink() or _stays_inside(path, top(), problems):
                    found.append(path)
        folders += reversed(subfolders)
    return found


def _stays_inside(path: Path, top: Path, problems: Problems) -> bool:
    """True unless path is a symlink whose target lies outside top (which is recorded)."""
    if not path.is_symlink():
        return True
    if path.resolve().is_relative_to(top):
        return True
    problems.add(path, f"is a symbolic link to {os.readlink(path)}, outside {top.name}/; refusing to follow it")
    return False


def read_text(path: Path, problems: Problems) -> str | None:
    """A file's text as UTF-8 (a byte order mark, as some editors save, left out), or None with a problem recorded."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        problems.add(path, f"is not UTF-8 text (byte {error.start})")
    except OSError as error:
        problems.add(path, f"cannot be read: {error.strerror}")
    return None
