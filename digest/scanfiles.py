"""Reading scan files: validated straight from their bytes, summed up for the library, the highest scan_version kept."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple, get_args, get_origin

import pydantic_core
from pydantic import BaseModel, ValidationError

from digest import files, validation
from digest.files import clean_json
from digest.ids import normalize_id
from digest.markdown import slugify
from digest.problems import Problem, Problems
from digest.scans import ClaimsAndFlags, PaperInfo, Scan, ScanSummary, cited_ids, paper_id


class Glance(NamedTuple):
    """A scan at a glance, as the papers' index shows it."""

    paper_type: str
    met: int  # checks met, of
    applicable: int  # the checks that apply
    flags: int  # red flags
    points: int  # on Hacker News
    engagement: int  # the engagement factors' scores, summed


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
    glance: Glance
    previous: ScanFile | None = None  # the paper's scan of the version before, if there is one

    @classmethod
    def of(cls, scan: Scan | ScanSummary, path: Path, digest: str) -> ScanFile:
        """What the library keeps of a validated scan."""
        cited = list(dict.fromkeys(slugify(c.title) for c in scan.cited_papers))
        ids = list(dict.fromkeys(found for c in scan.cited_papers for found in cited_ids(c)))
        groups = [*scan.checklist.values(), *(group for groups in scan.type_checklist.values() for group in groups.values())]
        checks = [check for group in groups for check in group.values()]
        engagement = sum(factor.score for factor in scan.engagement_factors.values())
        met, applicable = sum(c.applies and c.answer is True for c in checks), sum(c.applies for c in checks)
        glance = Glance(scan.paper_type, met, applicable, len(scan.red_flags), scan.hn_data.total_points, engagement)
        return cls(paper_id(scan, path), path, digest, scan.scan_version, scan.paper, list(scan.methodology_tags), cited, ids, glance)

    @property
    def scan(self) -> Scan:
        """The whole validated scan, read again from its file (files.Changed if its bytes are not those validated)."""
        return validate_scan(self.bytes(), [])

    def claims_and_flags(self) -> ClaimsAndFlags:
        """Only the claims and red flags of the scan, read again from its file: its other parts are not looked at."""
        data = self.bytes()
        if not maybe_unsafe(data):  # text to clean is cleaned as validate_scan cleans it
            with contextlib.suppress(ValidationError):  # a `null` meaning a default: read as the first time
                return ClaimsAndFlags.model_validate_json(data)
        scan = validate_scan(data, [])
        return ClaimsAndFlags(claims=scan.claims, red_flags=scan.red_flags)

    def bytes(self) -> bytes:
        """The file's bytes, which must still be those validated (files.Changed if not)."""
        try:
            data = self.path.read_bytes()
        except OSError as error:
            raise files.Changed(self.path) from error
        if files.digest_of(data) != self.digest:
            raise files.Changed(self.path)
        return data


def load_scans(
    folder: Path, problems: Problems, max_bytes: int, valid: Collection[str] = (), broken: dict[str, Path] | None = None
) -> dict[str, ScanFile]:
    """Validate every scan under folder (only summed up if its bytes' digest is in valid); for each paper keep the highest scan_version.

    The version before it is kept as its previous (a paper page says what changed).
    Each file that does not load goes into broken, by every id it would have had.
    """
    chosen: dict[str, ScanFile] = {}
    versions: dict[str, list[ScanFile]] = {}
    for path in files.find(folder, ".json", problems):
        loaded = load_scan(path, problems, max_bytes, valid)
        if loaded is not None:
            chosen[loaded.id] = newer(chosen.get(loaded.id), loaded, problems)
            versions.setdefault(loaded.id, []).append(loaded)
        elif broken is not None:
            broken.update(dict.fromkeys(claimed_ids(path), path))
    for paper, scan in chosen.items():
        before = [other for other in versions[paper] if other.version < scan.version]
        if before:
            chosen[paper] = replace(scan, previous=max(before, key=lambda other: other.version))
    return dict(sorted(chosen.items()))


def read_scans(folder: Path, root: Path, max_bytes: int, valid: Collection[str]) -> tuple[dict[str, ScanFile], dict[str, Path], list[Problem]]:
    """load_scans, in a process of its own if there is one: the scans, the files that did not load, and the problems found."""
    problems, broken = Problems(root), dict[str, Path]()
    scans = load_scans(folder, problems, max_bytes, valid, broken)
    return scans, broken, problems.items


def claimed_ids(path: Path) -> list[str]:
    """The ids a scan file that did not load would have had: its stem, and its paper's ids where its JSON gives them."""
    paper: Any = None
    with contextlib.suppress(Exception):  # whatever the file holds
        paper = pydantic_core.from_json(path.read_bytes()).get("paper")
    given = [paper.get(key) for key in ("arxiv_id", "doi")] if isinstance(paper, dict) else []
    return [path.stem, *(normalize_id(value) for value in given if isinstance(value, str) and value.strip())]


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
