"""The last full load's library, saved whole and reused while only the bodies of notes have changed.

Loading a large site from the memo (see digest.memo) still makes and links every note, scan,
paper and tag: about a second for 10,000 papers. But a note's body changes nothing the library
links (a paper, its tags, its related papers and every URL come from front matter and scans), so
a build whose only changed inputs are notes with the same front matter reads the library the
last full load made (`library.pickle` in the cache), puts the changed notes' new bodies into it,
and renders as if it had loaded everything. Any other change (a scan, settings, an introduction,
a page, a file added or removed, a note's front matter, a note that now has an error) loads the
site as usual, and saves a new snapshot.

The library is a graph (a note knows its paper, a paper its related papers), far too deep for
pickle to walk as it is: it is saved flat, every link between entries as an index, and linked
again when read. Scans are saved as their memo summary, not as the validated scan.
"""

from __future__ import annotations

import io
import operator
import os
import pickle
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from digest import cache
from digest.content import NoteMeta, note_body, read_front_matter
from digest.library import EditionEntry, Library, NoteEntry, PaperEntry, TagEntry, link_editions
from digest.markdown import new_parser
from digest.problems import Problem, Problems

FORMAT = 1
FILE = "library.pickle"
MAX_CHANGED_NOTES = 64  # past this many edited notes the site is loaded again, saving a snapshot with them in

PATH = type(Path())  # the concrete class paths are made of here
Flat = tuple[Any, ...]
NoteRef = tuple[int, int]  # an edition entry's index and the note's place in it


def save(path: Path, key: str, inputs: dict[str, str], library: Library, problems: list[Problem],
         note_problems: dict[str, list[Problem]]) -> None:
    """Save the library loaded from inputs (path to hash), the problems loading raised, and those of each note by path."""
    header = {"format": FORMAT, "key": key, "inputs": inputs, "note_problems": note_problems, "allow_html": library.settings.allow_html}
    body = Pickler.dumps((flatten(library), problems))
    cache.write_atomically(path, pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL) + body)


def recall(path: Path, key: str, inputs: dict[str, str], problems: Problems) -> Library | None:
    """The saved library with the changed notes' bodies put in, their problems and the rest reported again; None if it cannot serve."""
    try:
        with open(path, "rb") as handle:
            header = pickle.load(handle)
            if header.get("format") != FORMAT or header.get("key") != key or header["inputs"].keys() != inputs.keys():
                return None
            changed = [name for name, digest in inputs.items() if header["inputs"][name] != digest]
            if len(changed) > MAX_CHANGED_NOTES or any(name not in header["note_problems"] for name in changed):
                return None
            md = new_parser(header["allow_html"])
            flat, raised = Unpickler(handle, md).load()
    except Exception:  # a missing, partial or foreign snapshot is no snapshot
        return None
    library = restore(flat)
    found = patch_notes(library, changed, md, raised, header["note_problems"], problems.root)
    if found is None:
        return None
    problems.items.extend(found)
    return library


def patch_notes(library: Library, changed: list[str], md: MarkdownIt, raised: list[Problem],
                note_problems: dict[str, list[Problem]], root: Path) -> list[Problem] | None:
    """Read each changed note again into library; the load's problems with theirs replaced, or None if a note's front matter changed or has errors."""
    notes = {str(note.path): note for edition in library.content.editions for note in edition.notes}
    found = list(raised)
    for name in changed:
        note, now = notes[name], Problems(root)
        read = read_front_matter(note.path, NoteMeta, now, library.settings.max_markdown_bytes, None)
        if read is None or now.errors or not same_meta(read[0], note.meta):
            return None
        parsed = read[1]
        note.body, note.body_line, note.key_lines = note_body(md, note.slug, parsed.body), parsed.body_line, parsed.key_lines
        for problem in note_problems[name]:
            found.remove(problem)
        found += now.items
    return found


def same_meta(new: NoteMeta, old: NoteMeta) -> bool:
    """The front matter is as before, to the value and to the JSON the cache keys are made from (1 and 1.0 are not the same)."""
    return new == old and new.model_dump_json() == old.model_dump_json()


def flatten(library: Library) -> Flat:
    """The library as a tree: its content, settings and scans, and every entry with its links to others as indices."""
    content = library.content
    edition_at = {id(edition): index for index, edition in enumerate(content.editions)}
    paper_at = {id(paper): index for index, paper in enumerate(library.papers)}
    tag_at = {id(tag): index for index, tag in enumerate(library.tags)}
    page_at = {id(page): index for index, page in enumerate(content.pages)}
    place: dict[int, NoteRef] = {}
    editions = []
    for index, entry in enumerate(library.editions):
        note_at = {id(note): position for position, note in enumerate(entry.edition.notes)}
        notes = []
        for position, note in enumerate(entry.notes):
            place[id(note)] = (index, position)
            notes.append((note_at[id(note.note)], paper_at[id(note.paper)], [tag_at[id(tag)] for tag in note.tags]))
        editions.append((edition_at[id(entry.edition)], entry.number, notes))
    papers = [(paper.id, paper.slug, paper.citation, paper.scan.id if paper.scan else None,
               [place[id(note)] for note in paper.notes], [paper_at[id(other)] for other in paper.related]) for paper in library.papers]
    tags = [(tag.name, tag.slug, [place[id(note)] for note in tag.notes]) for tag in library.tags]
    pages = [page_at[id(page)] for page in library.pages]
    return library.settings, content, library.scans, editions, papers, tags, pages, [scan.id for scan in library.uncovered]


def restore(flat: Flat) -> Library:
    """The library that flatten flattened, every entry linked again."""
    settings, content, scans, editions_flat, papers_flat, tags_flat, pages, uncovered = flat
    papers = [PaperEntry(paper_id, slug, citation, scans[scan] if scan is not None else None)
              for paper_id, slug, citation, scan, _, _ in papers_flat]
    tags = [TagEntry(name, slug) for name, slug, _ in tags_flat]
    editions = [EditionEntry(content.editions[index], number) for index, number, _ in editions_flat]
    link_editions(editions)
    for entry, (_, _, notes) in zip(editions, editions_flat, strict=True):
        entry.notes = [NoteEntry(entry.edition.notes[note], entry, papers[paper], [tags[t] for t in on]) for note, paper, on in notes]
    for paper, (*_, notes, related) in zip(papers, papers_flat, strict=True):
        paper.notes = [editions[e].notes[n] for e, n in notes]
        paper.related = [papers[other] for other in related]
    for tag, (_, _, notes) in zip(tags, tags_flat, strict=True):
        tag.notes = [editions[e].notes[n] for e, n in notes]
    return Library(settings, editions, papers, tags, [content.pages[i] for i in pages], scans, [scans[i] for i in uncovered], content)


class Pickler(pickle.Pickler):
    """Pickles the library's tree, with the Markdown parser left out (the reader brings its own)."""

    @classmethod
    def dumps(cls, value: object) -> bytes:
        """The value, pickled."""
        buffer = io.BytesIO()
        cls(buffer).dump(value)
        return buffer.getvalue()

    def __init__(self, handle: Any) -> None:
        """Write to handle."""
        super().__init__(handle, protocol=pickle.HIGHEST_PROTOCOL)
        self.folders: dict[str, Path] = {}

    def persistent_id(self, obj: object) -> str | None:
        """The parser is named, not pickled."""
        return "markdown" if isinstance(obj, MarkdownIt) else None

    def reducer_override(self, obj: object) -> Any:
        """A path as its folder (pickled once for all its files) and its name: reading it back then parses one name, not a whole path."""
        if type(obj) is not PATH:
            return NotImplemented
        head, name = os.path.split(str(obj))
        if not name:
            return NotImplemented
        folder = self.folders.get(head)
        if folder is None:
            folder = self.folders[head] = obj.parent
        return operator.truediv, (folder, name)


class Unpickler(pickle.Unpickler):
    """Reads what Pickler wrote, with the given Markdown parser in the parser's place."""

    def __init__(self, handle: Any, md: MarkdownIt) -> None:
        """Read from handle."""
        super().__init__(handle)
        self.md = md

    def persistent_load(self, pid: object) -> MarkdownIt:
        """The parser, for its name."""
        if pid != "markdown":
            raise pickle.UnpicklingError(f"unknown reference {pid!r}")
        return self.md

