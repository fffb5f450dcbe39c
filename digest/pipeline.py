"""The build as a table of contents: settings → scans → content → library → outputs → render → write → search index → publish."""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from digest import lint, outputs, render, scanfiles, search, write
from digest.cache import Cache
from digest.content import load_content
from digest.library import Library, build_library
from digest.markdown import new_parser
from digest.outputs import Output
from digest.problems import Problems
from digest.settings import load_settings


@dataclass(frozen=True)
class Options:
    """Where the inputs are, where the site goes, and what to include."""

    content: Path = Path("content")
    scans: Path = Path("scans")
    templates: Path = Path("templates")
    out: Path = Path("_site")
    base_url: str | None = None
    drafts: bool = False
    cache: Path | None = None  # the build cache folder (see digest.cache); None renders everything
    jobs: int = 1  # processes that render the outputs of a large site
    search: bool = True  # index the site for search, if site.yaml has it (serve does not: it rebuilds on every edit)

    @property
    def inputs(self) -> list[Path]:
        """The folders a build reads and must never overwrite."""
        return [self.content, self.scans, self.templates]

    def text(self) -> str:
        """The options that shape what a build makes, as text (for the cache)."""
        return repr((*(os.path.abspath(folder) for folder in self.inputs), self.base_url, self.drafts, self.search))


@dataclass(repr=False)
class Site:
    """A built site: its library, its outputs, and which of them this build rendered, kept from the last one or copied."""

    library: Library
    outputs: list[Output]
    rendered: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    index_seconds: float | None = None  # how long the search index took to make, if it was made

    def __repr__(self) -> str:
        """A line, not every output (a failed test prints it)."""
        return f"Site({len(self.rendered)} rendered, {len(self.kept)} kept, {len(self.copied)} copied; {self.library!r})"

    @property
    def pages(self) -> list[str]:
        """The web pages among the outputs (not email copies, feeds or copied files)."""
        return [output.path for output in self.outputs if output.page]


@dataclass(frozen=True)
class Unchanged:
    """A cached build found every input as the last build left it: nothing was rendered or written."""

    out: Path


def build(
    options: Options, problems: Problems, cache: Cache | None = None, write_output: bool = True, library: Library | None = None
) -> Site | Unchanged | None:
    """Load, plan, render and (unless checking) write the site; None if anything is wrong, the old site then as it was.

    With a cache, nothing is done if nothing changed, and outputs whose key is unchanged are kept from
    the last site instead of rendered. serve passes the library it keeps when only notes' text changed.
    """
    if cache is not None and cache.unchanged():
        return Unchanged(options.out)
    library = library or load(options, problems, cache.valid if cache else ())
    plan = outputs.plan(library, options.templates, problems) if library else []
    templates = render.Templates.read(options.templates, problems)
    if library is None or problems.errors:
        return None
    renderer = render.Renderer(library, templates)
    keys: list[str | None] = cache.keys(plan, library, templates) if cache else [None] * len(plan)
    kept = {output.path: live for output, key in zip(plan, keys, strict=True) if cache and (live := cache.reusable(output.path, key))}
    todo = [output for output in plan if output.copy is None and output.path not in kept]
    folder = write.Staging(options.out, {o.path for o in plan}, cache.spare if cache else None) if write_output else None
    index_seconds = None
    try:
        own = render.render_all(renderer, todo, folder, options.jobs, problems)
        if problems.errors:
            return None
        if folder is not None:
            folder.fill(kept, {output.path: output.copy for output in plan if output.copy})
            index_seconds = index(options, library, folder.folder, plan, problems)
            if problems.errors:
                return None
            folder.publish()
    finally:
        if folder is not None:
            folder.discard()
    if cache is not None and folder is not None:
        strays = {output.path for output, alone in zip(todo, own, strict=True) if not alone}
        save(cache, library, plan, keys, kept, strays, problems)
    return Site(library, plan, [o.path for o in todo], list(kept), [o.path for o in plan if o.copy], index_seconds)


def load(options: Options, problems: Problems, valid: Collection[str] = ()) -> Library | None:
    """Read and validate every input and resolve every reference; None if anything is wrong.

    With several processes, another one validates the scans while this one reads the notes. Scans
    whose digest is in valid were validated whole by an earlier build: only what the library needs
    of them is read.
    """
    settings = load_settings(options.content / "site.yaml", problems, options.base_url)
    if settings is None:
        return None
    with render.pool(options.jobs, 1) as pool:
        reading = pool.submit(scanfiles.read_scans, options.scans, problems.root, settings.max_scan_bytes, valid)
        content = load_content(options.content, new_parser(settings.allow_html), problems, settings.max_markdown_bytes)
        scans, broken, found = reading.result()
    problems.items += found
    library = build_library(settings, scans, content, options.drafts, problems, broken)
    return None if problems.errors else library


def index(options: Options, library: Library, site: Path, plan: list[Output], problems: Problems) -> float | None:
    """Make the search index of the new site in its folder, if the site and the options want one; how long that took."""
    if not (options.search and library.settings.search):
        return None
    started = time.perf_counter()
    search.index(site, (output.search for output in plan), problems)
    return time.perf_counter() - started


def save(
    cache: Cache, library: Library, plan: list[Output], keys: list[str | None], kept: Collection[str], strays: set[str], problems: Problems
) -> None:
    """Record the site just published in the cache; if that fails, the site stands and the next build renders everything."""
    try:
        cache.save(library, plan, keys, kept, strays)
    except OSError as error:
        problems.warn(
            cache.folder or "cache",
            f"the site is published, but the cache could not be saved ({error.strerror or error}): the next build renders everything",
        )


def check(options: Options, problems: Problems) -> Site | None:
    """Everything build does but writing, then the house-style lint as warnings."""
    site = build(options, problems, write_output=False)
    if not isinstance(site, Site):
        return None
    lint.lint(site.library, problems)
    return site
