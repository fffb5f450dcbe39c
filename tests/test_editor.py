"""The editor's cycle: `check`'s house-style warnings, `new`, `serve`, and each edition's email."""

from __future__ import annotations

import json
import re
import select
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from digest import cli, pipeline, serve
from digest.problems import Problems

from conftest import ROOT, run_cli, tree

BASE = "https://fixture.example.org/digest/"
FIRST = "content/editions/2026-01-15"
SECOND = "content/editions/2026-02-26"
REPEAT = (f"{SECOND}/02-alpha-again.md:3", "this paper is already covered in The first fixture edition (2026-01-15), by 01-alpha.md")


def warnings_of(stderr: str) -> list[tuple[str, str]]:
    """Each `path:line: warning: message` line as (path:line, message)."""
    return [(m[1], m[2]) for m in re.finditer(r"^(\S+:\d+): warning: (.*)$", stderr, re.MULTILINE)]


def has_warning(found: list[tuple[str, str]], where: str, fragment: str) -> bool:
    """Whether a warning at where contains fragment."""
    return any(loc == where and fragment in message for loc, message in found)


# ---------------------------------------------------------------- check: house style


def test_shipped_fixture_warns_only_about_the_repeated_paper(site: Path) -> None:
    result = run_cli(site, "check", "--drafts")
    assert result.code == 0, result.err
    assert warnings_of(result.err) == [REPEAT]
    assert "1 warning(s)" in result.out


def test_check_reports_each_house_style_warning_at_its_line(site: Path) -> None:
    (site / FIRST / "index.md").write_text("---\ntitle: The first fixture edition\ndarft: true\n---\nIntro.\n")
    (site / FIRST / "01-alpha.md").write_text(
        "---\nheadline: Alpha measures things better\nscan: 2501.00001\ntags: [Measurement]\ntag: oops\n---\n"
        "**What happened:** The authors built a benchmark.\n\n"
        "**What's interesting:** It is 42% better and 1,700\ntimes cheaper, or 5.4x, and 80% smaller.\n"
    )
    (site / FIRST / "02-beta.md").write_text(
        "---\nheadline: A survey of field X\nscan: 10.5555/Beta.2025\n---\n"
        "**What's interesting:** Three open problems stand out.\n\n**What happened:** Chen Wei surveyed field X.\n"
    )
    long = "A headline that goes on and on well past the ninety characters the house style allows for one"
    (site / SECOND / "01-report.md").write_text(
        f"---\nheadline: {long}\npaper:\n  title: A Working Paper\n  titel: typo\n---\nJust one paragraph, 99% free of labels.\n"
    )
    result = run_cli(site, "check")
    assert result.code == 0, result.err
    found = warnings_of(result.err)
    expected = [
        (f"{FIRST}/index.md:3", "unknown front matter key `darft`, which is ignored; did you mean `draft`?"),
        (f"{FIRST}/01-alpha.md:5", "unknown front matter key `tag`"),
        (f"{FIRST}/01-alpha.md:9", "the figure 1,700 appears nowhere in the scan of 2501.00001"),
        (f"{FIRST}/01-alpha.md:10", "the figure 5.4x appears nowhere"),
        (f"{FIRST}/01-alpha.md:10", "the figure 80% appears nowhere"),
        (f"{FIRST}/02-beta.md:5", "**What's interesting:** comes before **What happened:**"),
        (f"{SECOND}/01-report.md:2", f"the headline is {len(long)} characters; the house style keeps headlines to 90"),
        (f"{SECOND}/01-report.md:3", "unknown front matter key `paper.titel`, which is ignored; did you mean `paper.title`?"),
        (f"{SECOND}/01-report.md:7", "no paragraph starts **What happened:**"),
        (f"{SECOND}/01-report.md:7", "no paragraph starts **What's interesting:**"),
        REPEAT,
    ]
    for where, fragment in expected:
        assert has_warning(found, where, fragment), (where, fragment, result.err)
    assert len(found) == len(expected), result.err
    assert "42%" not in result.err  # the scan says 42%
    strict = run_cli(site, "check", "--strict")
    assert strict.code == 1
    assert "which --strict counts as problems" in strict.err


def test_lint_runs_in_check_only(site: Path) -> None:
    problems = Problems()
    options = pipeline.Options(site / "content", site / "scans", ROOT / "templates", site / "_site")
    assert pipeline.build(options, problems, write_output=False) is not None
    assert problems.warnings == []
    assert pipeline.check(options, problems) is not None
    assert [str(p) for p in problems.warnings] == [f"{site / REPEAT[0].split(':')[0]}:3: warning: {REPEAT[1]}"]


# ---------------------------------------------------------------- new


def add_scan(site: Path, name: str, arxiv_id: str, title: str, points: int) -> None:
    """A copy of the gamma scan as another paper, with its own title and Hacker News points."""
    data = json.loads((site / "scans/gamma.json").read_text())
    data["paper"].update(arxiv_id=arxiv_id, title=title)
    data["methodology_tags"] = ["benchmark", "human study"]
    data["hn_data"].update(total_points=points, top_points=points)
    (site / "scans" / name).write_text(json.dumps(data))


def front_matter(path: Path) -> dict[str, object]:
    """A Markdown file's front matter."""
    data = yaml.safe_load(path.read_text().split("---\n")[1])
    assert isinstance(data, dict)
    return data


def test_new_dates_the_edition_one_cadence_after_the_latest_draft_and_never_overwrites(site: Path) -> None:
    result = run_cli(site, "new")
    assert result.code == 0, result.err
    folder = site / "content/editions/2026-05-21"  # six weeks after the draft of 2026-04-09
    assert sorted(p.name for p in folder.iterdir()) == ["index.md"]
    meta = front_matter(folder / "index.md")
    assert meta["draft"] is True and meta["title"]
    assert "Every scan is covered" in result.out
    before = (folder / "index.md").read_bytes()
    again = run_cli(site, "new", "--date", "2026-05-21", "--pick", "1")
    assert again.code == 1
    assert "content/editions/2026-05-21: already exists; nothing was written" in again.err
    assert sorted(p.name for p in folder.iterdir()) == ["index.md"] and (folder / "index.md").read_bytes() == before


def test_new_needs_a_date_for_the_first_edition(site: Path) -> None:
    shutil.rmtree(site / "content/editions")
    assert run_cli(site, "new").code == 2
    assert run_cli(site, "new", "--date", "2026-13-40").code == 2
    result = run_cli(site, "new", "--date", "2026-01-08")
    assert result.code == 0, result.err
    assert (site / "content/editions/2026-01-08/index.md").is_file()


def test_new_after_the_last_day_of_9999_asks_for_a_date(site: Path) -> None:
    last = site / "content/editions/9999-12-31"
    last.mkdir()
    (last / "index.md").write_text("---\ndraft: true\n---\nThe last edition there can be.\n")
    result = run_cli(site, "new")
    assert result.code == 2 and "after 9999-12-31; give its date with --date YYYY-MM-DD" in result.err, result.err
    assert "Traceback" not in result.err and sorted(p.name for p in (site / "content/editions").iterdir())[-1] == "9999-12-31"


def test_new_names_a_scan_whose_engagement_score_no_page_can_write(site: Path) -> None:
    shutil.rmtree(site / "content/editions/2026-04-09")  # gamma is on the shortlist
    add_scan(site, "delta.json", "2503.00003", "Paper Delta", 900)
    data = json.loads((site / "scans/delta.json").read_text())
    data["engagement_factors"] = {"novelty": {"score": int("9" * 4000), "justification": "very"}}
    (site / "scans/delta.json").write_text(json.dumps(data))
    result = run_cli(site, "new")
    assert result.code == 1, result.err
    assert result.err.startswith("scans/delta.json: $.engagement_factors.novelty.score: input should be less than or equal to"), result.err
    assert "Traceback" not in result.err


def test_new_shortlists_most_discussed_first_and_picked_notes_pass_check(site: Path) -> None:
    shutil.rmtree(site / "content/editions/2026-04-09")  # the draft that covers gamma
    add_scan(site, "delta.json", "2503.00003", "Paper Delta: much discussed", 900)
    add_scan(site, "epsilon.json", "2503.00004", "Paper Epsilon: barely discussed", 3)
    result = run_cli(site, "new", "--pick", "1")
    assert result.code == 0, result.err
    ids = re.findall(r"^\s+\d+\. (\S+)  ", result.out, re.MULTILINE)
    assert ids == ["2503.00003", "2502.00002", "2503.00004"]
    assert "3 of 5 checks met · 0 red flags" in result.out
    folder = site / "content/editions/2026-04-09"  # six weeks after 2026-02-26
    assert sorted(p.name for p in folder.iterdir()) == ["01-paper-delta-much-discussed.md", "index.md"]
    note = folder / "01-paper-delta-much-discussed.md"
    meta = front_matter(note)
    assert meta["scan"] == "2503.00003" and meta["tags"] == ["benchmark", "human study"] and meta["headline"]
    assert "**What happened:**" in note.read_text() and "**What's interesting:**" in note.read_text()
    check = run_cli(site, "check", "--drafts")
    assert check.code == 0, check.err
    assert warnings_of(check.err) == [REPEAT]


# ---------------------------------------------------------------- serve


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> str:
    """The body of a page, also for an error status; empty while the server does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return str(error.read().decode("utf-8"))
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return ""


def wait_for(url: str, ready: Callable[[str], bool], seconds: float = 20) -> str:
    """Fetch url until ready(body) holds; fail after seconds."""
    deadline = time.monotonic() + seconds
    body = fetch(url)
    while not ready(body):
        assert time.monotonic() < deadline, f"{url} not ready after {seconds} s; last body:\n{body[:2000]}"
        time.sleep(0.2)
        body = fetch(url)
    return body


def test_serve_rebuilds_on_change_and_shows_problems_over_the_last_good_site(site: Path) -> None:
    port = free_port()
    command = [
        sys.executable,
        str(ROOT / "build.py"),
        "serve",
        "--port",
        str(port),
        "--content",
        "content",
        "--scans",
        "scans",
        "--templates",
        str(ROOT / "templates"),
    ]
    server = subprocess.Popen(command, cwd=site, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert select.select([server.stdout], [], [], 20)[0], "serve printed nothing"
        assert server.stdout is not None
        first_line = server.stdout.readline()
        match = re.search(r"built in (\S+);", first_line)
        assert match, first_line
        built = Path(match[1])
        base = f"http://127.0.0.1:{port}/"
        edition = base + "editions/2026-01-15/"

        page = wait_for(edition, lambda body: "Alpha measures things better" in body)
        assert "/__digest__/version" in page
        on_disk = (built / "site/editions/2026-01-15/index.html").read_text()
        assert "__digest__" not in on_disk and "digest-problems" not in on_disk
        assert f'href="{base}feed.xml"' in on_disk  # base_url is the local address
        assert not (site / "_site").exists()
        draft = BeautifulSoup(wait_for(base + "editions/2026-04-09/", lambda body: "Gamma" in body), "html.parser")
        assert draft.select_one(".edition-meta .draft") is not None

        note = site / FIRST / "01-alpha.md"
        note.write_text(note.read_text().replace("built a benchmark", "built a brand-new benchmark"))
        wait_for(edition, lambda body: "brand-new benchmark" in body)

        note.write_text("---\nscan: 2501.00001\n---\nNo headline.\n")
        (site / "content/editions/<b>odd").mkdir()
        page = wait_for(edition, lambda body: "digest-problems" in body)
        soup = BeautifulSoup(page, "html.parser")
        overlay = soup.select_one("#digest-problems")
        assert overlay is not None
        text = overlay.get_text()
        assert f"{FIRST}/01-alpha.md:1: `headline`: required field is missing" in text
        assert "content/editions/<b>odd: an edition folder must be named by its date" in text
        assert overlay.find("b") is None  # the problem text is escaped, never markup
        assert "brand-new benchmark" in page  # the last good build is still served
        assert "digest-problems" in fetch(base)  # on every page
    finally:
        server.terminate()
        out, err = server.communicate(timeout=20)
    assert server.returncode == 0, err
    assert "Build failed after changes to" in err and "still serving the last good build" in err
    assert "Stopped serving" in out
    assert not built.exists()


def test_serve_rebuilds_only_what_an_edit_changes(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    options = pipeline.Options(site / "content", site / "scans", ROOT / "templates", site / "_site")
    with serve.Preview(options, 0) as preview:
        first = preview.rebuild()
        assert isinstance(first.site, pipeline.Site) and not first.site.kept, first.problems.errors
        note = site / FIRST / "01-alpha.md"
        note.write_text(note.read_text().replace("built a benchmark", "built a brand-new benchmark"))
        second = preview.rebuild([note])
        assert isinstance(second.site, pipeline.Site), second.problems.errors
        assert "editions/2026-01-15/index.html" in second.site.rendered and "papers/index.html" in second.site.kept
        assert "papers/index.html" not in second.site.rendered and "tags/index.html" not in second.site.rendered
        assert "brand-new benchmark" in (preview.folder / "site/editions/2026-01-15/index.html").read_text()
        third = preview.rebuild([note])  # saved again as it was
        assert isinstance(third.site, pipeline.Site) and third.site.rendered == [] and third.ready
        cli.report_attempt(third)
    assert "Nothing changed after changes to 01-alpha.md; serving the last build" in capsys.readouterr().out
    assert not preview.folder.exists()


def test_serve_drops_a_deleted_note_saved_with_an_edit_to_another(site: Path) -> None:
    options = pipeline.Options(site / "content", site / "scans", ROOT / "templates", site / "_site")
    with serve.Preview(options, 0) as preview:
        assert isinstance(preview.rebuild().site, pipeline.Site)
        edited, deleted = site / FIRST / "01-alpha.md", site / FIRST / "02-beta.md"
        edited.write_text(edited.read_text().replace("built a benchmark", "built a brand-new benchmark"))
        deleted.unlink()  # in one batch of changes from the watcher
        attempt = preview.rebuild(sorted([edited, deleted]))
        assert isinstance(attempt.site, pipeline.Site), attempt.problems.errors
        served = preview.folder / "site"
        assert "brand-new benchmark" in (served / "editions/2026-01-15/index.html").read_text()
        assert "A survey of field X" not in (served / "editions/2026-01-15/index.html").read_text()
        assert not (served / "papers/10.5555-beta.2025-9549f515").exists()


def test_a_failed_serve_rebuild_leaves_every_served_file_as_it_was(site: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    options = pipeline.Options(site / "content", site / "scans", templates, site / "_site")
    with serve.Preview(options, 0) as preview:
        assert isinstance(preview.rebuild().site, pipeline.Site)
        served = {p: p.read_bytes() for p in (preview.folder / "site").rglob("*") if p.is_file()}
        base, paper = templates / "base.html", templates / "paper.html"
        base.write_text(base.read_text().replace("</footer>", "<p>A new footer line</p></footer>"))  # every page changes
        paper.write_text(paper.read_text().replace("{% block main %}", "{% block main %}{{ no_such_value }}"))  # but paper pages fail
        attempt = preview.rebuild([base, paper])
        assert attempt.site is None and attempt.ready
        assert {p: p.read_bytes() for p in (preview.folder / "site").rglob("*") if p.is_file()} == served


# ---------------------------------------------------------------- email


def build_site(site: Path) -> tuple[pipeline.Site, dict[str, bytes]]:
    """The fixture site built into site/_site: what it made, and every file by path."""
    problems = Problems()
    built = pipeline.build(pipeline.Options(site / "content", site / "scans", ROOT / "templates", site / "_site"), problems)
    assert isinstance(built, pipeline.Site), problems.errors
    return built, tree(site / "_site")


def test_email_html_is_ready_for_a_newsletter_service(site: Path) -> None:
    built, files = build_site(site)
    assert "editions/2026-02-26/email.html" in files and "editions/2026-02-26/email.txt" in files
    soup = BeautifulSoup(files["editions/2026-01-15/email.html"].decode(), "html.parser")
    assert soup.find_all(["style", "script", "svg", "link"]) == []
    assert [tag.name for tag in soup.find_all(class_=True)] == []
    for tag in soup.find_all(href=True) + soup.find_all(src=True):
        url = tag.get("href") or tag.get("src")
        assert re.match(r"https?://", url), url
    text = soup.get_text(" ", strip=True)
    assert "Edition 1" in text and "15 January 2026" in text
    web = soup.find("a", string="Read on the web")
    assert web is not None and web["href"] == BASE + "editions/2026-01-15/"
    for headline in ("Alpha measures things better", "A survey of field X"):
        assert headline in text
    assert "Paper Alpha: Measuring Things" in text  # the citation
    assert "The authors of Paper Alpha built a benchmark." in text  # the editorial text
    assert "The scan: Empirical · 3 of 5 checks met · claims: 1 strong, 1 weak" in text  # the scan, in brief (test_subscribers.py)
    assert "email" not in files["sitemap.xml"].decode()
    assert not any("email" in page for page in built.pages)


def test_email_text_wraps_paragraphs_and_lists_links_at_the_end(site: Path) -> None:
    text = build_site(site)[1]["editions/2026-01-15/email.txt"].decode()
    body, _, links = text.partition("\nLinks:\n")
    references = dict(re.findall(r"^\[(\d+)\] (https?://\S+)$", links, re.MULTILINE))
    assert list(references) == [str(n) for n in range(1, len(references) + 1)]
    assert references["1"] == BASE + "editions/2026-01-15/"
    assert "Read on the web [1]" in body
    assert {int(n) for n in re.findall(r"\[(\d+)\]", body)} == set(range(1, len(references) + 1))
    assert "https://example.org/x" in references.values()
    for headline in ("Alpha measures things better", "A survey of field X"):
        assert f"{headline}\n{'-' * len(headline)}" in body
    assert all(len(line) <= 72 for line in body.splitlines()), body
    assert "<p>" not in body and "**" not in body


def test_scan_text_in_emails_is_escaped_html_and_literal_text(site: Path) -> None:
    scan = site / "scans/beta.json"
    title = 'Paper Beta: <script>alert(1)</script> & "R&D"'
    scan.write_text(scan.read_text().replace('"title": "Paper Beta: a survey"', json.dumps({"title": title})[1:-1], 1))
    files = build_site(site)[1]
    page = files["editions/2026-01-15/email.html"].decode()
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find("script") is None and title in soup.get_text()
    assert title in files["editions/2026-01-15/email.txt"].decode()


def test_email_html_has_no_classes_or_raw_html_even_where_the_site_allows_html(site: Path) -> None:
    settings = site / "content/site.yaml"
    settings.write_text(settings.read_text() + "allow_html: true\n")
    note = site / FIRST / "01-alpha.md"
    note.write_text(note.read_text() + '\n```python\nx = 1\n```\n\n<div class="box">boxed</div>\n')
    files = build_site(site)[1]
    web = BeautifulSoup(files["editions/2026-01-15/index.html"].decode(), "html.parser")
    assert web.select_one("code.language-python") is not None and web.select_one("div.box") is not None
    email = BeautifulSoup(files["editions/2026-01-15/email.html"].decode(), "html.parser")
    assert email.find_all(class_=True) == [] and "boxed" in email.get_text() and email.find("div", string="boxed") is None
    assert email.find("code") is not None and "x = 1" in email.get_text()
