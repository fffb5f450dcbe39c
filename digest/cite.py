"""Citation files: BibTeX and CSL-JSON for each paper (`papers/<slug>/cite.bib`, `cite.json`) and each edition's papers."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from digest.library import EditionEntry, Library, PaperEntry

if TYPE_CHECKING:
    from digest.render import Renderer

# Every character BibTeX or LaTeX reads as markup, written as a command whose braces balance, so that
# no title from a scan can end a field, start a comment or run a macro.
_BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",  # not `\{`: BibTeX counts that brace too, and one left open swallows the rest of the file
    "}": r"\textbraceright{}",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "$": r"\$",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_BIBTEX_SPECIAL = re.compile("[" + re.escape("".join(_BIBTEX_ESCAPES)) + "]")


def bibtex_text(text: str) -> str:
    """Text for a braced BibTeX field: one line, LaTeX's special characters escaped, braces never unbalanced."""
    line = " ".join(text.split())
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_ESCAPES[m.group()], line)


def verbatim(text: str) -> str:
    """Text for a field BibTeX tools take verbatim (a URL, a DOI): braces, backslashes and spaces percent-encoded, as in a URL."""
    return re.sub(r"[{}\\\s]", lambda m: f"%{ord(m.group()):02X}", text)


def split_name(name: str) -> tuple[str, str]:
    """A person's name as (family, given): the last word is the family name, `Family, Given` is taken as written."""
    name = " ".join(name.split())
    if "," in name:
        family, _, given = name.partition(",")
        return family.strip(), given.strip()
    given, _, family = name.rpartition(" ")
    return family, given


def bibtex_name(name: str) -> str:
    """A name for BibTeX's author field, `Family, Given`: no `and` (in any case) or comma of its own can split it."""
    parts = [bibtex_text(part) for part in split_name(name) if part]
    guarded = [re.sub(r"(?i)\band\b", lambda m: "{" + m.group() + "}", part) for part in parts]
    return ", ".join(f"{{{part}}}" if "," in part else part for part in guarded)


_NOT_ASCII_WORD = re.compile("[^a-z0-9]")


def ascii_word(text: str) -> str:
    """Text's letters and digits in lower-case ASCII, accents dropped (`Müller` → `muller`)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return _NOT_ASCII_WORD.sub("", decomposed.encode("ascii", "ignore").decode().lower())


def base_key(paper: PaperEntry) -> str:
    """A citation key as people write them: first author's family name, year, first long word of the title."""
    citation = paper.citation
    family = ascii_word(split_name(citation.authors[0])[0]) if citation.authors else ""
    first = ""
    for raw in citation.title.split():  # the site's every key is made on every build: stop at the first long word
        word = ascii_word(raw)
        if len(word) > 3:
            first = word
            break
        first = first or word
    return f"{family}{citation.year or ''}{first}" or "paper"


def citation_keys(library: Library) -> dict[str, str]:
    """Each covered paper's citation key, unique on the site; the paper covered first keeps a shared key unadorned."""
    taken: dict[str, str] = {}
    found: dict[str, str] = {}
    for edition in library.editions:
        for note in edition.notes:
            paper = note.paper
            if paper.id in found:
                continue
            key = base = base_key(paper)
            suffix = 0
            while key in taken:
                suffix += 1
                key = f"{base}{chr(ord('a') + suffix - 1)}" if suffix <= 26 else f"{base}-{suffix}"
            taken[key] = found[paper.id] = key
    return found


def bibtex_entry(paper: PaperEntry, key: str, where: str) -> str:
    """One paper as a BibTeX entry: @article where the scan names a venue, else @misc (an arXiv e-print where it has one)."""
    citation = paper.citation
    fields: list[tuple[str, str]] = [("title", bibtex_text(citation.title))]
    if citation.authors:
        fields.append(("author", " and ".join(bibtex_name(name) for name in citation.authors)))
    if citation.venue:
        fields.append(("journal", bibtex_text(citation.venue)))
    if citation.year:
        fields.append(("year", str(citation.year)))
    links = dict(citation.links)
    if "arXiv" in links and citation.arxiv_id:
        fields += [("eprint", citation.arxiv_id), ("archiveprefix", "arXiv")]
    if "DOI" in links and citation.doi:
        fields.append(("doi", verbatim(citation.doi)))
    url = address(links)
    if url:
        fields.append(("url", verbatim(url)))
    fields.append(("note", bibtex_text(where)))
    kind = "article" if citation.venue else "misc"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def csl_item(paper: PaperEntry, key: str) -> dict[str, Any]:
    """One paper as a CSL-JSON item: an article-journal where the scan names a venue, else an article (a preprint)."""
    citation = paper.citation
    item: dict[str, Any] = {"id": key, "type": "article-journal" if citation.venue else "article", "title": " ".join(citation.title.split())}
    if citation.authors:
        item["author"] = [author(name) for name in citation.authors]
    if citation.venue:
        item["container-title"] = citation.venue
    if citation.year:
        item["issued"] = {"date-parts": [[citation.year]]}
    links = dict(citation.links)
    if "DOI" in links and citation.doi:
        item["DOI"] = citation.doi
    if "arXiv" in links and citation.arxiv_id and not citation.venue:  # a preprint: arXiv is where it is published
        item |= {"number": f"arXiv:{citation.arxiv_id}", "publisher": "arXiv"}
    url = address(links)
    if url:
        item["URL"] = url
    return item


def address(links: dict[str, str]) -> str | None:
    """Where to read the paper: its arXiv page, else the link its note gives (a DOI has a field of its own)."""
    return links.get("arXiv") or links.get("Link")


def author(name: str) -> dict[str, str]:
    """A CSL name: family and given, or the name as one literal where it is one word."""
    family, given = split_name(name)
    return {"family": family, "given": given} if given else {"literal": family}


def papers_of(edition: EditionEntry) -> list[PaperEntry]:
    """The papers an edition covers, in its order, without repeats."""
    return list({note.paper.id: note.paper for note in edition.notes}.values())


def bibtex(renderer: Renderer, papers: list[PaperEntry], keys: dict[str, str]) -> str:
    """`cite.bib` of a paper or an edition: its papers as BibTeX, with keys as `keys` gives them."""
    site = renderer.library.settings
    return "\n".join(bibtex_entry(paper, keys[paper.id], f"Discussed in {site.title}: {site.base_url}{paper.url}") for paper in papers)


def csl(renderer: Renderer, papers: list[PaperEntry], keys: dict[str, str]) -> str:
    """`cite.json` of a paper or an edition: its papers as a CSL-JSON list."""
    return csl_json([csl_item(paper, keys[paper.id]) for paper in papers])


def csl_json(items: list[dict[str, Any]]) -> str:
    """Items as CSL-JSON text."""
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
