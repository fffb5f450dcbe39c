"""Paper ids, arXiv ids and DOIs, recognised and written one way; a paper's record and the links made from its ids."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import quote

# ASCII digits only (`\d` would take `７` and `٣`: a lookalike of a real id), the whole string (`$` would let a newline end it).
_ARXIV_NEW = re.compile(r"[0-9]{4}\.[0-9]{4,5}")
_ARXIV_OLD = re.compile(r"[a-z-]+(\.[A-Z]{2})?/[0-9]{7}")
_DOI = re.compile(r"10\.[0-9]{4,9}/\S+")
_VERSION = re.compile(r"v[0-9]+\Z")


@functools.lru_cache(maxsize=65536)
def normalize_id(raw: str) -> str:
    """The canonical form of a paper id: bare arXiv id without version; DOI lower-cased."""
    value = raw.strip()
    lowered = value.lower()
    for prefix in ("https://arxiv.org/abs/", "http://arxiv.org/abs/", "arxiv:"):
        if lowered.startswith(prefix):
            value = value[len(prefix) :]
            lowered = value.lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if lowered.startswith(prefix):
            value = value[len(prefix) :]
            lowered = value.lower()
    unversioned = _VERSION.sub("", value)
    if is_arxiv_id(unversioned):
        return unversioned
    return lowered if is_doi(lowered) else value


def is_arxiv_id(value: str) -> bool:
    """True for a bare arXiv identifier, old or new style."""
    return bool(_ARXIV_NEW.fullmatch(value) or _ARXIV_OLD.fullmatch(value))


def is_doi(value: str) -> bool:
    """True for a DOI such as 10.1038/s41586-025-00000-0."""
    return bool(_DOI.fullmatch(value))


def quote_doi(doi: str) -> str:
    """Percent-encode the characters of a DOI that cannot stand in a URL path."""
    return quote(doi, safe="/:;()._-")


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
