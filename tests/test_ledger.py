"""The claim ledger (/claims/) and the flag index (/flags/): the archive's claims by support and its red flags by kind."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from conftest import build, soup

WEAKEST_FIRST = ["unsupported", "weak", "moderate", "unknown", "supported", "strong"]
JUDGE_FLAGS = ["LLM judge as the sole scorer", "Judge-only scoring"]


def target(out: Path, page: str, href: str) -> tuple[BeautifulSoup, str]:
    """The page a link on page leads to, parsed, and the fragment it names."""
    url = urljoin(f"file://{out}/{page}", href)
    path = Path(urlsplit(url).path)
    return soup(path / "index.html" if url.split("#")[0].endswith("/") else path), urlsplit(url).fragment


def add_to_scan(site: Path, relative: str, claims: list[dict[str, object]], flags: list[str]) -> None:
    """Append claims and red flags to a scan."""
    path = site / "scans" / relative
    data = json.loads(path.read_text(encoding="utf-8"))
    data["claims"] = data.get("claims", []) + claims
    data["red_flags"] = data.get("red_flags", []) + [{"flag": flag, "detail": f"Detail of {flag}."} for flag in flags]
    path.write_text(json.dumps(data), encoding="utf-8")


def test_the_ledger_lists_every_published_claim_weakest_first_each_linked_to_its_place(site: Path) -> None:
    add_to_scan(site, "beta.json", [{"claim": "Nothing backs this.", "evidence": "None given.", "supported": False}], [])
    out = build(site)
    page = soup(out / "claims" / "index.html")
    sections = [section.h2["id"] for section in page.select("main section")]
    assert sections == [level for level in WEAKEST_FIRST if level in sections] == ["unsupported", "weak", "moderate", "strong"]
    rows = page.select("main section li")
    published = {"Nothing backs this.", "Method A beats the baseline by 42%.", "It generalises to all domains."}
    claims = [row.select_one(".claim").get_text(strip=True) for row in rows]
    assert len(claims) == 4 and set(claims) >= published  # beta's own, alpha's two and the new one; not gamma's (a draft)
    for row in rows:
        link = row.select_one(".claim a")
        paper, fragment = target(out, "claims/index.html", link["href"])
        assert fragment.startswith("claim-") and link.get_text(strip=True) in paper.find(id=fragment).get_text()
    assert page.select_one("#unsupported").find_parent("section").select_one(".evidence").get_text() == "None given."
    assert "Gamma" not in page.get_text()
    assert "Gamma" in soup(build(site, "--drafts") / "claims" / "index.html").get_text()


def test_the_flag_index_groups_flags_of_one_kind_in_other_words(site: Path) -> None:
    add_to_scan(site, "beta.json", [], [*JUDGE_FLAGS, "Dual-use release"])
    out = build(site)
    page = soup(out / "flags" / "index.html")
    kinds = page.select("main section.flag-kind")
    judged = next(kind for kind in kinds if JUDGE_FLAGS[0] in kind.get_text())
    assert JUDGE_FLAGS[1] in judged.get_text()  # the same kind, worded two ways
    assert "Other" in kinds[-1].h2.get_text() and "Dual-use release" in kinds[-1].get_text()  # a flag of no known kind, last
    flags = [item.strong.get_text() for item in page.select("main section li")]
    assert sorted(flags) == sorted(["Single seed", *JUDGE_FLAGS, "Dual-use release"])  # each once
    for item in page.select("main section li"):
        paper, fragment = target(out, "flags/index.html", item.a["href"])
        assert fragment.startswith("flag-") and item.strong.get_text() in paper.find(id=fragment).get_text()
    contents = {link.get_text(strip=True) for link in page.select("nav.on-this-page a")}
    assert contents == {kind.h2.contents[0].strip() for kind in kinds}


def test_every_page_leads_to_the_claims_and_the_flags(site: Path) -> None:
    out = build(site)
    for path in out.rglob("index.html"):
        nav = {a.get_text(): a["href"] for a in soup(path).select("header nav a")}
        assert target(out, path.relative_to(out).as_posix(), nav["Claims"])[0].h1.get_text() == "Claims"
        assert target(out, path.relative_to(out).as_posix(), nav["Red flags"])[0].h1.get_text() == "Red flags"
