"""Regenerate the committed golden output of the fixture site: `python tests/regenerate_golden.py`."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest import pipeline  # noqa: E402
from digest.problems import Problems  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "site"
GOLDEN = ROOT / "tests" / "fixtures" / "golden"


def golden_options(out: Path) -> pipeline.Options:
    """The options the golden output is built with."""
    return pipeline.Options(FIXTURE / "content", FIXTURE / "scans", ROOT / "templates", out)


def rendered(out: Path) -> dict[str, bytes] | str:
    """Build the fixture site into out: every rendered file (not the copied ones) by path, or the problems."""
    problems = Problems()
    site = pipeline.build(golden_options(out), problems)
    if not isinstance(site, pipeline.Site):
        return "\n".join(str(p) for p in problems.errors)
    return {path: (out / path).read_bytes() for path in sorted(site.rendered)}


def main() -> int:
    """Build the fixture site and replace the golden folder with the result."""
    with tempfile.TemporaryDirectory() as folder:
        files = rendered(Path(folder) / "site")
    if isinstance(files, str):
        print(files, file=sys.stderr)
        return 1
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for relative, data in files.items():
        target = GOLDEN / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    print(f"wrote {len(files)} files to {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
