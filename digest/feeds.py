"""Feeds of the digest (an entry per edition) and of each tag (an entry per note): RSS, Atom (feedgen), JSON Feed 1.1; the sitemap."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from digest.library import EditionEntry, Library, NoteEntry, TagEntry

if TYPE_CHECKING:
    from digest.render import Renderer

# Editions carry a date, not a time: in feeds each is published at midnight UTC of its date.
PUBLICATION_TIME = dt.time(0, 0, tzinfo=dt.UTC)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


@dataclass(frozen=True)
class Entry:
    """One entry of a feed, in every format."""

    id: str  # never changes once published
    title: str
    url: str  # absolute
    published: dt.datetime
    body: str  # full HTML, every link absolute
    summary: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feed:
    """A feed's own record and its entries, oldest first."""

    url: str  # where the feed itself is
    title: str
    description: str
    home: str  # the page it follows
    entries: list[Entry]

    @property
    def updated(self) -> dt.datetime:
        """When the newest entry was published."""
        return self.entries[-1].published if self.entries else EPOCH


def published(edition: EditionEntry) -> dt.datetime:
    """An edition's publication time: its date at midnight UTC."""
    return dt.datetime.combine(edition.edition.date, PUBLICATION_TIME)


def entry_id(library: Library, edition: EditionEntry) -> str:
    """A tag: URI from the site's host and the edition's folder date; it never changes."""
    return f"tag:{library.settings.host},{edition.slug}:edition"


def note_id(library: Library, note: NoteEntry) -> str:
    """A tag: URI for a note in a tag's feed, from its edition's and its own file names."""
    return f"tag:{library.settings.host},{note.edition.slug}:notes/{quote(note.anchor, safe='-._~')}"


def feed_editions(library: Library) -> list[EditionEntry]:
    """The editions the digest's feeds carry: the newest `feed_limit` (every one when it is 0), oldest first."""
    limit = library.settings.feed_limit
    return library.editions[-limit:] if limit else list(library.editions)


def feed_notes(library: Library, tag: TagEntry) -> list[NoteEntry]:
    """The notes a tag's feeds carry: its newest `feed_limit` notes (every one when it is 0), oldest first."""
    limit = library.settings.feed_limit
    return tag.notes[-limit:] if limit else list(tag.notes)


def feed(renderer: Renderer, path: str, tag: TagEntry | None) -> Feed:
    """The feed at path: the digest's editions, or a tag's notes."""
    library = renderer.library
    site = library.settings
    if tag is None:
        entries = [
            Entry(entry_id(library, e), e.title, site.base_url + e.url, published(e), renderer.edition_body(e), e.summary or e.title)
            for e in feed_editions(library)
        ]
        return Feed(site.base_url + path, site.title, site.description or site.title, site.base_url, entries)
    entries = [
        Entry(note_id(library, n), n.headline, site.base_url + n.url, published(n.edition), renderer.note_body(n), n.paper.citation.title, tags(n))
        for n in feed_notes(library, tag)
    ]
    return Feed(site.base_url + path, f"{site.title}: {tag.name}", f"Papers tagged {tag.name} in {site.title}.", site.base_url + tag.url, entries)


def tags(note: NoteEntry) -> tuple[str, ...]:
    """A note's tags by name."""
    return tuple(tag.name for tag in note.tags)


def rss(renderer: Renderer, path: str, tag: TagEntry | None = None) -> bytes:
    """RSS 2.0, newest first, full HTML content."""
    return bytes(generator(renderer.library, feed(renderer, path, tag)).rss_str(pretty=True))


def atom(renderer: Renderer, path: str, tag: TagEntry | None = None) -> bytes:
    """The same as Atom."""
    return bytes(generator(renderer.library, feed(renderer, path, tag)).atom_str(pretty=True))


def generator(library: Library, made: Feed) -> FeedGenerator:
    """A feedgen generator for one feed."""
    settings = library.settings
    fg = FeedGenerator()
    fg.id(made.home)
    fg.title(made.title)
    fg.subtitle(made.description)
    fg.link(href=made.url, rel="self")
    fg.link(href=made.home, rel="alternate")
    fg.language(settings.language)
    fg.author({"name": settings.author.name, **({"email": settings.author.email} if settings.author.email else {})})
    fg.updated(made.updated)
    fg.lastBuildDate(made.updated)
    fg.generator("digest")
    for entry in reversed(made.entries):
        fe = fg.add_entry(order="append")
        fe.id(entry.id)
        fe.title(entry.title)
        fe.link(href=entry.url)
        fe.published(entry.published)
        fe.updated(entry.published)
        fe.content(entry.body, type="html")
        fe.summary(entry.summary)
    return fg


def json_feed(renderer: Renderer, path: str, tag: TagEntry | None = None) -> str:
    """JSON Feed 1.1, newest first, full HTML content."""
    made = feed(renderer, path, tag)
    settings = renderer.library.settings
    items = [
        {
            "id": entry.id,
            "url": entry.url,
            "title": entry.title,
            "content_html": entry.body,
            "summary": entry.summary,
            "date_published": entry.published.isoformat(),
            **({"tags": list(entry.tags)} if entry.tags else {}),
        }
        for entry in reversed(made.entries)
    ]
    data = {
        "version": JSON_FEED_VERSION,
        "title": made.title,
        "home_page_url": made.home,
        "feed_url": made.url,
        "description": made.description,
        "language": settings.language,
        "authors": [{"name": settings.author.name}],
        "items": items,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


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
