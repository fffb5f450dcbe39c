"""Scan history: where a paper has several scan versions, its page says what changed from the version before."""

from __future__ import annotations

import json
from pathlib import Path

from bs4 import BeautifulSoup

from conftest import build, tree

OLD = "paper-a/scan-v3.json"
ALPHA = "papers/2501.00001/index.html"


def change_list(out: Path) -> list[str]:
    """The lines of what changed since the scan's previous version, on alpha's page."""
    block = BeautifulSoup((out / ALPHA).read_text(encoding="utf-8"), "html.parser").select_one(".scan-change")
    assert block is not None and block.h3.get_text() == "Since scan version 3"
    return [item.get_text(" ", strip=True) for item in block.select("li")]


def edit_old_scan(site: Path, **change: object) -> None:
    """Change the older scan of alpha: a check's answer, its claims, its red flags."""
    path = site / "scans" / OLD
    data = json.loads(path.read_text(encoding="utf-8"))
    if "causal_met" in change:
        data["checklist"]["claims_and_evidence"]["causal_claims_justified"]["answer"] = change["causal_met"]
    if "claims" in change:
        data["claims"] = change["claims"]
    if "flags" in change:
        data["red_flags"] = change["flags"]
    path.write_text(json.dumps(data), encoding="utf-8")


def test_a_paper_page_says_what_changed_since_the_scan_before(site: Path) -> None:
    assert change_list(build(site)) == ["New red flags: Single seed"]
    edit_old_scan(
        site,
        causal_met=True,
        claims=[{"claim": "It generalises to all domains.", "evidence": "Two domains.", "supported": "moderate"}],
        flags=[{"flag": "Single seed"}, {"flag": "No baseline tuning"}],
    )
    lines = change_list(build(site))
    assert lines == [
        "No longer met: Causal claims justified",
        "Support for “It generalises to all domains.”: moderate, now weak",
        "Red flags no longer raised: No baseline tuning",
    ]


def has_history(page: Path) -> bool:
    """Whether a paper page says what changed since a scan before."""
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select_one(".scan-change") is not None


def test_claims_in_any_script_are_matched_with_themselves(site: Path) -> None:
    old = [{"claim": "結果は再現できる。", "supported": "strong"}, {"claim": "効果は大きい。", "supported": "weak"}]
    edit_old_scan(site, claims=old, flags=[{"flag": "単一のシード"}])
    path = site / "scans" / "paper-a" / "scan-v4.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["claims"] = [{"claim": "結果は再現できる。", "supported": "moderate"}, {"claim": "効果は大きい。", "supported": "weak"}]
    data["red_flags"] = [{"flag": "評価者はモデルのみ"}]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert change_list(build(site)) == [
        "Support for “結果は再現できる。”: strong, now moderate",
        "New red flags: 評価者はモデルのみ",
        "Red flags no longer raised: 単一のシード",
    ]


def test_a_paper_with_one_scan_version_has_no_history(site: Path) -> None:
    assert not has_history(build(site) / "papers/10.5555-beta.2025-9549f515/index.html")
    (site / "scans" / OLD).unlink()
    assert not has_history(build(site) / ALPHA)


def test_editing_only_the_older_scan_rebuilds_the_page_as_a_clean_build_would(site: Path) -> None:
    build(site)
    edit_old_scan(site, flags=[{"flag": "Only in the old one"}])
    cached = tree(build(site))
    assert "Red flags no longer raised: Only in the old one" in change_list(site / "_site")
    assert cached == tree(build(site, "--no-cache"))
