"""What the last successful build learnt from each input file, recalled while the file's bytes are unchanged.

A cached rebuild (see digest.cache) still loads the whole site, but an input file whose path and
content hash are as they were is not parsed and validated again: its loaded form (a note's front
matter and body, a scan's summary) comes from `memo.pickle` in the cache, and the problems it
raised then (warnings only: a build with errors saves no memo) are reported again. The memo is
only ever read by the tool that wrote it: its key holds the tool's own code and library versions.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest import cache
from digest.problems import Problem, Problems

FORMAT = 2


@dataclass
class Memo:
    """Loaded input files by (path, content hash), from the last build and for the next one."""

    key: str  # the tool and the options: a memo written under another key is not used
    hash_of: Callable[[Path], str]  # an input file's content hash, as the cache stamped it
    previous: dict[tuple[str, str], tuple[Any, list[Problem]]] = field(default_factory=dict)
    current: dict[tuple[str, str], tuple[Any, list[Problem]]] = field(default_factory=dict)
    values: dict[str, tuple[str, Any]] = field(default_factory=dict)  # results computed from many inputs, by name: (inputs hash, result)

    @classmethod
    def open(cls, path: Path, key: str, hash_of: Callable[[Path], str]) -> Memo:
        """The memo saved at path under this key, or an empty one."""
        memo = cls(key, hash_of)
        try:
            with open(path, "rb") as handle:
                saved = pickle.load(handle)
            if saved["format"] == FORMAT and saved["key"] == key:
                memo.previous, memo.values = saved["entries"], saved["values"]
        except Exception:  # a missing, partial or foreign memo is an empty one
            memo.previous, memo.values = {}, {}
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
        return text if os.path.isabs(text) else os.path.abspath(text), self.hash_of(path)

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

    def remember(self, path: Path, value: Any, raised: list[Problem]) -> None:
        """Record what loading path gave and the problems it raised, for the next build."""
        self.current[self._key(path)] = (value, list(raised))

    def save(self, path: Path) -> None:
        """Write this build's entries (and only them) for the next build, whole or not at all."""
        saved = {"format": FORMAT, "key": self.key, "entries": self.current, "values": self.values}
        cache.write_atomically(path, pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL))
