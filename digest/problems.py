"""Problems found in the input, collected rather than raised one at a time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: where it is and what is wrong."""

    path: str
    where: str  # a line number ("12"), a JSON path ("$.paper.title") or ""
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        """Format as `path:line: message` or `path: $.json.path: message`."""
        label = "" if self.severity == "error" else "warning: "
        if not self.where:
            return f"{self.path}: {label}{self.message}"
        if self.where.startswith("$"):
            return f"{self.path}: {self.where}: {label}{self.message}"
        return f"{self.path}:{self.where}: {label}{self.message}"


@dataclass
class Problems:
    """The collector every pipeline stage appends to."""

    root: Path = field(default_factory=Path.cwd)
    items: list[Problem] = field(default_factory=list)

    def add(self, path: Path | str, message: str, where: str | int | None = None) -> None:
        """Record an error."""
        self._append(path, message, where, "error")

    def warn(self, path: Path | str, message: str, where: str | int | None = None) -> None:
        """Record a warning (house style, suspicious but buildable input)."""
        self._append(path, message, where, "warning")

    def _append(self, path: Path | str, message: str, where: str | int | None, severity: Severity) -> None:
        """Store a problem with its path shown relative to the working folder."""
        shown = display_path(Path(path), self.root) if isinstance(path, Path) else path
        self.items.append(Problem(shown, "" if where is None else str(where), message, severity))

    @property
    def errors(self) -> list[Problem]:
        """The problems that stop a build, sorted by file and line."""
        return sorted((p for p in self.items if p.severity == "error"), key=sort_key)

    @property
    def warnings(self) -> list[Problem]:
        """The problems that do not stop a build, sorted by file and line."""
        return sorted((p for p in self.items if p.severity == "warning"), key=sort_key)


def sort_key(problem: Problem) -> tuple[str, int, str, str]:
    """Order problems by path, then line number, then JSON path and message."""
    line = int(problem.where) if problem.where.isdigit() else 0
    return (problem.path, line, problem.where, problem.message)


def display_path(path: Path, root: Path) -> str:
    """Show a path relative to root when it (or, for a link out of root, the link itself) lies inside it."""
    for candidate, top in ((path.resolve(), root.resolve()), (Path(os.path.abspath(path)), Path(os.path.abspath(root)))):
        try:
            return str(candidate.relative_to(top))
        except ValueError:
            continue
    return str(path)
