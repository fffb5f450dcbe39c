"""Search: the Pagefind index made over the new site before it is published, its filters, the no-JavaScript form, and the setting.

Typing a query and applying a filter in Chromium is in test_browser.py.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import cbor2
import pytest
from test_hardening import big_site

from digest import cli, search

from conftest import ROOT, build, run_cli, soup, tree

FILTERS = {"tag", "type", "edition", "red flags", "claim support"}


def index_files(out: Path) -> dict[str, object]:
    """What Pagefind wrote: its entry file, and each filter with its values and pages."""
    entry = json.loads((out / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    filters = {}
    for path in (out / "pagefind" / "filter").iterdir():
        name, values = cbor2.loads(gzip.decompress(path.read_bytes()).removeprefix(search.SIGNATURE))
        filters[name] = {value: sorted(set(pages)) for value, pages in values}
    return {"entry": entry, "filters": filters}


def test_the_index_covers_papers_ledgers_and_pages_with_every_filter(site: Path) -> None:
    out = build(site)
    found = index_files(out)
    languages = found["entry"]["languages"]  # type: ignore[index]
    papers = [p for p in (out / "papers").iterdir() if p.is_dir()]
    pages = [p for p in out.iterdir() if p.is_dir() and (p / "index.html").is_file() and p.name not in ("papers", "editions", "tags", "search")]
    assert [language["page_count"] for language in languages.values()] == [len(papers) + len(pages)]
    filters = found["filters"]
    assert set(filters) == FILTERS  # type: ignore[arg-type]
    tags = {a.get_text() for paper in papers for a in soup(paper / "index.html").select("p.tags a")}
    assert set(filters["tag"]) == tags  # type: ignore[index]
    assert set(filters["red flags"]) == {"some", "none"}  # type: ignore[index]
    assert filters["claim support"] and set(filters["claim support"]) <= {"strong", "supported", "moderate", "weak", "unsupported", "unknown"}  # type: ignore[index]


def test_the_same_site_makes_the_same_index_bytes(site: Path, tmp_path: Path) -> None:
    first = tree(build(site))
    again = tmp_path / "again"
    shutil.copytree(site, again, ignore=shutil.ignore_patterns("_site*"))
    assert {k: v for k, v in tree(build(again)).items() if k.startswith("pagefind/")} == {k: v for k, v in first.items() if k.startswith("pagefind/")}


def test_without_javascript_the_search_box_leads_to_the_papers_index(site: Path) -> None:
    out = build(site)
    page = soup(out / "search" / "index.html")
    form = page.select_one("#search form")
    assert form is not None and form.select_one("input[type=search]") is not None
    target = urlsplit(urljoin(f"file://{out}/search/index.html", form["action"])).path
    assert Path(target) / "index.html" == out / "papers" / "index.html"
    assert page.select_one(f"label[for={form.select_one('input')['id']}]") is not None
    for built in [out / "index.html", out / "papers" / "index.html", out / "claims" / "index.html"]:
        assert [a.get_text() for a in soup(built).select("header nav a") if a["href"].endswith("search/")] == ["Search"]


def test_search_false_makes_no_index_no_search_page_and_no_link(site: Path) -> None:
    settings = site / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "search: false\n", encoding="utf-8")
    out = build(site)
    assert not (out / "pagefind").exists() and not (out / "search").exists()
    assert not [a for a in soup(out / "index.html").select("header nav a") if "search" in a["href"]]
    assert "search/" not in (out / "sitemap.xml").read_text(encoding="utf-8")


def test_an_index_that_cannot_be_made_fails_the_build_and_keeps_the_site(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree(build(site))
    (site / "content" / "pages" / "about.md").write_text("---\ntitle: About\n---\nChanged.\n", encoding="utf-8")
    monkeypatch.setattr(search.sys, "executable", shutil.which("false"))  # Pagefind fails as any program can
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        code = cli.main(["build", "--content", str(site / "content"), "--scans", str(site / "scans"), "--out", str(site / "_site")])
    assert code == 1
    assert "search index could not be made" in err.getvalue() and "Traceback" not in err.getvalue()
    assert tree(site / "_site") == before


def test_a_static_file_in_the_index_folder_is_refused(site: Path) -> None:
    static = site / "content" / "static" / "pagefind"
    static.mkdir(parents=True)
    (static / "pagefind-ui.js").write_text("alert(1)", encoding="utf-8")
    result = run_cli(site)
    assert result.code == 1 and "pagefind/pagefind-ui.js" in result.err and "search" in result.err


def test_a_build_after_a_no_search_preview_makes_the_index(site: Path) -> None:
    out = build(site, "--no-search")
    assert not (out / "pagefind").exists() and (out / "search" / "index.html").is_file()
    assert index_files(build(site))["filters"]


def children(pid: int) -> list[tuple[int, str]]:
    """The processes whose parent is pid, with their command lines (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_pagefind_ends_with_a_killed_build(site: Path) -> None:
    big_site(site, 600)  # enough pages that Pagefind runs for a while
    build = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--templates", str(ROOT / "templates"), "--quiet"], cwd=site)
    indexing: list[int] = []
    for _ in range(6000):
        indexing = [pid for pid, line in children(build.pid) if "--site" in line]
        if indexing or build.poll() is not None:
            break
        time.sleep(0.01)
    assert indexing, "the build ended before Pagefind could be seen"
    build.kill()
    build.wait()
    time.sleep(0.2)  # Linux ends it at once; on its own it would index for a second or more
    assert not alive(indexing[0]), "Pagefind went on indexing after its build was killed"


def alive(pid: int) -> bool:
    """Whether a process runs (not ended, nor a zombie waiting for its parent to collect it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_site_without_search_may_have_a_page_named_search(site: Path) -> None:
    (site / "content" / "pages" / "search.md").write_text("---\ntitle: Searching\n---\nAsk the editors.\n", encoding="utf-8")
    assert run_cli(site).code == 1  # the search page's address
    settings = site / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "search: false\n", encoding="utf-8")
    assert soup(build(site) / "search" / "index.html").select_one("main h1").get_text() == "Searching"


def test_pagefind_settings_outside_the_site_change_nothing(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (site / "pagefind.yml").write_text("force_language: fr\n", encoding="utf-8")  # in the folder the build is run from
    monkeypatch.setenv("PAGEFIND_FORCE_LANGUAGE", "fr")
    assert list(index_files(build(site))["entry"]["languages"]) == ["en"]  # type: ignore[index]


def test_an_index_of_a_form_digest_does_not_know_fails_the_build_and_keeps_the_site(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree(build(site))
    (site / "content" / "pages" / "about.md").write_text("---\ntitle: About\n---\nChanged.\n", encoding="utf-8")
    monkeypatch.setattr(search, "SIGNATURE", b"pagefind_v2")  # as a later Pagefind might write its files
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        code = cli.main(["build", "--content", str(site / "content"), "--scans", str(site / "scans"), "--out", str(site / "_site")])
    assert code == 1 and "in a form this version of digest does not know" in err.getvalue() and "Traceback" not in err.getvalue()
    assert tree(site / "_site") == before
