"""The Jinja environment, and every page of the site rendered as {output path: bytes}."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
import jinja2.runtime

from digest.library import EditionEntry, Library, PaperEntry, TagEntry, page_url
from digest.problems import Problems
from digest.views import PageContext, ScanView, bar_svg, humanize, long_date, plural, scan_view, short_authors, thousands

ARCHIVE = "editions/index.html"  # the archive of editions, which shows every introduction


CODE = "digest-escape-1"  # names the code our compiler writes: compiled templates kept from other code are compiled again


def escape_html(value: Any) -> str:
    """A value written into a page: its own HTML if it has some (Markup), else its text escaped exactly as markupsafe.escape does.

    The result is a plain string: Jinja joins it into the page at once, so it need not be a Markup,
    and making one (in Python, per value) cost more than the escaping itself.
    """
    text: str = value
    if value.__class__ is not str:
        html = getattr(value, "__html__", None)
        if html is not None:
            markup = html()
            return markup if isinstance(markup, str) else str(markup)
        text = str(value)
    if "&" in text:  # each character looked for first: most values have none of them, and `in` costs less than a call
        text = text.replace("&", "&amp;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if "'" in text:
        text = text.replace("'", "&#39;")
    if '"' in text:
        text = text.replace('"', "&#34;")
    return text


class _Compiler(jinja2.compiler.CodeGenerator):
    """Jinja's compiler, writing each `{{ value }}` of an autoescaped template through escape_html instead of markupsafe.escape.

    It overrides the one method where Jinja writes that call (an internal one: should a Jinja release
    rename it, templates fall back to markupsafe.escape, and test_properties.py says so).
    """

    def _output_child_pre(self, node: jinja2.nodes.Expr, frame: jinja2.compiler.Frame, finalize: Any) -> None:
        """Open the call that escapes one value written out (Jinja's own where autoescape can change at run time)."""
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("environment.escape_html(")
        if finalize.src is not None:
            self.write(finalize.src)


class _Environment(jinja2.Environment):
    """Jinja, compiling templates with _Compiler."""

    code_generator_class = _Compiler
    escape_html = staticmethod(escape_html)


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept in a folder from one build to the next; one compiled by other code (another version) is compiled again."""

    def get_source_checksum(self, source: str) -> str:
        """The checksum of the source and of the code that compiles it."""
        return super().get_source_checksum(f"{CODE}\n{source}")


def environment(templates: Path, compiled: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """Jinja with autoescape on for every template, whatever its file name; compiled templates kept in compiled, if given."""
    env = _Environment(
        loader=jinja2.FileSystemLoader(templates),
        bytecode_cache=compiled,
        autoescape=True,
        auto_reload=False,  # a build reads each template once: no need to look at its file again on every use
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    env.filters["humanize"] = humanize
    env.filters["thousands"] = thousands
    env.filters["short_authors"] = short_authors
    env.filters["plural"] = plural  # `{{ n | plural("paper") }}`; a filter costs a template less than a call (plural(n, ...) works too)
    env.filters["link"] = link
    env.globals["plural"] = plural
    env.globals["bar_svg"] = bar_svg
    env.globals["page_url"] = page_url
    return env


@jinja2.pass_context
def link(context: jinja2.runtime.Context, url: str) -> str:
    """`{{ paper.url | link }}`: a link to a site URL from the page being rendered (its `ctx.link(url)`)."""
    ctx: PageContext = context["ctx"]
    return ctx.link(url)


def folder_cache(folder: Path) -> jinja2.BytecodeCache:
    """Compiled templates kept in folder, from one build to the next."""
    folder.mkdir(parents=True, exist_ok=True)
    return TemplateCache(str(folder))


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates held in memory, by template and source checksum: what one process compiles, another can load."""

    def __init__(self, codes: dict[str, bytes] | None = None) -> None:
        """Start from the compiled templates in codes, if given (a template whose source changed since is compiled again)."""
        self.codes = dict(codes or {})

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill the bucket from memory, if its template was compiled."""
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep a newly compiled template."""
        self.codes[bucket.key] = bucket.bytecode_to_string()


def compile_templates(templates: Path) -> dict[str, bytes]:
    """Every page template compiled, for CompiledTemplates (run while the build loads; one that fails is left to the page that uses it)."""
    compiled = CompiledTemplates()
    compile_all(environment(templates, compiled))
    return compiled.codes


def compile_all(env: jinja2.Environment) -> None:
    """Compile (or load) every page template now; one that fails is reported by the page that uses it."""
    for name in env.list_templates(extensions=("html", "txt")):
        if not name.startswith("static/"):
            with contextlib.suppress(jinja2.TemplateError, UnicodeDecodeError, OSError):
                env.get_template(name)


class Renderer:
    """Renders the library's pages with one compiled set of templates."""

    def __init__(self, library: Library, templates: Path, compiled: jinja2.BytecodeCache | None = None) -> None:
        """Compile templates once (or load them from compiled); compute each paper's scan view once, when first needed."""
        self.library = library
        self.templates = templates
        self.env = environment(templates, compiled)
        self.scans = ScanViews(library)

    def prepare(self, paths: Collection[str]) -> None:
        """Before forking workers to render paths, do once what each would do again: compile templates, parse shared text."""
        compile_all(self.env)
        if ARCHIVE in paths:  # it shows every introduction, and each edition page its own
            for edition in self.library.editions:
                edition.edition.intro.parse()
        for paper in self.library.papers:
            if len(paper.notes) > 1:  # rendered with its first edition's pages, and shown with the others'
                for entry in paper.notes:
                    entry.note.body.parse()

    def page(self, template: str, url: str, absolute: bool = False, bare: bool = False, **values: Any) -> str:
        """Render one template for the page at url (see PageContext for absolute and bare)."""
        ctx = PageContext(self.library, url, absolute, bare)
        return self.env.get_template(template).render(
            site=self.library.settings, library=self.library, ctx=ctx, scans=self.scans, **values
        )

    def edition_body(self, edition: EditionEntry) -> str:
        """An edition as feed content: intro and notes, every link absolute."""
        return self.page("feed_entry.html", edition.url, absolute=True, edition=edition)


class ScanViews(Mapping[str, ScanView]):
    """Each paper's scan view by paper id, computed on first use (and so only where a page needs it)."""

    def __init__(self, library: Library) -> None:
        """Know every paper's scan; compute nothing yet."""
        self._scans = {p.id: p.scan for p in library.papers if p.scan}
        self._views: dict[str, ScanView] = {}

    def __getitem__(self, paper_id: str) -> ScanView:
        """The scan view of a paper with a scan."""
        view = self._views.get(paper_id)
        if view is None:
            view = self._views[paper_id] = scan_view(self._scans[paper_id].scan)
        return view

    def __iter__(self) -> Iterator[str]:
        """Paper ids."""
        return iter(self._scans)

    def __len__(self) -> int:
        """How many papers have a scan."""
        return len(self._scans)


def render_pages(renderer: Renderer, problems: Problems) -> dict[str, str]:
    """Every HTML page of the site as {path from the site root: HTML}."""
    try:
        return {path: job() for path, job in page_jobs(renderer)}
    except jinja2.TemplateSyntaxError as error:
        problems.add(Path(error.filename or renderer.templates), f"template error: {error.message}", error.lineno)
    except jinja2.TemplateError as error:
        problems.add(renderer.templates, f"template error: {error.message or error}")
    return {}


def page_jobs(r: Renderer) -> list[tuple[str, Callable[[], str]]]:
    """(path, a function that renders it) for every page, in site order; nothing is rendered yet.

    Rendering errors surface when a job runs: call them inside render_pages, or catch jinja2.TemplateError.
    """
    lib = r.library

    def job(template: str, url: str, absolute: bool = False, **values: Any) -> tuple[str, Callable[[], str]]:
        return url, lambda: r.page(template, url, absolute, **values)

    jobs = [
        job("home.html", "index.html", edition=lib.latest, earlier=list(reversed(lib.editions[:-1]))),
        job("archive.html", ARCHIVE, editions=list(reversed(lib.editions))),
    ]
    jobs += [job("edition.html", f"{edition.url}index.html", edition=edition) for edition in lib.editions]
    jobs.append(job("papers.html", "papers/index.html", papers=lib.papers))
    jobs += [(f"{paper.url}index.html", lambda paper=paper: paper_page(r, paper)) for paper in lib.papers]  # type: ignore[misc]
    jobs.append(job("tags.html", "tags/index.html", tags=lib.tags))
    jobs += [(f"{tag.url}index.html", lambda tag=tag: tag_page(r, tag)) for tag in lib.tags]  # type: ignore[misc]
    jobs += [job("page.html", f"{page_url(page)}index.html", page=page) for page in lib.pages]
    jobs.append(job("404.html", "404.html", absolute=True))
    return jobs


def paper_page(r: Renderer, paper: PaperEntry) -> str:
    """A paper's page: the editorial notes, the full scan, editions and related papers."""
    return r.page("paper.html", f"{paper.url}index.html", paper=paper, scan=r.scans.get(paper.id))


def tag_page(r: Renderer, tag: TagEntry) -> str:
    """A tag's page: the papers carrying it."""
    return r.page("tag.html", f"{tag.url}index.html", tag=tag)
