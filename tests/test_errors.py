"""Broken input: every problem reported as path:line or path: $.json.path, exit 1, old output untouched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import feedparser
import pytest
from bs4 import BeautifulSoup

from digest.scanfiles import validate_scan

from conftest import readable, run_cli, tree

ALPHA = "content/editions/2026-01-15/01-alpha.md"
BETA_SCAN = "scans/beta.json"
BETA_NOTE = (
    "content/editions/2026-01-15/02-beta.md:3: `scan: 10.5555/Beta.2025` names scans/beta.json, which did not load (its problems are listed with it)"
)
BETA_UNREAD = "content/editions/2026-01-15/02-beta.md:3: `scan: 10.5555/Beta.2025` names no scan in the scans folder (scans/beta.json did not load)"

NO_QUERY = "must have no query (`?…`) or fragment (`#…`): every link in the site and the feeds is made by adding to it"

# One invalid variant of the fixture site per kind of error: the files written, and the exact lines expected.
BROKEN_SITES = {
    "missing scan": (
        {ALPHA: "---\nheadline: Alpha\ntags: [x]\nscan: 2501.00010\n---\nBody.\n"},
        [f"{ALPHA}:4: `scan: 2501.00010` names no scan in the scans folder; did you mean '2501.00001', '2502.00002'?"],
    ),
    "missing headline": (
        {ALPHA: "---\nscan: 2501.00001\n---\nBody.\n"},
        [f"{ALPHA}:1: `headline`: required field is missing"],
    ),
    "headline of the wrong type": (
        {ALPHA: "---\nscan: 2501.00001\nheadline: [a, list]\n---\nBody.\n"},
        [f"{ALPHA}:3: `headline`: input should be a valid string (found list)"],
    ),
    "front matter not YAML": (
        {ALPHA: "---\nheadline: Alpha\nscan: [2501.00001\n---\nBody.\n"},
        [f"{ALPHA}:4: front matter is not valid YAML: expected ',' or ']', but got '<stream end>'"],
    ),
    "no front matter": (
        {ALPHA: "Just a body.\n"},
        [f"{ALPHA}:1: no front matter: the file must start with a line `---`"],
    ),
    "note with neither scan nor paper": (
        {ALPHA: "---\nheadline: Alpha\n---\nBody.\n"},
        [f"{ALPHA}:1: a note needs `scan:` (a scan's paper id) or `paper:` with at least a `title:`"],
    ),
    "invalid JSON": (
        {BETA_SCAN: '{\n  "scan_version": 4,\n  "paper_type": "survey",,\n}\n'},
        [BETA_UNREAD, f"{BETA_SCAN}:3: invalid JSON: key must be a string (column 26)"],  # no id to read: only its name
    ),
    "scan field of the wrong type": (
        {BETA_SCAN: 'patch:scan_version="4"'},
        [BETA_NOTE, f"{BETA_SCAN}: $.scan_version: input should be a valid integer (found string)"],
    ),
    "scan boolean given as a string": (
        {BETA_SCAN: 'patch:checklist.claims_and_evidence.abstract_claims_supported.answer="yes"'},
        [
            BETA_NOTE,
            f"{BETA_SCAN}: $.checklist.claims_and_evidence.abstract_claims_supported.answer: input should be a valid boolean (found string)",
        ],
    ),
    "scan missing a required field": (
        {BETA_SCAN: "patch:paper.title=DELETE"},
        [BETA_NOTE, f"{BETA_SCAN}: $.paper.title: required field is missing"],
    ),
    "scan object of the wrong type": (
        {BETA_SCAN: 'patch:paper="Beta, a paper"'},
        [BETA_UNREAD, f"{BETA_SCAN}: $.paper: input should be an object (found string)"],
    ),
    "scan list holding null": (
        {BETA_SCAN: "patch:claims=[null]"},
        [BETA_NOTE, f"{BETA_SCAN}: $.claims[0]: input should be an object (found null)"],
    ),
    "edition folder not a date": (
        {"content/editions/first/index.md": "---\ntitle: x\n---\nIntro.\n"},
        ["content/editions/first: an edition folder must be named by its date, YYYY-MM-DD"],
    ),
    "site settings without a title": (
        {"content/site.yaml": "description: no title\nbase_url: https://x.example/\n"},
        ["content/site.yaml:1: `title`: required field is missing"],
    ),
    "relative base_url": (
        {"content/site.yaml": "title: T\nbase_url: /digest/\n"},
        ["content/site.yaml:2: `base_url`: must be an absolute http:// or https:// URL"],
    ),
    "base_url with a query": (
        {"content/site.yaml": "title: T\nbase_url: https://x.example/?utm=1\n"},
        ["content/site.yaml:2: `base_url`: " + NO_QUERY],
    ),
    "base_url with a fragment": (
        {"content/site.yaml": "title: T\nbase_url: 'https://x.example/#top'\n"},
        ["content/site.yaml:2: `base_url`: " + NO_QUERY],
    ),
    "base_url with a space": (
        {"content/site.yaml": "title: T\nbase_url: https://x.example/my digest/\n"},
        ["content/site.yaml:2: `base_url`: must not hold spaces or characters that cannot stand in a URL; percent-encode them"],
    ),
    "base_url with a port that is not one": (
        {"content/site.yaml": "title: T\nbase_url: https://x.example:99999/\n"},
        ["content/site.yaml:2: `base_url`: has a port that is not a number from 0 to 65535 ('x.example:99999')"],
    ),
    "empty site title": (
        {"content/site.yaml": 'title: ""\nbase_url: https://x.example/\n'},
        ["content/site.yaml:1: `title`: string should have at least 1 character"],
    ),
    "site title as binary": (
        {"content/site.yaml": "title: !!binary VGl0bGU=\nbase_url: https://x.example/\n"},
        ["content/site.yaml:1: `title`: input should be a valid string (found binary data (`!!binary`))"],
    ),
    "headline as binary": (
        {ALPHA: "---\nheadline: !!binary QWxwaGE=\nscan: 2501.00001\n---\nBody.\n"},
        [f"{ALPHA}:2: `headline`: input should be a valid string (found binary data (`!!binary`))"],
    ),
    "tag as binary": (
        {ALPHA: "---\nheadline: Alpha\nscan: 2501.00001\ntags: [ok, !!binary AAE=]\n---\nBody.\n"},
        [f"{ALPHA}:4: `tags.1`: input should be a valid string (found binary data (`!!binary`))"],
    ),
    "page named like the RSS feed": (
        {"content/pages/feed.xml.md": "---\ntitle: Feed\n---\nx\n"},
        ["content/pages/feed.xml.md: would be published at /feed.xml/index.html, but the site has a file at /feed.xml"],
    ),
    "page named like the home page": (
        {"content/pages/index.html.md": "---\ntitle: Home\n---\nx\n"},
        ["content/pages/index.html.md: would be published at /index.html/index.html, but the site has a file at /index.html"],
    ),
    "page named like the sitemap": (
        {"content/pages/sitemap.xml.md": "---\ntitle: Map\n---\nx\n"},
        ["content/pages/sitemap.xml.md: would be published at /sitemap.xml/index.html, but the site has a file at /sitemap.xml"],
    ),
    "page named like the style sheet": (
        {"content/pages/style.css.md": "---\ntitle: Style\n---\nx\n"},
        ["content/pages/style.css.md: would be published at /style.css/index.html, but the site has a file at /style.css"],
    ),
    "static file where the site has a folder": (
        {"content/static/papers": "a file"},
        ["content/static/papers: would be published at /papers, where the site has a folder (for /papers/index.html)"],
    ),
    "static file where the site has a page": (
        {"content/static/tags/index.html": "<p>mine</p>"},
        ["content/static/tags/index.html: would be published at /tags/index.html, which the site already has"],
    ),
    "scan whose id is index.html": (
        {"scans/index.html.json": "copy:scans/gamma.json", ALPHA: "---\nheadline: Alpha\nscan: index.html\n---\nBody.\n"},
        ["scans/index.html.json: would be published at /papers/index.html/index.html, but the site has a file at /papers/index.html"],
    ),
    "page that would replace a section": (
        {"content/pages/papers.md": "---\ntitle: Papers\n---\nx\n"},
        ["content/pages/papers.md: a page named 'papers' would replace the site's own /papers/"],
    ),
}


def apply(site: Path, files: dict[str, str]) -> None:
    """Write each broken file; `patch:a.b=VALUE` edits one field of a JSON file instead, `copy:PATH` copies a scan without its ids."""
    for relative, text in files.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("copy:"):
            data = json.loads((site / text.removeprefix("copy:")).read_text())
            data["paper"].update(arxiv_id=None, doi=None, title="A paper known by its file's name")
            text = json.dumps(data)
        elif text.startswith("patch:"):
            dotted, value = text.removeprefix("patch:").split("=", 1)
            data = json.loads(path.read_text())
            *parents, last = dotted.split(".")
            holder = data
            for key in parents:
                holder = holder[key]
            if value == "DELETE":
                del holder[last]
            else:
                holder[last] = json.loads(value)
            text = json.dumps(data, indent=2)
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("case", list(BROKEN_SITES))
def test_broken_site_reports_the_culprit_and_leaves_old_output(site: Path, case: str) -> None:
    assert run_cli(site).code == 0
    before = tree(site / "_site")
    files, expected = BROKEN_SITES[case]
    apply(site, files)
    result = run_cli(site)
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[:-1] == expected, result.err
    assert "Traceback" not in result.err
    assert tree(site / "_site") == before
    check = run_cli(site, "check")
    assert check.code == 1 and check.err.splitlines()[: len(expected)] == expected


def test_every_problem_is_reported_at_once(site: Path) -> None:
    for files, _ in (BROKEN_SITES["missing scan"], BROKEN_SITES["invalid JSON"], BROKEN_SITES["headline of the wrong type"]):
        apply(site, files)
    (site / "content/editions/2026-02-26/02-alpha-again.md").write_text("---\nheadline: x\nscan: nope\n---\n")
    result = run_cli(site)
    assert result.code == 1
    paths = [line.split(":")[0] for line in result.err.splitlines()[:-1]]
    assert paths == [
        "content/editions/2026-01-15/01-alpha.md",
        "content/editions/2026-01-15/02-beta.md",
        "content/editions/2026-02-26/02-alpha-again.md",
        BETA_SCAN,
    ]


HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)> & \x0b\ufffe javascript:alert(3)'


def test_hostile_scan_text_stays_text(site: Path) -> None:
    scan = json.loads((site / BETA_SCAN).read_text())
    scan["paper"]["title"] = HOSTILE
    scan["paper"]["authors"] = [HOSTILE]
    scan["paper"]["venue"] = "javascript:alert(4)"
    scan["paper"]["url"] = "javascript:alert(5)"  # an unknown field: kept, never linked
    scan["key_findings"] = HOSTILE + "]]>"
    scan["claims"][0]["claim"] = HOSTILE
    scan["claims"][0]["supported"] = '"><script>x</script>'
    scan["red_flags"] = [{"flag": HOSTILE, "detail": "[click](javascript:alert(6))"}]
    scan["cited_papers"] = [{"title": HOSTILE, "relevance": "<a href='javascript:alert(7)'>x</a>"}]
    scan["checklist"]["claims_and_evidence"]["abstract_claims_supported"]["justification"] = HOSTILE
    scan["engagement_factors"] = {"<b>evil</b>": {"score": 3, "justification": HOSTILE}}
    scan["hn_data"]["threads"] = [{"id": 1, "title": HOSTILE, "points": 1, "num_comments": 1, "url": "javascript:alert(8)"}]
    (site / BETA_SCAN).write_text(json.dumps(scan), encoding="utf-8")
    result = run_cli(site)
    assert result.code == 0, result.err
    out = site / "_site"
    for path in out.rglob("*.html"):
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")
        scripts = page.find_all("script")
        if path.parent.name == "search":  # Pagefind's UI and the site's own script, from files the build copies
            assert [(s.get("src"), s.get_text()) for s in scripts] == [("../pagefind/pagefind-ui.js", ""), ("../search.js", "")], path
        else:
            assert [s.get("type") for s in scripts] in ([], ["application/ld+json"]), path  # JSON-LD is data, never run
        assert not page.find_all("img"), path
        assert not page.find_all("b"), path
        for tag in page.find_all(True):
            assert not any(attr.startswith("on") for attr in tag.attrs), (path, tag)
            for attr in ("href", "src"):
                assert not str(tag.get(attr, "")).lower().startswith("javascript"), (path, tag)
        assert "\x0b" not in page.get_text() and "\ufffe" not in page.get_text()
    paper = BeautifulSoup((out / "papers/10.5555-beta.2025-9549f515/index.html").read_text(), "html5lib")
    assert HOSTILE.replace("\x0b", "").replace("\ufffe", "") in paper.select_one("cite").get_text()
    for name in ("feed.xml", "atom.xml"):
        feed = feedparser.parse((out / name).read_bytes())
        assert not feed.bozo, feed.get("bozo_exception")
        for entry in feed.entries:
            content = BeautifulSoup(entry.content[0].value, "html.parser")
            assert not content.find_all(["script", "img", "b"])


@pytest.mark.parametrize("out", [".", "content", "content/out", "scans", "/", "~"])
def test_dangerous_output_folders_are_refused_before_anything_is_touched(site: Path, out: str) -> None:
    before = tree(site)
    result = run_cli(site, "--out", str(Path(out).expanduser()))
    assert result.code == 2
    assert "refusing" in result.err
    assert tree(site) == before


def test_a_folder_not_made_by_digest_is_not_replaced(site: Path) -> None:
    mine = site / "docs"
    mine.mkdir()
    (mine / "notes.txt").write_text("my own file")
    result = run_cli(site, "--out", "docs")
    assert result.code == 2 and "not made by digest" in result.err
    assert (mine / "notes.txt").read_text() == "my own file"


def test_oversized_scan_is_refused(site: Path) -> None:
    (site / "content/site.yaml").write_text((site / "content/site.yaml").read_text() + "max_scan_bytes: 1000\n")
    result = run_cli(site)
    assert result.code == 1
    assert "scans/paper-a/scan-v4.json: scan is" in result.err and "over the limit of 1,000" in result.err


def test_symlink_out_of_the_scans_folder_is_refused(site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text((site / BETA_SCAN).read_text())
    (site / "scans/link.json").symlink_to(outside)
    result = run_cli(site)
    assert result.code == 1
    assert result.err.startswith("scans/link.json: is a symbolic link to")


def test_control_characters_in_a_note_are_dropped_with_a_warning_at_their_line(site: Path) -> None:
    note = site / ALPHA
    text = note.read_text(encoding="utf-8") + "A bell\a rings.\n"
    note.write_text(text, encoding="utf-8")
    result = run_cli(site)
    assert result.code == 0, result.err
    line = text.count("\n")
    assert f"{ALPHA}:{line}: warning: dropped control or non-character code points (the first is U+0007)" in result.err
    page = (site / "_site/editions/2026-01-15/index.html").read_text(encoding="utf-8")
    assert "A bell rings." in page and "\a" not in page


def test_null_in_a_scan_means_the_fields_default_also_where_text_is_cleaned(site: Path) -> None:
    data = json.loads((site / BETA_SCAN).read_text())
    group, checks = next(iter(data["checklist"].items()))
    item = next(iter(checks))
    without = json.loads(json.dumps(data))

    def optional_fields(scan: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
        return [
            (scan["checklist"][group][item], "justification"),
            (scan["paper"], "authors"),
            (scan, "red_flags"),
            (scan, "claims"),
            (scan, "hn_data"),
            (scan, "key_findings"),
        ]

    for (holder, key), (absent, _) in zip(optional_fields(data), optional_fields(without), strict=True):
        holder[key] = None
        del absent[key]
    expected = validate_scan(json.dumps(without).encode(), [])
    assert expected.checklist[group][item].justification == "" and expected.claims == [] and expected.paper.authors == []
    dropped: list[int] = []
    assert validate_scan(json.dumps(data).encode(), dropped) == expected and dropped == []
    data["paper_type"] += "\u0007"  # a control character: the scan is cleaned first, another way of reading it
    assert validate_scan(json.dumps(data).encode(), dropped) == expected and dropped == [1]


def test_a_character_reference_to_a_control_code_point_is_dropped_with_a_warning(site: Path) -> None:
    note = site / ALPHA
    text = note.read_text(encoding="utf-8") + "A&#12;B and A&#x0C;B.\n"
    note.write_text(text, encoding="utf-8")
    result = run_cli(site)
    assert result.code == 0, result.err
    assert f"{ALPHA}:{text.count(chr(10))}: warning: dropped a character reference to a control code point" in result.err
    for path, data in readable(site / "_site").items():
        assert b"\x0c" not in data, path
    assert "AB and AB." in (site / "_site/editions/2026-01-15/index.html").read_text(encoding="utf-8")
    for name in ("feed.xml", "atom.xml"):
        assert not feedparser.parse((site / "_site" / name).read_bytes()).bozo


def test_a_note_saved_with_a_byte_order_mark_is_read(site: Path) -> None:
    note = site / ALPHA
    note.write_bytes(b"\xef\xbb\xbf" + note.read_bytes())
    settings = site / "content/site.yaml"
    settings.write_bytes(b"\xef\xbb\xbf" + settings.read_bytes())
    result = run_cli(site)
    assert result.code == 0, result.err
    assert "Alpha measures things better" in (site / "_site/editions/2026-01-15/index.html").read_text(encoding="utf-8")


def test_an_id_in_lookalike_digits_is_no_arxiv_id(site: Path) -> None:
    scan = json.loads((site / BETA_SCAN).read_text())
    scan["paper"].update(arxiv_id="２５０１.０００９９", doi=None)  # fullwidth digits: not the arXiv id 2501.00099
    (site / BETA_SCAN).write_text(json.dumps(scan), encoding="utf-8")
    note = site / "content/editions/2026-01-15/02-beta.md"
    note.write_text(note.read_text(encoding="utf-8").replace("scan: 10.5555/Beta.2025", "scan: ２５０１.０００９９"), encoding="utf-8")
    result = run_cli(site)
    assert result.code == 0, result.err
    for path in (site / "_site").rglob("*.html"):
        page = path.read_text(encoding="utf-8")
        assert "arxiv.org/abs/２" not in page and 'name="citation_arxiv_id" content="２' not in page, path
    pages = [p for p in (site / "_site/papers").glob("*/index.html") if "２５０１" in p.read_text(encoding="utf-8")]
    assert pages and all(p.parent.name.isascii() for p in pages)


@pytest.mark.parametrize(("out", "cache"), [("_site", "_site/.cache"), ("_site", "_site"), ("_site/out", "_site"), ("_site", "content/.cache")])
def test_a_cache_in_the_output_or_an_input_is_refused(site: Path, out: str, cache: str) -> None:
    before = tree(site)
    result = run_cli(site, "--out", out, "--cache", cache)
    assert result.code == 2 and f"refusing to keep the cache in {cache}" in result.err, result.err
    assert tree(site) == before


def test_urls_in_scan_text_are_no_links_in_the_emails(site: Path) -> None:
    scan = json.loads((site / BETA_SCAN).read_text())
    scan["paper"]["title"] = "Win a prize at http://evil.example/claim or www.evil.example today"
    scan["paper"]["venue"] = "evil.example"
    (site / BETA_SCAN).write_text(json.dumps(scan), encoding="utf-8")
    assert run_cli(site).code == 0
    for name in ("email.txt", "email.html"):
        text = (site / "_site/editions/2026-01-15" / name).read_text(encoding="utf-8")
        assert "Win a prize at" in text
        assert "http://evil" not in text and "www.evil.example" not in text and " evil.example" not in text, name
    email = BeautifulSoup((site / "_site/editions/2026-01-15/email.html").read_text(encoding="utf-8"), "html.parser")
    assert not [a for a in email.find_all("a") if "evil" in a.get("href", "")]


def test_hidden_folders_are_left_out_as_hidden_files_are(site: Path) -> None:
    hidden = site / "content/static/.digest-site"  # the name of the marker digest puts in the sites it makes
    hidden.mkdir(parents=True)
    (hidden / "x.txt").write_text("an editor's or a tool's own file")
    (site / "content/static/.git").mkdir()
    (site / "content/static/.git/HEAD").write_text("ref: refs/heads/main")
    result = run_cli(site)
    assert result.code == 0, result.err
    assert not (site / "_site/.git").exists() and (site / "_site/.digest-site").is_file()
