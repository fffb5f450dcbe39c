"""House-style warnings for `check`: the note's shape, headlines, placeholders left in, repeats, figures and front matter keys."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from markdown_it.token import Token
from pydantic import BaseModel

from digest.content import Note
from digest.ids import is_arxiv_id
from digest.library import Library, NoteEntry, PaperEntry
from digest.markdown import Document
from digest.problems import Problems
from digest.scanfiles import ScanFile
from digest.scans import checklist_groups

HAPPENED, INTERESTING = "What happened", "What's interesting"
MAX_HEADLINE = 90

# A number as prose writes it: 1,700 or 5.4 or 80, not inside a word or a name such as GPT-4.5.
NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# A figure worth checking: a percentage, a multiple, or a number with a thousands separator or decimals.
FIGURE = re.compile(rf"(?<![\w.,])(?<![A-Za-z]-)({NUMBER})(\s?%|[x×](?!\w))?")
# `new` starts each of its placeholders with this word; an editor's own TODO is as unfinished.
PLACEHOLDER = re.compile(r"\bTODO\b")


def lint(library: Library, problems: Problems) -> None:
    """Record every house-style warning for the editions, notes and pages being built."""
    for edition in library.editions:
        index = edition.edition
        unknown_keys(index.path, index.meta, index.key_lines, problems)
        if not index.meta.draft:  # a draft may hold placeholders; one about to be published may not
            placeholders(index.path, index.meta, index.key_lines, index.intro, index.body_line, problems)
            for entry in edition.notes:
                note = entry.note
                placeholders(note.path, note.meta, note.key_lines, note.body, note.body_line, problems)
        for entry in edition.notes:
            lint_note(entry, problems)
    for page in library.pages:
        unknown_keys(page.path, page.meta, page.key_lines, problems)
        if not page.meta.draft:
            placeholders(page.path, page.meta, page.key_lines, page.body, page.body_line, problems)
    for paper in library.papers:
        repeated_coverage(paper, problems)


def lint_note(entry: NoteEntry, problems: Problems) -> None:
    """The warnings about one note."""
    note = entry.note
    house_style(note, problems)
    long_headline(note, problems)
    unknown_keys(note.path, note.meta, note.key_lines, problems)
    if note.meta.paper is not None:
        unknown_keys(note.path, note.meta.paper, {}, problems, prefix="paper.", line=note.key_lines.get("paper", 1))
    if entry.paper.scan is not None:
        unchecked_figures(note, entry.paper.scan, problems)


# ---------------------------------------------------------------- the note's shape


def lead_label(inline: Token) -> str | None:
    """The bold words a paragraph opens with, without their colon: `What happened` for **What happened:**."""
    children = [c for c in inline.children or [] if c.type != "text" or c.content]
    if len(children) < 2 or children[0].type != "strong_open" or children[1].type != "text":
        return None
    return children[1].content.strip().rstrip(":").strip().replace("’", "'")


def house_style(note: Note, problems: Problems) -> None:
    """Warn unless a paragraph opens **What happened:** and a later one **What's interesting:**."""
    found: dict[str, int] = {}
    for line, inline in note.body.paragraphs():
        label = lead_label(inline)
        if label in (HAPPENED, INTERESTING):
            found.setdefault(label, note.body_line + line)
    for label in (HAPPENED, INTERESTING):
        if label not in found:
            problems.warn(note.path, f"no paragraph starts **{label}:** (house style: **{HAPPENED}:**, then **{INTERESTING}:**)", note.body_line)
    if len(found) == 2 and found[INTERESTING] < found[HAPPENED]:
        problems.warn(note.path, f"**{INTERESTING}:** comes before **{HAPPENED}:**; the house style has it after", found[INTERESTING])


def long_headline(note: Note, problems: Problems) -> None:
    """Warn about a headline over MAX_HEADLINE characters."""
    length = len(note.meta.headline)
    if length > MAX_HEADLINE:
        problems.warn(
            note.path, f"the headline is {length} characters; the house style keeps headlines to {MAX_HEADLINE}", note.key_lines.get("headline", 1)
        )


# ---------------------------------------------------------------- front matter


def unknown_keys(path: Path, meta: BaseModel, key_lines: dict[str, int], problems: Problems, prefix: str = "", line: int = 1) -> None:
    """Warn about front matter keys the model does not know, suggesting the closest known key."""
    known = list(type(meta).model_fields)
    for key in meta.model_extra or {}:
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = f"; did you mean `{prefix}{close[0]}`?" if close else ""
        problems.warn(path, f"unknown front matter key `{prefix}{key}`, which is ignored{hint}", key_lines.get(str(key), line))


# ---------------------------------------------------------------- placeholders


def placeholders(path: Path, meta: BaseModel, key_lines: dict[str, int], body: Document, body_line: int, problems: Problems) -> None:
    """Warn about each front matter value and each line of text still holding a `TODO`, the marker of `new`'s placeholders."""
    for key, text in meta_texts(meta.model_dump()):
        found = PLACEHOLDER.search(text)
        if found:
            quote = excerpt(text, found.start())
            problems.warn(path, f'`{key}` still holds a placeholder ("{quote}"); write your own', key_lines.get(key.split(".")[0], 1))
    for line, text in text_lines(body):
        found = PLACEHOLDER.search(text)
        if found:
            problems.warn(path, f'the text still holds a placeholder ("{excerpt(text, found.start())}"); write your own', body_line + line)


def meta_texts(value: object, key: str = "") -> Iterator[tuple[str, str]]:
    """Each string in front matter with its dotted key, e.g. (`paper.title`, "…"); a list's items under the list's key."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from meta_texts(item, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        for item in value:
            yield from meta_texts(item, key)


def text_lines(body: Document) -> Iterator[tuple[int, str]]:
    """Each line of the body's text (0-based line, text), code blocks left out: a `TODO` in sample code is not ours."""
    for token in body.tokens:
        if token.type == "inline" and token.map:
            for offset, text in enumerate(token.content.split("\n")):
                yield token.map[0] + offset, text


def excerpt(text: str, start: int, before: int = 30, after: int = 50) -> str:
    """The words around text[start], shortened with `…` where cut."""
    begin, end = max(0, start - before), min(len(text), start + after)
    if begin > 0:
        space = text.find(" ", begin, start)
        begin = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return ("…" if begin > 0 else "") + text[begin:end].strip() + ("…" if end < len(text) else "")


# ---------------------------------------------------------------- repeats


def repeated_coverage(paper: PaperEntry, problems: Problems) -> None:
    """Warn on every note after the first about the same paper, in another edition or the same one."""
    first = paper.notes[0]
    for entry in paper.notes[1:]:
        where = "earlier in this edition" if entry.edition is first.edition else f"in {first.edition.title} ({first.edition.slug})"
        key = "scan" if entry.note.meta.scan is not None else "paper"
        problems.warn(entry.note.path, f"this paper is already covered {where}, by {first.note.path.name}", entry.note.key_lines.get(key, 1))


# ---------------------------------------------------------------- figures


def unchecked_figures(note: Note, scan: ScanFile, problems: Problems) -> None:
    """Warn about each figure in a note that its scan's text never mentions."""
    known = scan_numbers(scan)
    seen: set[str] = set()
    for line, figure, value in note_figures(note):
        if value in known or value in seen:
            continue
        seen.add(value)
        problems.warn(
            note.path,
            f"the figure {figure} appears nowhere in the scan of {scan.id} "
            "(claims, evidence, justifications, key findings, red flags): check it against the paper",
            line,
        )


def note_figures(note: Note) -> Iterator[tuple[int, str, str]]:
    """Each figure in a note's text as (file line, figure as written, its value)."""
    for token in note.body.tokens:
        if token.type != "inline" or not token.map:
            continue
        line = note.body_line + token.map[0]
        for child in token.children or []:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "text":
                for match in FIGURE.finditer(child.content):
                    number, unit = match.groups()
                    if (unit or "," in number or "." in number) and not is_arxiv_id(number):
                        yield line, match.group(0).strip(), value_of(number)


def scan_numbers(scan: ScanFile) -> set[str]:
    """The value of every number in the scan's text."""
    return {value_of(number) for number in re.findall(NUMBER, " ".join(text for text in scan_texts(scan) if text))}


def scan_texts(scan: ScanFile) -> Iterator[str | None]:
    """The scan's prose: title, claims and evidence, justifications, key findings and red flags."""
    s = scan.scan
    yield s.paper.title
    yield s.key_findings
    for claim in s.claims:
        yield from (claim.claim, claim.evidence)
    for flag in s.red_flags:
        yield from (flag.flag, flag.detail)
    for _, _, items in checklist_groups(s):
        yield from (item.justification for item in items.values())
    yield from (factor.justification for factor in s.engagement_factors.values())


def value_of(number: str) -> str:
    """A number's value in one spelling, so 1,700 and 1700, or 5.40 and 5.4, compare equal."""
    return format(Decimal(number.replace(",", "")).normalize(), "f")
