#!/usr/bin/env python3
"""Time digest on synthetic archives, as a user sees it: every timing is a `python build.py` subprocess.

    python benchmarks/run.py                       # N = 200, 2000 and 10000
    python benchmarks/run.py --papers 2000 --compare --repeat 3

For each N: cold full build (--no-cache), no-op rebuild, rebuild after editing one note (the first
edit after a full build, whose spare site shares no file with it yet, and the next edit, as while
writing), one scan, one template; the rebuild inside `serve` after editing one note; peak memory
(PSS of the process and its workers, sampled, and ru_maxrss); pages per second. --compare also
writes the archive as a Hugo site and a Pelican project, installs the tools if missing (Hugo with
apt-get, Pelican into a temporary venv; neither is a dependency of digest), and times the three
cold builds alternately, printing medians and ratios of wall time and peak PSS, and each tool's CPU
time in user mode and in the kernel (--tools hugo to leave Pelican out, e.g. at N = 10000); the
comparison runs first, and every tool builds into a new folder (see Trash). --profile adds a
cProfile summary of digest's cold build.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402


def tree_pss_kb(pid: int) -> int:
    """Proportional set size of a process and its descendants, in KiB (0 once it is gone)."""
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


class Run(NamedTuple):
    """One timed command."""

    seconds: float  # wall time
    pss: int  # peak PSS of the process and its descendants, KiB (sampled)
    maxrss: int  # ru_maxrss of its largest process, KiB
    user: float  # CPU seconds in user mode, of the process and the descendants it waited for
    system: float  # CPU seconds in the kernel, of the same processes (for a site generator, mostly making folders and files)


def timed(command: list[str], cwd: Path) -> Run:
    """Run a command and measure it."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_pss_kb(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode() if process.stderr else ''}")
    return Run(seconds, peak[0], usage.ru_maxrss, usage.ru_utime, usage.ru_stime)


SETTLE = 360.0  # seconds an ext4 without a journal avoids a deleted inode at most: 60, and 300 more while its block is dirty


class Trash:
    """Folders the benchmark is done with, moved aside during the timed runs and deleted only at the end.

    On a file system without a journal (this machine's root), ext4 will not reuse an inode deleted in
    the last minute (six, while its inode table is being written to): each new file scans past every
    such inode, so a tool that creates its 5,000 folders and files right after 5,000 were deleted
    pays seconds of kernel time for the deletion, and the faster the tool, the more of it. Deleting
    nothing until the last run is timed keeps every tool's measurement free of the benchmark's own
    clean-up (a rename frees no inode), and a run that starts soon after another emptied its trash
    first waits out the window (settle).
    """

    def __init__(self, work: Path) -> None:
        """Keep set-aside folders in work/.trash, and when it was last emptied in work/.trash-emptied."""
        self.folder = work / ".trash"
        self.stamp = work / ".trash-emptied"

    def settle(self, window: float = SETTLE, sleep: Callable[[float], None] = time.sleep) -> float:
        """Wait until the last emptying is window seconds old; the seconds waited."""
        left = window - (time.time() - self.stamp.stat().st_mtime) if self.stamp.exists() else 0
        if left > 0:
            print(f"Waiting {left:.0f} s: the last run deleted its folders less than {window:.0f} s ago (see Trash).", flush=True)
            sleep(left)
        return max(left, 0)

    def set_aside(self, path: Path) -> None:
        """Move path (if it exists) out of the way, to be deleted by empty()."""
        if path.exists():
            self.folder.mkdir(exist_ok=True)
            path.rename(Path(tempfile.mkdtemp(dir=self.folder)) / path.name)

    def empty(self) -> None:
        """Delete everything set aside (after the last timed run), noting when."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.stamp.touch()


def digest_build(site: Path, *extra: str) -> list[str]:
    """The command line of a digest build of site."""
    return [sys.executable, str(ROOT / "build.py"), "--templates", str(site / "templates"), "--quiet", *extra]


def count_pages(out: Path) -> int:
    """HTML pages in a built site (email copies excluded)."""
    return sum(1 for p in out.rglob("*.html") if p.name not in ("email.html",))


def edit(path: Path, old: str, new: str) -> None:
    """Change one file's text."""
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def bench_digest(n: int, work: Path, repeat: int, trash: Trash) -> dict[str, float]:
    """Every digest scenario for an archive of n papers; medians of repeat runs."""
    site = work / f"digest-{n}"
    archive = generate.make_archive(n)
    trash.set_aside(site)
    generate.digest_site(archive, site)
    shutil.copytree(ROOT / "templates", site / "templates")
    results: dict[str, list[float]] = {k: [] for k in ("cold", "noop", "note", "note2", "scan", "template", "pss", "maxrss", "serve")}
    note = sorted((site / "content" / "editions").glob("*/01-*.md"))[-1]  # in the latest edition, as while writing one
    scan = next((site / "scans").glob("*.json"))
    template = site / "templates" / "paper.html"
    for run in range(repeat):
        cold = timed(digest_build(site, "--no-cache"), site)
        results["cold"].append(cold.seconds)
        results["pss"].append(cold.pss)
        results["maxrss"].append(cold.maxrss)
        trash.set_aside(site / ".digest-cache")
        timed(digest_build(site), site)  # fill the cache
        time.sleep(2.1)  # let the inputs age past the cache's racy-file window, as between an editor's saves
        results["noop"].append(timed(digest_build(site), site)[0])
        edit(note, "**What happened:**", f"**What happened:** (edit {run})")
        results["note"].append(timed(digest_build(site), site)[0])  # the first edit after a full build: the spare is a site of other files
        edit(note, "**What happened:**", f"**What happened:** (again {run})")
        results["note2"].append(timed(digest_build(site), site)[0])  # each further edit, as while writing
        edit(scan, '"key_findings": "', f'"key_findings": "Edit {run}. ')
        results["scan"].append(timed(digest_build(site), site)[0])
        edit(template, "</article>", f"<!-- edit {run} --></article>")
        results["template"].append(timed(digest_build(site), site)[0])
    served = subprocess.run(
        [sys.executable, "-c", SERVED, str(ROOT), str(site), str(note), str(max(repeat, 3))], capture_output=True, text=True, check=True
    )
    results["serve"] = [float(line) for line in served.stdout.split()]
    medians = {k: statistics.median(v) for k, v in results.items()}
    medians["pages"] = count_pages(site / "_site")
    return medians


def ensure_hugo() -> str:
    """Hugo from Debian's packages, installed if missing."""
    if shutil.which("hugo") is None:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "hugo"], check=True)
    return shutil.which("hugo") or "hugo"


def ensure_pelican(work: Path) -> Path:
    """Pelican and markdown in a venv of their own (not digest's), made once in the work folder."""
    venv = work / "pelican-venv"
    pelican = venv / "bin" / "pelican"
    if not pelican.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "pelican", "markdown"], check=True)
    return pelican


def compare(n: int, work: Path, repeat: int, tools: list[str], trash: Trash) -> dict[str, list[Run]]:
    """Cold builds of the same archive by digest and the other tools, alternating, each into a new folder; every run of each."""
    archive = generate.make_archive(n)
    site, hugo_site, pelican_site = work / f"cmp-digest-{n}", work / f"cmp-hugo-{n}", work / f"cmp-pelican-{n}"
    for folder in (site, hugo_site, pelican_site):
        trash.set_aside(folder)
    generate.digest_site(archive, site)
    shutil.copytree(ROOT / "templates", site / "templates")
    commands = {"digest": (digest_build(site, "--no-cache"), site, site / "_site")}
    commands["no-search"] = (digest_build(site, "--no-cache", "--no-search"), site, site / "_site")  # digest without its search index
    if "hugo" in tools:
        generate.hugo_site(archive, hugo_site)
        commands["hugo"] = ([ensure_hugo(), "--quiet", "--destination", "public"], hugo_site, hugo_site / "public")
    if "pelican" in tools:
        generate.pelican_site(archive, pelican_site)
        commands["pelican"] = (
            [str(ensure_pelican(work)), "content", "-o", "output", "-s", "pelicanconf.py", "-q"],
            pelican_site,
            pelican_site / "output",
        )
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (command, cwd, out) in commands.items():
            trash.set_aside(out)
            runs[name].append(timed(command, cwd))
    for name, (_, _, out) in commands.items():
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(f"  {name}: {count_pages(out)} HTML pages, {size / 1e6:.0f} MB written")
    return runs


def print_comparison(runs: dict[str, list[Run]]) -> None:
    """Each tool's medians (wall time, CPU time in user mode and in the kernel, peak PSS) and their ratios to digest's."""
    medians = {name: Run(*(statistics.median(values) for values in zip(*tool_runs, strict=True))) for name, tool_runs in runs.items()}
    base = medians["digest"]
    for name, median in medians.items():
        print(
            f"  {name:9} median {median.seconds:7.2f} s  (digest / {name} = {base.seconds / median.seconds:5.2f})   "
            f"CPU {median.user:6.2f} s user + {median.system:5.2f} s system   "
            f"peak PSS {median.pss / 1024:6.0f} MB  (digest / {name} = {base.pss / median.pss:5.2f})   "
            f"runs: {', '.join(f'{run.seconds:.2f}' for run in runs[name])}",
            flush=True,
        )


PROFILED = """import cProfile, sys
sys.path.insert(0, sys.argv[1])
from digest import cli
profiler = cProfile.Profile()
profiler.enable()
code = cli.main(sys.argv[3:])
profiler.disable()
profiler.dump_stats(sys.argv[2])
sys.exit(code)
"""  # the command run as build.py runs it, with a profiler around it

SERVED = """import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from digest import pipeline, serve
site, note, rounds = Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
with serve.Preview(pipeline.Options(site / "content", site / "scans", site / "templates", jobs=2), 0) as preview:
    assert isinstance(preview.rebuild().site, pipeline.Site)
    for n in range(rounds):
        note.write_text(note.read_text(encoding="utf-8").replace("**What happened:**", f"**What happened:** (serve {n})", 1), encoding="utf-8")
        started = time.perf_counter()
        attempt = preview.rebuild([note])
        assert isinstance(attempt.site, pipeline.Site) and attempt.site.rendered, attempt.problems.errors
        print(time.perf_counter() - started, flush=True)
"""  # serve's loop: the site built once, then rebuilt after each edit of one note (the time from the change to the pages)


def profile(n: int, work: Path) -> None:
    """Where digest's cold build spends its time (one process, so the workers' share shows as rendering)."""
    site = work / f"digest-{n}"
    (work / "cold.prof").unlink(missing_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-c",
            PROFILED,
            str(ROOT),
            str(work / "cold.prof"),
            "--templates",
            str(site / "templates"),
            "--no-cache",
            "--jobs",
            "1",
            "--quiet",
            "--out",
            str(work / "prof-site"),
        ],
        cwd=site,
        check=True,
    )
    import pstats

    stats = pstats.Stats(str(work / "cold.prof"))
    stats.sort_stats("cumulative").print_stats(r"digest/(pipeline|scans|content|library|outputs|render|feeds|email|write|cache)\.py", 25)


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description="Benchmark digest on synthetic archives.")
    parser.add_argument("--papers", type=int, nargs="+", default=[200, 2000, 10000], help="archive sizes (default: 200 2000 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians are printed (default: 3)")
    parser.add_argument("--compare", action="store_true", help="also time Hugo and Pelican on the same archive")
    parser.add_argument(
        "--tools",
        nargs="+",
        choices=["hugo", "pelican"],
        default=["hugo", "pelican"],
        help="the tools --compare times against digest (default: hugo pelican)",
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary of the cold build")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "digest-bench", help="scratch folder")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    trash = Trash(args.work)
    trash.settle()
    try:
        if args.compare:  # first: the scenarios' own --no-cache builds delete whole sites (see Trash)
            for n in args.papers:
                print(f"Cold builds of the same {n}-paper archive, {args.repeat} alternating runs each:")
                print_comparison(compare(n, args.work, args.repeat, args.tools, trash))
            print()
        print(
            f"{'N':>6} {'pages':>6} {'cold s':>7} {'pages/s':>8} {'no-op s':>8} {'note s':>7} {'note² s':>7} {'scan s':>7} {'tmpl s':>7} "
            f"{'serve s':>7} {'PSS MB':>7} {'maxrss MB':>9}"
        )
        for n in args.papers:
            r = bench_digest(n, args.work, args.repeat, trash)
            print(
                f"{n:>6} {r['pages']:>6.0f} {r['cold']:>7.2f} {r['pages'] / r['cold']:>8.0f} {r['noop']:>8.2f} {r['note']:>7.2f} "
                f"{r['note2']:>7.2f} {r['scan']:>7.2f} {r['template']:>7.2f} {r['serve']:>7.2f} {r['pss'] / 1024:>7.0f} {r['maxrss'] / 1024:>9.0f}",
                flush=True,
            )
            if args.profile:
                profile(n, args.work)
    finally:
        trash.empty()


if __name__ == "__main__":
    main()
