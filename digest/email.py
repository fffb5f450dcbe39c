"""Each edition as plain text for a newsletter service: `email.txt` (its `email.html` is a template, `email.html`)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digest.library import EditionEntry, NoteEntry
from digest.plaintext import References, document_text, fill, underline
from digest.views import PageContext, defang, long_date

if TYPE_CHECKING:
    from digest.render import Renderer


@dataclass(frozen=True)
class TextNote:
    """One note as plain text blocks."""

    headline: str
    citation: str
    body: str
    scan: str


@dataclass(frozen=True)
class TextEmail:
    """An edition as plain text blocks, its links numbered in reading order."""

    masthead: str
    title: str
    web: str
    intro: str
    contents: str
    notes: list[TextNote]
    footer: str
    references: str


def email_text(renderer: Renderer, edition: EditionEntry) -> str:
    """The edition as plain text, laid out by `email.txt`.

    The template goes through the same autoescaping environment as every other; the result is
    plain text, so its entities are decoded once at the end, which gives back every value exactly.
    """
    text = renderer.env.get_template("email.txt").render(email=text_email(renderer, edition))
    return html.unescape(text)


def text_email(renderer: Renderer, edition: EditionEntry) -> TextEmail:
    """Every block of the text email, citing links in the order they are read."""
    ctx = renderer.context(f"{edition.url}email.txt", absolute=True)
    refs = References()
    settings = renderer.library.settings
    masthead = fill(f"{settings.title} · Edition {edition.number} · {long_date(edition.edition.date)}")
    web = f"Read on the web {refs.cite(ctx.link(edition.url))}"
    intro = document_text(edition.edition.intro, lambda href: refs.cite(ctx.resolver(edition.url)(href)))
    contents = "\n".join(fill(note.headline, f"{n}. ", " " * len(f"{n}. ")) for n, note in enumerate(edition.notes, start=1))
    notes = [text_note(renderer, ctx, note, refs) for note in edition.notes]
    feeds = f"Follow by RSS {refs.cite(ctx.link('feed.xml'))} or Atom {refs.cite(ctx.link('atom.xml'))}."
    footer = fill(f"{settings.description} {feeds}".strip())
    return TextEmail(masthead, underline(edition.title, "="), web, intro, contents, notes, footer, refs.listing())


def text_note(renderer: Renderer, ctx: PageContext, note: NoteEntry, refs: References) -> TextNote:
    """A note's headline, citation with links, editorial text and one-line scan summary."""
    paper = note.paper
    c = paper.citation
    record = [defang(c.title), defang(", ".join(c.authors)), defang(c.venue or ""), str(c.year or "")]
    links = [f"{label} {refs.cite(href)}" for label, href in c.links]
    citation = fill(" · ".join(part for part in [*record, *links] if part))
    body = document_text(ctx.note_body(note), lambda href: refs.cite(ctx.resolver(note.edition.url)(href)))
    sv = renderer.scans.get(paper.id)
    scan = fill(f"Scan: {defang(sv.summary)}. The full scan {refs.cite(ctx.link(paper.url))}") if sv else ""
    return TextNote(underline(note.headline, "-"), citation, body, scan)
