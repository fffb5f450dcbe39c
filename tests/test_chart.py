"""Hype against rigor: the papers index draws each scanned paper's discussion against its checks met, in SVG, with a table."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bs4 import BeautifulSoup

from conftest import build


def figures(site: Path, relative: str) -> tuple[int, int, int]:
    """A scan's checks met, checks that apply and Hacker News points, counted from its JSON."""
    data = json.loads((site / "scans" / relative).read_text(encoding="utf-8"))
    groups = [*data["checklist"].values(), *(g for groups in data.get("type_checklist", {}).values() for g in groups.values())]
    checks = [check for group in groups for check in group.values()]
    return sum(c["applies"] and c.get("answer") is True for c in checks), sum(c["applies"] for c in checks), data["hn_data"]["total_points"]


def test_the_chart_places_each_scanned_paper_by_checks_met_and_discussion(site: Path) -> None:
    out = build(site)
    page = BeautifulSoup((out / "papers" / "index.html").read_text(encoding="utf-8"), "html.parser")
    svg = page.select_one("figure.hype-chart svg")
    assert svg.get("role") is None and svg.title.get_text() and svg.desc.get_text()  # a graphic of links (an img hides them)
    assert {svg.title["id"], svg.desc["id"]} == set(svg["aria-labelledby"].split())
    dots = {link["href"]: link.circle for link in svg.find_all("a")}
    expected = {"../papers/2501.00001/": figures(site, "paper-a/scan-v4.json"), "../papers/10.5555-beta.2025-9549f515/": figures(site, "beta.json")}
    assert set(dots) == set(expected)  # the papers with a scan: not the one without, not the draft's
    alpha, beta = (dots[href] for href in expected)
    (alpha_met, alpha_of, alpha_points), (beta_met, beta_of, beta_points) = expected.values()
    assert (float(alpha["cx"]) > float(beta["cx"])) == (alpha_met / alpha_of > beta_met / beta_of)  # further right: more checks met
    assert alpha_points > beta_points and float(alpha["cy"]) < float(beta["cy"])  # higher: more discussed
    for href, (met, of, points) in expected.items():
        assert f"{met} of {of} checks met" in dots[href].find_parent("a").title.get_text()
        row = page.select_one(f".chart-data tbody a[href='{href}']").find_parent("tr")
        cells = [cell.get_text() for cell in row.find_all(["th", "td"])]
        assert cells[2].startswith(f"{met} of {of}") and cells[3] == str(points)
    assert not [script for script in page.find_all("script") if script.get("type") != "application/ld+json"]


def test_scan_text_in_the_chart_stays_text(site: Path) -> None:
    path = site / "scans" / "beta.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["paper"]["title"] = "</title><script>alert(1)</script><a href='javascript:x'>"
    path.write_text(json.dumps(data), encoding="utf-8")
    html = (build(site) / "papers" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "href='javascript" not in html
    titles = [t.get_text() for t in BeautifulSoup(html, "html.parser").select("svg a title")]
    assert any(re.match(r"</title><script>", t) for t in titles)


def test_a_paper_none_of_whose_checks_apply_is_left_off_the_chart(site: Path) -> None:
    path = site / "scans" / "beta.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    groups = [*data["checklist"].values(), *(g for groups in data.get("type_checklist", {}).values() for g in groups.values())]
    for group in groups:
        for check in group.values():
            check["applies"] = False
    path.write_text(json.dumps(data), encoding="utf-8")
    page = BeautifulSoup((build(site) / "papers" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert page.select_one("figure.hype-chart") is None  # not at 0% beside papers that fail every check: alpha alone is no chart


def test_no_chart_for_fewer_than_two_scanned_papers(site: Path) -> None:
    (site / "scans" / "beta.json").unlink()
    note = site / "content" / "editions" / "2026-01-15" / "02-beta.md"
    note.unlink()
    page = BeautifulSoup((build(site) / "papers" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert page.select_one("figure.hype-chart") is None and page.select_one("main ul.paper-index li")
