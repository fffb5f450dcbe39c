"""Each edition ready for a newsletter service: `email.html` (its style sheet written onto each element) and `email.txt`."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import css_inline

from digest.filters import defang, long_date, plural, short_authors
from digest.library import EditionEntry, NoteEntry
from digest.plaintext import References, document_text, fill, underline
from digest.views import PageContext, ScanView

if TYPE_CHECKING:
    from digest.render import Renderer


INLINER = css_inline.CSSInliner(keep_style_tags=False, keep_link_tags=False, load_remote_stylesheets=False)
TAG = re.compile(r"<[^<>]+>")  # css-inline writes `<` in text as `&lt;`: only tags match
CLASS = re.compile(r' class="[^"]*"')  # in a tag, an attribute: a quote in an attribute's value is `&quot;`


def email_html(renderer: Renderer, edition: EditionEntry) -> str:
    """The edition as HTML for a newsletter service: `email.html`, its style sheet written onto each element, then left out with the classes."""
    page = renderer.page("email.html", f"{edition.url}email.html", absolute=True, bare=True, edition=edition)
    return TAG.sub(lambda tag: CLASS.sub("", tag.group()), INLINER.inline(page))


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
    """A note's headline, citation with links, editorial text and its scan in brief."""
    paper = note.paper
    c = paper.citation
    record = [defang(c.title), defang(short_authors(c.authors)), defang(c.venue or ""), str(c.year or "")]
    links = [f"{label} {refs.cite(href)}" for label, href in c.links]
    citation = fill(" · ".join(part for part in [*record, *links] if part))
    body = document_text(ctx.note_body(note), lambda href: refs.cite(ctx.resolver(note.edition.url)(href)))
    sv = renderer.scans.get(paper.id)
    scan = scan_text(sv, f"The full scan {refs.cite(ctx.link(paper.url) + '#scan')}") if sv else ""
    return TextNote(underline(note.headline, "-"), citation, body, scan)


def scan_text(sv: ScanView, link: str) -> str:
    """A scan in brief, as in email.html: its figures, every red flag by name, the least supported claim, and the link."""
    figures = f"The scan: {sv.paper_type} · {sv.tally.met} of {sv.tally.applicable} checks met"
    lines = [figures + (f" · claims: {sv.support_text}" if sv.support else "")]
    if sv.red_flags:
        lines.append(f"{plural(len(sv.red_flags), 'red flag')}: " + "; ".join(flag.flag for flag in sv.red_flags))
    if sv.weakest:
        lines.append(f"Least supported claim ({sv.weakest.support}): {sv.weakest.claim}")
    return "\n".join(fill(defang(line)) for line in [*lines, link])
