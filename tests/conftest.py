"""Shared fixtures: copies of the fixture site, and running the command line."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from digest.library import PaperEntry
from digest.markdown import slugify
from digest.related import methods

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "site"


@dataclass
class Result:
    """What a command run printed and returned."""

    code: int
    out: str
    err: str


def run_cli(site: Path, *args: str) -> Result:
    """Run `build.py` as a user would, from inside the site folder."""
    command = [sys.executable, str(ROOT / "build.py"), *args]
    if args[:1] not in (("schema",),):
        command += ["--templates", str(ROOT / "templates")]
    done = subprocess.run(command, cwd=site, capture_output=True, text=True, timeout=120)
    return Result(done.returncode, done.stdout, done.stderr)


def build(site: Path, *args: str) -> Path:
    """Build a site folder with the command line, which must succeed; its output folder."""
    result = run_cli(site, *args)
    assert result.code == 0, result.err
    return site / "_site"


def soup(path: Path) -> BeautifulSoup:
    """A built page, parsed by html5lib as a browser would."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A fresh copy of the fixture site (content/ and scans/)."""
    target = tmp_path / "site"
    shutil.copytree(FIXTURE, target)
    return target


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder, by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def readable(folder: Path) -> dict[str, bytes]:
    """Every file under folder as tree() gives it, but the search index's: its pages' text (fragments, unzipped), not its binary files."""
    found = tree(folder)
    binary = {path for path in found if path.startswith("pagefind/") and not path.endswith((".js", ".css", ".json", ".pf_fragment"))}
    return {path: gzip.decompress(data) if path.endswith(".pf_fragment") else data for path, data in found.items() if path not in binary}


def leftovers(site: Path) -> list[str]:
    """What builds left beside the site's `_site` folder, but its lock file (which stays, as lock files do)."""
    return sorted(p.name for p in site.iterdir() if p.name.startswith("._site.") and p.name != "._site.lock")


# ---------------------------------------------------------------- the pairwise ranking that related.Relations is tested against


def related_papers(paper: PaperEntry, papers: list[PaperEntry], limit: int = 4) -> list[PaperEntry]:
    """Papers sharing tags or methods with this one, or citing it or cited by it; best first."""
    scored = [(relatedness(paper, other), other) for other in papers if other is not paper]
    ranked = sorted((item for item in scored if item[0] > 0), key=lambda item: (-item[0], item[1].id))
    return [other for _, other in ranked[:limit]]


def relatedness(a: PaperEntry, b: PaperEntry) -> int:
    """How related two papers are: shared tags count double, a citation triple."""
    shared_tags = len({t.slug for t in a.tags} & {t.slug for t in b.tags})
    score = 2 * shared_tags + len(methods(a) & methods(b))
    if cites(a, b) or cites(b, a):
        score += 3
    return score


def cites(a: PaperEntry, b: PaperEntry) -> bool:
    """True when a's scan lists b among its cited papers (by title)."""
    if a.scan is None:
        return False
    title = slugify(b.citation.title)
    return title in a.scan.cited
