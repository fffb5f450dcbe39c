"""Editions, paper notes and standalone pages, read from `content/`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from markdown_it import MarkdownIt
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from digest import files, frontmatter, validation
from digest.markdown import Document
from digest.problems import Problems
from digest.settings import DEFAULT_MAX_MARKDOWN_BYTES

Text = StrictStr  # a string, never YAML's `!!binary` bytes, which would pass unchecked for one


class FrontMatterModel(BaseModel):
    """Typed front matter; unknown keys are kept (and linted by `check`)."""

    model_config = ConfigDict(extra="allow")


M = TypeVar("M", bound=FrontMatterModel)


class EditionMeta(FrontMatterModel):
    """Front matter of an edition's `index.md`."""

    date: dt.date | None = None
    title: Text | None = None
    number: int | None = Field(default=None, ge=1)
    summary: Text | None = None
    draft: bool = False


class PaperRef(FrontMatterModel):
    """A note's `paper:` mapping: a paper with no scan, or overrides for the scan's record."""

    title: Text | None = None
    authors: list[Text] | None = None
    url: Text | None = None
    venue: Text | None = None
    year: int | None = None


class NoteMeta(FrontMatterModel):
    """Front matter of a paper note."""

    headline: Text = Field(min_length=1)
    scan: Text | None = None
    paper: PaperRef | None = None
    order: int | None = None
    tags: list[Text] = []

    @field_validator("tags", mode="before")
    @classmethod
    def no_tags(cls, value: Any) -> Any:
        """Treat an empty `tags:` as no tags."""
        return [] if value is None else value


class PageMeta(FrontMatterModel):
    """Front matter of a standalone page."""

    title: Text = Field(min_length=1)
    description: Text | None = None
    draft: bool = False


@dataclass
class Note:
    """One paper covered in an edition: the headline and the editorial text."""

    path: Path
    slug: str
    meta: NoteMeta
    body: Document
    body_line: int
    head_digest: str  # of the front matter as read: part of the site's structure
    body_digest: str  # of the body as read: shown only where the note is
    key_lines: dict[str, int] = field(default_factory=dict)


@dataclass
class Edition:
    """One edition: its folder's date, its introduction, and its notes in order."""

    path: Path  # the edition's index.md
    slug: str  # the folder name, YYYY-MM-DD: the edition's permanent URL and feed id
    date: dt.date
    meta: EditionMeta
    intro: Document
    notes: list[Note]
    assets: list[Path]
    digest: str  # of index.md as read
    key_lines: dict[str, int] = field(default_factory=dict)
    body_line: int = 1  # the file line on which the introduction starts


@dataclass
class Page:
    """A standalone page such as about or subscribe."""

    path: Path
    slug: str
    meta: PageMeta
    body: Document
    digest: str  # of the file as read
    key_lines: dict[str, int] = field(default_factory=dict)
    body_line: int = 1  # the file line on which the text starts


@dataclass
class Content:
    """Everything under `content/` except the site settings."""

    editions: list[Edition]
    pages: list[Page]
    static_root: Path  # content/static: its files are published as they are
    static: list[Path]


def load_content(folder: Path, md: MarkdownIt, problems: Problems, max_bytes: int = DEFAULT_MAX_MARKDOWN_BYTES) -> Content:
    """Read every edition, note and page; record every problem found."""
    editions = [e for e in (load_edition(d, md, problems, max_bytes) for d in edition_folders(folder, problems)) if e]
    pages = [p for p in (load_page(path, md, problems, max_bytes) for path in files.find(folder / "pages", ".md", problems)) if p]
    static = files.find(folder / "static", "", problems)
    return Content(sorted(editions, key=lambda e: (e.date, e.slug)), pages, folder / "static", static)


def edition_folders(folder: Path, problems: Problems) -> list[Path]:
    """The folders under `content/editions/`, each named by its date."""
    root = folder / "editions"
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.iterdir()):
        if path.name.startswith(".") or not path.is_dir():
            continue
        if parse_date(path.name) is None:
            problems.add(path, "an edition folder must be named by its date, YYYY-MM-DD")
        elif path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
            problems.add(path, "is a symbolic link out of content/editions/; refusing to follow it")
        else:
            found.append(path)
    return found


def parse_date(text: str) -> dt.date | None:
    """A YYYY-MM-DD date, or None."""
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def load_edition(folder: Path, md: MarkdownIt, problems: Problems, max_bytes: int) -> Edition | None:
    """Read an edition's index.md and its notes."""
    index = folder / "index.md"
    if not index.is_file():
        problems.add(folder, "an edition folder needs an index.md with the edition's introduction")
        return None
    found = read_front_matter(index, EditionMeta, problems, max_bytes)
    inside = [p for p in files.find(folder, "", problems) if p != index]
    notes = [n for n in (load_note(p, md, problems, max_bytes) for p in inside if p.suffix == ".md") if n]
    if found is None:
        return None
    meta, parsed = found
    date = meta.date or parse_date(folder.name)
    assert date is not None  # edition_folders only passes dated folders
    notes.sort(key=lambda n: (n.meta.order is None, n.meta.order or 0, n.path.name))
    intro = Document(md, parsed.body)
    assets = [p for p in inside if p.suffix != ".md"]
    return Edition(index, folder.name, date, meta, intro, notes, assets, digest(parsed), parsed.key_lines, parsed.body_line)


def load_note(path: Path, md: MarkdownIt, problems: Problems, max_bytes: int = DEFAULT_MAX_MARKDOWN_BYTES) -> Note | None:
    """Read one paper note."""
    found = read_front_matter(path, NoteMeta, problems, max_bytes)
    if found is None:
        return None
    meta, parsed = found
    if meta.scan is None and (meta.paper is None or not meta.paper.title):
        problems.add(path, "a note needs `scan:` (a scan's paper id) or `paper:` with at least a `title:`", 1)
        return None
    slug = path.stem
    body = note_body(md, slug, parsed.body)
    return Note(path, slug, meta, body, parsed.body_line, files.digest_of(parsed.head), files.digest_of(parsed.body), parsed.key_lines)


def note_body(md: MarkdownIt, slug: str, text: str) -> Document:
    """A note's body: its anchors prefixed with its slug (an edition page shows several), its headings under its headline."""
    return Document(md, text, anchor_prefix=f"{slug}-", heading_shift=1)


def load_page(path: Path, md: MarkdownIt, problems: Problems, max_bytes: int) -> Page | None:
    """Read one standalone page."""
    found = read_front_matter(path, PageMeta, problems, max_bytes)
    if found is None:
        return None
    meta, parsed = found
    return Page(path, path.stem, meta, Document(md, parsed.body), digest(parsed), parsed.key_lines, parsed.body_line)


def digest(parsed: frontmatter.FrontMatter) -> str:
    """The digest of a whole Markdown file as read: its front matter and its body."""
    return files.digest_of(parsed.head, parsed.body)


def read_front_matter(path: Path, model: type[M], problems: Problems, max_bytes: int) -> tuple[M, frontmatter.FrontMatter] | None:
    """A Markdown file's validated front matter and its body."""
    parsed = read_markdown(path, problems, max_bytes)
    if parsed and model is NoteMeta and isinstance(parsed.data.get("scan"), (int, float)) and "scan" in parsed.scalars:
        parsed.data["scan"] = parsed.scalars["scan"]  # `scan: 2501.00010` is an id, not a number
    meta = validate(model, parsed, path, problems) if parsed else None
    if parsed is None or meta is None:
        return None
    return meta, parsed


def read_markdown(path: Path, problems: Problems, max_bytes: int) -> frontmatter.FrontMatter | None:
    """A Markdown file's front matter and body; files over max_bytes are refused (Markdown time grows with size)."""
    try:
        size = path.stat().st_size
    except OSError as error:
        problems.add(path, f"cannot be read: {error.strerror}")
        return None
    if size > max_bytes:
        problems.add(path, f"is {size:,} bytes, over the limit of {max_bytes:,} for a Markdown file (setting `max_markdown_bytes`)")
        return None
    text = files.read_text(path, problems)
    return frontmatter.parse(path, text, problems) if text is not None else None


def validate(model: type[M], parsed: frontmatter.FrontMatter, path: Path, problems: Problems) -> M | None:
    """Validate front matter against its model; errors at the lines of their keys."""
    try:
        return model.model_validate(parsed.data)
    except ValidationError as error:
        unknown = {str(key): parsed.line_of(key) for key in parsed.data if key not in model.model_fields}  # maybe misspelled fields
        validation.report_lines(path, error, problems, parsed.line_of, unknown)
        return None
