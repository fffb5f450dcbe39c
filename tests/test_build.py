"""The built site: golden output, pages, feeds, drafts, determinism and stable URLs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup

from digest import pipeline, render
from digest.problems import Problems

from conftest import FIXTURE, ROOT, build, leftovers, readable, run_cli, soup, tree
from regenerate_golden import GOLDEN, rendered

BASE = "https://fixture.example.org/digest/"


def test_output_matches_golden_files(tmp_path: Path) -> None:
    built = rendered(tmp_path / "out")
    assert isinstance(built, dict), built
    assert {k: v.decode() for k, v in built.items()} == {k: v.decode() for k, v in tree(GOLDEN).items()}, (
        "output differs from tests/fixtures/golden: if the change is intended, run `python tests/regenerate_golden.py`"
    )


def test_site_has_every_kind_of_page(site: Path) -> None:
    out = build(site)
    for page in [
        "index.html",
        "404.html",
        "sitemap.xml",
        "feed.xml",
        "atom.xml",
        "style.css",
        "editions/index.html",
        "editions/2026-01-15/index.html",
        "editions/2026-02-26/index.html",
        "papers/index.html",
        "papers/2501.00001/index.html",
        "tags/index.html",
        "tags/measurement/index.html",
        "about/index.html",
    ]:
        assert (out / page).is_file(), page


def test_home_shows_latest_edition_in_full_and_links_earlier(site: Path) -> None:
    page = soup(build(site) / "index.html")
    headlines = [h.get_text(strip=True) for h in page.select("section.note h2")]
    assert headlines == ["A working paper on creative work", "Alpha, revisited"]
    earlier = [a["href"] for a in page.select("section.earlier a")]
    assert earlier == ["editions/2026-01-15/"]


def test_edition_page_has_notes_in_order_with_citation_and_scan_card(site: Path) -> None:
    page = soup(build(site) / "editions/2026-01-15/index.html")
    notes = page.select("section.note")
    assert [n["id"] for n in notes] == ["01-alpha", "02-beta"]
    alpha = notes[0]
    assert alpha.select_one("cite").get_text() == "Paper Alpha: Measuring Things"
    assert "Ana Ñúñez, Bo Li, Zoë Ørsted" in alpha.select_one(".authors").get_text()
    links = {a.get_text(): a["href"] for a in alpha.select(".paper-links a")}
    assert links == {"arXiv": "https://arxiv.org/abs/2501.00001", "PDF": "https://arxiv.org/pdf/2501.00001"}
    card = alpha.select_one(".scan-card")
    assert card.select_one(".checks").get_text(" ", strip=True) == "3 of 5 checks met"
    assert [s.get_text() for s in card.select(".support")] == ["strong", "weak"]
    assert card.select_one(".flag-line a").get_text(strip=True) == "Single seed"
    assert {b.get_text() for b in card.select(".badge.yes, .badge.no")} == {"Code released", "No data released"}
    assert page.select_one("a[rel=next]")["href"] == "../../editions/2026-02-26/"


def test_v4_scan_wins_over_v3(site: Path) -> None:
    page = soup(build(site) / "papers/2501.00001/index.html")
    assert page.select_one("cite").get_text() == "Paper Alpha: Measuring Things"
    assert "Scan version 4" in page.get_text()


def test_paper_page_has_the_full_scan(site: Path) -> None:
    page = soup(build(site) / "papers/2501.00001/index.html")
    groups = page.select("details.check-group")
    assert [g.select_one(".group-name").get_text() for g in groups] == ["Claims and evidence", "Limitations and scope", "Artifacts"]
    justifications = [dd.get_text() for dd in page.select("dl.checks dd")]
    assert "No ablation isolates the cause." in justifications and len(justifications) == 6
    assert "Every result comes from one run." in page.select_one(".red-flags").get_text()
    assert page.select_one("ul.cited cite").get_text() == "Paper Beta: a survey"
    assert "Of practical use" in page.select_one("dl.engagement").get_text()
    thread = page.select_one("ul.threads a")
    assert thread["href"] == "https://news.ycombinator.com/item?id=4242"
    editions = [a.get_text() for a in page.select("section.note .edition-meta a")]
    assert editions == ["Edition 2", "The first fixture edition"]
    related = [a["href"] for a in page.select("section.related a")]
    assert related[0] == "../../papers/10.5555-beta.2025-9549f515/"


def test_survey_paper_renders_its_own_checklist(site: Path) -> None:
    page = soup(build(site) / "papers/10.5555-beta.2025-9549f515/index.html")
    assert page.select_one(".badge.type").get_text() == "Survey"
    assert "Coverage" in [g.get_text() for g in page.select(".group-name")]


def test_paper_without_scan_has_a_page_without_scan(site: Path) -> None:
    page = soup(build(site) / "papers/a-working-paper-on-creative-work/index.html")
    assert page.select_one("cite").get_text() == "A Working Paper on Creative Work"
    assert page.select_one(".paper-links a")["href"] == "https://example.org/working-paper"
    assert page.select_one("section.scan") is None


def test_drafts_are_left_out_everywhere_unless_asked(site: Path) -> None:
    out = build(site)
    everything = b"".join(readable(out).values()).decode("utf-8", "replace")
    assert "pagefind/pagefind-entry.json" in tree(out) and "Gamma, in a draft" not in everything and "2026-04-09" not in everything
    assert not (out / "papers/2502.00002").exists()
    with_drafts = build(site, "--drafts")
    assert (with_drafts / "editions/2026-04-09/index.html").is_file()
    assert len(feedparser.parse((with_drafts / "atom.xml").read_bytes()).entries) == 3


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_feeds_parse_with_entries_newest_first_full_content_and_absolute_links(site: Path, name: str) -> None:
    feed = feedparser.parse((build(site) / name).read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.link for e in feed.entries] == [BASE + "editions/2026-02-26/", BASE + "editions/2026-01-15/"]
    assert [e.id for e in feed.entries] == ["tag:fixture.example.org,2026-02-26:edition", "tag:fixture.example.org,2026-01-15:edition"]
    assert feed.feed.updated_parsed[:3] == (2026, 2, 26)
    first = feed.entries[1]
    content = BeautifulSoup(first.content[0].value, "html.parser")
    assert "Alpha measures things better" in content.get_text()
    assert "Single seed" in content.get_text()  # the scan card travels with the entry
    for tag in content.find_all(href=True):
        assert urlsplit(tag["href"]).scheme in ("http", "https"), tag["href"]
    survey = content.find("a", string="the survey")
    assert survey["href"] == BASE + "papers/10.5555-beta.2025-9549f515/"


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (1, ["2026-04-09"]),
        (2, ["2026-04-09", "2026-02-26"]),
        (0, ["2026-04-09", "2026-02-26", "2026-01-15"]),
    ],
)
def test_feed_limit_keeps_the_newest_editions(site: Path, limit: int, expected: list[str]) -> None:
    settings = site / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + f"feed_limit: {limit}\n", encoding="utf-8")
    out = build(site, "--drafts")
    for name in ("feed.xml", "atom.xml"):
        feed = feedparser.parse((out / name).read_bytes())
        assert not feed.bozo, feed.get("bozo_exception")
        assert [e.link for e in feed.entries] == [f"{BASE}editions/{slug}/" for slug in expected]
        assert all(e.content[0].value for e in feed.entries)
    assert (out / "editions/2026-01-15/index.html").is_file()  # the pages of editions left out of the feeds stay


def test_every_page_links_its_feeds_and_internal_links_resolve(site: Path) -> None:
    out = build(site)
    for path in out.rglob("*.html"):
        if path.name == "email.html":
            continue  # made to be pasted into a newsletter service, not a site page
        page = soup(path)
        feeds = {(link["type"], link["href"]) for link in page.select('link[rel="alternate"]')}
        own = {BASE + "feed.xml", BASE + "atom.xml", BASE + "feed.json"}
        if path.parent.parent.name == "tags":  # a tag's page links the tag's own feeds too
            own |= {BASE + f"tags/{path.parent.name}/{name}" for name in ("feed.xml", "atom.xml", "feed.json")}
        assert {href for _, href in feeds} == own
        assert {kind for kind, _ in feeds} == {"application/rss+xml", "application/atom+xml", "application/feed+json"}
        assert page.html["lang"] == "en"
        if path.name == "404.html":
            continue
        page_url = "file://" + path.as_posix()
        for anchor in page.select("a[href]"):
            target = urljoin(page_url, anchor["href"])
            if not target.startswith("file://"):
                continue
            file_path = Path(urlsplit(target).path)
            resolved = file_path / "index.html" if target.split("#")[0].endswith("/") else file_path
            assert resolved.is_file(), f"{path}: {anchor['href']}"
            fragment = urlsplit(target).fragment
            if fragment:
                assert soup(resolved).find(id=fragment), f"{path}: {anchor['href']}"


def test_sitemap_lists_every_page_with_absolute_urls(site: Path) -> None:
    out = build(site)
    sitemap = BeautifulSoup((out / "sitemap.xml").read_text(), "xml")
    locs = {loc.get_text() for loc in sitemap.find_all("loc")}
    pages = {BASE + p.relative_to(out).as_posix().removesuffix("index.html") for p in out.rglob("index.html")}
    assert locs == pages


@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_verbose_lists_every_file_written(site: Path, cache: list[str]) -> None:
    result = run_cli(site, "--verbose", *cache)
    assert result.code == 0, result.err
    listed = [line.removeprefix("  wrote ") for line in result.out.splitlines() if line.startswith("  wrote ")]
    index = [path for path in tree(site / "_site") if path.startswith("pagefind/")]
    assert index and sorted(listed) == sorted(f"_site/{path}" for path in tree(site / "_site") if path != ".digest-site" and path not in index)
    assert "  indexed _site/pagefind/ (the search index)" in result.out.splitlines()


def test_two_builds_are_byte_identical(site: Path, tmp_path: Path) -> None:
    first = tree(build(site))
    shutil.copytree(site, tmp_path / "again")
    (tmp_path / "again" / "_site").rename(tmp_path / "old")
    assert tree(build(tmp_path / "again")) == first


LOGGED_BUILD = """
import json, os, sys
from pathlib import Path
from digest import pipeline, write
from digest.problems import Problems

site, templates, out, jobs, log = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5])
real_write = write.Staging.write

def logged(staging, relative, data):
    with log.open("a") as handle:
        handle.write(f"{os.getpid()} {relative}\\n")
    real_write(staging, relative, data)

write.Staging.write = logged
problems = Problems()
built = pipeline.build(pipeline.Options(site / "content", site / "scans", templates, out, jobs=jobs), problems)
print(json.dumps({"pid": os.getpid(), "errors": [str(problem) for problem in problems.errors]}))
"""  # a build in a process of its own (pytest's may have threads), logging which process writes each file


def test_processes_render_the_same_bytes_and_write_what_they_render(tmp_path: Path) -> None:
    if render.workers() < 2:
        pytest.skip("needs a second processor")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import generate

    generate.digest_site(generate.make_archive(240), tmp_path)  # enough outputs for several processes (render.MIN_JOBS)
    sites = {}
    for jobs in (1, 2):
        log, out = tmp_path / f"log-{jobs}", tmp_path / f"out-{jobs}"
        done = subprocess.run(
            [sys.executable, "-c", LOGGED_BUILD, str(tmp_path), str(ROOT / "templates"), str(out), str(jobs), str(log)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        built = json.loads(done.stdout)
        assert built["errors"] == []
        sites[jobs] = tree(out)
        writers = dict(line.split()[::-1] for line in log.read_text().splitlines() if not line.endswith(" .digest-site"))
        rendered = {path for path in sites[jobs] if path.endswith((".html", ".txt", ".xml", ".bib", ".json")) and not path.startswith("pagefind/")}
        assert set(writers) == rendered
        renderers = set(writers.values())
        assert renderers == {str(built["pid"])} if jobs == 1 else (len(renderers) == 2 and str(built["pid"]) not in renderers)
    assert sites[2] == sites[1] and len(sites[1]) > 300


BROKEN_TEMPLATES = {  # paper.html, its line 1 replaced: the problem the build reports
    "undefined": ("{{ no_such_value }}", "templates: template error: 'no_such_value' is undefined"),
    "syntax": ("{% if %}", "templates/paper.html:1: template error: Expected an expression, got 'end of statement block'"),
}


@pytest.mark.parametrize("case", list(BROKEN_TEMPLATES))
@pytest.mark.parametrize("papers", [0, 240])  # the fixture site, rendered by the build itself; or enough pages for two workers
def test_a_broken_template_is_reported_and_leaves_the_old_site(tmp_path: Path, site: Path, papers: int, case: str) -> None:
    if papers:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import generate

        site = tmp_path / "large"
        generate.digest_site(generate.make_archive(papers), site)
    shutil.copytree(ROOT / "templates", site / "templates")
    command = [sys.executable, str(ROOT / "build.py"), "--templates", "templates", "--no-cache", "--jobs", "2"]
    assert subprocess.run(command, cwd=site, capture_output=True, timeout=120).returncode == 0
    before = tree(site / "_site")
    line, expected = BROKEN_TEMPLATES[case]
    page = site / "templates" / "paper.html"
    page.write_text(line + page.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    result = subprocess.run(command, cwd=site, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stderr.splitlines()[0] == expected, result.stderr
    assert "Traceback" not in result.stderr
    assert tree(site / "_site") == before  # pages other workers had already written went with the staging folder
    assert leftovers(site) == []


def test_adding_an_edition_moves_no_url_and_keeps_entry_ids(site: Path) -> None:
    out = build(site)
    before_pages = {path for path in tree(out) if not path.startswith("pagefind/")}  # the index's files are named by their content
    before_ids = [e.id for e in feedparser.parse((out / "atom.xml").read_bytes()).entries]
    new = site / "content/editions/2026-05-21"
    new.mkdir()
    (new / "index.md").write_text("---\ntitle: Third\n---\nA third edition.\n")
    (new / "01-gamma.md").write_text("---\nheadline: Gamma at last\nscan: 2502.00002\n---\n**What happened:** x\n")
    after = build(site)
    assert before_pages <= set(tree(after))
    ids = [e.id for e in feedparser.parse((after / "atom.xml").read_bytes()).entries]
    assert ids[1:] == before_ids and ids[0] == "tag:fixture.example.org,2026-05-21:edition"


def test_stale_pages_are_removed(site: Path) -> None:
    out = build(site)
    assert (out / "about/index.html").exists()
    (site / "content/pages/about.md").unlink()
    build(site)
    assert not (out / "about").exists()


def test_shipped_sample_builds(tmp_path: Path) -> None:
    result = run_cli(ROOT, "check")
    assert result.code == 0, result.err
    problems = Problems()
    built = pipeline.build(pipeline.Options(ROOT / "content", ROOT / "scans", ROOT / "templates", tmp_path), problems, write_output=False)
    assert built is not None, problems.errors
    assert len(built.library.editions) >= 2 and len(built.library.papers) >= 6


def test_indexed_related_papers_match_the_pairwise_ranking(tmp_path: Path) -> None:
    from conftest import related_papers

    for root in (ROOT, ROOT / "tests" / "fixtures" / "site"):
        problems = Problems()
        library = pipeline.load(pipeline.Options(root / "content", root / "scans", ROOT / "templates", tmp_path), problems)
        assert library is not None, problems.errors
        assert any(paper.related for paper in library.papers)
        for paper in library.papers:
            assert paper.related == related_papers(paper, library.papers), paper.id


def test_templates_written_for_calls_still_render_as_with_the_filters(tmp_path: Path) -> None:
    from digest.views import PageContext

    problems = Problems()
    library = pipeline.load(pipeline.Options(FIXTURE / "content", FIXTURE / "scans", ROOT / "templates", tmp_path), problems)
    assert library is not None, problems.errors
    paper = library.papers[0]
    renderer = render.Renderer(library, render.Templates.read(ROOT / "templates", problems))
    calls = renderer.env.from_string("{{ ctx.link(paper.url) }} {{ ctx.link('') }} {{ plural(paper.notes | length, 'edition') }}")
    filters = renderer.env.from_string("{{ paper.url | link }} {{ '' | link }} {{ paper.notes | length | plural('edition') }}")
    for url, absolute in ((f"{paper.url}index.html", False), ("index.html", False), ("index.html", True)):
        ctx = PageContext(library, url, absolute)
        assert calls.render(ctx=ctx, paper=paper) == filters.render(ctx=ctx, paper=paper)
    ctx = PageContext(library, f"{paper.url}index.html")
    assert filters.render(ctx=ctx, paper=paper) == f"../../{paper.url} ../../ 1 edition"
