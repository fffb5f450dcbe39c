"""A paper's neighbours: the covered papers it cites and that cite it, and the papers most related to it."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from digest.markdown import slugify

if TYPE_CHECKING:
    from digest.library import PaperEntry


def covered_by_key(papers: list[PaperEntry]) -> dict[str, PaperEntry]:
    """The papers by the keys a scan cites them with: title slugified, arXiv id and DOI (the first paper, where two share one)."""
    covered: dict[str, PaperEntry] = {}
    for paper in papers:
        for key in (slugify(paper.citation.title), paper.citation.arxiv_id, paper.citation.doi):
            if key:
                covered.setdefault(key, paper)
    return covered


def link_citations(papers: list[PaperEntry], covered: dict[str, PaperEntry]) -> None:
    """Tell each paper which of the papers cite it (matched by title, arXiv id or DOI), in the order given."""
    for citing in papers:
        cited = [covered.get(key) for key in (*citing.scan.cited, *citing.scan.cited_ids)] if citing.scan else []
        for paper in dict.fromkeys(found for found in cited if found is not None and found is not citing):
            paper.cited_by.append(citing)


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


def methods(paper: PaperEntry) -> set[str]:
    """The scan's methodology tags, lower-cased."""
    return {t.lower() for t in paper.scan.methodology_tags} if paper.scan else set()
