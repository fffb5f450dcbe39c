"""Nothing is lost to builds at once, edits while a build reads, a damaged cache or a full disk.

The stress tests run a few rounds by default; DIGEST_STRESS_ROUNDS=N runs N (as the fuzzing profile runs longer).
"""

from __future__ import annotations

import errno
import os
import random
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from test_hardening import big_site
from test_incremental import clean, command, layout, project, spare_of

from digest import cache

from conftest import ROOT, leftovers

ROUNDS = int(os.environ.get("DIGEST_STRESS_ROUNDS", "3"))


def build_process(site: Path, *args: str) -> subprocess.Popen[bytes]:
    """`python build.py` on the project, as a user starts it."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "--templates", "templates", *args], cwd=site, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def matches_clean(site: Path, what: str) -> None:
    """The published site is, file for file, what a clean build makes, and nothing was left beside it."""
    reference, problems = clean(site)
    assert reference is not None, problems.errors
    assert layout(site / "_site") == layout(site / "_clean"), what
    assert leftovers(site) == [], what


def append(path: Path, text: str) -> None:
    """Add text to the end of a file."""
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_builds_at_once_publish_one_whole_site_and_kills_leave_old_or_new(tmp_path: Path) -> None:
    site = project(tmp_path)
    notes = sorted((site / "content" / "editions").glob("*/0*.md"))
    rng = random.Random(18)
    assert build_process(site).wait() == 0
    for number in range(ROUNDS):
        append(rng.choice(notes), f"\nSentence {number}, saved twice at once.\n")
        first, second = build_process(site), build_process(site)  # a save hook firing twice, or serve and a build
        assert first.wait() == 0 and second.wait() == 0, (first.stderr and first.stderr.read(), second.stderr and second.stderr.read())
        matches_clean(site, f"round {number}: two builds at once")
        append(rng.choice(notes), f"\nSentence {number}, then a build killed.\n")
        started = time.perf_counter()
        assert build_process(site, "--no-cache", "--out", "_timing").wait() == 0
        duration = time.perf_counter() - started
        old = layout(site / "_site")
        victim, rival = build_process(site), build_process(site)
        time.sleep(rng.uniform(0.0, 1.2) * duration)
        victim.kill()
        assert rival.wait() == 0, rival.stderr and rival.stderr.read()
        victim.wait()
        now = layout(site / "_site")
        reference, problems = clean(site)
        assert reference is not None, problems.errors
        assert now in (old, layout(site / "_clean")), f"round {number}: the site is neither the old nor the new one"
        assert build_process(site).wait() == 0
        matches_clean(site, f"round {number}: the build after a killed one")


def test_cached_builds_killed_at_any_moment_leave_the_old_or_the_new_site_and_the_next_one_right(site: Path) -> None:
    (site / "templates").symlink_to(ROOT / "templates")
    big_site(site, 150)
    rng = random.Random(7)
    notes = sorted((site / "content" / "editions").glob("*/50-bulk*.md"))
    assert build_process(site).wait() == 0
    for number in range(ROUNDS):
        old = layout(site / "_site")
        append(rng.choice(notes), f"\nSentence {number}.\n")
        started = time.perf_counter()
        assert build_process(site, "--no-cache", "--out", "_new").wait() == 0
        duration, new = time.perf_counter() - started, layout(site / "_new")
        process = build_process(site)
        time.sleep(rng.uniform(0.1, 1.2) * duration)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert layout(site / "_site") in (old, new), f"round {number}: the output folder is neither the old nor the new site"
        assert build_process(site).wait() == 0
        assert layout(site / "_site") == new, f"round {number}: the build after a killed one is wrong"


def test_an_edit_while_a_build_reads_never_sticks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = project(tmp_path)
    note = sorted((site / "content" / "editions").glob("*/0*.md"))[-1]
    original = note.read_text(encoding="utf-8")
    assert command(site)[0] == 0
    looked = cache.stats

    def edited_after_looking(roots: list[Path]) -> dict[str, list[int]]:
        found = looked(roots)
        note.write_text(original + "\nWritten while the build was running, then taken back.\n", encoding="utf-8")
        return found

    monkeypatch.setattr(cache, "stats", edited_after_looking)  # the editor saves after the build looked at the files, before it read them
    assert command(site)[0] == 0
    monkeypatch.undo()
    note.write_text(original, encoding="utf-8")  # and undoes it
    code, out, _ = command(site)
    assert code == 0 and "Nothing changed" not in out
    matches_clean(site, "after an edit while a build read, taken back")
    for flip in ("THE", "the"):  # same-size edits, each within the file system's clock tick of the one before
        note.write_text(original.replace("the", flip, 1), encoding="utf-8")
        assert command(site)[0] == 0
        matches_clean(site, f"after a same-size edit ({flip})")


@pytest.mark.parametrize("damage", ["empty", "half", "junk", "a byte of 0xFF"])
def test_any_damage_to_the_cache_costs_time_never_a_different_site(tmp_path: Path, damage: str) -> None:
    site = project(tmp_path)
    notes = sorted((site / "content" / "editions").glob("*/0*.md"))
    for step in range(2):  # the second build keeps the first site as the spare
        append(notes[step], f"\nSentence {step}.\n")
        assert command(site)[0] == 0
    folder = spare_of(site).parent
    spare = spare_of(site)
    outputs = sorted(p for p in spare.rglob("*") if p.is_file() and p.relative_to(spare).parts[0] != "pagefind")  # the index is made anew each time
    damaged = [folder / cache.MANIFEST, *random.Random(damage).sample(outputs, 6)]
    for number, path in enumerate(damaged):
        data = path.read_bytes()
        if damage == "empty":
            data = b""
        elif damage == "half":
            data = data[: len(data) // 2]
        elif damage == "junk":
            data = os.urandom(len(data) or 16)
        else:
            data = data[:-1] + b"\xff" if data else b"\xff"
        path.write_bytes(data)  # in place: the spare's unchanged files are the live site's too, and so are damaged with it
        append(notes[number % len(notes)], f"\nSentence after damage {number}.\n")
        code, _, err = command(site)
        assert code == 0, err
        matches_clean(site, f"{damage} {path.relative_to(folder)}")


def test_a_full_disk_while_saving_the_cache_still_publishes_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = project(tmp_path)
    assert command(site)[0] == 0
    append(sorted((site / "content" / "editions").glob("*/0*.md"))[0], "\nOne more sentence.\n")

    def full(manifest: cache.Manifest, path: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(cache.Manifest, "save", full)
    code, out, err = command(site)
    assert code == 0 and "Built" in out, err
    assert "warning: the site is published, but the cache could not be saved (No space left on device)" in err
    matches_clean(site, "published without its cache")
    monkeypatch.undo()
    code, out, _ = command(site)
    assert code == 0 and "kept" not in out  # the cache did not know that site: everything was made again
    matches_clean(site, "the build after")


def test_the_cache_knows_every_library_that_shapes_the_output() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=~ ;\[]", requirement, maxsplit=1)[0].lower() for requirement in declared}
    assert names - {"watchfiles"} <= set(cache.LIBRARIES), "a new library's version must be part of the tool's key, or an upgrade keeps stale pages"
