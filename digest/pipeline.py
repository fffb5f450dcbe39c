"""The build as a table of contents: settings → scans → content → library → render → feeds → write.

The stages are imported where they are used: a build without the cache imports them as it goes, and
a cached build of a large site imports them while another process stamps the input files, so that a
rebuild that finds nothing changed never waits for Jinja, pydantic and markdown-it.
"""

from __future__ import annotations

import functools
import gc
import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from digest import cache, write
from digest.problems import Problem, Problems

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

    from digest.library import Library, NoteEntry
    from digest.memo import Entries, Memo

Job = Callable[[], bytes]


@dataclass(frozen=True)
class Options:
    """Where the inputs are, where the site goes, and what to include."""

    content: Path = Path("content")
    scans: Path = Path("scans")
    templates: Path = Path("templates")
    out: Path = Path("_site")
    base_url: str | None = None
    drafts: bool = False
    cache: Path | None = None  # the build cache folder; None builds everything (check, serve, tests)
    jobs: int = 1  # processes that render pages; more than one forks workers for large sites

    @property
    def inputs(self) -> list[Path]:
        """The folders a build reads and must never overwrite."""
        return [self.content, self.scans, self.templates]


@dataclass(repr=False)
class Site:
    """The rendered site: files to write, files to copy, and files kept from the previous build, by path from the site root."""

    library: Library
    files: dict[str, bytes] = field(default_factory=dict)
    staged: list[str] = field(default_factory=list)  # pages written into the staging folder as they were rendered (bytes not kept)
    copies: dict[str, Path] = field(default_factory=dict)
    reused: dict[str, str] = field(default_factory=dict)  # unchanged since the last build (their paths there): linked, not written
    keys: dict[str, str] = field(default_factory=dict)  # with the cache: each output file's key
    bodies: dict[str, str] = field(default_factory=dict)  # with the cache: each edition's feed entry, by slug

    def __repr__(self) -> str:
        """A line, not every file's bytes (a failed test prints it)."""
        return f"Site({len(self.files) + len(self.staged)} files written, {len(self.reused)} kept, {len(self.copies)} copied; {self.library!r})"

    @property
    def pages(self) -> list[str]:
        """The web pages among the files (not the editions' email copies)."""
        from digest import email

        return [path for path in [*self.files, *self.staged, *self.reused] if path.endswith(".html") and path.rsplit("/", 1)[-1] not in email.FILES]


@dataclass(frozen=True)
class Unchanged:
    """A cached build found every input as the last build left it: nothing was rendered or written."""

    out: Path


def load(options: Options, problems: Problems, memo: Memo | None = None, compiled: dict[str, bytes] | None = None) -> Library | None:
    """Read and validate every input (recalling unchanged files from the memo, if given) and resolve every reference; None if anything is wrong.

    Without a memo, another process reads the notes meanwhile; given compiled, it also compiles the templates into it (see
    render.compile_templates), where it can.
    """
    from digest import parallel
    from digest.content import PREREAD, by_path_alone, load_content
    from digest.library import build_library
    from digest.markdown import new_parser
    from digest.memo import Memo
    from digest.scans import load_scans
    from digest.settings import DEFAULT_MAX_MARKDOWN_BYTES, DEFAULT_MAX_SCAN_BYTES, load_settings

    settings = load_settings(options.content / "site.yaml", problems, options.base_url)
    md = new_parser(settings.allow_html if settings else False)
    max_bytes = settings.max_scan_bytes if settings else DEFAULT_MAX_SCAN_BYTES
    max_markdown = settings.max_markdown_bytes if settings else DEFAULT_MAX_MARKDOWN_BYTES
    ahead = None
    if memo is None and settings is not None and parallel.can_fork():  # another process parses the notes while this one validates scans
        ahead = parallel.Later(functools.partial(read_ahead, options.content, md, max_markdown, options.templates if compiled is not None else None))
    scans = load_scans(options.scans, problems, max_bytes, memo)
    content_memo = memo
    if ahead is not None:
        notes, templates = ahead.result()
        content_memo = Memo(PREREAD, by_path_alone, previous=notes)
        if compiled is not None:
            compiled.update(templates)
    content = load_content(options.content, md, problems, max_markdown, content_memo)
    if settings is None:
        return None
    library = build_library(settings, scans, content, options.drafts, problems, memo)
    return None if problems.errors else library


def read_ahead(content: Path, md: MarkdownIt, max_markdown: int, templates: Path | None) -> tuple[Entries, dict[str, bytes]]:
    """What another process does while the build validates scans: read and parse the notes; compile the templates, if given."""
    from digest.content import preread

    notes = preread(content, md, max_markdown)
    if templates is None:
        return notes, {}
    from digest import render

    return notes, render.compile_templates(templates)


def render_site(library: Library, options: Options, problems: Problems, state: cache.State | None = None,
                staging: write.Staging | None = None, compiled: dict[str, bytes] | None = None) -> Site | None:
    """Render pages, feeds and sitemap (with a cache state, only what changed); gather the static files to copy.

    Templates compiled in advance (see load) may be given in compiled. With a staging folder, each page is written
    into it as soon as it is rendered, by the process that rendered it, and listed in the site's staged pages instead
    of its files.
    """
    from digest import email, feeds, parallel, render

    bytecode = render.folder_cache(state.folder / "templates") if state else render.CompiledTemplates(compiled)
    renderer = render.Renderer(library, options.templates, bytecode)
    keys = output_keys(library, state) if state else {}
    jobs: list[tuple[str, Job]] = [(path, encoded(job)) for path, job in render.page_jobs(renderer)]
    in_feeds = {edition.slug for edition in feeds.feed_editions(library)}
    for edition in library.editions:
        if edition.slug in in_feeds:
            jobs.append((BODY + edition.slug, encoded(lambda edition=edition: renderer.edition_body(edition))))  # type: ignore[misc]
        jobs += email.email_jobs(renderer, edition)
    site = Site(library)
    bodies: dict[str, str] = {}
    todo = []
    for path, job in jobs:
        key = keys[path.removeprefix(BODY)] if state else None
        cached_body = state.body(key) if state and key and path.startswith(BODY) else None
        old = state.reusable(path, key) if state and key and not path.startswith(BODY) else None
        if cached_body is not None:
            bodies[path.removeprefix(BODY)] = cached_body
        elif old is not None:
            site.reused[path] = old
        else:
            todo.append((path, job))
    groups = affinity(library)
    todo.sort(key=lambda item: groups.get(item[0], -1))
    paths = [path for path, _ in todo]

    together = [groups.get(path, path) for path in paths]  # a job that shows no notes is a group of its own
    if parallel.forks(len(todo), options.jobs):
        renderer.prepare(paths)
    stage = functools.partial(stage_page, staging, paths) if staging is not None else None
    rendered = parallel.run([job for _, job in todo], options.jobs, problems, renderer.templates, stage, together)
    staged = set()
    for path, data in zip(paths, rendered, strict=True):
        if data is None:
            staged.add(path)
        elif path.startswith(BODY):
            bodies[path.removeprefix(BODY)] = data.decode("utf-8")
        else:
            site.files[path] = data
    if problems.errors:
        return None
    site.files = {path: site.files[path] for path, _ in jobs if path in site.files}  # in site order, however rendered
    site.staged = [path for path, _ in jobs if path in staged]
    feed_key = keys["feed.xml"] if state else None
    old_feeds = {name: state.reusable(name, feed_key) for name in ("feed.xml", "atom.xml")} if state and feed_key else {}
    if all(old_feeds.values()) and old_feeds:
        site.reused.update({name: path for name, path in old_feeds.items() if path})
    else:
        site.files.update(feeds.make_feeds(library, bodies))
    sitemap = state.reusable("sitemap.xml", keys["sitemap.xml"]) if state else None
    if sitemap:
        site.reused["sitemap.xml"] = sitemap
    else:
        site.files["sitemap.xml"] = feeds.make_sitemap(library, sitemap_urls(site.pages))
    site.copies = static_copies(library, options, problems)
    for path in sorted(site.copies.keys() & (site.files.keys() | site.reused.keys())):
        problems.add(site.copies[path], f"would overwrite the generated /{path}")
    if state:
        site.keys, site.bodies = dict(keys), bodies
    return None if problems.errors else site


BODY = "\0body:"  # a job that renders an edition's feed entry, not a file


def stage_page(staging: write.Staging, paths: list[str], index: int, data: bytes) -> bool:
    """Write the page at paths[index] into the staging folder (True); an edition's feed entry is no file (False)."""
    if paths[index].startswith(BODY):
        return False
    staging.write(paths[index], data)
    return True


def affinity(library: Library) -> dict[str, int]:
    """For each output that shows notes, the edition whose notes it shows: ordered together, they render in one worker."""
    from digest import email

    groups: dict[str, int] = {}
    for index, edition in enumerate(library.editions):
        for name in ("index.html", *email.FILES):
            groups[f"{edition.url}{name}"] = index
        groups[BODY + edition.slug] = index
        for note in edition.notes:
            groups.setdefault(f"{note.paper.url}index.html", index)
    groups["index.html"] = len(library.editions) - 1
    return groups


def encoded(job: Callable[[], str]) -> Job:
    """A rendering job that returns UTF-8 bytes."""
    return lambda: job().encode("utf-8")


def output_keys(library: Library, state: cache.State) -> defaultdict[str, str]:
    """The key of every output file: a hash of the inputs it is made from (see digest.cache)."""
    from digest import email, feeds

    notes = [note for edition in library.content.editions for note in edition.notes]
    paths = [str(note.path) for note in notes]  # absolute, as the inputs are stamped (a path that is not only costs reuse)
    hashes = {id(note): state.file_hash(path) for note, path in zip(notes, paths, strict=True)}
    skipped = set(paths)
    structure = cache.digest_of(
        cache.tool_key(),
        state.options,
        *(line for path, line in state.input_lines if path not in skipped),
        *(f"{path}\0{note.slug}\0{note.meta.model_dump_json()}" for note, path in zip(notes, paths, strict=True)),
    )
    keys: dict[str, str] = {}

    def of_notes(entries: list[NoteEntry]) -> str:
        return cache.digest_of(structure, *(hashes[id(entry.note)] for entry in entries))

    for edition in library.editions:
        key = of_notes(edition.notes)
        for name in ("index.html", *email.FILES):
            keys[f"{edition.url}{name}"] = key
        keys[edition.slug] = key
    for paper in library.papers:
        keys[f"{paper.url}index.html"] = of_notes(paper.notes)
    structural = defaultdict(lambda: structure, keys)
    structural["index.html"] = keys[library.latest.slug] if library.latest else structure
    structural["feed.xml"] = structural["atom.xml"] = cache.digest_of(structure, *(keys[e.slug] for e in feeds.feed_editions(library)))
    return structural


def sitemap_urls(pages: list[str]) -> list[str]:
    """The URL of every page but the 404 page."""
    return [path.removesuffix("index.html") for path in pages if path != "404.html"]


def static_copies(library: Library, options: Options, problems: Problems) -> dict[str, Path]:
    """Stylesheets from templates/static, files from content/static, and each edition's own files."""
    copies: dict[str, Path] = {}
    for root in (options.templates / "static", options.content / "static"):
        for path in sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []:
            copies[path.relative_to(root).as_posix()] = path
    for edition in library.editions:
        folder = edition.edition.path.parent
        for asset in edition.edition.assets:
            copies[f"{edition.url}{asset.relative_to(folder).as_posix()}"] = asset
    return copies


def check(options: Options, problems: Problems) -> Site | None:
    """Everything build does but writing, then the house-style lint as warnings."""
    from digest import lint

    site = build(options, problems, write_output=False)
    if site is not None:
        lint.lint(site.library, problems)
    return site


def build(options: Options, problems: Problems, write_output: bool = True) -> Site | None:
    """Load, render and (unless checking) write the site; None if anything is wrong."""
    compiled: dict[str, bytes] = {}
    library = load(options, problems, compiled=compiled)
    if library is None:
        return None
    staging = write.Staging(options.out) if write_output else None
    try:
        site = render_site(library, options, problems, staging=staging, compiled=compiled)
        if site is not None and staging is not None:
            write.write_site(options.out, site.files, site.copies, staging=staging)
    finally:
        if staging is not None and staging.folder.exists():
            staging.discard()  # the build failed before the swap, or the swap left the old site here
    return site


def update(options: Options, problems: Problems) -> Site | Unchanged | None:
    """Build with the cache in options.cache: nothing when nothing changed, else render and write only what changed.

    The site this build replaces is kept in the cache as the spare, and the next build updates it into its own site.
    """
    folder = options.cache
    if folder is None:
        return build(options, problems)
    options = replace(options, content=absolute(options.content), scans=absolute(options.scans), templates=absolute(options.templates))
    state = cache.State.open(folder, options.out, output_options(options), options.inputs, meanwhile=import_stages)
    if state.unchanged():
        return Unchanged(options.out)
    survey = write.surveying(state.spare) if state.spare_recorded() else None  # listed by another process while this one loads
    try:
        inputs = library_inputs(state, options)
        library, memo, loaded = recall_library(state, inputs, problems), None, []
        if library is None:  # loaded: recalling unchanged files from the memo, and saving the library for the next build
            memo, start = open_memo(state, options, problems), len(problems.items)
            library = load(options, problems, memo)
            loaded = problems.items[start:]
        site = render_site(library, options, problems, state) if library else None
        if site is not None and library is not None:
            spare = state.claim_spare(site.keys, survey)  # the site before the last, to update in place; None: write a fresh folder
            kept = write.write_site(options.out, site.files, site.copies, site.reused, spare, keep=state.next_spare())
            state.save(site.keys, site.bodies, {slug: site.keys[slug] for slug in site.bodies}, spare_kept=kept)
            if memo is not None:
                memo.save(state.folder / MEMO)
                save_library(state, inputs, problems, library, loaded, memo)
    finally:
        if survey is not None:
            survey.cancel()
    return site


MEMO = "memo.pickle"


def import_stages() -> None:
    """Import the modules that load and render a site (while another process stamps the inputs: a no-op build does not need them)."""
    from digest import content, email, feeds, library, render  # noqa: F401


def recall_library(state: cache.State, inputs: dict[str, str] | None, problems: Problems) -> Library | None:
    """The last full load's library, if only note bodies changed since (see digest.snapshot)."""
    from digest import snapshot

    return snapshot.recall(state.folder / snapshot.FILE, snapshot_key(state, problems), inputs, problems) if inputs is not None else None


def save_library(state: cache.State, inputs: dict[str, str] | None, problems: Problems, library: Library, loaded: list[Problem],
                 memo: Memo) -> None:
    """Save the library this build loaded from inputs, with the problems loading raised, for builds that change only note bodies."""
    from digest import snapshot

    if inputs is None:
        return
    note_problems = {}
    for note in (note for edition in library.content.editions for note in edition.notes):
        raised = memo.raised(note.path)
        if raised is None:  # not recalled or remembered: no snapshot (a loaded library's notes always are)
            return
        note_problems[str(note.path)] = raised
    snapshot.save(state.folder / snapshot.FILE, snapshot_key(state, problems), inputs, library, loaded, note_problems)


def snapshot_key(state: cache.State, problems: Problems) -> str:
    """What a saved library depends on besides its input files: the tool, the options, and the folder problems are shown from."""
    return cache.digest_of(cache.tool_key(), state.options, str(problems.root.resolve()))


def library_inputs(state: cache.State, options: Options) -> dict[str, str] | None:
    """The hash of every input file the library is made from (all but the templates), by path; None if the templates share a folder with them."""
    templates = str(options.templates)
    for folder in (str(options.content), str(options.scans)):
        if os.path.commonpath([folder, templates]) in (folder, templates):
            return None
    return {path: stamp.hash for path, stamp in state.inputs.items() if not path.startswith(templates + os.sep)}


def open_memo(state: cache.State, options: Options, problems: Problems) -> Memo:
    """The last successful build's memo of loaded input files, valid for this tool, options, settings and working folder."""
    from digest.memo import Memo

    settings = state.file_hash(options.content / "site.yaml")  # its limits decide which files load
    key = cache.digest_of(cache.tool_key(), state.options, settings, str(problems.root.resolve()))
    return Memo.open(state.folder / MEMO, key, state.file_hash)


def absolute(path: Path) -> Path:
    """The path made absolute (not resolved): the cache knows every input by such a path."""
    return Path(os.path.abspath(path))


@contextmanager
def without_gc_pauses() -> Iterator[None]:
    """No cycle collection while building: a build makes millions of objects that live until it ends, so collecting only walks them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def output_options(options: Options) -> str:
    """The options that change what a build writes, as text (for the cache)."""
    return repr((os.path.abspath(options.content), os.path.abspath(options.scans), os.path.abspath(options.templates),
                 options.base_url, options.drafts))
