"""Hostile names, collisions, links, size limits, interrupted builds, and the code's own hygiene."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest import render
from digest.problems import Problems

from conftest import ROOT, leftovers, run_cli, tree

EDITION = "content/editions/2026-01-15"
NASTY_IDS = [
    "../../../etc/passwd",
    "/absolute/path",
    "%2e%2e%2f%2e%2e",
    "a\x00b",
    "x" * 400,
    "CaseOnly",
    "caseonly",
    "10.1000/../../escape",
    "..",
    ".",
    "con",
]


def add_scan(site: Path, stem: str, arxiv_id: str | None, title: str) -> None:
    """A scan copied from beta.json with another id and title."""
    data = json.loads((site / "scans/beta.json").read_text())
    data["paper"].update(arxiv_id=arxiv_id, doi=None, title=title)
    (site / "scans" / f"{stem}.json").write_text(json.dumps(data))


def add_note(site: Path, name: str, scan: str) -> None:
    """A note in the first edition covering the scan with id `scan`."""
    (site / EDITION / f"{name}.md").write_text(
        f"---\nheadline: About {name}\nscan: {json.dumps(scan)}\ntags: [{json.dumps(scan)}]\n---\n**What happened:** x\n"
    )


def test_hostile_ids_and_tags_map_to_distinct_safe_paths_inside_the_output(site: Path) -> None:
    for number, nasty in enumerate(NASTY_IDS):
        add_scan(site, f"nasty{number}", nasty, f"Nasty paper {number}")
        add_note(site, f"10-nasty{number}", nasty)
    result = run_cli(site)
    assert result.code == 0, result.err
    out = (site / "_site").resolve()
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out)
        assert len(path.name) < 100
    paper_pages = {p.parent.name for p in (out / "papers").glob("*/index.html")}
    tag_pages = {p.parent.name for p in (out / "tags").glob("*/index.html")}
    assert len(paper_pages) == 3 + len(NASTY_IDS)  # every hostile id its own page
    assert len({name.lower() for name in paper_pages}) == len(paper_pages)  # distinct even on a case-blind disk
    assert len(tag_pages) >= len(NASTY_IDS) - 2  # CaseOnly/caseonly and ./.. may share a readable tag
    assert not (site / "etc").exists() and not Path("/absolute/path").exists()
    again = tree(out)
    assert run_cli(site).code == 0 and tree(out) == again  # stable


def test_two_papers_on_one_url_are_a_collision_naming_both_files(site: Path) -> None:
    add_scan(site, "working-paper", None, "A scan whose id is its file stem")
    add_note(site, "10-scan", "working-paper")
    (site / EDITION / "11-report.md").write_text("---\nheadline: A report\npaper: {title: Working Paper}\n---\n**What happened:** x\n")
    result = run_cli(site)
    assert result.code == 1
    assert "would be published at /papers/working-paper/, which scans/working-paper.json already uses" in result.err
    assert result.err.startswith(f"{EDITION}/11-report.md: ")


def test_symlink_out_of_content_is_refused(site: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\nnot for the site\n")
    (site / "content/pages/secret.md").symlink_to(secret)
    result = run_cli(site)
    assert result.code == 1
    assert result.err.startswith("content/pages/secret.md: is a symbolic link to")


def test_absurdly_nested_scan_is_rejected_with_a_message(site: Path) -> None:
    data = json.loads((site / "scans/beta.json").read_text())
    text = json.dumps(data)[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}"
    (site / "scans/beta.json").write_text(text)
    result = run_cli(site)
    assert result.code == 1
    assert "scans/beta.json:1: invalid JSON: recursion limit exceeded" in result.err
    assert "Traceback" not in result.err


LAUGHS = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else 'x'] * 10)}]\n" for i in range(6))


@pytest.mark.parametrize(
    "front",
    [
        "d: " + "[" * 65_000 + "]" * 65_000,  # crashed libyaml
        "d:\n  " + "- " * 60_000 + "x",  # the same, in block style
        "d: " + "[" * 5_000 + "]" * 5_000,  # refused by our limit, or by libyaml itself from PyYAML 6.0.4
        "loop: &loop [*loop]",  # a list that contains itself
        LAUGHS,  # six lines that expand to a million values
    ],
)
def test_front_matter_nested_absurdly_is_rejected_with_a_message(site: Path, front: str) -> None:
    (site / EDITION / "01-alpha.md").write_text(f"---\nheadline: Deep\nscan: 2501.00001\n{front}\n---\nBody.\n")
    result = run_cli(site)
    assert result.code == 1, result.err
    problems = [line for line in result.err.splitlines() if line.startswith(f"{EDITION}/01-alpha.md:2: front matter ")]
    assert len(problems) == 1 and "nested" in problems[0], result.err  # refused at its line, whichever of PyYAML or digest says so
    assert "Traceback" not in result.err


def test_settings_with_an_alias_loop_are_rejected_with_a_message(site: Path) -> None:
    settings = site / "content" / "site.yaml"
    settings.write_text(settings.read_text() + "loop: &loop [*loop]\n")
    result = run_cli(site)
    assert result.code == 1, result.err
    assert "content/site.yaml:1: is nested more than 64 levels deep" in result.err
    assert "Traceback" not in result.err


def test_oversized_markdown_is_rejected_before_rendering(site: Path) -> None:
    table = "|" + "a|" * 500 + "\n|" + "-|" * 500 + "\n" + ("|" + "x|" * 500 + "\n") * 200
    (site / EDITION / "01-alpha.md").write_text("---\nheadline: Big\nscan: 2501.00001\n---\n" + table)
    result = run_cli(site)
    assert result.code == 1
    assert re.search(rf"{EDITION}/01-alpha.md: is [\d,]+ bytes, over the limit of 131,072 for a Markdown file", result.err)


def test_pathological_markdown_within_the_limit_renders(site: Path) -> None:
    body = "[" * 30_000 + "a" + "]" * 30_000 + "\n\n" + "*a **a " * 8_000 + "\n\n" + "> " * 5_000 + "x\n"
    (site / EDITION / "01-alpha.md").write_text("---\nheadline: Odd\nscan: 2501.00001\n---\n" + body)
    result = run_cli(site)
    assert result.code == 0, result.err


def big_site(site: Path, notes: int) -> None:
    """Add enough notes that a build takes a noticeable time."""
    for number in range(notes):
        add_scan(site, f"bulk{number}", f"2601.{number:05d}", f"Bulk paper {number}")
        (site / EDITION / f"50-bulk{number}.md").write_text(
            f"---\nheadline: Bulk {number}\nscan: '2601.{number:05d}'\ntags: [bulk{number % 7}]\n---\n" + "**What happened:** words. " * 40 + "\n"
        )


def test_a_build_killed_at_any_moment_leaves_the_old_or_the_new_site(site: Path) -> None:
    big_site(site, 150)
    assert run_cli(site).code == 0
    old = tree(site / "_site")
    settings = site / "content/site.yaml"
    settings.write_text(settings.read_text().replace("Fixture Digest", "Renamed Digest"))
    assert run_cli(site, "--out", "_new").code == 0
    new = tree(site / "_new")
    started = time.perf_counter()
    assert run_cli(site, "--out", "_timing").code == 0
    duration = time.perf_counter() - started
    rng = random.Random(4)
    killed = 0
    for _ in range(8):
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "--templates", str(ROOT / "templates")],
            cwd=site,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, duration * 1.1))
        process.kill()
        if process.wait() == -signal.SIGKILL:
            killed += 1
        now = tree(site / "_site")
        assert now in (old, new), "the output folder is neither the old nor the new site"
        if now == new:
            old = new  # once the new site is in place, a later kill must leave it there
    assert killed >= 4, "most runs should be killed mid-build"
    assert run_cli(site).code == 0  # the next build clears what the killed ones left beside the site
    assert leftovers(site) == []


def test_every_template_is_rendered_with_autoescape_on() -> None:
    problems = Problems()
    templates = render.Templates.read(ROOT / "templates", problems)
    env = render.environment(templates)
    assert env.autoescape is True and problems.items == []
    names = dict(templates.sources)
    assert "paper.html" in names and "static/style.css" not in names
    for name, source in templates.sources:
        assert "autoescape false" not in source.replace(" ", " ").lower(), name
        assert "|safe" not in source.replace(" ", "") and "Markup(" not in source, name


def test_yaml_is_only_ever_loaded_safely() -> None:
    unsafe = re.compile(r"yaml\.(load|load_all|unsafe_load|full_load|Loader|FullLoader|UnsafeLoader|Unsafe\w*)\b")
    for path in (ROOT / "digest").glob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            assert not unsafe.search(line), f"{path.name}:{number}: {line.strip()}"


def test_security_minimums_are_pinned() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"jinja2>=3.1.6"' in pyproject
    assert re.search(r'"markdown-it-py>=(2\.[2-9]|[3-9])', pyproject)
