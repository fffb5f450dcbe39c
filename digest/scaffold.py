"""`new`: the next edition's folder, dated one cadence after the latest, and the shortlist of uncovered scans."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from digest.library import Library
from digest.lint import MAX_HEADLINE
from digest.markdown import slugify
from digest.problems import Problems
from digest.scanfiles import ScanFile
from digest.scans import discussion
from digest.urls import safe_slug

MAX_NOTE_SLUG = 40


@dataclass(frozen=True)
class Scaffold:
    """What `new` made: the edition folder, its files, and the scans no edition covers."""

    folder: Path
    files: list[Path]
    shortlist: list[ScanFile]


def next_date(library: Library) -> dt.date | None:
    """`cadence_weeks` after the latest edition, drafts included; None when there is no edition yet, or that day is past 9999-12-31."""
    dates = [edition.date for edition in library.content.editions]
    try:
        return max(dates) + dt.timedelta(weeks=library.settings.cadence_weeks) if dates else None
    except OverflowError:
        return None


def shortlist(library: Library) -> list[ScanFile]:
    """The scans no edition covers (drafts included), most discussed first."""
    return sorted(library.uncovered, key=lambda s: (*(-n for n in discussion(s.scan)), s.id))


def create(library: Library, content: Path, day: dt.date, pick: int, problems: Problems) -> Scaffold | None:
    """Write the edition's draft index.md and a draft note for each of the pick most discussed scans."""
    folder = content / "editions" / day.isoformat()
    candidates = shortlist(library)
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        problems.add(folder, "already exists; nothing was written (give another date with --date YYYY-MM-DD)")
        return None
    files = [write(folder / "index.md", edition_text(library))]
    for number, scan in enumerate(candidates[:pick], start=1):
        files.append(write(folder / f"{number:02d}-{note_slug(scan)}.md", note_text(scan)))
    return Scaffold(folder, files, candidates)


def write(path: Path, text: str) -> Path:
    """Write a new file, never replacing one."""
    with path.open("x", encoding="utf-8") as file:
        file.write(text)
    return path


def front_matter(data: dict[str, Any]) -> str:
    """YAML front matter between `---` fences; values are quoted as YAML needs."""
    return "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000) + "---\n"


def edition_text(library: Library) -> str:
    """A draft edition: placeholder title and the skeleton of the introduction."""
    weeks = library.settings.cadence_weeks
    every = "Every week" if weeks == 1 else f"Every {weeks} weeks"
    return front_matter({"title": "TODO: a title for this edition", "draft": True}) + (
        f"{every} we call out interesting papers that we've seen folks discussing. In this edition, we look at TODO.\n\n"
        "Please share any recent paper that caught your eye!\n"
    )


def note_text(scan: ScanFile) -> str:
    """A draft note on a scan, in the house style: **What happened:**, then **What's interesting:**."""
    title = " ".join(scan.scan.paper.title.split())
    meta = {"headline": f"TODO: a headline on {title}"[:MAX_HEADLINE].rstrip(), "scan": scan.id, "tags": list(scan.scan.methodology_tags)}
    return front_matter(meta) + (
        "**What happened:** TODO: who did what, and where it was published.\n\n"
        "**What's interesting:** TODO: why it matters, with figures from the scan.\n"
    )


def note_slug(scan: ScanFile) -> str:
    """A short file name for a note: the paper title's first words, or the paper id."""
    slug = slugify(scan.scan.paper.title)
    if len(slug) > MAX_NOTE_SLUG:
        slug = slug[: MAX_NOTE_SLUG + 1].rsplit("-", 1)[0]
    return slug or safe_slug(scan.id)
