"""The scan format: its models, what is read off a scan (groups, discussion, ids), and its JSON Schema (loading is digest.scanfiles)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from digest.ids import normalize_id

Text = str  # every string of a scan is cleaned before validation when its bytes may need it (see scanfiles.validate_scan)
OptionalText = Annotated[Text, WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}]})]  # `null` reads as the default
SUPPORT_LEVELS = ("strong", "supported", "moderate", "weak", "unsupported")
LIMIT = 2**53
Count = Annotated[int, Field(ge=-LIMIT, le=LIMIT)]  # a number any page, feed or sum can write out (JSON allows thousands of digits)


def one_of(words: str, *kinds: type) -> Callable[[Any], Any]:
    """A check that a value is of one of kinds or null, told in one line when it is not (a union of types tells one line per type)."""

    def check(value: Any) -> Any:
        if value is None or (isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > LIMIT:
                raise PydanticCustomError("less_than_equal", "input should be less than or equal to {le}", {"le": LIMIT})
            return value
        raise PydanticCustomError("value_type", f"input should be {words}")

    return check


Support = Annotated[
    str | bool | None,
    PlainValidator(one_of("a string, a boolean or null", str, bool)),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "boolean"}, {"type": "null"}]}),
]
ThreadId = Annotated[
    int | str | None,
    PlainValidator(one_of("an integer, a string or null", int, str)),
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}),
]


class ScanModel(BaseModel):
    """Strict types (booleans are booleans, scores integers); unknown fields kept; `null` in an optional field means its default.

    No model has a model validator (only HNData's small list of threads has a field validator): a scan
    is validated in pydantic-core straight from its bytes, and only a scan that needs cleaning or holds
    such a `null` is read another way (validate_scan).
    """

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


class CheckItem(ScanModel):
    """One checklist question answered, with its justification."""

    applies: bool
    answer: bool | None = None
    justification: OptionalText = ""
    source: Text | None = None

    @property
    def met(self) -> bool:
        """The check applies and the paper meets it."""
        return self.applies and self.answer is True


class PaperInfo(ScanModel):
    """The paper's bibliographic record as the scan gives it."""

    title: Text = Field(min_length=1)
    authors: list[Text] = []
    year: Count | None = None
    venue: Text | None = None
    arxiv_id: Text | None = None
    doi: Text | None = None


class Claim(ScanModel):
    """A claim the paper makes and how well its evidence supports it."""

    claim: Text
    evidence: OptionalText = ""
    supported: Support = None

    @property
    def support(self) -> str:
        """The support level, lower-cased (true/false as supported/unsupported); `unknown` otherwise."""
        if isinstance(self.supported, bool):
            return "supported" if self.supported else "unsupported"
        level = (self.supported or "").strip().lower()
        return level if level in SUPPORT_LEVELS else "unknown"


class RedFlag(ScanModel):
    """A weakness the scan calls out."""

    flag: Text
    detail: OptionalText = ""


class CitedPaper(ScanModel):
    """A paper the scanned paper cites, and why it matters; its ids, where the scan gives them."""

    title: Text
    relevance: OptionalText = ""
    arxiv_id: Text | None = None
    doi: Text | None = None


class EngagementFactor(ScanModel):
    """Why people might discuss the paper, scored 0 to 3."""

    score: Count
    justification: OptionalText = ""


class HNThread(ScanModel):
    """One Hacker News thread about the paper."""

    id: ThreadId = None
    title: Text | None = None
    points: Count | None = None
    num_comments: Count | None = None
    created_at: Text | None = None

    @property
    def url(self) -> str | None:
        """The thread's Hacker News address, built only from a numeric id."""
        text = str(self.id) if self.id is not None else ""
        return f"https://news.ycombinator.com/item?id={text}" if text.isdigit() and text.isascii() else None


class HNData(ScanModel):
    """Hacker News discussion of the paper."""

    threads: list[HNThread] = []
    top_points: Count = 0
    total_points: Count = 0
    total_comments: Count = 0

    @field_validator("threads", mode="before")
    @classmethod
    def titles_as_threads(cls, value: Any) -> Any:
        """Accept a bare string in the list of threads as a thread's title."""
        return [{"title": item} if isinstance(item, str) else item for item in value] if isinstance(value, list) else value


Group = dict[str, CheckItem]


class Scan(ScanModel):
    """A scan file: the rigor checklist, claims, red flags and discussion of one paper."""

    scan_version: Count
    paper_type: Text
    paper: PaperInfo
    checklist: dict[str, Group]
    type_checklist: dict[str, dict[str, Group]] = {}
    claims: list[Claim] = []
    methodology_tags: list[Text] = []
    key_findings: OptionalText = ""
    red_flags: list[RedFlag] = []
    cited_papers: list[CitedPaper] = []
    engagement_factors: dict[str, EngagementFactor] = {}
    hn_data: HNData = HNData()


class CitedTitle(BaseModel):
    """A cited paper's title and ids, all a summary reads of it."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)
    title: Text
    arxiv_id: Text | None = None
    doi: Text | None = None


class CheckBits(BaseModel):
    """Whether a check applies and is met, all a summary reads of it."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)
    applies: bool
    answer: bool | None = None


class Score(BaseModel):
    """An engagement factor's score, all a summary reads of it."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)
    score: Count


class Points(BaseModel):
    """The Hacker News points of a paper, all a summary reads of its discussion."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)
    total_points: Count = 0


class ClaimsAndFlags(BaseModel):
    """A scan's claims and red flags, all the claims and flags pages read of a scan whose bytes were validated whole."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)
    claims: list[Claim] = []
    red_flags: list[RedFlag] = []


class ScanSummary(BaseModel):
    """What the library and the papers' index need of a scan whose bytes an earlier build validated whole; the rest is not looked at."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)
    scan_version: Count
    paper_type: Text
    paper: PaperInfo
    checklist: dict[str, dict[str, CheckBits]]
    type_checklist: dict[str, dict[str, dict[str, CheckBits]]] = {}
    methodology_tags: list[Text] = []
    red_flags: list[Any] = []
    cited_papers: list[CitedTitle] = []
    engagement_factors: dict[str, Score] = {}
    hn_data: Points = Points()


def checklist_groups(scan: Scan) -> list[tuple[str, str, Group]]:
    """Every checklist group as (section, group name, items): general first, then by paper type."""
    groups = [("general", name, items) for name, items in scan.checklist.items()]
    for paper_type, type_groups in scan.type_checklist.items():
        groups += [(paper_type, name, items) for name, items in type_groups.items()]
    return groups


def discussion(scan: Scan) -> tuple[int, int, int]:
    """How much a paper is discussed: HN points, HN comments, engagement score total."""
    hn = scan.hn_data
    engagement = sum(factor.score for factor in scan.engagement_factors.values())
    return (hn.total_points, hn.total_comments, engagement)


def paper_id(scan: Scan | ScanSummary, path: Path) -> str:
    """A paper's id: its arXiv id, else its DOI, else the scan file's stem."""
    for candidate in (scan.paper.arxiv_id, scan.paper.doi):
        if candidate and candidate.strip():
            return normalize_id(candidate)
    return path.stem


def cited_ids(cited: CitedPaper | CitedTitle) -> list[str]:
    """A cited paper's arXiv id and DOI, where the scan gives them, as paper ids are written."""
    return [normalize_id(value) for value in (cited.arxiv_id, cited.doi) if value and value.strip()]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scan format, from the models."""
    schema = Scan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Paper scan"
    return schema
