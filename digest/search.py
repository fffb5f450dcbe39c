"""The search index: Pagefind, run over the new site before it is published, so the index always matches its pages.

The pages to index are the outputs with a `search` glob (papers, the claim and flag indexes, the
editor's pages); in each, the templates mark the parts indexed (`data-pagefind-body`) and the
filters (`data-pagefind-filter`: tag, paper type, edition, red flags, claim support). The search
page (`search.html`) loads Pagefind's UI; without JavaScript its form leads to the papers index.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cbor2

from digest import render
from digest.problems import Problems

PAGE = "search/index.html"
FOLDER = "pagefind/"  # where Pagefind writes the index, in the site
PAPERS = "papers/*/index.html"  # every paper page
TIMEOUT = 3600  # seconds: an index that takes longer is stuck
SIGNATURE = b"pagefind_dcd"  # what Pagefind's index files start with, once unzipped
UNREADABLE = (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError, IndexError, AttributeError, cbor2.CBORError)


class UnknownIndex(Exception):
    """Pagefind wrote an index in a form this version does not know."""


def glob(patterns: Iterable[str | None]) -> str:
    """One Pagefind glob matching any of the patterns (paths or globs of the outputs to index)."""
    return "{" + ",".join(sorted({pattern for pattern in patterns if pattern})) + "}"


def index(site: Path, patterns: Iterable[str | None], problems: Problems) -> None:
    """Index the pages of the site folder that the patterns match into its `pagefind/` folder; a problem if that fails."""
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--glob", glob(patterns), "--output-subdir", FOLDER.rstrip("/"), "--quiet"]
    # Pagefind also reads a pagefind.yml in its working folder and PAGEFIND_* variables: neither may change the site.
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PAGEFIND_") or name == "PAGEFIND_BINARY_PATH"}
    hint = "set `search: false` in site.yaml to build without search"
    parent = os.getpid()
    try:
        with tempfile.TemporaryDirectory(prefix="digest-pagefind-") as nowhere:
            done = subprocess.run(
                command,
                cwd=nowhere,
                env=environment,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
                preexec_fn=lambda: render.die_with_parent(parent),  # a killed build's Pagefind must not write on into the next one's folder
            )
    except (OSError, subprocess.TimeoutExpired) as error:
        problems.add("search", f"the search index could not be made: {error}; {hint}")
        return
    if done.returncode != 0:
        said = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        problems.add("search", f"the search index could not be made: {said[-1] if said else f'Pagefind exited with {done.returncode}'}; {hint}")
        return
    try:
        settle(site / FOLDER)
    except UnknownIndex as error:
        problems.add("search", f"the search index Pagefind wrote is in a form this version of digest does not know ({error}); {hint}")
    except OSError as error:
        problems.add("search", f"the search index could not be written: {error.strerror or error}")


def settle(bundle: Path) -> None:
    """Make the filter indexes Pagefind wrote safe to show and the same bytes for the same pages.

    Pagefind's UI shows each filter value as HTML, and Pagefind 1.5 stores them as text (a paper
    type in a scan could be `<img onerror=…>`): each value is escaped here, and the UI sends it back
    as stored, so filtering still matches. Pagefind 1.5 also lists filters, values and sorts in
    hash-map order, different on every run (its next release sorts them:
    github.com/Pagefind/pagefind/pull/1124): they are sorted, each file named by its digest, and
    so are the files that name it. UnknownIndex if the files are not as Pagefind 1.5 writes them.
    """
    entry_file = bundle / "pagefind-entry.json"
    made: dict[Path, bytes] = {}
    gone: list[Path] = []
    try:
        entry = json.loads(entry_file.read_text(encoding="utf-8"))
        entry["languages"] = dict(sorted(entry["languages"].items()))
        for language, about in entry["languages"].items():
            meta_file = bundle / f"pagefind.{about['hash']}.pf_meta"
            meta = unpack(meta_file.read_bytes())
            for named in meta[3]:  # the filters, each [name, file hash]
                old = bundle / "filter" / f"{named[1]}.pf_filter"
                index = unpack(old.read_bytes())
                index[1] = sorted([html.escape(value), pages] for value, pages in index[1])  # each [value, pages]
                named[1], data = pack(language, index)
                made[bundle / "filter" / f"{named[1]}.pf_filter"] = data
                gone.append(old)
            meta[3].sort(key=lambda named: named[0])
            meta[4].sort(key=lambda sort: sort[0])  # the sorts, each [name, pages]
            about["hash"], data = pack(language, meta)
            made[bundle / f"pagefind.{about['hash']}.pf_meta"] = data
            gone.append(meta_file)
    except UNREADABLE as error:
        raise UnknownIndex(error) from error
    for path in gone:
        path.unlink()
    for path, data in made.items():
        path.write_bytes(data)
    entry_file.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def unpack(data: bytes) -> Any:
    """An index file's content: gzip, then Pagefind's signature, then CBOR that must encode back to the same bytes."""
    raw = gzip.decompress(data)
    body = raw[len(SIGNATURE) :]
    if not raw.startswith(SIGNATURE) or cbor2.dumps(content := cbor2.loads(body)) != body:
        raise ValueError("not an index file of Pagefind 1.5")
    return content


def pack(language: str, content: Any) -> tuple[str, bytes]:
    """An index file for content, and its name: the language and the file's digest."""
    data = gzip.compress(SIGNATURE + cbor2.dumps(content), mtime=0)
    return f"{language}_{hashlib.sha256(data).hexdigest()[:10]}", data
