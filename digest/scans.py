"""Scan models, loading scan files, paper ids, and the figures derived from a scan."""

from __future__ import annotations

import contextlib
import functools
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, field_validator

from digest import files, validation
from digest.files import clean_json
from digest.ids import normalize_id
from digest.markdown import slugify
from digest.problems import Problems

Text = str  # every string of a scan is cleaned before validation when its bytes may need it (see validate_scan)
OptionalText = Annotated[Text, WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}]})]  # `null` reads as the default
SUPPORT_LEVELS = ("strong", "supported", "moderate", "weak", "unsupported")
Count = Annotated[int, Field(ge=-(2**53), le=2**53)]  # a number any page, feed or sum can write out (JSON allows thousands of digits)


class ScanModel(BaseModel):
    """Strict types (booleans are booleans, scores integers); unknown fields kept; `null` in an optional field means its default.

    No model has a model validator (only HNData's small list of threads has a field validator): a scan
    is validated in pydantic-core straight from its bytes, and only a scan that needs cleaning or holds
    such a `null` is read another way (validate_scan).
    """

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


@functools.cache
def null_defaults(model: type[BaseModel]) -> frozenset[str]:
    """The optional fields of a model whose default is not None: there, `null` means the default."""
    return frozenset(
        name for name, info in model.model_fields.items() if not info.is_required() and info.get_default(call_default_factory=True) is not None
    )


def without_default_nulls(annotation: Any, value: Any) -> Any:
    """A JSON value read as annotation, with every `null` dropped where a model field's default is meant instead."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(value, dict):
            return value
        fields, defaults = annotation.model_fields, null_defaults(annotation)
        return {
            key: without_default_nulls(fields[key].annotation, item) if key in fields else item
            for key, item in value.items()
            if not (item is None and key in defaults)
        }
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list and isinstance(value, list):
        return [without_default_nulls(args[0], item) for item in value]
    if origin is dict and isinstance(value, dict):
        return {key: without_default_nulls(args[1], item) for key, item in value.items()}
    return value


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
    supported: Text | bool | None = None

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

    id: Count | Text | None = None
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


class ScanSummary(BaseModel):
    """What the library needs of a scan whose bytes were validated whole by an earlier build; the rest is not looked at."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)
    scan_version: Count
    paper: PaperInfo
    methodology_tags: list[Text] = []
    cited_papers: list[CitedTitle] = []


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


def checklist_groups(scan: Scan) -> list[tuple[str, str, Group]]:
    """Every checklist group as (section, group name, items): general first, then by paper type."""
    groups = [("general", name, items) for name, items in scan.checklist.items()]
    for paper_type, type_groups in scan.type_checklist.items():
        groups += [(paper_type, name, items) for name, items in type_groups.items()]
    return groups


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


# ---------------------------------------------------------------- loading


@dataclass(frozen=True, eq=False)
class ScanFile:
    """A valid scan file: what the library needs of it, and the digest of the bytes that were validated.

    The whole scan is not kept (ten thousand of them would fill memory and slow every collection of
    garbage): a page that shows it reads the file again, and it must still hold those bytes.
    """

    id: str
    path: Path
    digest: str
    version: int
    paper: PaperInfo
    methodology_tags: list[str]
    cited: list[str]  # the titles of the papers it cites, slugified (how papers are matched)
    cited_ids: list[str]  # the arXiv ids and DOIs of the papers it cites, where the scan gives them

    @classmethod
    def of(cls, scan: Scan | ScanSummary, path: Path, digest: str) -> ScanFile:
        """What the library keeps of a validated scan."""
        cited = list(dict.fromkeys(slugify(c.title) for c in scan.cited_papers))
        ids = list(dict.fromkeys(found for c in scan.cited_papers for found in cited_ids(c)))
        return cls(paper_id(scan, path), path, digest, scan.scan_version, scan.paper, list(scan.methodology_tags), cited, ids)

    @property
    def scan(self) -> Scan:
        """The whole validated scan, read again from its file (files.Changed if its bytes are not those validated)."""
        try:
            data = self.path.read_bytes()
        except OSError as error:
            raise files.Changed(self.path) from error
        if files.digest_of(data) != self.digest:
            raise files.Changed(self.path)
        return validate_scan(data, [])


def cited_ids(cited: CitedPaper | CitedTitle) -> list[str]:
    """A cited paper's arXiv id and DOI, where the scan gives them, as paper ids are written."""
    return [normalize_id(value) for value in (cited.arxiv_id, cited.doi) if value and value.strip()]


def load_scans(folder: Path, problems: Problems, max_bytes: int, valid: Collection[str] = ()) -> dict[str, ScanFile]:
    """Validate every scan under folder (only summed up if its bytes' digest is in valid); for each paper keep the highest scan_version."""
    chosen: dict[str, ScanFile] = {}
    for path in files.find(folder, ".json", problems):
        loaded = load_scan(path, problems, max_bytes, valid)
        if loaded is not None:
            chosen[loaded.id] = newer(chosen.get(loaded.id), loaded, problems)
    return dict(sorted(chosen.items()))


def newer(current: ScanFile | None, candidate: ScanFile, problems: Problems) -> ScanFile:
    """The scan with the higher scan_version; on a tie the later file, with a warning."""
    if current is None or candidate.version > current.version:
        return candidate
    if candidate.version == current.version:
        problems.warn(candidate.path, f"same paper and scan_version as {current.path.name}; using this file")
        return candidate
    return current


def load_scan(path: Path, problems: Problems, max_bytes: int, valid: Collection[str] = ()) -> ScanFile | None:
    """Read and validate one scan file straight from its bytes; bytes an earlier build validated whole (valid) are only summed up."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            problems.add(path, f"scan is {size:,} bytes, over the limit of {max_bytes:,} (setting `max_scan_bytes`)")
            return None
        data = path.read_bytes()
    except OSError as error:
        problems.add(path, f"cannot be read: {error.strerror}")
        return None
    digest = files.digest_of(data)
    if digest in valid and not maybe_unsafe(data):  # text to clean would be dropped with a warning, as the first time
        with contextlib.suppress(ValidationError):  # a `null` meaning a default: read as the first time
            return ScanFile.of(ScanSummary.model_validate_json(data), path, digest)
    dropped: list[int] = []
    try:
        scan = validate_scan(data, dropped)
    except ValidationError as error:
        validation.report_scan(path, error, problems)
        return None
    if dropped:
        problems.warn(path, f"dropped {sum(dropped):,} control or non-character code points (e.g. U+0000, U+FFFE) from its text")
    return ScanFile.of(scan, path, digest)


def validate_scan(data: bytes, dropped: list[int]) -> Scan:
    """Validate a scan from its JSON bytes, cleaning its text (the count of dropped code points goes into dropped).

    Most scans validate straight from the bytes. One whose bytes may hold text to clean, or that
    fails there (a `null` meaning a default, or a real error), is parsed, cleaned, rid of those
    nulls and validated again, which reports its errors.
    """
    unsafe = maybe_unsafe(data)
    try:
        scan = Scan.model_validate_json(data)
        if not unsafe:
            return scan
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise  # not JSON: pydantic's error says where
    value = without_default_nulls(Scan, clean_json(pydantic_core.from_json(data), dropped))
    return Scan.model_validate_json(pydantic_core.to_json(value, inf_nan_mode="constants"))  # as JSON again: errors read as JSON's


# Bytes that may spell a character clean_text drops: raw C0 and C1 controls, U+FFFE and U+FFFF,
# surrogates, and the JSON escapes \b, \f and \uXXXX for any of them. Scans without any are clean as they are.
_MAYBE_UNSAFE = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]|\xef\xbf[\xbe\xbf]|\xed[\xa0-\xbf]"
    rb"|\\[bf]|\\u00[0-9a-fA-F]{2}|\\u[dD][89a-fA-F]|\\u[fF]{3}[eEfF]"
)
_FIRST_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xC2, 0xED, 0xEF, ord("\\")])


def maybe_unsafe(data: bytes) -> bool:
    """Whether the bytes may spell a character clean_text drops (a fast byte scan first, the full pattern only if needed)."""
    return len(data.translate(None, _FIRST_BYTES)) != len(data) and _MAYBE_UNSAFE.search(data) is not None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scan format, from the models."""
    schema = Scan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Paper scan"
    return schema
