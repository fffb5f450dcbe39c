"""The small helpers templates write values with: dates, counts, names, links made plain, and bars drawn from numbers."""

from __future__ import annotations

import datetime as dt
import functools
import re

from markupsafe import Markup, escape


@functools.lru_cache(maxsize=4096)  # a few names (checklist groups and items), shown on many pages
def humanize(name: str) -> str:
    """`claims_and_evidence` → `Claims and evidence`."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


_LINKABLE = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.|mailto:)\S*|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}\b(?:/\S*)?")


_MAYBE_LINKABLE = re.compile(r"://|www\.|mailto:|\w\.[A-Za-z]{2}", re.IGNORECASE)  # looked for first: most text has none


def defang(text: str) -> str:
    """`http://x.example/a` → `http[:]//x[.]example/a`: scan text that a mail client would make a live link, made plain."""
    if not _MAYBE_LINKABLE.search(text):
        return text
    return _LINKABLE.sub(lambda found: found.group().replace("://", "[:]//").replace(".", "[.]").replace("@", "[@]"), text)


def long_date(day: dt.date) -> str:
    """`2026-08-27` → `27 August 2026`."""
    return f"{day.day} {day:%B %Y}"


def thousands(number: int) -> str:
    """`1700` → `1,700`."""
    return f"{number:,}"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 red flag`, `2 red flags`."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def short_authors(authors: list[str], limit: int = 4) -> str:
    """Up to `limit` names in full; longer lists as the first three `and N others`."""
    if len(authors) <= limit:
        return ", ".join(authors)
    return f"{', '.join(authors[:3])} and {len(authors) - 3} others"


# ---------------------------------------------------------------- bars, drawn from numbers only

BAR_WIDTH = 72
BAR_HEIGHT = 10
MAX_SEGMENTS = 12


@functools.lru_cache(maxsize=4096)  # a site has few distinct bars, drawn on many pages
def bar_svg(value: int, total: int, noun: str = "checks met") -> Markup:
    """A small bar of value out of total as inline SVG, built from the two numbers and a fixed noun.

    Up to MAX_SEGMENTS it is one segment per unit, filled or hollow, so the count reads without
    colour; beyond that a filled share of a track. The accessible name says the same in words.
    """
    value, total = int(value), int(total)
    value = max(0, min(value, total))
    label = f"{value} of {total} {noun}".strip() if total else "none apply"
    shapes = []
    if 0 < total <= MAX_SEGMENTS:
        gap = 2
        step = (BAR_WIDTH + gap) / total
        for index in range(total):
            x = round(index * step, 2)
            width = round(step - gap, 2)
            if index < value:
                shapes.append(f'<rect class="on" x="{x}" y="0.5" width="{width}" height="{BAR_HEIGHT - 1}" rx="1.5" fill="currentColor"/>')
            else:
                shapes.append(
                    f'<rect class="off" x="{x + 0.5}" y="1" width="{round(width - 1, 2)}" height="{BAR_HEIGHT - 2}" rx="1.5"'
                    ' fill="none" stroke="currentColor" stroke-opacity="0.55"/>'
                )
    else:
        filled = round(BAR_WIDTH * value / total, 2) if total else 0
        shapes.append(
            f'<rect class="track" x="0.5" y="1" width="{BAR_WIDTH - 1}" height="{BAR_HEIGHT - 2}" rx="2"'
            ' fill="none" stroke="currentColor" stroke-opacity="0.55"/>'
        )
        if filled:
            shapes.append(f'<rect class="on" x="0" y="0.5" width="{filled}" height="{BAR_HEIGHT - 1}" rx="2" fill="currentColor"/>')
    return Markup(
        f'<svg class="bar" role="img" aria-label="{escape(label)}" width="{BAR_WIDTH}" height="{BAR_HEIGHT}"'
        f' viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}">{"".join(shapes)}</svg>'
    )


ENGAGEMENT = {  # the scanning pipeline's names for why people discuss a paper, in words
    "practical_relevance": "Of practical use",
    "surprise_contrarian": "Surprising or against the grain",
    "fear_safety": "Raises safety fears",
    "drama_conflict": "Controversy",
    "brand_recognition": "Well-known names",
    "demo_ability": "Easy to show",
}


def engagement_label(name: str) -> str:
    """A factor of engagement as people would name it; one the pipeline has newly named, in its own words."""
    return ENGAGEMENT.get(name, humanize(name))
