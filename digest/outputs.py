"""Every output of a site, as data: where it goes, how it is made, and what it shows.

`plan()` is the one list of what a site produces. The build renders it, the cache keys each entry
by what it shows, the sitemap lists its pages. Adding a kind of output is one entry here, plus its
template or function (see "Adding an output" in the README).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest import chart, cite, email, feeds, files, ledger, search
from digest.library import EditionEntry, Library, NoteEntry, PaperEntry, TagEntry
from digest.problems import Problems
from digest.urls import page_url

ARCHIVE = "editions/index.html"


@dataclass(frozen=True)
class Output:
    """One file of the site: made from a template, by a function, or copied as it is."""

    path: str  # from the site root
    template: str | None = None  # rendered with values, and site, library, ctx (views.PageContext) and scans
    function: Callable[..., str | bytes] | None = None  # called with the renderer and values
    copy: Path | None = None  # a file published as it is
    values: Mapping[str, Any] = field(default_factory=dict)
    shows: tuple[NoteEntry, ...] = ()  # the notes whose text it shows; every output also shows the site's structure
    origin: Path | None = None  # the input it is made for, named if another output wants its path
    absolute: bool = False  # every link absolute (the 404 page, shown at any address)
    page: bool = True  # a web page, listed in the sitemap
    search: str | None = None  # the Pagefind glob that indexes it: its path, or the pattern its kind shares (see digest.search)


def page(path: str, template: str, shows: tuple[NoteEntry, ...] = (), origin: Path | None = None, search: str | None = None, **values: Any) -> Output:
    """A web page made from a template (search: see Output)."""
    return Output(path, template=template, values=values, shows=shows, origin=origin, search=search)


def plan(library: Library, templates: Path, problems: Problems) -> list[Output]:
    """Every output of the site: pages, email copies, feeds, the sitemap and copied files; two on one path are a problem."""
    lib = library
    newest_first = list(reversed(lib.editions))
    outputs = [
        page("index.html", "home.html", notes_of(lib.latest), edition=lib.latest, earlier=newest_first[1:]),
        page(ARCHIVE, "archive.html", editions=newest_first),
        page("papers/index.html", "papers.html", papers=lib.papers, chart=chart.hype_chart(lib.papers)),
        page("tags/index.html", "tags.html", tags=lib.tags),
        *(ledger_page(kind) for kind in ("claims", "flags")),
        *(page(f"{tag.url}index.html", "tag.html", tag=tag) for tag in lib.tags),
        *(page(f"{url}index.html", "page.html", origin=p.path, search=f"{url}index.html", page=p) for p in lib.pages for url in [page_url(p)]),
        *([page(search.PAGE, "search.html")] if lib.settings.search else []),
        Output("404.html", template="404.html", absolute=True),
    ]
    keys = cite.citation_keys(lib)
    for edition in lib.editions:
        outputs += edition_outputs(edition, keys)
    outputs += feed_outputs("", None, tuple(note for edition in feeds.feed_editions(lib) for note in edition.notes))
    for tag in lib.tags:
        outputs += feed_outputs(tag.url, tag, tuple(feeds.feed_notes(lib, tag)))
    sitemap = [path.removesuffix("index.html") for path in (o.path for o in outputs if o.page) if path != "404.html"]
    outputs += [
        Output("sitemap.xml", function=feeds.sitemap, values={"urls": sitemap}, page=False),
        *copies(library, templates, problems),
    ]
    check_paths(outputs, templates, problems)
    for output in outputs if lib.settings.search else ():
        if output.path.lower().startswith(search.FOLDER) or output.path.lower() == search.FOLDER.rstrip("/"):
            problems.add(origin(output), f"would be published at /{output.path}, in the search index's folder (see `search` in site.yaml)")
    return outputs


def ledger_page(kind: str) -> Output:
    """`/claims/` or `/flags/`: every claim, or every red flag, of the archive."""
    path = f"{kind}/index.html"
    return Output(path, function=ledger.page, values={"template": f"{kind}.html", "path": path}, search=path)


def feed_outputs(folder: str, tag: TagEntry | None, notes: tuple[NoteEntry, ...]) -> list[Output]:
    """The RSS, Atom and JSON feeds in folder: the digest's (tag None), or a tag's; each shows notes."""
    made = ((feeds.rss, "feed.xml"), (feeds.atom, "atom.xml"), (feeds.json_feed, "feed.json"))
    return [Output(folder + name, function=kind, values={"path": folder + name, "tag": tag}, shows=notes, page=False) for kind, name in made]


def edition_outputs(edition: EditionEntry, keys: dict[str, str]) -> list[Output]:
    """An edition's page, email copies and citation files, then the outputs of the papers it is the first to cover."""
    notes = tuple(edition.notes)
    outputs = [
        page(f"{edition.url}index.html", "edition.html", notes, edition.edition.path, edition=edition),
        Output(f"{edition.url}email.html", function=email.email_html, values={"edition": edition}, shows=notes, page=False),
        Output(f"{edition.url}email.txt", function=email.email_text, values={"edition": edition}, shows=notes, page=False),
        *(citation_files(edition.url, cite.papers_of(edition), keys) if edition.notes else ()),
    ]
    for note in edition.notes:
        if note.paper.notes[0] is note:
            outputs += paper_outputs(note.paper, keys)
    return outputs


def paper_outputs(paper: PaperEntry, keys: dict[str, str]) -> list[Output]:
    """A paper's page (every note on it, and its full scan) and its citation files."""
    origin = paper.scan.path if paper.scan else paper.notes[0].note.path
    return [
        page(f"{paper.url}index.html", "paper.html", tuple(paper.notes), origin, search=search.PAPERS, paper=paper),
        *citation_files(paper.url, [paper], keys),
    ]


def citation_files(url: str, papers: list[PaperEntry], keys: dict[str, str]) -> list[Output]:
    """`cite.bib` (BibTeX) and `cite.json` (CSL-JSON) of papers, in the folder at url."""
    values = {"papers": papers, "keys": keys}
    return [
        Output(f"{url}cite.bib", function=cite.bibtex, values=values, page=False),
        Output(f"{url}cite.json", function=cite.csl, values=values, page=False),
    ]


def notes_of(edition: EditionEntry | None) -> tuple[NoteEntry, ...]:
    """An edition's notes; none for no edition."""
    return tuple(edition.notes) if edition else ()


def copies(library: Library, templates: Path, problems: Problems) -> list[Output]:
    """Files published as they are: templates/static, then content/static (the same path replaces it), then each edition's own."""
    found: dict[str, Path] = {}
    for root, paths in (
        (templates / "static", files.find(templates / "static", "", problems)),
        (library.content.static_root, library.content.static),
    ):
        for path in paths:
            found[path.relative_to(root).as_posix()] = path
    outputs = [Output(relative, copy=path, origin=path, page=False) for relative, path in found.items()]
    for edition in library.editions:
        folder = edition.edition.path.parent
        outputs += [
            Output(f"{edition.url}{asset.relative_to(folder).as_posix()}", copy=asset, origin=asset, page=False) for asset in edition.edition.assets
        ]
    return outputs


def check_paths(outputs: list[Output], templates: Path, problems: Problems) -> None:
    """Record every output whose path another has, as a file or as its folder (case aside), at the input to blame."""
    owners: dict[str, Output] = {}
    for output in outputs:
        other = owners.setdefault(output.path.lower(), output)
        if other is not output:
            problems.add(origin(culprit(output, other, templates)), f"would be published at /{output.path}, which the site already has")
    folders: dict[str, Output] = {}
    for output in outputs:
        for folder in parents(output.path.lower()):
            folders.setdefault(folder, output)
    for output in outputs:
        inside = folders.get(output.path.lower())
        if inside is not None and culprit(output, inside, templates) is output:
            problems.add(origin(output), f"would be published at /{output.path}, where the site has a folder (for /{inside.path})")
        elif inside is not None:
            problems.add(origin(inside), f"would be published at /{inside.path}, but the site has a file at /{output.path}")


def culprit(one: Output, other: Output, templates: Path) -> Output:
    """Of two clashing outputs, the one to blame: made for an input of the editor's, rather than the templates' or none."""
    ranked = sorted((one, other), key=lambda output: (output.origin is None, output.origin is not None and output.origin.is_relative_to(templates)))
    return ranked[0]


def origin(output: Output) -> Path | str:
    """The input an output is made for, or the site itself."""
    return output.origin or "site"


def parents(path: str) -> list[str]:
    """Every folder that holds path: `a/b/c` is in `a` and `a/b`."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[: index + 1]) for index in range(len(parts))]
