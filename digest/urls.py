"""Where everything is published: slugs that are safe as paths, page URLs, and two things on one URL."""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from digest.markdown import slugify
from digest.problems import Problems, display_path

if TYPE_CHECKING:
    from digest.content import Page
    from digest.library import Library

RESERVED = ("index.html", "editions/", "papers/", "tags/", "claims/", "flags/", "feed.xml", "atom.xml", "feed.json", "sitemap.xml", "404.html")
SEARCH = ("search/", "pagefind/")  # reserved too, unless the site has no search
MAX_SLUG = 60


def safe_slug(name: str) -> str:
    """A URL segment made of [a-z0-9._-] only; a short hash keeps altered names distinct."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-.")[:MAX_SLUG].strip("-.")
    if slug == name and slug:
        return slug
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else digest


@functools.lru_cache(maxsize=4096)  # tags repeat across thousands of notes
def tag_slug(name: str) -> str:
    """A tag's URL segment: readable where the name allows, so `Fine tuning` and `fine-tuning` are one tag."""
    readable = slugify(name)
    return readable if 0 < len(readable) <= MAX_SLUG else safe_slug(name.strip())


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
        if page_url(page) in RESERVED or (library.settings.search and page_url(page) in SEARCH):
            problems.add(page.path, f"a page named {page.slug!r} would replace the site's own /{page_url(page)}")
        claim(page_url(page), page.path)
    for paper in library.papers:
        claim(paper.url, paper.scan.path if paper.scan else paper.notes[0].note.path)
    for edition in library.editions:
        for note in edition.notes:
            claim(f"{edition.url}#{note.anchor}", note.note.path)
