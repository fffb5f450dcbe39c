"""Across the archive: every claim by how well it is supported (`/claims/`), every red flag by kind (`/flags/`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from digest.library import Library, PaperEntry
from digest.scans import SUPPORT_LEVELS, Claim, RedFlag
from digest.views import anchors

if TYPE_CHECKING:
    from digest.render import Renderer

# The claims the evidence supports least come first: they are what a reader should doubt.
VERDICTS = ("unsupported", "weak", "moderate", "unknown", "supported", "strong")
assert set(VERDICTS) == {*SUPPORT_LEVELS, "unknown"}
VERDICT_NAMES = {
    "unsupported": "Unsupported",
    "weak": "Weakly supported",
    "moderate": "Moderately supported",
    "unknown": "Support not rated",
    "supported": "Supported",
    "strong": "Strongly supported",
}


class ClaimRow(NamedTuple):
    """A claim where it is made: the paper, the claim, and its anchor on the paper page."""

    paper: PaperEntry
    claim: Claim
    anchor: str


class FlagRow(NamedTuple):
    """A red flag where it is raised."""

    paper: PaperEntry
    flag: RedFlag
    anchor: str


@dataclass
class Verdict:
    """The claims of one level of support."""

    level: str
    name: str
    rows: list[ClaimRow] = field(default_factory=list)


# The kinds of red flag, each known by words its flags use; a flag is of the kind of its first such word.
# Scans word flags freely ("LLM judge only", "Judge-only scoring"), so the same words would rarely group two.
FLAG_KINDS = (
    ("judge", "A model or LLM judge does the scoring", r"judge|grader|llm[- ]as"),
    ("significance", "No significance tests", r"significan|p-value|statistic"),
    ("uncertainty", "No uncertainty estimates", r"uncertaint|error bar|confidence interval|variance|single seed|one seed|\bseeds?\b"),
    ("closed", "Closed models, data or code", r"proprietar|closed|not released|nothing released|unreleased|replicat|reproduc|api\b"),
    ("interest", "Authors judge their own work", r"\bown\b|vendor|conflict|self-|funding|affiliation"),
    ("causality", "Causality or mechanism not shown", r"causal|mechanism|correlat"),
    ("generality", "Results may not generalise", r"generali[sz]|transfer|differs? from|varies"),
    (
        "narrow",
        "Narrow, small or artificial settings",
        r"toy|synthetic|narrow|constructed|hand-picked|only (?:one|two|three)|one model|small|few\b",
    ),
    ("claims", "Claims beyond the evidence", r"title|overclaim|hype|strong claim|informal|by inspection|proxy|metric"),
)
OTHER_FLAGS = ("other", "Other red flags")
_FLAG_WORDS = re.compile("|".join(f"(?P<{slug}>{words})" for slug, _, words in FLAG_KINDS))  # on lower-case text: 2.5× faster than IGNORECASE


def flag_kind(flag: RedFlag) -> str:
    """The kind of a red flag: that of the first of its words any kind uses (OTHER_FLAGS if none does)."""
    found = _FLAG_WORDS.search(flag.flag.lower())
    return found.lastgroup if found and found.lastgroup else OTHER_FLAGS[0]


@dataclass
class FlagKind:
    """The red flags of one kind, raised by one or more papers."""

    slug: str
    name: str
    rows: list[FlagRow] = field(default_factory=list)

    @property
    def papers(self) -> int:
        """How many papers raise it."""
        return len({row.paper.id for row in self.rows})


@dataclass
class Ledger:
    """Every claim and red flag of the covered papers' scans."""

    verdicts: list[Verdict]
    flags: list[FlagKind]  # the kinds most papers raise first, the other flags last

    @property
    def claims(self) -> int:
        """How many claims in all."""
        return sum(len(verdict.rows) for verdict in self.verdicts)


def read_ledger(library: Library) -> Ledger:
    """Read every covered paper's scan once, in the order of the papers' index, and sort its claims and flags."""
    verdicts = {level: Verdict(level, VERDICT_NAMES[level]) for level in VERDICTS}
    kinds = {slug: FlagKind(slug, name) for slug, name, _ in FLAG_KINDS} | {OTHER_FLAGS[0]: FlagKind(*OTHER_FLAGS)}
    for paper in library.papers:
        if paper.scan is None:
            continue
        scan = paper.scan.claims_and_flags()
        for claim, anchor in zip(scan.claims, anchors("claim", [c.claim for c in scan.claims]), strict=True):
            verdicts[claim.support].rows.append(ClaimRow(paper, claim, anchor))
        for flag, anchor in zip(scan.red_flags, anchors("flag", [f.flag for f in scan.red_flags]), strict=True):
            kinds[flag_kind(flag)].rows.append(FlagRow(paper, flag, anchor))
    flags = sorted((kind for kind in kinds.values() if kind.rows), key=lambda kind: (kind.slug == OTHER_FLAGS[0], -kind.papers))
    return Ledger([verdict for verdict in verdicts.values() if verdict.rows], flags)


def page(renderer: Renderer, template: str, path: str) -> str:
    """A page that shows the ledger (claims.html, flags.html), read once per process."""
    return renderer.page(template, path, ledger=renderer.ledger)
