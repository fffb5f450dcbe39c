"""Feeds for every interest: each tag's RSS, Atom and JSON Feed, and the digest's JSON Feed beside its RSS and Atom."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup

from conftest import build, soup

BASE = "https://fixture.example.org/digest/"
JSON_FEED = "https://jsonfeed.org/version/1.1"


def tagged_notes(out: Path) -> dict[str, list[str]]:
    """Each tag's notes as the edition pages show them (the URL of each note's place), oldest edition first."""
    found: dict[str, list[str]] = {}
    for edition in sorted((out / "editions").glob("*/index.html")):
        for note in soup(edition).select("section.note"):
            for tag in note.select(".tags a"):
                name = urlsplit(tag["href"]).path.rstrip("/").rsplit("/", 1)[-1]
                found.setdefault(name, []).append(f"{BASE}editions/{edition.parent.name}/#{note['id']}")
    return found


def scanned_notes(out: Path) -> set[str]:
    """The URLs of the notes whose section on their edition page has a scan card."""
    return {
        f"{BASE}editions/{edition.parent.name}/#{note['id']}"
        for edition in (out / "editions").glob("*/index.html")
        for note in soup(edition).select("section.note")
        if "checks met" in note.get_text()
    }


def json_feed(path: Path) -> dict[str, object]:
    """A JSON Feed, checked against the fields version 1.1 requires (and the types it gives them)."""
    feed = json.loads(path.read_text(encoding="utf-8"))
    assert feed["version"] == JSON_FEED
    assert isinstance(feed["title"], str) and feed["title"]
    assert isinstance(feed["items"], list)
    for key in ("home_page_url", "feed_url"):
        assert urlsplit(feed[key]).scheme == "https"
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html"), str) or isinstance(item.get("content_text"), str)
        dt.datetime.fromisoformat(item["date_published"])  # RFC 3339
        assert urlsplit(item["url"]).scheme == "https"
    ids = [item["id"] for item in feed["items"]]
    assert len(ids) == len(set(ids))
    return feed


def test_each_tag_has_feeds_of_its_notes_linked_from_its_page(site: Path) -> None:
    out = build(site)
    expected = tagged_notes(out)
    assert len(expected) == 4
    scanned = scanned_notes(out)
    assert scanned
    for slug, notes in expected.items():
        page = soup(out / "tags" / slug / "index.html")
        head = {link["type"]: link["href"] for link in page.select('link[rel="alternate"]') if "/tags/" in link["href"]}
        visible = {a.get_text(): a["href"] for a in page.select(".tag-feeds a")}
        assert set(visible) == {"RSS", "Atom", "JSON Feed"}
        for kind, name in (("application/rss+xml", "feed.xml"), ("application/atom+xml", "atom.xml")):
            assert head[kind] == f"{BASE}tags/{slug}/{name}"
            assert (out / "tags" / slug / visible["RSS" if name == "feed.xml" else "Atom"]).resolve() == (out / "tags" / slug / name).resolve()
            feed = feedparser.parse((out / "tags" / slug / name).read_bytes())
            assert not feed.bozo, feed.get("bozo_exception")
            assert [entry.link for entry in feed.entries] == notes[::-1]  # newest first
            for entry in feed.entries:
                content = BeautifulSoup(entry.content[0].value, "html.parser")
                text = content.get_text()
                assert entry.title in text and "What happened:" in text  # the whole note
                assert ("checks met" in text) == (entry.link in scanned)  # and its scan, where it has one
                assert all(urlsplit(a["href"]).scheme in ("http", "https") for a in content.find_all(href=True))
        assert head["application/feed+json"] == f"{BASE}tags/{slug}/feed.json"
        items = json_feed(out / "tags" / slug / "feed.json")["items"]
        assert [item["url"] for item in items] == notes[::-1]  # type: ignore[index]


def test_the_json_feed_carries_what_the_atom_feed_carries(site: Path) -> None:
    out = build(site)
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    feed = json_feed(out / "feed.json")
    items = feed["items"]
    assert isinstance(items, list)
    assert [(i["id"], i["url"], i["title"]) for i in items] == [(e.id, e.link, e.title) for e in atom.entries]
    for item, entry in zip(items, atom.entries, strict=True):
        words = [BeautifulSoup(html, "html.parser").get_text().split() for html in (item["content_html"], entry.content[0].value)]
        assert words[0] == words[1]
    for page in (out / "index.html", out / "about" / "index.html"):
        assert soup(page).find("link", type="application/feed+json")["href"] == BASE + "feed.json"


def test_the_subscribe_page_leads_to_every_feed(site: Path) -> None:
    sample = Path(__file__).resolve().parent.parent / "content" / "pages" / "subscribe.md"
    (site / "content" / "pages" / "subscribe.md").write_text(sample.read_text(encoding="utf-8"), encoding="utf-8")
    out = build(site)
    links = {urlsplit(a["href"]).path for a in soup(out / "subscribe" / "index.html").select("main a[href]")}
    assert {"/feed.xml", "/atom.xml", "/feed.json", "/tags/"} <= links  # the sample's site is at the root of its host
    assert all((out / link.lstrip("/")).exists() for link in ("/feed.xml", "/atom.xml", "/feed.json", "/tags/index.html"))
    tags = soup(out / "tags" / "index.html")
    assert len(tags.select(".tag-index a[href$='feed.json']")) == len(tags.select(".tag-index li")) == 4


def test_tag_feeds_leave_drafts_out_and_keep_their_ids_when_an_edition_comes(site: Path) -> None:
    draft = site / "content" / "editions" / "2026-04-09" / "01-gamma.md"
    draft.write_text(draft.read_text(encoding="utf-8").replace("scan: 2502.00002", "scan: 2502.00002\ntags: [benchmarks]"), encoding="utf-8")
    out = build(site)
    before = {path: [e.id for e in feedparser.parse(path.read_bytes()).entries] for path in (out / "tags").glob("*/atom.xml")}
    assert before and all(ids for ids in before.values())
    assert all("2026-04-09" not in path.read_text(encoding="utf-8") for path in (out / "tags").rglob("*.*"))
    after = build(site, "--drafts")
    for path, ids in before.items():
        now = [e.id for e in feedparser.parse((after / path.relative_to(out)).read_bytes()).entries]
        assert now[len(now) - len(ids) :] == ids  # new entries come first; no id changes
    assert "Gamma, in a draft" in (after / "tags" / "benchmarks" / "feed.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("limit", [1, 0])
def test_feed_limit_keeps_each_tag_feed_to_its_newest_notes(site: Path, limit: int) -> None:
    settings = site / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + f"feed_limit: {limit}\n", encoding="utf-8")
    out = build(site)
    expected = tagged_notes(out)
    for slug, notes in expected.items():
        items = json_feed(out / "tags" / slug / "feed.json")["items"]
        assert [item["url"] for item in items] == (notes[::-1][:limit] if limit else notes[::-1])  # type: ignore[index]
