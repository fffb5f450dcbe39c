"""The command line: the only module that prints and sets exit codes.

Exit codes: 0 success, 1 problems in the content, 2 wrong usage, 3 an internal error.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from digest import __version__, pipeline, render, scaffold, scans, search, serve, write
from digest.cache import Cache
from digest.content import parse_date
from digest.files import Changed
from digest.problems import Problems
from digest.scanfiles import ScanFile
from digest.views import scan_view

OK, PROBLEMS, USAGE, INTERNAL = 0, 1, 2, 3
COMMANDS = ("build", "check", "new", "serve", "schema")
SHORTLIST = 15


def parser() -> argparse.ArgumentParser:
    """Arguments for every command; `build` is the default command."""
    top = argparse.ArgumentParser(prog="build.py", description="Build the research digest site.")
    top.add_argument("--version", action="version", version=f"digest {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    build = commands.add_parser("build", help="build the site (the default command)", description="Build the site into the output folder.")
    add_common(build)
    check = commands.add_parser(
        "check", help="validate everything and write nothing", description="Validate content, scans and templates; write nothing."
    )
    add_common(check)
    build.add_argument(
        "--cache",
        type=Path,
        default=Path(".digest-cache"),
        metavar="DIR",
        help="where to keep what the last build read and wrote, so the next renders only what changed (default: .digest-cache)",
    )
    build.add_argument("--no-cache", dest="cache", action="store_const", const=None, help="build everything, neither reading nor updating the cache")
    build.add_argument("--no-search", dest="search", action="store_false", help="make no search index (a quicker preview)")
    check.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    new = commands.add_parser(
        "new",
        help="start the next edition and shortlist the scans no edition covers",
        description="Create content/editions/<date>/index.md as a draft, cadence_weeks after the latest edition (drafts "
        "included), and list the scans no edition covers yet, most discussed first. Never replaces a file.",
    )
    add_inputs(new)
    new.add_argument(
        "--date",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="the new edition's date (default: cadence_weeks after the latest; needed for the first edition)",
    )
    new.add_argument(
        "--pick", type=count, default=0, metavar="N", help="also write a draft note for each of the N most discussed scans on the shortlist"
    )
    serve = commands.add_parser(
        "serve",
        help="build, serve on 127.0.0.1 and rebuild on change",
        description="Build into a temporary folder (never the output folder), serve it on 127.0.0.1, rebuild whenever the "
        "content, scans or templates change, and reload open pages. A failed rebuild keeps the last good site "
        "and shows the problems on every page. Ctrl-C stops.",
    )
    add_inputs(serve)
    serve.add_argument("--port", type=port, default=8000, metavar="N", help="the port to listen on (default: 8000; 0 picks a free one)")
    add_jobs(serve)
    serve.add_argument(
        "--drafts", action=argparse.BooleanOptionalAction, default=True, help="show draft editions and pages, marked as drafts (default: shown)"
    )
    commands.add_parser("schema", help="print the JSON Schema of the scan format", description="Print the JSON Schema of the scan format.")
    return top


def add_inputs(command: argparse.ArgumentParser) -> None:
    """Where the inputs are, for every command that reads them."""
    command.add_argument(
        "--content", type=Path, default=Path("content"), metavar="DIR", help="editions, notes, pages and site.yaml (default: content)"
    )
    command.add_argument("--scans", type=Path, default=Path("scans"), metavar="DIR", help="scan JSON files (default: scans)")
    command.add_argument(
        "--templates", type=Path, default=Path("templates"), metavar="DIR", help="Jinja templates and static files (default: templates)"
    )
    command.add_argument("--debug", action="store_true", help="show a traceback on an internal error")


def add_common(command: argparse.ArgumentParser) -> None:
    """Options shared by build and check."""
    add_inputs(command)
    command.add_argument("--out", type=Path, default=Path("_site"), metavar="DIR", help="output folder, replaced whole (default: _site)")
    command.add_argument("--base-url", metavar="URL", help="override site.yaml's base_url")
    command.add_argument("--drafts", action="store_true", help="include draft editions and pages")
    add_jobs(command)
    loudness = command.add_mutually_exclusive_group()
    loudness.add_argument("--quiet", "-q", action="store_true", help="print only problems")
    loudness.add_argument("--verbose", "-v", action="store_true", help="print every file written")


def add_jobs(command: argparse.ArgumentParser) -> None:
    """How many processes render a large site."""
    command.add_argument(
        "--jobs",
        "-j",
        type=count,
        default=render.workers(),
        metavar="N",
        help=f"processes that render the pages of large sites (default: one per core, {render.workers()} here)",
    )


def iso_date(text: str) -> dt.date:
    """A YYYY-MM-DD argument."""
    day = parse_date(text)
    if day is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD")
    return day


def count(text: str) -> int:
    """A whole number, zero or more."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(text)


def port(text: str) -> int:
    """A TCP port number, 0 to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return int(text)


def options_from(args: argparse.Namespace) -> pipeline.Options:
    """Pipeline options from parsed arguments; what a command does not take keeps its default."""
    names = [field.name for field in dataclasses.fields(pipeline.Options)]
    return pipeline.Options(**{name: getattr(args, name) for name in names if hasattr(args, name)})


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command (by default, the program's arguments) and return its exit code."""
    return command(list(sys.argv[1:] if argv is None else argv))


def command(arguments: list[str]) -> int:
    """Run the command the arguments name; its exit code."""
    if not arguments or (arguments[0] not in COMMANDS and arguments[0] not in ("-h", "--help", "--version")):
        arguments.insert(0, "build")
    try:
        args = parser().parse_args(arguments)
    except SystemExit as exit_:
        return int(exit_.code or 0) and USAGE
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted; the previous site is untouched", file=sys.stderr)
        return PROBLEMS
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except Changed as error:
        print(error, file=sys.stderr)
        return PROBLEMS
    except Exception as error:
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"digest: internal error: {error!r} (run with --debug for details)", file=sys.stderr)
        return INTERNAL


def run(args: argparse.Namespace) -> int:
    """Dispatch to the command."""
    if args.command == "schema":
        print(json.dumps(scans.json_schema(), indent=2, sort_keys=True))
        return OK
    if args.command == "check":
        return check(args)
    if args.command == "new":
        return new_edition(args)
    if args.command == "serve":
        return serve_site(args)
    return build(args)


def build(args: argparse.Namespace) -> int:
    """Build the site, or report every problem and leave the old site as it was."""
    options = options_from(args)
    refusal = write.unsafe_output(options.out, options.inputs)
    if refusal:
        print(f"{options.out}: {refusal}", file=sys.stderr)
        return USAGE
    refusal = write.unsafe_cache(options.cache, options.out, options.inputs) if options.cache else None
    if refusal:
        print(f"{options.cache}: {refusal}", file=sys.stderr)
        return USAGE
    started = time.perf_counter()
    problems = Problems()
    waiting = f"Waiting for another build into {options.out}/ to finish"
    with write.lock(options.out, waiting=lambda: print(waiting, file=sys.stderr, flush=True)), render.collecting_garbage_after():
        cache = Cache.of(options.cache, options.out, options.text(), options.inputs) if options.cache else None
        site = pipeline.build(options, problems, cache)
    report(problems, args.quiet)
    if site is None:
        print(f"{len(problems.errors)} problem(s); nothing was written, {options.out} is as it was", file=sys.stderr)
        return PROBLEMS
    seconds = time.perf_counter() - started
    if isinstance(site, pipeline.Unchanged):
        if not args.quiet:
            print(f"Nothing changed since the last build: {options.out}/ is up to date ({seconds:.2f} s)")
        return OK
    if args.verbose:
        for path in sorted([*site.rendered, *site.copied]):
            print(f"  wrote {options.out / path}")
        for path in sorted(site.kept):
            print(f"  kept {options.out / path}")
        if site.index_seconds is not None:
            print(f"  indexed {options.out}/{search.FOLDER} (the search index)")
    if not args.quiet:
        lib = site.library
        counts = f"{len(lib.editions)} editions, {len(lib.papers)} papers, {len(site.pages)} pages"
        kept = f" ({len(site.kept)} unchanged files kept)" if site.kept else ""
        indexed = f", {site.index_seconds:.2f} s of it the search index" if site.index_seconds is not None else ""
        print(f"Built {counts} into {options.out}/ in {seconds:.2f} s{indexed}{kept}")
    return OK


def check(args: argparse.Namespace) -> int:
    """Validate everything and write nothing."""
    problems = Problems()
    site = pipeline.check(options_from(args), problems)
    report(problems, args.quiet)
    if site is None:
        print(f"{len(problems.errors)} problem(s), {len(problems.warnings)} warning(s)", file=sys.stderr)
        return PROBLEMS
    if args.strict and problems.warnings:
        print(f"{len(problems.warnings)} warning(s), which --strict counts as problems", file=sys.stderr)
        return PROBLEMS
    if not args.quiet:
        print(f"No problems: {len(site.library.editions)} editions, {len(site.library.papers)} papers, {len(problems.warnings)} warning(s)")
    return OK


def report(problems: Problems, quiet: bool) -> None:
    """Print errors, then warnings unless quiet, one per line as path:line: message."""
    for problem in problems.errors:
        print(problem, file=sys.stderr)
    if not quiet:
        for problem in problems.warnings:
            print(problem, file=sys.stderr)


def new_edition(args: argparse.Namespace) -> int:
    """Scaffold the next edition, then list the scans no edition covers."""
    options = options_from(args)
    problems = Problems()
    library = pipeline.load(options, problems)
    report(problems, quiet=False)
    if library is None:
        print(f"{len(problems.errors)} problem(s); fix them before starting a new edition", file=sys.stderr)
        return PROBLEMS
    day = args.date or scaffold.next_date(library)
    if day is None:
        why = "the next edition would be dated after 9999-12-31" if library.content.editions else "no edition yet to follow"
        print(f"{options.content / 'editions'}: {why}; give its date with --date YYYY-MM-DD", file=sys.stderr)
        return USAGE
    refused = Problems()
    made = scaffold.create(library, options.content, day, args.pick, refused)
    if made is None:
        report(refused, quiet=False)
        return PROBLEMS
    print_shortlist(made.shortlist)
    notes = len(made.files) - 1
    print(
        f"Created {made.folder}/ as a draft dated {day.isoformat()}: index.md and {notes} draft note(s); "
        f"{len(made.shortlist)} uncovered scan(s) on the shortlist"
    )
    return OK


def print_shortlist(shortlist: list[ScanFile]) -> None:
    """The scans no edition covers, most discussed first: id, title, scan summary and discussion."""
    if not shortlist:
        print("Every scan is covered by an edition: add scan files to the scans folder to fill the shortlist.")
        return
    print("Scans no edition covers yet, most discussed first:")
    for number, scan in enumerate(shortlist[:SHORTLIST], start=1):
        points, comments, engagement = scans.discussion(scan.scan)
        print(f"{number:3}. {scan.id}  {' '.join(scan.scan.paper.title.split())}")
        print(f"     {scan_view(scan.scan).summary} · HN {points} points, {comments} comments · engagement {engagement}")
    if len(shortlist) > SHORTLIST:
        print(f"     … and {len(shortlist) - SHORTLIST} more")


def serve_site(args: argparse.Namespace) -> int:
    """Serve the site on 127.0.0.1, rebuilding on every change, until Ctrl-C."""
    options = options_from(args)
    try:
        preview = serve.Preview(options, args.port)
    except OSError as error:
        print(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror or error}; choose another --port", file=sys.stderr)
        return USAGE
    with preview:
        drafts = "shown" if options.drafts else "hidden"
        print(f"Serving {preview.url} (drafts {drafts}; no search index, `build` makes it), built in {preview.folder}; Ctrl-C to stop", flush=True)
        report_attempt(preview.rebuild())
        preview.start()
        preview.watch(report_attempt)
    print("Stopped serving; removed the temporary build folder", flush=True)
    return OK


def report_attempt(attempt: serve.Attempt) -> None:
    """Print a rebuild's problems, then one line: what was built, or that the last good site is still served."""
    report(attempt.problems, quiet=False)
    changed = f" after changes to {', '.join(path.name for path in attempt.changed)}" if attempt.changed else ""
    if attempt.site is None:
        serving = "still serving the last good build" if attempt.ready else "nothing to serve until it builds"
        print(f"Build failed{changed}: {len(attempt.problems.errors)} problem(s), shown on every page; {serving}", file=sys.stderr, flush=True)
        return
    if isinstance(attempt.site, pipeline.Unchanged) or not attempt.site.rendered:
        print(f"Nothing changed{changed}; serving the last build", flush=True)
        return
    lib = attempt.site.library
    print(
        f"Built {len(lib.editions)} editions, {len(lib.papers)} papers, {len(attempt.site.pages)} pages{changed} "
        f"in {attempt.seconds:.2f} s; {len(attempt.problems.warnings)} warning(s)",
        flush=True,
    )
