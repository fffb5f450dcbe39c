"""One object that resolves every cross-reference: notes to scans, papers to editions, tags, URLs."""

from __future__ import annotations

import difflib
import functools
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from digest.content import Content, Edition, Note, Page
from digest.files import digest_of
from digest.ids import Citation, normalize_id
from digest.markdown import slugify
from digest.problems import Problems, display_path
from digest.related import Relations, covered_by_key, link_citations
from digest.scanfiles import ScanFile
from digest.scans import CitedPaper, cited_ids
from digest.settings import Settings
from digest.urls import check_urls, safe_slug, tag_slug


@dataclass(eq=False)
class PaperEntry:
    """A paper covered by an included edition; it gets a page at papers/<slug>/."""

    id: str
    slug: str
    citation: Citation
    scan: ScanFile | None
    notes: list[NoteEntry] = field(default_factory=list)
    relations: Relations | None = field(default=None, repr=False)
    cited_by: list[PaperEntry] = field(default_factory=list)  # the covered papers whose scans cite this one

    @property
    def related(self) -> list[PaperEntry]:
        """The papers most related to this one, best first (see Relations)."""
        return self.relations.of(self) if self.relations else []

    @property
    def url(self) -> str:
        """The paper page's URL, relative to the site root."""
        return f"papers/{self.slug}/"

    @property
    def tags(self) -> list[TagEntry]:
        """The tags of every note on this paper, without repeats."""
        seen: dict[str, TagEntry] = {}
        for note in self.notes:
            for tag in note.tags:
                seen.setdefault(tag.slug, tag)
        return list(seen.values())

    @property
    def headline(self) -> str:
        """The latest editorial headline for the paper."""
        return self.notes[-1].headline


@dataclass(eq=False)
class NoteEntry:
    """A note placed in its edition, resolved to its paper."""

    note: Note
    edition: EditionEntry
    paper: PaperEntry
    tags: list[TagEntry]

    @property
    def headline(self) -> str:
        """The editorial headline."""
        return self.note.meta.headline

    @property
    def anchor(self) -> str:
        """The note's fragment id on its edition page."""
        return self.note.slug

    @property
    def url(self) -> str:
        """The note's place on its edition page."""
        return f"{self.edition.url}#{self.anchor}"


@dataclass(eq=False)
class EditionEntry:
    """An included edition with its number, title and resolved notes."""

    edition: Edition
    number: int
    notes: list[NoteEntry] = field(default_factory=list)
    previous: EditionEntry | None = None
    next: EditionEntry | None = None

    @property
    def slug(self) -> str:
        """The edition's folder name (its date)."""
        return self.edition.slug

    @property
    def url(self) -> str:
        """The edition page's URL, relative to the site root."""
        return f"editions/{self.slug}/"

    @property
    def title(self) -> str:
        """The edition's title, or `Edition N`."""
        return self.edition.meta.title or f"Edition {self.number}"

    @property
    def summary(self) -> str:
        """The front matter summary, or the intro's first paragraph."""
        return self.edition.meta.summary or self.edition.intro.first_paragraph()

    @property
    def draft(self) -> bool:
        """Whether this edition is a draft (shown only with --drafts)."""
        return self.edition.meta.draft


@dataclass(eq=False)
class TagEntry:
    """A tag and the notes that carry it."""

    name: str
    slug: str
    notes: list[NoteEntry] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The tag page's URL, relative to the site root."""
        return f"tags/{self.slug}/"

    @property
    def papers(self) -> list[PaperEntry]:
        """The papers with this tag, newest coverage first, without repeats."""
        seen: dict[str, PaperEntry] = {}
        for note in reversed(self.notes):
            seen.setdefault(note.paper.id, note.paper)
        return list(seen.values())


@dataclass(repr=False)
class Library:
    """The whole site resolved: what every template and feed reads."""

    settings: Settings
    editions: list[EditionEntry]  # oldest first
    papers: list[PaperEntry]  # by title
    tags: list[TagEntry]  # by name
    pages: list[Page]
    scans: dict[str, ScanFile]
    uncovered: list[ScanFile]  # scans no edition covers, drafts included
    content: Content

    def __repr__(self) -> str:
        """A line, not the whole site (a failed test prints it)."""
        return f"Library({len(self.editions)} editions, {len(self.papers)} papers, {len(self.tags)} tags)"

    @functools.cached_property
    def structure(self) -> str:
        """A digest of everything the library was made from but the text of notes: what every output shows (see digest.cache)."""
        content = self.content
        parts = [self.settings.model_dump_json()]
        parts += [f"{scan.path}\0{scan.digest}\0{scan.previous.digest if scan.previous else ''}" for scan in self.scans.values()]
        for edition in content.editions:
            parts += [f"{edition.path}\0{edition.digest}", *(f"{note.path}\0{note.head_digest}" for note in edition.notes)]
        parts += [f"{page.path}\0{page.digest}" for page in content.pages]
        return digest_of(*parts)

    @functools.cached_property
    def covered(self) -> dict[str, PaperEntry]:
        """Each covered paper by the keys a scan cites it with (see covered_paper)."""
        return covered_by_key(self.papers)

    def covered_paper(self, cited: CitedPaper, citing: PaperEntry) -> PaperEntry | None:
        """The paper citing's scan cites, if the site covers it and it is not citing itself (matched by arXiv id or DOI, else by title)."""
        for key in (*cited_ids(cited), slugify(cited.title)):
            if key in self.covered:
                return self.covered[key] if self.covered[key] is not citing else None
        return None

    @property
    def latest(self) -> EditionEntry | None:
        """The newest included edition."""
        return self.editions[-1] if self.editions else None


def build_library(
    settings: Settings, scans: dict[str, ScanFile], content: Content, drafts: bool, problems: Problems, broken: dict[str, Path] | None = None
) -> Library:
    """Resolve every cross-reference once; record missing scans (or ones that did not load: broken) and URL collisions."""
    aliases = scan_aliases(scans)
    included = [e for e in content.editions if drafts or not e.meta.draft]
    editions = number_editions(included, problems)
    papers: dict[str, PaperEntry] = {}
    tags: dict[str, TagEntry] = {}
    for entry in editions:
        for note in entry.edition.notes:
            paper = resolve_paper(note, aliases, papers, problems, broken or {})
            if paper is not None:
                place_note(note, entry, paper, tags)
    relations = Relations(list(papers.values()))
    for paper in papers.values():
        paper.relations = relations
    covered = {scan.id for scan in (covered_scan(n, aliases) for e in content.editions for n in e.notes) if scan}
    library = Library(
        settings,
        editions,
        sorted(papers.values(), key=lambda p: (p.citation.title.lower(), p.id)),
        sorted(tags.values(), key=lambda t: (t.name.lower(), t.slug)),
        [p for p in content.pages if drafts or not p.meta.draft],
        scans,
        [s for i, s in scans.items() if i not in covered],
        content,
    )
    link_citations(library.papers, library.covered)
    check_urls(library, problems)
    return library


def scan_aliases(scans: dict[str, ScanFile]) -> dict[str, ScanFile]:
    """Each scan by its paper id, and by its file stem where that stem is unambiguous."""
    stems: dict[str, list[ScanFile]] = {}
    for scan in scans.values():
        stems.setdefault(scan.path.stem, []).append(scan)
    aliases = {stem: found[0] for stem, found in stems.items() if len(found) == 1}
    aliases.update(scans)
    return aliases


def covered_scan(note: Note, aliases: dict[str, ScanFile]) -> ScanFile | None:
    """The scan a note names, if it exists."""
    return aliases.get(normalize_id(note.meta.scan)) if note.meta.scan else None


def number_editions(editions: list[Edition], problems: Problems) -> list[EditionEntry]:
    """Number editions by date unless their front matter says otherwise; link previous and next."""
    entries = [EditionEntry(e, e.meta.number or position) for position, e in enumerate(editions, start=1)]
    seen: dict[int, EditionEntry] = {}
    for entry in entries:
        if entry.number in seen:
            problems.warn(entry.edition.path, f"edition number {entry.number} is also used by {seen[entry.number].slug}")
        seen.setdefault(entry.number, entry)
    link_editions(entries)
    return entries


def link_editions(entries: list[EditionEntry]) -> None:
    """Link each edition to the one before and the one after it."""
    for before, after in itertools.pairwise(entries):
        before.next, after.previous = after, before


def resolve_paper(
    note: Note, aliases: dict[str, ScanFile], papers: dict[str, PaperEntry], problems: Problems, broken: dict[str, Path]
) -> PaperEntry | None:
    """The paper a note covers, created on first sight; a missing scan is recorded with suggestions."""
    scan = None
    if note.meta.scan is not None:
        scan = covered_scan(note, aliases)
        if scan is None:
            message = missing_scan_message(note.meta.scan, list(aliases), broken, problems.root)
            problems.add(note.path, message, note.key_lines.get("scan", 1))
            return None
    key = scan.id if scan else "paper:" + slugify(note.meta.paper.title if note.meta.paper and note.meta.paper.title else note.slug)
    paper = papers.get(key)
    if paper is None:
        paper = papers[key] = PaperEntry(scan.id if scan else key.removeprefix("paper:"), "", Citation(title=""), scan)
        paper.slug = safe_slug(paper.id)
    paper.citation = merge_citation(paper.citation, scan, note, problems)
    return paper


def missing_scan_message(wanted: str, known: list[str], broken: dict[str, Path], root: Path) -> str:
    """Say that a scan did not load, or does not exist (suggesting the closest existing ids)."""
    failed = broken.get(normalize_id(wanted)) or broken.get(wanted.strip())
    if failed is not None:
        return f"`scan: {wanted}` names {display_path(failed, root)}, which did not load (its problems are listed with it)"
    close = difflib.get_close_matches(normalize_id(wanted), known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    unloaded = sorted({display_path(path, root) for path in broken.values()})
    elsewhere = f" ({', '.join(unloaded[:3])}{' and others' if len(unloaded) > 3 else ''} did not load)" if unloaded else ""
    return f"`scan: {wanted}` names no scan in the scans folder{elsewhere}{hint}"


def merge_citation(current: Citation, scan: ScanFile | None, note: Note, problems: Problems) -> Citation:
    """The scan's record, overridden field by field by the note's `paper:` mapping."""
    citation = current
    if scan is not None and not current.title:
        p = scan.paper
        arxiv = normalize_id(p.arxiv_id) if p.arxiv_id else None
        doi = normalize_id(p.doi) if p.doi else None
        citation = Citation(p.title, list(p.authors), p.venue, p.year, arxiv, doi)
    ref = note.meta.paper
    if ref is None:
        return citation
    url = ref.url
    if url is not None and not is_web_url(url):
        problems.add(note.path, f"`paper.url` must be an http:// or https:// URL, not {url!r}", note.key_lines.get("paper", 1))
        url = None
    return Citation(
        ref.title or citation.title,
        list(ref.authors) if ref.authors is not None else citation.authors,
        ref.venue or citation.venue,
        ref.year or citation.year,
        citation.arxiv_id,
        citation.doi,
        url or citation.url,
    )


def is_web_url(url: str) -> bool:
    """True for an absolute http(s) URL."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def place_note(note: Note, edition: EditionEntry, paper: PaperEntry, tags: dict[str, TagEntry]) -> None:
    """Attach a note to its edition, its paper and its tags."""
    entry = NoteEntry(note, edition, paper, [])
    for name in note.meta.tags:
        key = tag_slug(name)
        if name.strip():
            tag = tags.setdefault(key, TagEntry(name.strip(), key))
            if tag not in entry.tags:
                entry.tags.append(tag)
                tag.notes.append(entry)
    edition.notes.append(entry)
    paper.notes.append(entry)
