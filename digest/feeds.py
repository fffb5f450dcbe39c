"""RSS 2.0 and Atom feeds made with feedgen, and the sitemap."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from feedgen.feed import FeedGenerator

from digest.library import EditionEntry, Library

if TYPE_CHECKING:
    from digest.render import Renderer

# Editions carry a date, not a time: in feeds each is published at midnight UTC of its date.
PUBLICATION_TIME = dt.time(0, 0, tzinfo=dt.UTC)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def published(edition: EditionEntry) -> dt.datetime:
    """An edition's publication time: its date at midnight UTC."""
    return dt.datetime.combine(edition.edition.date, PUBLICATION_TIME)


def entry_id(library: Library, edition: EditionEntry) -> str:
    """A tag: URI from the site's host and the edition's folder date; it never changes."""
    return f"tag:{library.settings.host},{edition.slug}:edition"


def feed_editions(library: Library) -> list[EditionEntry]:
    """The editions the feeds carry: the newest `feed_limit` (every one when it is 0), oldest first."""
    limit = library.settings.feed_limit
    return library.editions[-limit:] if limit else list(library.editions)


def rss(renderer: Renderer) -> bytes:
    """`feed.xml`: RSS 2.0 of the newest editions (see feed_editions), newest first, full HTML content."""
    return bytes(generator(renderer, "feed.xml").rss_str(pretty=True))


def atom(renderer: Renderer) -> bytes:
    """`atom.xml`: the same as Atom."""
    return bytes(generator(renderer, "atom.xml").atom_str(pretty=True))


def generator(renderer: Renderer, self_name: str) -> FeedGenerator:
    """A feedgen generator for one feed file, its entries' content rendered by renderer."""
    library = renderer.library
    settings = library.settings
    fg = FeedGenerator()
    fg.id(settings.base_url)
    fg.title(settings.title)
    fg.subtitle(settings.description or settings.title)
    fg.link(href=settings.base_url + self_name, rel="self")
    fg.link(href=settings.base_url, rel="alternate")
    fg.language(settings.language)
    fg.author({"name": settings.author.name, **({"email": settings.author.email} if settings.author.email else {})})
    newest = published(library.latest) if library.latest else EPOCH
    fg.updated(newest)
    fg.lastBuildDate(newest)
    fg.generator("digest")
    for edition in reversed(feed_editions(library)):
        add_entry(fg, library, edition, renderer.edition_body(edition))
    return fg


def add_entry(fg: FeedGenerator, library: Library, edition: EditionEntry, body: str) -> None:
    """Append one edition as an entry, content first, then its summary."""
    fe = fg.add_entry(order="append")
    fe.id(entry_id(library, edition))
    fe.title(edition.title)
    fe.link(href=library.settings.base_url + edition.url)
    fe.published(published(edition))
    fe.updated(published(edition))
    fe.content(body, type="html")
    fe.summary(edition.summary or edition.title)


def sitemap(renderer: Renderer, urls: list[str]) -> bytes:
    """`sitemap.xml`: every page's absolute URL, with the edition date where there is one."""
    library = renderer.library
    lastmod = {e.url: e.edition.date.isoformat() for e in library.editions}
    root = ET.Element("urlset", xmlns=SITEMAP_NS)
    for url in sorted(urls):
        item = ET.SubElement(root, "url")
        ET.SubElement(item, "loc").text = library.settings.base_url + url
        if url in lastmod:
            ET.SubElement(item, "lastmod").text = lastmod[url]
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"
