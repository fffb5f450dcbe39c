"""What the last successful build learnt from each input file, recalled while the file's bytes are unchanged.

A cached rebuild (see digest.cache) still loads the whole site, but an input file whose path and
content hash are as they were is not parsed and validated again: its loaded form (a note's front
matter and body, a scan's summary) comes from `memo.pickle` in the cache, and the problems it
raised then (warnings only: a build with errors saves no memo) are reported again. The memo is
only ever read by the tool that wrote it: its key holds the tool's own code and library versions.

An edit changes a few entries of many thousands, so a build saves only the entries that are not in
`memo.pickle` into a small `memo-delta.pickle` beside it, and rewrites the whole memo (dropping what
no build uses any more) once the delta or the unused entries grow past an eighth of it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest import cache
from digest.problems import Problem, Problems

FORMAT = 3
DELTA_SUFFIX = "-delta"
Entries = dict[tuple[str, str], tuple[Any, list[Problem]]]


@dataclass
class Memo:
    """Loaded input files by (path, content hash), from the last build and for the next one."""

    key: str  # the tool and the options: a memo written under another key is not used
    hash_of: Callable[[str], str]  # an input file's content hash by its absolute path, as the cache stamped it
    previous: Entries = field(default_factory=dict)
    current: Entries = field(default_factory=dict)
    values: dict[str, tuple[str, Any]] = field(default_factory=dict)  # results computed from many inputs, by name: (inputs hash, result)
    base: frozenset[tuple[str, str]] = frozenset()  # the keys of the entries in the whole memo file
    generation: int = 0  # which whole memo file a delta belongs to

    @classmethod
    def open(cls, path: Path, key: str, hash_of: Callable[[str], str]) -> Memo:
        """The memo saved at path (and its delta) under this key, or an empty one."""
        memo = cls(key, hash_of)
        saved = load(path, key)
        if saved is not None:
            memo.previous, memo.values, memo.generation = saved["entries"], saved["values"], saved["generation"]
            memo.base = frozenset(memo.previous)
            delta = load(delta_path(path), key)
            if delta is not None and delta["generation"] == memo.generation:
                memo.previous.update(delta["entries"])
                memo.values = delta["values"]
        return memo

    def value(self, name: str, inputs: Iterable[str], compute: Callable[[], Any]) -> Any:
        """The result named name: the last build's if it was computed from the same inputs, else compute() (remembered)."""
        digest = cache.digest_of(*inputs)
        found = self.values.get(name)
        if found is not None and found[0] == digest:
            return found[1]
        result = compute()
        self.values[name] = (digest, result)
        return result

    def _key(self, path: Path) -> tuple[str, str]:
        """An input file's memo key: its absolute path and content hash."""
        text = str(path)
        absolute = text if os.path.isabs(text) else os.path.abspath(text)
        return absolute, self.hash_of(absolute)

    def recall(self, path: Path, problems: Problems) -> Any:
        """What loading path gave last time, with its problems reported again; None if it changed or is unknown."""
        key = self._key(path)
        found = self.previous.get(key)
        if found is None:
            return None
        value, raised = found
        problems.items.extend(raised)
        self.current[key] = found
        return value

    def raised(self, path: Path) -> list[Problem] | None:
        """The problems loading path raised in this build, or None if it was not loaded (or had errors)."""
        found = self.current.get(self._key(path))
        return found[1] if found is not None else None

    def remember(self, path: Path, value: Any, raised: list[Problem]) -> None:
        """Record what loading path gave and the problems it raised, for the next build."""
        self.current[self._key(path)] = (value, list(raised))

    def save(self, path: Path) -> None:
        """Save this build's entries for the next build, whole or not at all: as a delta while it is small, else the whole memo."""
        added = {key: found for key, found in self.current.items() if key not in self.base}
        unused = len(self.base) - (len(self.current) - len(added))
        limit = len(self.current) // 8 + 64
        if self.base and len(added) <= limit and unused <= limit:
            saved = {"format": FORMAT, "key": self.key, "generation": self.generation, "entries": added, "values": self.values}
            cache.write_atomically(delta_path(path), pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL))
            return
        saved = {"format": FORMAT, "key": self.key, "generation": self.generation + 1, "entries": self.current, "values": self.values}
        cache.write_atomically(path, pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL))
        with contextlib.suppress(OSError):
            os.unlink(delta_path(path))  # a delta left behind names the old generation, and is ignored


def delta_path(path: Path) -> Path:
    """Where the delta of the memo at path is kept."""
    return path.with_name(path.stem + DELTA_SUFFIX + path.suffix)


def load(path: Path, key: str) -> dict[str, Any] | None:
    """A memo file saved under this key, or None (missing, partial or foreign)."""
    try:
        with open(path, "rb") as handle:
            saved = pickle.load(handle)
        if saved["format"] == FORMAT and saved["key"] == key:
            return dict(saved)
    except Exception:  # a missing, partial or foreign memo is no memo
        pass
    return None
