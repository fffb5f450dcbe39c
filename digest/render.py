"""Rendering outputs: the Jinja environment, a renderer for one site, and rendering many outputs in several processes."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import multiprocessing
import os
import signal
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import jinja2
import jinja2.runtime

from digest import files
from digest.filters import bar_svg, defang, engagement_label, humanize, long_date, plural, short_authors, thousands
from digest.history import scan_change
from digest.ledger import Ledger, read_ledger
from digest.library import EditionEntry, Library, NoteEntry
from digest.problems import Problems
from digest.urls import page_url
from digest.views import PageContext, ScanView, scan_view

if TYPE_CHECKING:
    from digest.outputs import Output

T = TypeVar("T")
PR_SET_PDEATHSIG = 1
MIN_JOBS = 300  # outputs to render: below this, starting processes costs more than it saves
CHUNK = 64  # outputs per task sent to a process: neighbours in the plan share work (an edition, its papers)
SCAN_VIEWS = 256  # scan views a renderer keeps: the pages of one edition show the same few scans


@dataclass(frozen=True)
class Templates:
    """Every template's source, read once: what each page is rendered with, and what the cache keys."""

    folder: Path
    sources: tuple[tuple[str, str], ...]  # (template name, source), by name

    @classmethod
    def read(cls, folder: Path, problems: Problems) -> Templates:
        """Read every template under folder (its static files excepted)."""
        sources = []
        for path in files.find(folder, "", problems):
            name = path.relative_to(folder).as_posix()
            if not name.startswith("static/"):
                text = files.read_text(path, problems)
                if text is not None:
                    sources.append((name, text))
        return cls(folder, tuple(sorted(sources)))

    @functools.cached_property
    def digest(self) -> str:
        """One digest of every template's name and source."""
        return files.digest_of(*(part for source in self.sources for part in source))

    def load(self, name: str) -> tuple[str, str, Callable[[], bool]] | None:
        """A template's source, file name and up-to-date check, for jinja2.FunctionLoader."""
        text = dict(self.sources).get(name)
        return None if text is None else (text, str(self.folder / name), lambda: True)


@functools.lru_cache(maxsize=1)  # serve renders with the same templates build after build: each is compiled once
def environment(templates: Templates) -> jinja2.Environment:
    """Jinja with autoescape on for every template, whatever its file name."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(templates.load),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    env.filters["defang"] = defang
    env.filters["engagement_label"] = engagement_label
    env.filters["humanize"] = humanize
    env.filters["thousands"] = thousands
    env.filters["short_authors"] = short_authors
    env.filters["plural"] = plural  # `{{ n | plural("paper") }}`; plural(n, "paper") works too
    env.filters["link"] = link
    env.globals["plural"] = plural
    env.globals["bar_svg"] = bar_svg
    env.globals["scan_change"] = scan_change
    env.globals["page_url"] = page_url
    return env


@jinja2.pass_context
def link(context: jinja2.runtime.Context, url: str) -> str:
    """`{{ paper.url | link }}`: a link to a site URL from the page being rendered (its `ctx.link(url)`)."""
    ctx: PageContext = context["ctx"]
    return ctx.link(url)


class Renderer:
    """Renders the outputs of one site with one set of templates."""

    def __init__(self, library: Library, templates: Templates) -> None:
        """Compile nothing yet: each template is compiled when first used."""
        self.library = library
        self.templates = templates
        self.env = environment(templates)
        self.scans = ScanViews(library)
        self.read: set[int] = set()  # the notes whose text the output being rendered has shown (by id)
        self.bodies: dict[str, str] = {}  # each edition's and note's feed entry (by slug, and edition/note): each is in several feeds

    def render(self, output: Output) -> bytes:
        """An output's bytes (jinja2.TemplateError or files.Changed if it cannot be made)."""
        self.read.clear()
        if output.copy is not None:
            return output.copy.read_bytes()
        if output.function is not None:
            made = output.function(self, **output.values)
            return made if isinstance(made, bytes) else made.encode("utf-8")
        assert output.template is not None
        return self.page(output.template, output.path, output.absolute, **output.values).encode("utf-8")

    def context(self, url: str, absolute: bool = False, bare: bool = False) -> PageContext:
        """Where the page at url sits, how it links, and whose notes it has shown."""
        return PageContext(self.library, url, absolute, bare, self.read)

    def page(self, template: str, url: str, absolute: bool = False, bare: bool = False, **values: Any) -> str:
        """Render one template for the page at url (see PageContext for absolute and bare)."""
        return self.env.get_template(template).render(
            site=self.library.settings, library=self.library, ctx=self.context(url, absolute, bare), scans=self.scans, **values
        )

    def edition_body(self, edition: EditionEntry) -> str:
        """An edition as feed content: intro and notes, every link absolute."""
        body = self.bodies.get(edition.slug)
        if body is None:
            body = self.bodies[edition.slug] = self.page("feed_entry.html", edition.url, absolute=True, edition=edition)
        for note in edition.notes:
            self.read.add(id(note.note))
        return body

    def note_body(self, note: NoteEntry) -> str:
        """A note as feed content (a tag's feeds): its paper, text and scan, every link absolute."""
        key = f"{note.edition.slug}/{note.anchor}"
        body = self.bodies.get(key)
        if body is None:
            body = self.bodies[key] = self.page("feed_note.html", note.edition.url, absolute=True, note=note)
        self.read.add(id(note.note))
        return body

    @functools.cached_property
    def ledger(self) -> Ledger:
        """Every claim and red flag of the archive, read once in this process (the claims and flags pages show it)."""
        return read_ledger(self.library)

    def showed_only_its_notes(self, output: Output) -> bool:
        """Whether the output last rendered showed no note's text but those the plan lists for it."""
        return self.read <= {id(note.note) for note in output.shows}


class ScanViews(Mapping[str, ScanView]):
    """Each paper's scan view by paper id, made when a page shows it; the latest few are kept."""

    def __init__(self, library: Library) -> None:
        """Know every paper's scan file; read none yet."""
        self._files = {p.id: p.scan for p in library.papers if p.scan}
        self._views: OrderedDict[str, ScanView] = OrderedDict()

    def __getitem__(self, paper_id: str) -> ScanView:
        """The scan view of a paper with a scan."""
        view = self._views.pop(paper_id, None)
        if view is None:
            view = scan_view(self._files[paper_id].scan)
            if len(self._views) >= SCAN_VIEWS:
                self._views.popitem(last=False)
        self._views[paper_id] = view
        return view

    def __iter__(self) -> Iterator[str]:
        """Paper ids."""
        return iter(self._files)

    def __len__(self) -> int:
        """How many papers have a scan."""
        return len(self._files)

    def __contains__(self, paper_id: object) -> bool:
        """Whether the paper has a scan (without reading it)."""
        return paper_id in self._files


class Sink(Protocol):
    """Where rendered outputs are written (any process may write)."""

    def write(self, relative: str, data: bytes) -> None:
        """Write one output."""


@contextlib.contextmanager
def pool(jobs: int, processes: int) -> Iterator[Executor]:
    """An executor of `processes` forked processes if jobs allows more than one and this thread runs alone, else of this process."""
    if jobs > 1 and can_fork():
        with ProcessPoolExecutor(processes, multiprocessing.get_context("fork"), initializer=die_with_parent, initargs=(os.getpid(),)) as forked:
            yield forked
    else:
        yield Here()


class Here(Executor):
    """Runs each function when submitted, in this process."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run fn now; its result, or its exception, in a future."""
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


@contextlib.contextmanager
def collecting_garbage_after() -> Iterator[None]:
    """No collection of cyclic garbage until the build is done.

    A build makes hundreds of thousands of objects that live until it ends, and Python's collector
    walks them all again each time a few hundred more are made: a quarter of a one-note rebuild of a
    10,000-paper site (benchmarks/run.py). serve, which runs on, collects after each rebuild.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def can_fork() -> bool:
    """Whether processes can be forked to work beside this one: fork exists, and no other thread runs (a fork copies only this one)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def workers() -> int:
    """The processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


Failure = tuple[str, str, int | None]  # (file or "", message, line): a problem that crosses processes
Done = tuple[Failure | None, bool]  # an output's failure, if any, and whether it showed only its own notes


def render_all(renderer: Renderer, outputs: Sequence[Output], sink: Sink | None, jobs: int, problems: Problems) -> list[bool]:
    """Render outputs into the sink (or nowhere, to check them), in jobs processes if there are enough; problems recorded.

    For each output: whether it showed no note's text but those it lists (if not, the cache never reuses it).
    """
    if jobs > 1 and len(outputs) >= MIN_JOBS and can_fork():
        with multiprocessing.get_context("fork").Pool(jobs, _start, (renderer, outputs, sink, os.getpid())) as pool:
            done = [result for part in pool.imap(_render_range, chunks(len(outputs)), chunksize=1) for result in part]
    else:
        done = render_range(renderer, outputs, sink, range(len(outputs)))
    for failure, _ in done:
        if failure is not None:
            path, message, line = failure
            problems.add(Path(path) if path else renderer.templates.folder, message, line)
            break  # the first error only, as a build that stops at it would report
    return [own for _, own in done]


def chunks(count: int) -> list[range]:
    """The outputs numbered 0 to count, cut into tasks of CHUNK neighbours."""
    return [range(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]


def render_range(renderer: Renderer, outputs: Sequence[Output], sink: Sink | None, indices: range) -> list[Done]:
    """Render some outputs into the sink; a failure stops the range (a Failure, unlike an exception, crosses processes)."""
    done: list[Done] = []
    for index in indices:
        output = outputs[index]
        try:
            data = renderer.render(output)
        except jinja2.TemplateSyntaxError as error:
            return [*done, ((error.filename or "", f"template error: {error.message}", error.lineno), False)]
        except jinja2.TemplateError as error:
            return [*done, (("", f"template error: {error.message or error}", None), False)]
        except files.Changed as error:
            return [*done, ((str(error.path), "changed while the site was being built; build again", None), False)]
        if sink is not None:
            sink.write(output.path, data)
        done.append((None, renderer.showed_only_its_notes(output)))
    return done


_work: tuple[Renderer, Sequence[Output], Sink | None] | None = None  # what a forked process renders, from the pool's initializer


def _start(renderer: Renderer, outputs: Sequence[Output], sink: Sink | None, parent: int) -> None:
    """Begin a rendering process: keep its work (inherited through the fork, not sent)."""
    global _work
    die_with_parent(parent)
    _work = (renderer, outputs, sink)


def die_with_parent(parent: int) -> None:
    """Have Linux end this process, forked by parent, when the build ends (say, killed): it must not write on into a site."""
    prctl = getattr(ctypes.CDLL(None), "prctl", None)  # in the C library this process runs with, on Linux
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the build ended before this process asked
        os._exit(1)


def _render_range(indices: range) -> list[Done]:
    """Render a range of the outputs, in a pool's process."""
    assert _work is not None
    return render_range(*_work, indices)
