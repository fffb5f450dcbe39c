"""What each template receives: small view objects, with the logic kept in Python."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from markupsafe import Markup

from digest import head
from digest.filters import bar_svg, humanize, plural
from digest.head import Head
from digest.library import EditionEntry, Library, NoteEntry, PaperEntry
from digest.markdown import Document, link_resolver, slugify
from digest.scans import SUPPORT_LEVELS, CheckItem, Claim, Group, HNData, RedFlag, Scan, checklist_groups


@dataclass(frozen=True)
class Tally:
    """Checks met out of checks that apply."""

    met: int
    applicable: int

    def __add__(self, other: Tally) -> Tally:
        """Sum two tallies."""
        return Tally(self.met + other.met, self.applicable + other.applicable)


def tally(group: Group) -> Tally:
    """Count the checks of a group that apply and those met."""
    return Tally(sum(item.met for item in group.values()), sum(item.applies for item in group.values()))


def support_counts(scan: Scan) -> dict[str, int]:
    """How many claims have each level of support, strongest first."""
    counts = Counter(claim.support for claim in scan.claims)
    return {level: counts[level] for level in (*SUPPORT_LEVELS, "unknown") if counts[level]}


def artifact(scan: Scan, item_name: str) -> bool | None:
    """Whether e.g. `code_released` is met; None when no group asks or it does not apply."""
    for _, _, items in checklist_groups(scan):
        item = items.get(item_name)
        if item is not None and item.applies:
            return item.answer
    return None


class CheckView(NamedTuple):
    """One checklist item as shown: its question, verdict and justification (a tuple: a paper page shows dozens)."""

    name: str
    applies: bool
    met: bool  # it applies, and the paper meets it
    justification: str
    source: str | None


@dataclass(frozen=True)
class GroupView:
    """A checklist group with its tally, and its checks (made when first shown: only paper pages show them)."""

    section: str
    name: str
    tally: Tally
    group: Group

    @functools.cached_property
    def items(self) -> list[CheckView]:
        """Each check of the group as shown."""
        return [check_view(name, item) for name, item in self.group.items()]

    @property
    def bar(self) -> Markup:
        """Checks met of checks that apply, as a small inline SVG bar."""
        return bar_svg(self.tally.met, self.tally.applicable)


@dataclass(frozen=True)
class ScanView:
    """The derived figures and text of a scan, for the scan card and the paper page."""

    scan: Scan
    paper_type: str
    tally: Tally
    claims: list[Claim]
    support: dict[str, int]
    red_flags: list[RedFlag]
    code: bool | None
    data: bool | None
    hn: HNData
    version: int
    groups: list[GroupView]  # every checklist group, general first

    @property
    def summary(self) -> str:
        """One line: paper type, checks met of checks that apply, red flags, claims by support."""
        parts = [self.paper_type, f"{self.tally.met} of {self.tally.applicable} checks met", plural(len(self.red_flags), "red flag")]
        if self.support:
            parts.append(f"claims: {self.support_text}")
        return " · ".join(parts)

    @property
    def support_text(self) -> str:
        """How many claims have each level of support, strongest first: `5 strong, 2 moderate`."""
        return ", ".join(f"{count} {level}" for level, count in self.support.items())

    @property
    def weakest(self) -> Claim | None:
        """The claim the evidence supports least (the first of them), if any claim says how well it is supported."""
        rated = [claim for claim in self.claims if claim.support in SUPPORT_LEVELS]
        return max(rated, key=lambda claim: SUPPORT_LEVELS.index(claim.support), default=None)

    @functools.cached_property
    def claim_anchors(self) -> list[str]:
        """Each claim's fragment id on the paper page, made from its words: it stays while other claims come and go."""
        return anchors("claim", [claim.claim for claim in self.claims])

    @functools.cached_property
    def flag_anchors(self) -> list[str]:
        """Each red flag's fragment id on the paper page, made from its words."""
        return anchors("flag", [flag.flag for flag in self.red_flags])

    @property
    def bar(self) -> Markup:
        """Checks met of checks that apply over every group, as a small inline SVG bar."""
        return bar_svg(self.tally.met, self.tally.applicable)

    @functools.cached_property
    def applicable_groups(self) -> list[GroupView]:
        """The groups with at least one check that applies, for the compact card."""
        return [group for group in self.groups if group.tally.applicable]

    @property
    def discussed(self) -> bool:
        """Whether the scan found any Hacker News discussion."""
        return bool(self.hn.threads or self.hn.total_points or self.hn.total_comments)


def anchors(prefix: str, texts: list[str], words: int = 8) -> list[str]:
    """Fragment ids for texts: prefix and their first words slugified, numbered only where two would be the same."""
    seen: dict[str, int] = {}
    found = []
    for text in texts:
        base = f"{prefix}-" + ("-".join(slugify(text).split("-")[:words]) or "untitled")
        seen[base] = seen.get(base, 0) + 1
        found.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return found


def scan_view(scan: Scan) -> ScanView:
    """Everything the templates show of a scan, computed once (each group's checks when first shown)."""
    groups = [GroupView(section, humanize(name), tally(items), items) for section, name, items in checklist_groups(scan)]
    return ScanView(
        scan,
        humanize(scan.paper_type),
        sum((group.tally for group in groups), Tally(0, 0)),
        list(scan.claims),
        support_counts(scan),
        list(scan.red_flags),
        artifact(scan, "code_released"),
        artifact(scan, "data_released"),
        scan.hn_data,
        scan.scan_version,
        groups,
    )


def check_view(name: str, item: CheckItem) -> CheckView:
    """A checklist item as shown: its question in words, and its verdict."""
    return CheckView(humanize(name), item.applies, item.met, item.justification, item.source)


class PageContext:
    """Where a page sits in the site: how it links, and how it renders Markdown."""

    def __init__(self, library: Library, url: str, absolute: bool = False, bare: bool = False, read: set[int] | None = None) -> None:
        """Url is the page's path from the site root; absolute links everything to base_url.

        bare renders Markdown without class attributes or raw HTML, for email. Each note whose text
        the page shows is added to read (by id), if given: the cache keys a page by the notes it shows.
        """
        self.library = library
        self.url = url
        self.base_url = library.settings.base_url
        depth = url.count("/")
        self.root = self.base_url if absolute else "../" * depth
        self.absolute = absolute
        self.bare = bare
        self.read = read if read is not None else set()

    @property
    def canonical(self) -> str:
        """The page's absolute URL."""
        return self.base_url + self.url.removesuffix("index.html")

    def link(self, url: str) -> str:
        """A link to a site URL from this page."""
        return self.root + url if (self.root + url) else "./"

    def resolver(self, source_url: str) -> Callable[[str], str]:
        """How a link written in a document at source_url reads on this page."""
        return link_resolver(self.base_url + source_url, self.base_url, None if self.absolute else self.root)

    def markdown(self, document: Document, source_url: str) -> Markup:
        """A Markdown document written at source_url, with its links right for this page."""
        return document.html(self.resolver(source_url), self.bare, key=(source_url, None if self.absolute else self.root))

    def note_body(self, note: NoteEntry) -> Document:
        """A note's editorial text, as Markdown (noting that this page shows it)."""
        self.read.add(id(note.note))
        return note.note.body

    def note_html(self, note: NoteEntry) -> Markup:
        """A note's editorial text."""
        return self.markdown(self.note_body(note), note.edition.url)

    def intro_html(self, edition: EditionEntry) -> Markup:
        """An edition's introduction."""
        return self.markdown(edition.edition.intro, edition.url)

    def head(self, name: str = "", description: str = "", kind: str = "website", indexed: bool = True) -> Head:
        """The head of an ordinary page; name "" is the site itself."""
        return head.page(self, name, description, kind, indexed)

    def home_head(self, edition: EditionEntry | None) -> Head:
        """The home page: the periodical, and its latest issue."""
        return head.home(self, edition)

    def edition_head(self, edition: EditionEntry) -> Head:
        """An edition: an article page, described in JSON-LD as an issue of the periodical."""
        return head.edition(self, edition)

    def paper_head(self, paper: PaperEntry, scan: ScanView | None) -> Head:
        """A paper's page: Highwire citation_* tags and a ScholarlyArticle in JSON-LD."""
        return head.paper(self, paper, scan)
