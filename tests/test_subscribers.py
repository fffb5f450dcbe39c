"""The scan travels: subscribers by email and feed get the rigor too, and a paper's neighbours are linked.

Browser checks of the email's layout and the edition card's height are in test_browser.py.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, build, run_cli, soup

EDITION = "_site/editions/2026-01-15"
ALPHA_SCAN = "scans/paper-a/scan-v4.json"


def edit_scan(site: Path, relative: str, change: dict[str, object]) -> None:
    """Change top-level fields of a scan, or its paper's when the key starts with `paper.`."""
    path = site / relative
    data = json.loads(path.read_text(encoding="utf-8"))
    for key, value in change.items():
        holder, name = (data["paper"], key.removeprefix("paper.")) if key.startswith("paper.") else (data, key)
        holder[name] = value
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the shipped sample site, built."""
    site = tmp_path / "sample"
    for folder in ("content", "scans"):
        shutil.copytree(ROOT / folder, site / folder)
    build(site)
    return site


# ---------------------------------------------------------------- email


def test_the_email_carries_each_paper_s_scan_with_its_styles_written_on_every_element(site: Path) -> None:
    edit_scan(site, ALPHA_SCAN, {"paper.authors": [f"Author {n}" for n in range(1, 11)]})
    page = BeautifulSoup((build(site) / "editions/2026-01-15/email.html").read_text(encoding="utf-8"), "html.parser")
    assert page.find_all(["style", "script", "link", "svg"]) == [] and page.find_all(class_=True) == []
    for tag in page.find_all(href=True) + page.find_all(src=True):
        assert re.match(r"https?://", tag.get("href") or tag.get("src")), tag
    assert all("color" in a.get("style", "") for a in page.find_all("a")), "a link without its colour written on it"
    column = page.body.table.table
    assert "max-width: 600px" in column["style"] and "width: 100%" in column["style"]  # fluid: 600px at most, narrower screens whole
    text = page.get_text(" ", strip=True)
    assert "Author 1, Author 2, Author 3 and 7 others" in text and "Author 10" not in text
    assert "The scan: Empirical · 3 of 5 checks met · claims: 1 strong, 1 weak" in text
    assert "1 red flag: Single seed" in text
    assert "Least supported claim (weak): It generalises to all domains." in text
    assert page.find("a", href="https://fixture.example.org/digest/papers/2501.00001/#scan") is not None


def test_markup_written_as_text_in_a_note_stays_text_in_the_email(site: Path) -> None:
    note = site / "content/editions/2026-01-15/01-alpha.md"
    note.write_text(note.read_text(encoding="utf-8") + '\nWrite `<span class="lead">` and see.\n', encoding="utf-8")
    page = BeautifulSoup((build(site) / "editions/2026-01-15/email.html").read_text(encoding="utf-8"), "html.parser")
    assert '<span class="lead">' in page.get_text() and page.find("span") is None


def test_the_plain_text_email_carries_the_same(site: Path) -> None:
    edit_scan(site, ALPHA_SCAN, {"paper.authors": [f"Author {n}" for n in range(1, 11)]})
    text = (build(site) / "editions/2026-01-15/email.txt").read_text(encoding="utf-8")
    flat = " ".join(text.split())
    assert "Author 1, Author 2, Author 3 and 7 others" in flat and "Author 10" not in flat
    assert "The scan: Empirical · 3 of 5 checks met · claims: 1 strong, 1 weak" in flat
    assert "1 red flag: Single seed" in flat and "Least supported claim (weak): It generalises to all domains." in flat
    full_scan = re.search(r"The full scan \[(\d+)\]", text)
    assert full_scan and f"[{full_scan[1]}] https://fixture.example.org/digest/papers/2501.00001/#scan" in text


# ---------------------------------------------------------------- feeds


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_a_feed_entry_shows_the_scan_as_text_that_survives_a_sanitizer(site: Path, name: str) -> None:
    feed = feedparser.parse((build(site) / name).read_bytes())  # feedparser sanitizes content as many feed readers do
    assert not feed.bozo
    entry = next(e for e in feed.entries if "Paper Alpha" in e.content[0].value)
    content = BeautifulSoup(entry.content[0].value, "html.parser")
    assert content.find("svg") is None
    text = content.get_text(" ", strip=True)
    assert "Empirical · 3 of 5 checks met · claims: 1 strong, 1 weak · code released · no data released" in text
    assert "Single seed" in [li.get_text(strip=True) for li in content.find_all("li")]
    claims = {li.strong.get_text(): li.get_text(" ", strip=True) for li in content.find_all("li") if li.strong}
    assert claims["Weak:"] == "Weak: It generalises to all domains."  # the label set apart from the claim
    assert content.find("a", href="https://fixture.example.org/digest/papers/2501.00001/#scan") is not None


def test_a_site_that_moves_keeps_its_feed_entry_ids_with_feed_id_host(site: Path) -> None:
    ids = [e.id for e in feedparser.parse((build(site) / "atom.xml").read_bytes()).entries]
    assert ids and all(i.startswith("tag:fixture.example.org,") for i in ids)
    settings = site / "content/site.yaml"
    settings.write_text(
        settings.read_text().replace("https://fixture.example.org/digest/", "https://moved.example.net/") + "feed_id_host: fixture.example.org\n"
    )
    moved = feedparser.parse((build(site) / "atom.xml").read_bytes())
    assert [e.id for e in moved.entries] == ids and moved.entries[0].link.startswith("https://moved.example.net/")
    settings.write_text(settings.read_text().replace("feed_id_host: fixture.example.org", "feed_id_host: not a host/"))
    result = run_cli(site)
    assert result.code == 1 and "content/site.yaml:8: `feed_id_host`: must be a host name such as digest.example.org" in result.err


# ---------------------------------------------------------------- the edition page's card


def test_the_edition_card_shows_figures_and_flags_at_a_glance_and_the_rest_behind_a_disclosure(site: Path) -> None:
    card = soup(build(site) / "editions/2026-01-15/index.html").select_one('section[id="01-alpha"] aside.scan-card')
    glance = " ".join(p.get_text(" ", strip=True) for p in card.find_all("p", recursive=False))
    assert "3 of 5 checks met" in glance and "Claims: 1 strong, 1 weak" in glance and "1 red flag: Single seed" in glance
    details = card.find("details")
    assert details is not None and details.summary is not None
    assert "It generalises to all domains." in details.get_text() and "It generalises" not in glance
    flag = card.find("a", string="Single seed")
    assert flag is not None and flag["href"] == "../../papers/2501.00001/#flag-single-seed"


# ---------------------------------------------------------------- the paper page


def test_claims_and_flags_keep_their_anchors_when_others_are_added(site: Path) -> None:
    def anchors() -> dict[str, str]:
        page = soup(build(site) / "papers/2501.00001/index.html")
        items = page.select("ul.claims.full li") + page.select("ul.red-flags li")
        return {li["id"]: (li.find("p", class_="claim") or li.strong).get_text(strip=True) for li in items}

    before = anchors()
    assert set(before) == {"claim-method-a-beats-the-baseline-by-42", "claim-it-generalises-to-all-domains", "flag-single-seed"}
    data = json.loads((site / ALPHA_SCAN).read_text())
    data["claims"].insert(0, {"claim": "A new first claim.", "evidence": "", "supported": "moderate"})
    data["red_flags"].insert(0, {"flag": "Single seed", "detail": "The same flag, written twice."})
    (site / ALPHA_SCAN).write_text(json.dumps(data))
    after = anchors()
    assert {key: after[key] for key in before} == before
    assert set(after) - set(before) == {"claim-a-new-first-claim", "flag-single-seed-2"}


def test_cited_papers_the_site_covers_are_linked_both_ways(sample: Path) -> None:
    out = sample / "_site"
    page = soup(out / "papers/2602.07852/index.html")
    cited = page.select("ul.cited li")
    linked = {li.cite.get_text(): li.a["href"] for li in cited if li.a}
    assert len(cited) == 9 and len(linked) == 5
    assert linked["Emergent misalignment: Narrow finetuning can produce broadly misaligned LLMs"] == "../../papers/2502.17424/"
    data = json.loads(page.find("script", type="application/ld+json").string)
    urls = [work.get("url") for work in data["citation"]]
    assert len(urls) == 9 and "https://digest.example.org/papers/2502.17424/" in urls and urls.count(None) == 4
    cited_by = soup(out / "papers/2502.17424/index.html").select("section.cited-by a")
    assert "../../papers/2602.07852/" in [a["href"] for a in cited_by]


def test_a_paper_that_cites_itself_is_not_its_own_neighbour(sample: Path) -> None:
    edit_scan(
        sample, "scans/2309.02390.json", {"cited_papers": [{"title": "Explaining grokking through circuit efficiency", "relevance": "Itself."}]}
    )
    page = soup(build(sample) / "papers/2309.02390/index.html")
    assert page.select_one("ul.cited li a") is None
    assert "../../papers/2309.02390/" not in [a["href"] for a in page.select("section.cited-by a")]
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["citation"] == [{"@type": "CreativeWork", "name": "Explaining grokking through circuit efficiency"}]


def test_a_cited_paper_is_matched_by_its_arxiv_id_too(site: Path) -> None:
    edit_scan(
        site, "scans/gamma.json", {"cited_papers": [{"title": "A title the scan got wrong", "relevance": "Its baseline.", "arxiv_id": "2501.00001"}]}
    )
    out = build(site, "--drafts")  # gamma is covered by the draft edition
    assert soup(out / "papers/2502.00002/index.html").select_one("ul.cited li a")["href"] == "../../papers/2501.00001/"
    assert [a["href"] for a in soup(out / "papers/2501.00001/index.html").select("section.cited-by a")] == ["../../papers/2502.00002/"]


def test_paper_pages_name_the_methods_and_why_people_discuss_it_in_words(sample: Path) -> None:
    page = soup(sample / "_site/papers/2602.07852/index.html")
    assert page.select_one("p.methods").get_text(" ", strip=True) == "Methods: observational, case study"
    reasons = [dt.contents[0].strip() for dt in page.select("dl.engagement dt")]
    assert "Raises safety fears" in reasons and "Controversy" in reasons
    assert not {"Fear safety", "Drama conflict"} & set(reasons)
