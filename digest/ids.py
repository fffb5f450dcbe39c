"""Paper ids: arXiv ids and DOIs, recognised and written one way."""

from __future__ import annotations

import functools
import re
from urllib.parse import quote

_ARXIV_NEW = re.compile(r"^\d{4}\.\d{4,5}$")
_ARXIV_OLD = re.compile(r"^[a-z-]+(\.[A-Z]{2})?/\d{7}$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


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
    unversioned = re.sub(r"v\d+$", "", value)
    if _ARXIV_NEW.match(unversioned) or _ARXIV_OLD.match(unversioned):
        return unversioned
    return lowered if _DOI.match(lowered) else value


def is_arxiv_id(value: str) -> bool:
    """True for a bare arXiv identifier, old or new style."""
    return bool(_ARXIV_NEW.match(value) or _ARXIV_OLD.match(value))


def is_doi(value: str) -> bool:
    """True for a DOI such as 10.1038/s41586-025-00000-0."""
    return bool(_DOI.match(value))


def quote_doi(doi: str) -> str:
    """Percent-encode the characters of a DOI that cannot stand in a URL path."""
    return quote(doi, safe="/:;()._-")
