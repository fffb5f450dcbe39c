"""The benchmark's own parts work: the archive it generates builds, and its profile of a cold build is printed."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate
import run


def test_the_profile_of_a_cold_build_shows_the_pipeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "digest-16"
    generate.digest_site(generate.make_archive(16), site)
    shutil.copytree(ROOT / "templates", site / "templates")
    run.profile(16, tmp_path)
    printed = capsys.readouterr().out
    assert "digest/pipeline.py" in printed and "(render_all)" in printed and "(load)" in printed
    assert (tmp_path / "prof-site" / "index.html").is_file()


def test_the_comparison_prints_medians_and_ratios_to_digest(capsys: pytest.CaptureFixture[str]) -> None:
    runs = {
        "digest": [run.Run(3.0, 1024 * 300, 0, 4.0, 1.0), run.Run(2.0, 1024 * 100, 0, 3.0, 2.0), run.Run(9.0, 1024 * 200, 0, 5.0, 0.5)],
        "pelican": [run.Run(40.0, 1024 * 50, 0, 39.0, 1.5), run.Run(30.0, 1024 * 50, 0, 29.0, 1.0), run.Run(50.0, 1024 * 50, 0, 49.0, 0.5)],
    }
    run.print_comparison(runs)
    digest, pelican = (" ".join(line.split()) for line in capsys.readouterr().out.splitlines())
    assert digest == (
        "digest median 3.00 s (digest / digest = 1.00) CPU 4.00 s user + 1.00 s system "
        "peak PSS 200 MB (digest / digest = 1.00) runs: 3.00, 2.00, 9.00"
    )  # the median of each figure on its own
    assert pelican == (
        "pelican median 40.00 s (digest / pelican = 0.07) CPU 39.00 s user + 1.00 s system "
        "peak PSS 50 MB (digest / pelican = 4.00) runs: 40.00, 30.00, 50.00"
    )


def test_folders_set_aside_keep_their_inodes_until_the_trash_is_emptied(tmp_path: Path) -> None:
    trash = run.Trash(tmp_path)
    kept = []
    for text in ("first", "second"):  # the same name twice, as each round's output folder is
        out = tmp_path / "_site"
        (out / "papers").mkdir(parents=True)
        (out / "papers" / "index.html").write_text(text)
        inode = (out / "papers" / "index.html").stat().st_ino
        trash.set_aside(out)
        assert not out.exists()
        kept.append((inode, text))
    trash.set_aside(tmp_path / "missing")  # nothing to move
    found = {(page.stat().st_ino, page.read_text()) for page in trash.folder.rglob("index.html")}
    assert found == set(kept)  # moved, not copied and deleted: no inode was freed
    trash.empty()
    assert not trash.folder.exists()


def test_a_run_soon_after_another_emptied_its_trash_waits_out_the_window(tmp_path: Path) -> None:
    trash = run.Trash(tmp_path)
    waits: list[float] = []
    assert trash.settle(360, waits.append) == 0  # never emptied: no wait
    (tmp_path / "_site").mkdir()
    trash.set_aside(tmp_path / "_site")
    trash.empty()
    waited = trash.settle(360, waits.append)
    assert 350 < waited <= 360 and waits == [waited]
    old = trash.stamp.stat().st_mtime - 400
    os.utime(trash.stamp, (old, old))
    assert trash.settle(360, waits.append) == 0 and len(waits) == 1
