"""What a page says about itself in <head>: title, description, social cards, JSON-LD and Highwire citation tags."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from digest.library import EditionEntry, PaperEntry

if TYPE_CHECKING:
    from digest.scans import CitedPaper
    from digest.views import PageContext, ScanView


@dataclass(frozen=True)
class Head:
    """What a page says about itself in <head>: title, description, social cards, structured data."""

    name: str  # the page's own title (og:title)
    title: str  # the <title>: the page's title and the site's
    description: str
    kind: str = "website"  # og:type
    published: str | None = None  # ISO date, for article:published_time
    citation: tuple[tuple[str, str], ...] = ()  # Highwire citation_* meta tags, in order
    data: Markup | None = None  # JSON-LD, already made safe for a script element
    indexed: bool = True  # False for the 404 page: no canonical URL, noindex


def describe(text: str, limit: int = 200) -> str:
    """Text as one line of at most limit characters, cut at a word with `…`, for meta descriptions."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-—")
    return cut + "…"


# ---------------------------------------------------------------- structured data

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_ld(data: dict[str, Any]) -> Markup:
    """Data as JSON that is safe inside <script type="application/ld+json">.

    `<`, `>` and `&` only ever occur inside JSON strings, where a `u003c`-style escape means the
    same, so no text from a scan can close the script element or open a comment.
    """
    text = json.dumps(data, ensure_ascii=False)
    return Markup(re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text))


def page(ctx: PageContext, name: str = "", description: str = "", kind: str = "website", indexed: bool = True) -> Head:
    """The head of an ordinary page; name "" is the site itself."""
    site = ctx.library.settings
    title = f"{name} · {site.title}" if name and name != site.title else site.title
    text = describe(description or site.description or site.title)
    return Head(name or site.title, title, text, kind, indexed=indexed)


def home(ctx: PageContext, edition: EditionEntry | None) -> Head:
    """The home page: the periodical, and its latest issue."""
    site = ctx.library.settings
    head = page(ctx, "", edition.summary if edition else site.description)
    data: dict[str, Any] = {"@context": "https://schema.org", **periodical(site_record(ctx))}
    data["description"] = describe(site.description or site.title)
    if edition is not None:
        data["hasPart"] = issue_record(ctx, edition)
    return Head(head.name, head.title, head.description, data=json_ld(data))


def edition(ctx: PageContext, edition: EditionEntry) -> Head:
    """An edition: an article page, described in JSON-LD as an issue of the periodical."""
    head = page(ctx, edition.title, edition.summary, "article")
    data = {"@context": "https://schema.org", **issue_record(ctx, edition)}
    data["isPartOf"] = periodical(site_record(ctx))
    data["hasPart"] = [
        {"@type": "Article", "headline": note.headline, "url": ctx.base_url + note.url, "about": paper_reference(note.paper)}
        for note in edition.notes
    ]
    return Head(head.name, head.title, head.description, "article", edition.edition.date.isoformat(), data=json_ld(data))


def paper(ctx: PageContext, paper: PaperEntry, scan: ScanView | None) -> Head:
    """A paper's page: Highwire citation_* tags and a ScholarlyArticle in JSON-LD."""
    findings = scan.scan.key_findings if scan and scan.scan.key_findings else paper.headline
    head = page(ctx, paper.headline, f"{paper.citation.title}: {findings}", "article")
    published = paper.notes[0].edition.edition.date.isoformat() if paper.notes else None
    data = {"@context": "https://schema.org", **scholarly_article(ctx, paper, scan)}
    return Head(head.name, head.title, head.description, "article", published, highwire(paper), json_ld(data))


def site_record(ctx: PageContext) -> dict[str, Any]:
    """The site's name, address, language and publisher, for JSON-LD."""
    site = ctx.library.settings
    return {
        "name": site.title,
        "url": site.base_url,
        "inLanguage": site.language,
        "publisher": {"@type": "Organization", "name": site.author.name},
    }


def periodical(record: dict[str, Any]) -> dict[str, Any]:
    """The digest as a schema.org Periodical."""
    return {"@type": "Periodical", **record}


def issue_record(ctx: PageContext, edition: EditionEntry) -> dict[str, Any]:
    """An edition as a schema.org PublicationIssue."""
    return {
        "@type": "PublicationIssue",
        "@id": ctx.base_url + edition.url,
        "url": ctx.base_url + edition.url,
        "issueNumber": str(edition.number),
        "name": edition.title,
        "datePublished": edition.edition.date.isoformat(),
        "description": describe(edition.summary, 300),
    }


def scholarly_article(ctx: PageContext, paper: PaperEntry, scan: ScanView | None) -> dict[str, Any]:
    """The paper as a schema.org ScholarlyArticle, with the digest's notes as its review."""
    citation = paper.citation
    data: dict[str, Any] = {"@type": "ScholarlyArticle", "name": citation.title, "headline": describe(citation.title, 110)}
    if citation.authors:
        data["author"] = [{"@type": "Person", "name": name} for name in citation.authors]
    if citation.year:
        data["datePublished"] = str(citation.year)
    if citation.venue:
        data["isPartOf"] = {"@type": "CreativeWork", "name": citation.venue}
    identifiers = [("arXiv", citation.arxiv_id), ("DOI", citation.doi)]
    links = [href for label, href in citation.links if label != "PDF"]
    if any(value for _, value in identifiers):
        data["identifier"] = [{"@type": "PropertyValue", "propertyID": kind, "value": value} for kind, value in identifiers if value]
    if links:
        data["url"], data["sameAs"] = links[0], links
    if scan and scan.scan.key_findings:
        data["description"] = describe(scan.scan.key_findings, 500)
    if paper.tags:
        data["keywords"] = [tag.name for tag in paper.tags]
    if scan and scan.scan.cited_papers:
        data["citation"] = [cited_work(ctx, cited, paper) for cited in scan.scan.cited_papers]
    data["mainEntityOfPage"] = ctx.canonical
    data["review"] = {
        "@type": "Review",
        "name": paper.headline,
        "url": ctx.canonical,
        "author": {"@type": "Organization", "name": ctx.library.settings.author.name},
        "publisher": periodical(site_record(ctx)),
    }
    if paper.notes:
        data["review"]["datePublished"] = paper.notes[0].edition.edition.date.isoformat()
    return data


def cited_work(ctx: PageContext, cited: CitedPaper, citing: PaperEntry) -> dict[str, Any]:
    """A paper the scanned paper cites, with the address of its page where the digest covers it."""
    work: dict[str, Any] = {"@type": "CreativeWork", "name": cited.title}
    covered = ctx.library.covered_paper(cited, citing)
    if covered is not None:
        work["url"] = ctx.base_url + covered.url
    return work


def paper_reference(paper: PaperEntry) -> dict[str, Any]:
    """A short ScholarlyArticle: the paper's title and where to find it."""
    reference: dict[str, Any] = {"@type": "ScholarlyArticle", "name": paper.citation.title}
    links = [href for label, href in paper.citation.links if label != "PDF"]
    if links:
        reference["sameAs"] = links
    return reference


def highwire(paper: PaperEntry) -> tuple[tuple[str, str], ...]:
    """Highwire Press citation_* tags, as reference managers and scholar search read them."""
    citation = paper.citation
    tags = [("citation_title", citation.title)]
    tags += [("citation_author", name) for name in citation.authors]
    if citation.year:
        tags.append(("citation_publication_date", str(citation.year)))
    for label, href in citation.links:
        if label == "arXiv" and citation.arxiv_id:
            tags.append(("citation_arxiv_id", citation.arxiv_id))
        elif label == "PDF":
            tags.append(("citation_pdf_url", href))
        elif label == "DOI" and citation.doi:
            tags.append(("citation_doi", citation.doi))
    return tuple(tags)
