"""Citation files: every paper and edition has a cite.bib and a cite.json that real tools read back to the scan's record."""

from __future__ import annotations

import json
from pathlib import Path

import bibtexparser
import yaml
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors
from bs4 import BeautifulSoup
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from conftest import build

HOSTILE = r"Braces } { and \end{document} 100% #1 & $x_i^2$ ~ @misc{evil, title={pwned}} \\ \input{/etc/passwd"
HOSTILE_AUTHOR = "Ann {and} Smith AND Jones %"  # BibTeX splits names on `and` in any case


def latex_decoder() -> LatexNodes2Text:
    """LaTeX to text as pylatexenc reads it, with the text-mode brace and caret commands its table lacks."""
    symbols = [MacroTextSpec("textbraceleft", "{"), MacroTextSpec("textbraceright", "}"), MacroTextSpec("textasciicircum", "^")]
    context = get_default_latex_context_db()
    context.add_context_category("text symbols", macros=symbols, prepend=True)
    return LatexNodes2Text(latex_context=context)


DECODER = latex_decoder()


def read_bibtex(path: Path) -> bibtexparser.Library:
    """A BibTeX file parsed, LaTeX decoded and co-authors split, as a reference manager reads it; it must parse whole."""
    assert_braces_balance(path.read_text(encoding="utf-8"))
    middleware = [SeparateCoAuthors(), LatexDecodingMiddleware(decoder=DECODER)]
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"), append_middleware=middleware)
    assert not library.failed_blocks, [block.error for block in library.failed_blocks]
    return library


def assert_braces_balance(text: str) -> None:
    """Every entry's braces balance as BibTeX itself counts them: a backslash does not escape a brace there (unlike in bibtexparser)."""
    depth = 0
    for line_number, line in enumerate(text.splitlines(), 1):
        for char in line:
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0, f"line {line_number} closes a brace never opened"
        assert depth <= 1 or line.startswith("}"), f"line {line_number} leaves a brace open"
    assert depth == 0


def records(site: Path) -> dict[str, dict[str, object]]:
    """Each paper's record, by its title: from its scan, or from its note's front matter where it has no scan."""
    found = {}
    for path in sorted((site / "scans").rglob("*.json")):
        paper = json.loads(path.read_text(encoding="utf-8"))["paper"]
        found[paper["title"]] = paper
    for path in (site / "content" / "editions").glob("*/*.md"):
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1]) or {}
        if "scan" not in meta and "paper" in meta:
            found[meta["paper"]["title"]] = meta["paper"]
    return found


def names(entry: bibtexparser.model.Entry) -> list[str]:
    """An entry's authors as people write them: `Family, Given` turned round, LaTeX decoded."""
    turned = []
    for name in entry.fields_dict["author"].value:
        family, _, given = DECODER.latex_to_text(name).partition(", ")
        turned.append(f"{given} {family}".strip())
    return turned


def render_csl(path: Path) -> str:
    """cite.json as citeproc-py renders it in the Harvard style, as plain text."""
    source = CiteProcJSON(json.loads(path.read_text(encoding="utf-8")))
    bibliography = CitationStylesBibliography(CitationStylesStyle("harvard-cite-them-right", validate=False), source, formatter.plain)
    for key in source:
        bibliography.register(Citation([CitationItem(key)]))
    return "\n".join(str(item) for item in bibliography.bibliography())


def test_every_paper_page_links_citation_files_that_read_back_to_its_record(site: Path) -> None:
    out = build(site)
    known = records(site)
    pages = sorted((out / "papers").glob("*/index.html"))
    assert len(pages) == 3
    for page in pages:
        links = {a.get_text(): a["href"] for a in BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select(".paper-links a")}
        entries = read_bibtex(page.parent / links["BibTeX"]).entries
        assert len(entries) == 1
        fields = entries[0].fields_dict
        record = known[fields["title"].value]
        assert names(entries[0]) == record["authors"]
        assert fields["year"].value == str(record["year"])
        assert fields.get("eprint", None) is None or fields["eprint"].value == record["arxiv_id"]
        items = json.loads((page.parent / links["CSL-JSON"]).read_text(encoding="utf-8"))
        assert [item["title"] for item in items] == [record["title"]]
        assert items[0]["id"] == entries[0].key
        assert str(record["title"]) in render_csl(page.parent / links["CSL-JSON"])


def test_an_edition_cites_each_of_its_papers_with_one_key_per_paper_on_the_site(site: Path) -> None:
    out = build(site)
    keys: dict[str, str] = {}
    for edition in sorted((out / "editions").glob("*/index.html")):
        html = BeautifulSoup(edition.read_text(encoding="utf-8"), "html.parser")
        link = html.select_one(".cite-files a[href$='cite.bib']")
        assert link is not None
        entries = read_bibtex(edition.parent / str(link["href"])).entries
        assert len(entries) == len(html.select("article.note, article .note")) > 0
        for entry in entries:
            assert keys.setdefault(entry.fields_dict["title"].value, entry.key) == entry.key
        items = json.loads((edition.parent / "cite.json").read_text(encoding="utf-8"))
        assert [item["id"] for item in items] == [entry.key for entry in entries]
    assert len(set(keys.values())) == len(keys) == 3


def test_scan_text_that_is_latex_or_bibtex_stays_text(site: Path) -> None:
    path = site / "scans" / "beta.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["paper"] |= {"title": HOSTILE, "venue": HOSTILE, "authors": [HOSTILE_AUTHOR, "Bo Li", "Doe, Jane, Jr., III"], "doi": "10.5555/b{2}\\x"}
    path.write_text(json.dumps(data), encoding="utf-8")
    note = site / "content" / "editions" / "2026-01-15" / "02-beta.md"
    note.write_text(note.read_text(encoding="utf-8").replace("10.5555/Beta.2025", "'10.5555/b{2}\\x'"), encoding="utf-8")
    out = build(site)
    entries = [entry for bib in sorted(out.rglob("cite.bib")) for entry in read_bibtex(bib).entries]
    assert len(entries) == 3 + 4  # three papers, and two in each edition: the text opened no entry of its own
    hostile = [entry for entry in entries if entry.fields_dict["title"].value == HOSTILE]
    assert len(hostile) == 2
    for entry in hostile:
        assert entry.fields_dict["journal"].value == HOSTILE
        assert names(entry)[:2] == [HOSTILE_AUTHOR, "Bo Li"] and len(names(entry)) == 3  # commas in a name split nothing
    raw = bibtexparser.parse_string((out / "papers" / hostile_slug(out) / "cite.bib").read_text(encoding="utf-8"))
    assert raw.entries[0].fields_dict["doi"].value == "10.5555/b%7B2%7D%5Cx"  # verbatim in biblatex: a URL's escapes, not LaTeX's
    items = [item for cite in out.rglob("cite.json") for item in json.loads(cite.read_text(encoding="utf-8"))]
    assert [item["title"] for item in items].count(HOSTILE) == 2
    assert "Braces } { and \\end{document}" in render_csl(out / "papers" / hostile_slug(out) / "cite.json")


def hostile_slug(out: Path) -> str:
    """The folder of the paper whose citation file holds the hostile title."""
    return next(p.parent.name for p in (out / "papers").glob("*/cite.json") if json.loads(p.read_text(encoding="utf-8"))[0]["title"] == HOSTILE)


def test_a_draft_edition_is_cited_only_in_a_build_with_drafts(site: Path) -> None:
    draft = "editions/2026-04-09/cite.bib"
    out = build(site)
    assert not (out / draft).exists()
    assert all("Gamma" not in p.read_text(encoding="utf-8") for p in out.rglob("cite.*"))
    out = build(site, "--drafts")
    assert [entry.fields_dict["title"].value for entry in read_bibtex(out / draft).entries] == ["Paper Gamma: never covered"]
