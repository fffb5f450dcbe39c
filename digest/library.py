"""One object that resolves every cross-reference: notes to scans, papers to editions, tags, URLs."""

from __future__ import annotations

import difflib
import functools
import hashlib
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from digest.content import Content, Edition, Note, Page
from digest.markdown import slugify
from digest.problems import Problems, display_path
from digest.scans import ScanFile, is_arxiv_id, is_doi, normalize_id
from digest.settings import Settings

RESERVED = ("index.html", "editions/", "papers/", "tags/", "feed.xml", "atom.xml", "sitemap.xml", "404.html")
MAX_SLUG = 60


def safe_slug(name: str) -> str:
    """A URL segment made of [a-z0-9._-] only; a short hash keeps altered names distinct."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-.")[:MAX_SLUG].strip("-.")
    if slug == name and slug:
        return slug
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else digest


@dataclass
class Citation:
    """What the reader needs to find the paper: record and links."""

    title: str
    authors: list[str] = field(default_factory=list)
    venue: str | None = None
    year: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    url: str | None = None

    @property
    def links(self) -> list[tuple[str, str]]:
        """(label, URL) pairs built from validated identifiers, never from free text."""
        links = []
        if self.arxiv_id and is_arxiv_id(self.arxiv_id):
            links += [("arXiv", f"https://arxiv.org/abs/{self.arxiv_id}"), ("PDF", f"https://arxiv.org/pdf/{self.arxiv_id}")]
        if self.doi and is_doi(self.doi):
            links.append(("DOI", f"https://doi.org/{quote_doi(self.doi)}"))
        if self.url:
            links.append(("Link", self.url))
        return links


def quote_doi(doi: str) -> str:
    """Percent-encode the characters of a DOI that cannot stand in a URL path."""
    return quote(doi, safe="/:;()._-")


@dataclass(eq=False)
class PaperEntry:
    """A paper covered by an included edition; it gets a page at papers/<slug>/."""

    id: str
    slug: str
    citation: Citation
    scan: ScanFile | None
    notes: list[NoteEntry] = field(default_factory=list)
    relations: Relations | None = field(default=None, repr=False)

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

    @property
    def latest(self) -> EditionEntry | None:
        """The newest included edition."""
        return self.editions[-1] if self.editions else None


def build_library(settings: Settings, scans: dict[str, ScanFile], content: Content, drafts: bool, problems: Problems) -> Library:
    """Resolve every cross-reference once; record missing scans and URL collisions."""
    aliases = scan_aliases(scans)
    included = [e for e in content.editions if drafts or not e.meta.draft]
    editions = number_editions(included, problems)
    papers: dict[str, PaperEntry] = {}
    tags: dict[str, TagEntry] = {}
    for entry in editions:
        for note in entry.edition.notes:
            paper = resolve_paper(note, aliases, papers, problems)
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


def resolve_paper(note: Note, aliases: dict[str, ScanFile], papers: dict[str, PaperEntry], problems: Problems) -> PaperEntry | None:
    """The paper a note covers, created on first sight; a missing scan is recorded with suggestions."""
    scan = None
    if note.meta.scan is not None:
        scan = covered_scan(note, aliases)
        if scan is None:
            problems.add(note.path, missing_scan_message(note.meta.scan, list(aliases)), note.key_lines.get("scan", 1))
            return None
    key = scan.id if scan else "paper:" + slugify(note.meta.paper.title if note.meta.paper and note.meta.paper.title else note.slug)
    paper = papers.get(key)
    if paper is None:
        paper = papers[key] = PaperEntry(scan.id if scan else key.removeprefix("paper:"), "", Citation(title=""), scan)
        paper.slug = safe_slug(paper.id)
    paper.citation = merge_citation(paper.citation, scan, note, problems)
    return paper


def missing_scan_message(wanted: str, known: list[str]) -> str:
    """Say that a scan does not exist, and suggest the closest existing ids."""
    close = difflib.get_close_matches(normalize_id(wanted), known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"`scan: {wanted}` names no scan in the scans folder{hint}"


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


@functools.lru_cache(maxsize=4096)  # tags repeat across thousands of notes
def tag_slug(name: str) -> str:
    """A tag's URL segment: readable where the name allows, so `Fine tuning` and `fine-tuning` are one tag."""
    readable = slugify(name)
    return readable if 0 < len(readable) <= MAX_SLUG else safe_slug(name.strip())


class Relations:
    """Each paper's related papers: the same ranking as related_papers, computed on bitsets for a page that shows them.

    Papers are numbered by (id, position), so a lower bit is a paper that wins a tie. Every tag and
    method has a mask: a Python int with one bit per paper that has it; so has the handful of papers
    linked to a paper by a citation either way. For one paper the scores of all others are summed at
    once into bit planes (plane k holds bit k of every score) by adding masks with a ripple-carry
    adder: each shared tag weighs 2, each shared method 1, a citation 3. The best papers are then read
    off the planes, highest score first, lowest bit first. The masks are made when first needed: a
    build that renders few paper pages makes few rankings.
    """

    def __init__(self, papers: list[PaperEntry], limit: int = 4) -> None:
        """Rank among papers, keeping the best limit."""
        self.papers = papers
        self.limit = limit

    @functools.cached_property
    def ranked(self) -> list[PaperEntry]:
        """The papers by (id, position): bit b of a mask is ranked[b]."""
        return [self.papers[i] for i in sorted(range(len(self.papers)), key=lambda i: (self.papers[i].id, i))]

    @functools.cached_property
    def bit(self) -> dict[int, int]:
        """Each paper's bit, by id()."""
        return {id(paper): b for b, paper in enumerate(self.ranked)}

    @functools.cached_property
    def keys(self) -> tuple[list[set[str]], list[set[str]], list[str], list[set[str]]]:
        """Per ranked paper: its tags, its methods, its title slugified, and the titles it cites."""
        slugs: dict[str, str] = {}  # many scans cite the same papers
        ranked = self.ranked
        return (
            [{t.slug for t in p.tags} for p in ranked],
            [methods(p) for p in ranked],
            [_slug(p.citation.title, slugs) for p in ranked],
            [set(p.scan.cited) if p.scan else set() for p in ranked],
        )

    @functools.cached_property
    def masks(self) -> tuple[dict[str, int], dict[str, int], dict[str, list[int]], dict[str, list[int]]]:
        """The masks of every tag and method, and the papers by title and by each title they cite."""
        tags, meth, titles, cited = self.keys
        return (
            {slug: _bitset(members) for slug, members in _positions(tags).items()},
            {method: _bitset(members) for method, members in _positions(meth).items()},
            _positions([{title} for title in titles]),
            _positions(cited),
        )

    def of(self, paper: PaperEntry) -> list[PaperEntry]:
        """The paper's related papers, best first."""
        tags, meth, titles, cited = self.keys
        by_tag, by_method, by_title, citing = self.masks
        a = self.bit[id(paper)]
        linked = _bitset([*citing.get(titles[a], ()), *(b for title in cited[a] for b in by_title.get(title, ()))])
        planes: list[int] = []
        for slug in tags[a]:
            _add(planes, by_tag[slug], 1)
        for method in meth[a]:
            _add(planes, by_method[method], 0)
        _add(planes, linked, 0)
        _add(planes, linked, 1)
        everyone = (1 << len(self.ranked)) - 1
        return [self.ranked[b] for b in _best(planes, everyone & ~(1 << a), self.limit)]


def _slug(title: str, slugs: dict[str, str]) -> str:
    """slugify(title), remembered in slugs."""
    slug = slugs.get(title)
    if slug is None:
        slug = slugs[title] = slugify(title)
    return slug


def _positions(keys: list[set[str]]) -> dict[str, list[int]]:
    """For each key, the positions whose set holds it."""
    positions: dict[str, list[int]] = {}
    for i, found in enumerate(keys):
        for key in found:
            positions.setdefault(key, []).append(i)
    return positions


def _bitset(positions: list[int]) -> int:
    """The int whose set bits are the given positions."""
    bits = bytearray(max(positions, default=-1) // 8 + 1)
    for i in positions:
        bits[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(bits, "little")


def _add(planes: list[int], mask: int, k: int) -> None:
    """Add 2**k to the score of every paper in mask, in place, rippling the carry up the planes."""
    planes.extend([0] * (k - len(planes)))
    while mask:
        if k == len(planes):
            planes.append(mask)
            return
        planes[k], mask = planes[k] ^ mask, planes[k] & mask
        k += 1


def _best(planes: list[int], universe: int, limit: int) -> list[int]:
    """The positions of up to limit papers of the universe scoring above 0: best first, then lowest."""
    scoring = 0
    for plane in planes:
        scoring |= plane
    universe &= scoring
    found: list[int] = []
    while universe and len(found) < limit:
        top = universe
        for plane in reversed(planes):
            if top & plane:
                top &= plane
        universe ^= top
        while top and len(found) < limit:
            low = top & -top
            found.append(low.bit_length() - 1)
            top ^= low
    return found


def related_papers(paper: PaperEntry, papers: list[PaperEntry], limit: int = 4) -> list[PaperEntry]:  # the oracle Relations is tested against
    """Papers sharing tags or methods with this one, or citing it or cited by it; best first."""
    scored = [(relatedness(paper, other), other) for other in papers if other is not paper]
    ranked = sorted((item for item in scored if item[0] > 0), key=lambda item: (-item[0], item[1].id))
    return [other for _, other in ranked[:limit]]


def relatedness(a: PaperEntry, b: PaperEntry) -> int:
    """How related two papers are: shared tags count double, a citation triple."""
    shared_tags = len({t.slug for t in a.tags} & {t.slug for t in b.tags})
    score = 2 * shared_tags + len(methods(a) & methods(b))
    if cites(a, b) or cites(b, a):
        score += 3
    return score


def methods(paper: PaperEntry) -> set[str]:
    """The scan's methodology tags, lower-cased."""
    return {t.lower() for t in paper.scan.methodology_tags} if paper.scan else set()


def cites(a: PaperEntry, b: PaperEntry) -> bool:
    """True when a's scan lists b among its cited papers (by title)."""
    if a.scan is None:
        return False
    title = slugify(b.citation.title)
    return title in a.scan.cited


def page_url(page: Page) -> str:
    """A standalone page's URL, relative to the site root."""
    return f"{safe_slug(page.slug)}/"


def check_urls(library: Library, problems: Problems) -> None:
    """Report two things that would be written to the same URL, naming both."""
    owners: dict[str, Path] = {}

    def claim(url: str, source: Path) -> None:
        key = url.lower()
        if key in owners and owners[key] != source:
            problems.add(source, f"would be published at /{url}, which {display_path(owners[key], problems.root)} already uses")
        owners.setdefault(key, source)

    for page in library.pages:
        if page_url(page) in RESERVED:
            problems.add(page.path, f"a page named {page.slug!r} would replace the site's own /{page_url(page)}")
        claim(page_url(page), page.path)
    for paper in library.papers:
        claim(paper.url, paper.scan.path if paper.scan else paper.notes[0].note.path)
    for edition in library.editions:
        for note in edition.notes:
            claim(f"{edition.url}#{note.anchor}", note.note.path)
