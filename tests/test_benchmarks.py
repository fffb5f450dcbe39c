"""The benchmark's own parts work: the archive it generates builds, and its profile of a cold build is printed."""

from __future__ import annotations

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
    assert "digest/pipeline.py" in printed and "(render_site)" in printed and "(load)" in printed
    assert (tmp_path / "prof-site" / "index.html").is_file()
