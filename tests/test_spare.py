"""The spare: cached builds make the new site out of the one before the last, kept in the cache, and nothing leaks from it."""

from __future__ import annotations

import itertools
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_hardening import big_site
from test_incremental import Editor, clean, incremental, inode, layout, project, spare_of

from digest import cache, pipeline, write
from digest.problems import Problems

from conftest import ROOT, leftovers


def built(site: Path) -> pipeline.Site:
    """A cached build into _site that must write."""
    result, problems = incremental(site)
    assert isinstance(result, pipeline.Site), problems.errors
    return result


def note(site: Path, index: int = 0) -> Path:
    """One of the project's notes."""
    return sorted((site / "content" / "editions").glob("*/0*.md"))[index]


def append(path: Path, text: str) -> None:
    """Add text to the end of a file."""
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def with_spare(tmp_path: Path) -> Path:
    """A project built twice, so that its first site is now the spare."""
    site = project(tmp_path)
    built(site)
    append(note(site, -1), "\nA sentence for the second build (in the latest edition).\n")
    built(site)
    assert spare_of(site).is_dir()
    return site


def matches_clean(site: Path) -> None:
    """The cached output is, file for file and folder for folder, what a clean build writes."""
    reference, problems = clean(site)
    assert reference is not None, problems.errors
    assert layout(site / "_site") == layout(site / "_clean")


def edition_page(which: Path) -> str:
    """The output path of the edition page that shows a note."""
    return f"editions/{which.parent.name}/index.html"


def test_files_and_folders_added_to_the_spare_never_reach_the_output(tmp_path: Path) -> None:
    site = with_spare(tmp_path)
    spare = spare_of(site)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.html").write_text("not for the site")
    (spare / "extra.html").write_text("junk")
    (spare / "papers" / "ghost").mkdir(parents=True)
    (spare / "papers" / "ghost" / "index.html").write_text("a page no build made")
    (spare / "empty" / "deeper").mkdir(parents=True)
    (spare / "linked").symlink_to(outside)
    (spare / "404.html.abc.partial").write_text("what an interrupted build might leave")
    append(note(site), "\nOne more sentence.\n")
    built(site)
    matches_clean(site)
    assert (outside / "secret.html").read_text() == "not for the site"


def test_a_file_replaced_in_the_spare_never_reaches_the_output(tmp_path: Path) -> None:
    site = with_spare(tmp_path)
    page = spare_of(site) / "404.html"  # unchanged by note edits: the spare and the live site share it
    assert page.stat().st_ino == (site / "_site" / "404.html").stat().st_ino
    page.unlink()
    page.write_text("tampered")
    append(note(site), "\nOne more sentence.\n")
    built(site)
    matches_clean(site)


def test_a_file_changed_in_the_spare_is_not_kept_by_its_key(tmp_path: Path) -> None:
    site = project(tmp_path)
    built(site)
    edited = note(site)
    original = edited.read_text(encoding="utf-8")
    append(edited, "\nA sentence to take back.\n")
    built(site)
    page = spare_of(site) / edition_page(edited)  # the first build's page, which the second replaced
    assert page.stat().st_ino != (site / "_site" / edition_page(edited)).stat().st_ino
    with open(page, "r+b") as handle:  # written into, not replaced
        handle.write(b"tampered")
    edited.write_text(original, encoding="utf-8")  # back to the first build's inputs: the spare's key matches again
    built(site)
    matches_clean(site)


@pytest.mark.parametrize("replacement", ["copy", "link", "file", "missing"])
def test_a_replaced_spare_folder_is_deleted_not_used(tmp_path: Path, replacement: str) -> None:
    site = with_spare(tmp_path)
    spare = spare_of(site)
    outside = tmp_path / "outside"
    shutil.copytree(spare, outside)
    (outside / "extra.html").write_text("junk")
    shutil.rmtree(spare)
    if replacement == "copy":
        shutil.copytree(outside, spare)
    elif replacement == "link":
        spare.symlink_to(outside)
    elif replacement == "file":
        spare.write_text("not a folder")
    old = inode(site / "_site")
    append(note(site), "\nOne more sentence.\n")
    built(site)
    matches_clean(site)
    assert (outside / "extra.html").read_text() == "junk", "a link in the spare's place was followed"
    assert inode(spare) == old and not spare.is_symlink(), "the replaced site was not kept as the spare"


@pytest.mark.parametrize("damage", ["empty", "garbage", "half", "a byte flipped", "a folder"])
def test_a_damaged_manifest_means_a_full_build(tmp_path: Path, damage: str) -> None:
    site = with_spare(tmp_path)
    manifest = spare_of(site).parent / cache.MANIFEST
    data = manifest.read_bytes()
    manifest.unlink()
    if damage == "a folder":
        manifest.mkdir()
    else:
        middle = len(data) // 2
        manifest.write_bytes(
            {
                "empty": b"",
                "garbage": b"\x00\xff{not json",
                "half": data[:middle],
                "a byte flipped": data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :],
            }[damage]
        )
    append(note(site), "\nOne more sentence.\n")
    result = built(site)
    matches_clean(site)
    assert "404.html" in result.rendered and not result.kept  # nothing is known of the last build: every output is rendered


def test_live_files_are_never_written_into(tmp_path: Path) -> None:
    site = with_spare(tmp_path)
    edited = note(site)
    path = edition_page(edited)
    live = site / "_site" / path
    assert live.stat().st_ino == (spare_of(site) / path).stat().st_ino  # unchanged by the last build: shared with the spare
    keep = tmp_path / "kept-link"
    os.link(live, keep)
    original = keep.read_bytes()
    old_site = layout(site / "_site")
    for step in range(3):
        append(edited, f"\nSentence {step}.\n")
        built(site)
        assert keep.read_bytes() == original, f"build {step}: a file of the old site was written into"
        assert (site / "_site" / path).read_bytes() != original
        if step == 0:
            assert (spare_of(site) / path).stat().st_ino == keep.stat().st_ino
            assert layout(spare_of(site)) == old_site, "the old site changed while it was replaced"
        matches_clean(site)


def test_a_site_the_cache_did_not_make_becomes_a_spare_with_every_file_replaced(tmp_path: Path) -> None:
    site = project(tmp_path)
    problems = Problems()
    assert pipeline.build(pipeline.Options(site / "content", site / "scans", site / "templates", site / "_site"), problems), problems.errors
    unknown = inode(site / "_site")  # made without the cache
    append(note(site, 1), "\nA sentence written hand in hand with the first cached build.\n")
    built(site)
    assert inode(spare_of(site)) == unknown, "the site the cache did not know was not kept"
    for page in spare_of(site).rglob("*.html"):  # none of its files is the live site's: they may hold anything
        append(page, "<!-- from a site the cache did not make -->")
    append(note(site), "\nA sentence for the first edit.\n")
    built(site)
    assert inode(site / "_site") == unknown, "the spare was not made into the new site"
    matches_clean(site)


def test_the_two_rename_fallback_updates_the_spare_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "exchange", lambda a, b: False)
    site = project(tmp_path)
    editor = Editor(site, random.Random(5))
    built(site)
    used = 0
    for _ in range(8):
        append(note(site, editor.rng.randrange(3)), f"\nSentence {editor.fresh()}.\n")
        spare_before = inode(spare_of(site))
        built(site)
        used += spare_before is not None and inode(site / "_site") == spare_before
        matches_clean(site)
        assert leftovers(site) == []
    assert used >= 6


def test_a_cache_on_another_file_system_keeps_no_spare(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK) or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another file system")
    elsewhere = Path(tempfile.mkdtemp(dir=shm))
    try:
        site = project(tmp_path)
        for step in range(3):
            append(note(site), f"\nSentence {step}.\n")
            problems = Problems()
            options = pipeline.Options(site / "content", site / "scans", site / "templates", site / "_site", cache=elsewhere)
            found = cache.Cache.of(elsewhere, options.out, options.text(), options.inputs)
            assert isinstance(pipeline.build(options, problems, found), pipeline.Site), problems.errors
            matches_clean(site)
        assert not list(elsewhere.glob("*/spare"))
    finally:
        shutil.rmtree(elsewhere)


def killed_at(site: Path, limit: int) -> bool:
    """Run a cached build in a child process that kills itself at its limit-th change of the file system; True if it did."""
    pid = os.fork()
    if pid == 0:  # the child
        try:
            calls = itertools.count(1)

            def counted(call: Callable[..., object]) -> Callable[..., object]:
                def change(*args: object, **kwargs: object) -> object:
                    if next(calls) == limit:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return call(*args, **kwargs)

                return change

            for name in ("replace", "rename", "link", "unlink", "mkdir", "rmdir"):
                setattr(os, name, counted(getattr(os, name)))
            incremental(site)
        finally:
            os._exit(0)
    return os.waitpid(pid, 0)[1] == signal.SIGKILL


def test_a_build_killed_at_each_step_of_updating_the_spare_leaves_the_old_or_the_new_site(tmp_path: Path) -> None:
    site = with_spare(tmp_path)
    old = layout(site / "_site")
    for limit in range(1, 100):
        append(note(site), f"\nSentence {limit}.\n")
        reference, problems = clean(site)
        assert reference is not None, problems.errors
        new = layout(site / "_clean")
        if not killed_at(site, limit):  # the build made fewer changes: it completed
            assert layout(site / "_site") == new
            break
        assert layout(site / "_site") in (old, new), f"killed at change {limit}: the output folder is neither the old nor the new site"
        result, problems = incremental(site)  # killed after recording its site, the build left nothing to do
        assert isinstance(result, (pipeline.Site, pipeline.Unchanged)), problems.errors
        assert layout(site / "_site") == new, f"killed at change {limit}: the next build is wrong"
        old = new
    assert limit > 10, "the builds made fewer changes to the file system than expected"


def cli(site: Path, *args: str) -> subprocess.Popen[bytes]:
    """Start a build of the site with its own templates, as a user would."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "--templates", "templates", *args], cwd=site, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def edit(site: Path, rng: random.Random, number: int) -> None:
    """A random edit: a note body (few files change), the style sheet, the site title or a template (every page changes)."""
    kind = rng.choice(["note", "note", "style", "title", "template"])
    if kind == "note":
        append(rng.choice(sorted((site / "content" / "editions").glob("*/50-bulk*.md"))), f"\nSentence {number}.\n")
    elif kind == "style":
        append(site / "templates" / "static" / "style.css", f"\n/* {number} */\n")
    elif kind == "title":
        settings = site / "content" / "site.yaml"
        settings.write_text(settings.read_text().replace("title: ", f"title: {number} ", 1))
    else:
        append(site / "templates" / "base.html", f"\n<!-- {number} -->\n")


def test_cached_builds_killed_at_any_moment_leave_the_old_or_the_new_site(site: Path) -> None:
    shutil.copytree(ROOT / "templates", site / "templates")
    big_site(site, 150)
    for _ in range(2):  # the second build keeps the first site as the spare
        append(site / "templates" / "static" / "style.css", "\n/* again */\n")
        assert cli(site).wait() == 0
    assert spare_of(site).is_dir()
    old = layout(site / "_site")
    rng = random.Random(11)
    killed = 0
    for number in range(6):
        edit(site, rng, number)
        started = time.perf_counter()
        assert cli(site, "--no-cache", "--out", "_new").wait() == 0
        duration = time.perf_counter() - started
        new = layout(site / "_new")
        process = cli(site)
        time.sleep(rng.uniform(0.2, 1.1) * duration)  # mostly late, when it writes
        process.kill()
        killed += process.wait() == -signal.SIGKILL
        assert layout(site / "_site") in (old, new), f"round {number}: the output folder is neither the old nor the new site"
        assert cli(site).wait() == 0
        assert layout(site / "_site") == new, f"round {number}: the build after a killed one is wrong"
        assert leftovers(site) == []
        old = new
    assert killed >= 3, "most runs should be killed mid-build"
    assert spare_of(site).is_dir()
