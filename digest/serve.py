"""`serve`: build into a temporary folder, serve it on 127.0.0.1, rebuild on change, reload open pages.

The built files are never touched: the reload script, and the problems of a failed rebuild, are
added to HTML responses as they are served.
"""

from __future__ import annotations

import dataclasses
import gc
import html
import io
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit

import watchfiles

from digest import pipeline, render
from digest.cache import Cache
from digest.content import load_note
from digest.library import Library
from digest.markdown import new_parser
from digest.problems import Problem, Problems, display_path

HOST = "127.0.0.1"
VERSION_PATH = "/__digest__/version"
RELOAD_SCRIPT = """<script>
(function () {
  var seen = "%d";
  setInterval(function () {
    fetch("%s", {cache: "no-store"}).then(function (r) { return r.text(); })
      .then(function (now) { if (now.trim() !== seen) { location.reload(); } })
      .catch(function () {});
  }, 1000);
})();
</script>
"""
OVERLAY_STYLE = (
    "position:fixed;left:0;right:0;bottom:0;max-height:50vh;overflow:auto;z-index:2147483647;margin:0;"
    "padding:1em 1.5em;background:#fff4f4;color:#5c0000;border-top:4px solid #c00;font:14px/1.45 monospace;"
)


@dataclasses.dataclass(frozen=True)
class Status:
    """The served site after the latest build attempt; replaced whole, so threads never see half of one."""

    generation: int = 0  # counts build attempts: open pages reload when it changes
    problems: tuple[str, ...] = ()  # the errors of the latest attempt, empty when it worked
    ready: bool = False  # a good site has been built at least once


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One build attempt, for the command line to report."""

    site: pipeline.Site | pipeline.Unchanged | None  # Unchanged: the inputs are as the last good build left them
    problems: Problems
    seconds: float
    changed: list[Path]
    ready: bool  # a good site is being served, this one or an earlier one


class DevServer(ThreadingHTTPServer):
    """The HTTP server; handlers read its status."""

    status = Status()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore a browser that goes away mid-response (a page reloading); report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(SimpleHTTPRequestHandler):
    """Serves the built site, adding the reload script and any problems to every HTML page."""

    def send_head(self) -> io.BytesIO | BinaryIO | None:
        """Answer the version poll, or a page with its additions, or any other file as it is."""
        status = cast(DevServer, self.server).status
        route = urlsplit(self.path).path
        if route == VERSION_PATH:
            return self.send_bytes(str(status.generation).encode(), "text/plain; charset=utf-8")
        if not status.ready:
            return self.send_page(b"<!DOCTYPE html><title>Not built yet</title><body></body>", status, HTTPStatus.SERVICE_UNAVAILABLE)
        target = Path(self.translate_path(self.path))
        if target.is_dir() and route.endswith("/"):
            target = target / "index.html"
        if target.suffix == ".html" and target.is_file():
            return self.send_page(target.read_bytes(), status)
        missing = Path(self.directory) / "404.html"
        if not target.exists() and missing.is_file():
            return self.send_page(missing.read_bytes(), status, HTTPStatus.NOT_FOUND)
        return super().send_head()

    def send_page(self, page: bytes, status: Status, code: HTTPStatus = HTTPStatus.OK) -> io.BytesIO:
        """Send an HTML page with the reload script and the problems overlay added."""
        return self.send_bytes(inject(page, status), "text/html; charset=utf-8", code)

    def send_bytes(self, body: bytes, content_type: str, code: HTTPStatus = HTTPStatus.OK) -> io.BytesIO:
        """Send the headers for body; return it for do_GET to copy (do_HEAD does not)."""
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def end_headers(self) -> None:
        """Forbid caching: every response must show the latest build."""
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: the terminal shows builds, not the page's polling."""


def inject(page: bytes, status: Status) -> bytes:
    """The page with the problems overlay (after a failed rebuild) and the reload script before `</body>`."""
    extra = (overlay(status) + RELOAD_SCRIPT % (status.generation, VERSION_PATH)).encode("utf-8")
    at = page.lower().rfind(b"</body>")
    return page[:at] + extra + page[at:] if at >= 0 else page + extra


def overlay(status: Status) -> str:
    """A fixed panel listing the latest attempt's problems, HTML-escaped; empty when there are none."""
    if not status.problems:
        return ""
    items = "\n".join(html.escape(problem) for problem in status.problems)
    state = "this is the last good build" if status.ready else "there is no good build to show yet"
    return (
        f'<div id="digest-problems" role="alert" style="{OVERLAY_STYLE}"><strong>The site did not build; {state}. '
        f'Fix these and save: the page reloads by itself.</strong><pre style="white-space:pre-wrap;margin:0.5em 0 0;">{items}</pre></div>\n'
    )


class Preview:
    """The site built into a temporary folder and served on 127.0.0.1 while its inputs change."""

    def __init__(self, options: pipeline.Options, port: int) -> None:
        """Listen on the port (OSError if it is taken), then make the temporary folder."""
        self.server = DevServer((HOST, port), self._handler)
        self.folder = Path(tempfile.mkdtemp(prefix="digest-serve-"))
        self.options = dataclasses.replace(options, out=self.folder / "site", base_url=self.url, cache=None, search=False)
        # The manifest kept in memory, the site before the last beside the served one: a rebuild renders and writes what changed.
        self.cache = Cache(None, self.options.out, self.options.text(), spare=self.folder / "spare")
        self.library: Library | None = None  # the last site loaded, kept while only the text of notes changes
        self.warnings: list[Problem] = []  # what loading it reported
        self.thread = threading.Thread(target=self.server.serve_forever, name="digest-serve", daemon=True)

    @property
    def url(self) -> str:
        """The address the site is served at, which is also its base_url."""
        return f"http://{HOST}:{self.server.server_port}/"

    def _handler(self, *args: Any) -> Handler:
        """A request handler serving the built site's folder."""
        return Handler(*args, directory=str(self.folder / "site"))

    def __enter__(self) -> Preview:
        """Make ready to answer requests (see start)."""
        return self

    def start(self) -> None:
        """Answer requests from another thread (after the first build, which may fork processes: a fork copies only this thread)."""
        self.thread.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        """Stop the server and remove the temporary folder."""
        self.close()

    def close(self) -> None:
        """Stop the server and remove the temporary folder."""
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def rebuild(self, changed: list[Path] | None = None) -> Attempt:
        """Build into the temporary folder, rendering only what changed; on failure keep serving the last good site."""
        started = time.perf_counter()
        problems = Problems()
        site: pipeline.Site | pipeline.Unchanged | None
        try:
            with render.collecting_garbage_after():  # collected after each rebuild, while the editor reads the page
                library = self.kept_library([path for path in changed or [] if not path.name.startswith(".")], problems)
                site = pipeline.build(self.options, problems, self.cache, library=library)
            if isinstance(site, pipeline.Site):
                self.library, self.warnings = site.library, problems.warnings
        except Exception as error:  # a broken template or a bug: keep serving the last good site
            problems.add(self.options.templates, f"internal error: {error!r}")
            site = None
        last = self.server.status
        errors = () if site is not None else tuple(str(problem) for problem in problems.errors)
        self.server.status = status = Status(last.generation + 1, errors, last.ready or site is not None)
        return Attempt(
            site, problems, time.perf_counter() - started, [path for path in changed or [] if path.exists()] or changed or [], status.ready
        )

    def kept_library(self, changed: list[Path], problems: Problems) -> Library | None:
        """The last library, if the changes leave it as it was but for the text of notes (then put in); else None, to load again.

        The warnings loading it gave are reported again, a changed note's replaced by its own.
        """
        if self.library is None or not changed:
            return None
        library, templates = self.library, self.options.templates.resolve()
        notes = {str(note.path): note for edition in library.content.editions for note in edition.notes}
        edited = [self.content_path(path) for path in changed if not path.resolve().is_relative_to(templates)]  # templates are not in it
        if any(path not in notes or not notes[path].path.exists() for path in edited):  # a note added, deleted, or another file
            return None
        found = Problems(problems.root)
        md = new_parser(library.settings.allow_html)
        fresh = [load_note(notes[path].path, md, found, library.settings.max_markdown_bytes) for path in edited]
        if found.errors or any(new is None or new.head_digest != notes[path].head_digest for path, new in zip(edited, fresh, strict=True)):
            return None
        for path, new in zip(edited, fresh, strict=True):
            assert new is not None
            old = notes[path]
            old.body, old.body_digest, old.body_line, old.key_lines = new.body, new.body_digest, new.body_line, new.key_lines
        shown = {display_path(notes[path].path, problems.root) for path in edited}
        problems.items += [warning for warning in self.warnings if warning.path not in shown] + found.items
        return library

    def content_path(self, path: Path) -> str:
        """A changed file's path as the notes know theirs (under the content folder as given), or "" if it lies elsewhere."""
        try:
            return str(self.options.content / path.resolve().relative_to(self.options.content.resolve()))
        except ValueError:
            return ""

    def watch(self, report: Callable[[Attempt], None]) -> None:
        """Rebuild after every change to the content, scans or templates, until Ctrl-C or SIGTERM."""
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda number, frame: stop.set())
        folders = [folder for folder in self.options.inputs if folder.exists()]
        try:
            for changes in watchfiles.watch(*folders, debounce=300, stop_event=stop):
                report(self.rebuild(sorted({Path(path) for _, path in changes})))
                gc.collect()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
