"""Property-based tests of every input boundary: scan JSON, front matter, whole sites, and values written into pages.

Profiles: `default` (quick, part of the normal run) and `fuzz` (long), chosen with
`HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_properties.py`.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import feedparser
import html5lib
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from digest import content, frontmatter, scanfiles
from digest import settings as settings_module
from digest.markdown import new_parser
from digest.pipeline import Options, build
from digest.problems import Problems

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "site"
BETA = json.loads((FIXTURE / "scans" / "beta.json").read_text(encoding="utf-8"))

settings.register_profile("default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# ---------------------------------------------------------------- strategies

HOSTILE = [
    "",
    " ",
    "]]>",
    "<![CDATA[x]]>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "[x](javascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>",
    "\x00",
    "\x0b",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\ufffe",
    "\uffff",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\u202e",
    "&amp;",
    "&#0;",
    "&#x1;",
    "&lt;script&gt;",
    "{{ 7*7 }}",
    "{% raw %}",
    "${x}",
    "%s%n",
    "../../etc/passwd",
    "---",
    "\r",
    "\r\n",
    "\t",
    "<!-- x",
    "-->",
    "<?xml?>",
    "😀",
    "e\u0301",
    "\U0010ffff",
]

# Arbitrary unicode, lone surrogates included (JSON can carry them as \ud800 escapes).
any_char = st.characters(codec=None, exclude_categories=())
hostile_text = st.one_of(
    st.text(),
    st.text(alphabet=any_char),
    st.sampled_from(HOSTILE),
    st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=5)), max_size=8).map("".join),
    st.builds(lambda piece, n: piece * n, st.sampled_from([*HOSTILE[:12], "a", "é "]), st.integers(100, 20_000)),
)
# Text that can be written to a UTF-8 file (no lone surrogates).
file_text = hostile_text.filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=30,
)


def replace_strings(value: Any, draw: Any, keys: bool = False) -> Any:
    """The same JSON shape with every string (and, if asked, every mapping key) drawn afresh."""
    if isinstance(value, str):
        return draw(hostile_text)
    if isinstance(value, list):
        return [replace_strings(item, draw, keys) for item in value]
    if isinstance(value, dict):
        return {(draw(hostile_text) if keys else k): replace_strings(v, draw, keys) for k, v in value.items()}
    return value


@st.composite
def valid_scans(draw: Any) -> dict[str, Any]:
    """beta.json with hostile strings everywhere, and hostile claims, red flags and threads added."""
    scan: dict[str, Any] = replace_strings(BETA, draw)
    scan["checklist"] = replace_strings(BETA["checklist"], draw, keys=draw(st.booleans()))
    scan["claims"] += draw(
        st.lists(st.fixed_dictionaries({"claim": hostile_text, "evidence": hostile_text, "supported": hostile_text | st.booleans()}), max_size=3)
    )
    scan["red_flags"] = draw(st.lists(st.fixed_dictionaries({"flag": hostile_text, "detail": hostile_text}), max_size=3))
    scan["hn_data"]["threads"] = draw(st.lists(hostile_text | st.fixed_dictionaries({"id": hostile_text, "title": hostile_text}), max_size=2))
    if draw(st.booleans()):
        scan[draw(hostile_text)] = draw(json_values)  # an unknown extra field
    return scan


def dump_json(value: Any, ascii_only: bool) -> bytes:
    """JSON bytes; lone surrogates go out as \\u escapes."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


UNSAFE = {*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0xFFFE, 0xFFFF, *range(0xD800, 0xE000)}


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a JSON-like value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)


@contextmanager
def temp_folder() -> Iterator[Path]:
    """A fresh folder per example (tmp_path is shared by every example of a test)."""
    with tempfile.TemporaryDirectory(prefix="digest-prop-") as name:
        yield Path(name)


# ---------------------------------------------------------------- 1. scan JSON


def check_scan_file(folder: Path, data: bytes, max_bytes: int = 5 * 1024 * 1024) -> scanfiles.ScanFile | None:
    """load_scan gives a ScanFile, or problems that all name the file; never an exception."""
    path = folder / "scan.json"
    path.write_bytes(data)
    problems = Problems(root=folder)
    loaded = scanfiles.load_scan(path, problems, max_bytes)
    if loaded is None:
        assert problems.errors, "no scan and no problem"
    else:
        assert not problems.errors, problems.errors
        bad = {c for text in strings_in(loaded.scan.model_dump()) for c in text if ord(c) in UNSAFE}
        assert not bad, f"unsafe characters kept: {sorted(map(hex, map(ord, bad)))}"
    assert all(p.path == "scan.json" for p in problems.items), problems.items
    return loaded


@given(scan=valid_scans(), ascii_only=st.booleans())
def test_valid_scan_shapes_load_or_name_the_file(scan: dict[str, Any], ascii_only: bool) -> None:
    with temp_folder() as folder:
        loaded = check_scan_file(folder, dump_json(scan, ascii_only))
        if loaded is not None:
            assert loaded.id.strip()


@given(value=json_values, ascii_only=st.booleans())
def test_arbitrary_json_values_never_raise(value: Any, ascii_only: bool) -> None:
    with temp_folder() as folder:
        check_scan_file(folder, dump_json(value, ascii_only))


@given(data=st.binary(max_size=2000) | st.builds(lambda v, cut: dump_json(v, False)[:cut], valid_scans(), st.integers(0, 3000)))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    with temp_folder() as folder:
        check_scan_file(folder, data)


@given(scan=valid_scans(), limit=st.integers(1, 5000))
def test_size_limit_is_a_problem(scan: dict[str, Any], limit: int) -> None:
    with temp_folder() as folder:
        data = dump_json(scan, True)
        loaded = check_scan_file(folder, data, limit)
        if len(data) > limit:
            assert loaded is None


# ---------------------------------------------------------------- 2. front matter

MARKER = "digest-property-marker"

DANGEROUS_YAML = [
    '!!python/object/apply:os.system ["echo hi"]',
    f'!!python/object/apply:os.system ["touch {{folder}}/{MARKER}"]',
    "!!python/object/apply:builtins.exec [\"open('{folder}/" + MARKER + "', 'w')\"]",
    "!!python/object/new:os.system [echo hi]",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple [1, 2]",
    "!!binary aGVsbG8=",
    "!!binary '!!!'",
    "!!timestamp 2026-99-99",
    "!!timestamp 2026-99-99 x",
    "!!int 0xZZ",
    "!!float nan",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!omap [a]",
    "!!pairs [a: 1, b: 2]",
    "!custom x",
    "!<tag:yaml.org,2002:str> x",
    "&a [*a]",
    "*undefined",
    "2026-13-45",
    "2026-01-15",
    "2026-01-15 10:00:00",
    "99999-01-01",
    "1e400",
    "0x" + "f" * 40,
    "010",
    "no",
    "~",
    "[" * 200 + "]" * 200,
    "[" * 70_000 + "]" * 70_000,  # deeper than libyaml's C stack holds
    "&loop [*loop]",  # a list that contains itself
    "&a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
    "{" * 50,
    "? [a, b]\n: c",
    "|\n  block\n  text",
    ">-\n  folded",
]

yaml_scalars = st.one_of(
    st.sampled_from(DANGEROUS_YAML),
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False),
    file_text,
)
yaml_keys = st.sampled_from(["headline", "scan", "paper", "order", "tags", "date", "title", "draft", "number", "summary"]) | file_text


@st.composite
def yaml_documents(draw: Any) -> str:
    """YAML text: hand-written lines with dangerous tags, or a dumped random mapping."""
    if draw(st.booleans()):
        lines = []
        for _ in range(draw(st.integers(0, 6))):
            key = draw(yaml_keys)
            value = draw(yaml_scalars)
            indent = " " * draw(st.sampled_from([0, 0, 0, 1, 2]))
            lines.append(f"{indent}{key}: {value}" if draw(st.integers(0, 4)) else str(value))
        return "\n".join(lines) + "\n"
    data = draw(
        st.dictionaries(yaml_keys, json_values.filter(lambda v: not any(0xD800 <= ord(c) <= 0xDFFF for s in strings_in(v) for c in s)), max_size=5)
    )
    return yaml.safe_dump(data, allow_unicode=draw(st.booleans()))


@st.composite
def markdown_files(draw: Any) -> str:
    """A file that may or may not have front matter, a closing fence, and a body."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(file_text)
    yaml_text = draw(yaml_documents())
    close = "---\n" if kind != 3 else ""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return ("---\n" + yaml_text + close).replace("\n", newline) + draw(file_text)


def note_problems_have_lines(problems: Problems) -> None:
    for problem in problems.items:
        assert problem.path == "note.md", problem
        assert problem.where.isdigit() and int(problem.where) >= 1, f"no line: {problem}"


@given(text=markdown_files())
def test_front_matter_never_raises_and_problems_have_lines(text: str) -> None:
    with temp_folder() as folder:
        text = text.replace("{folder}", str(folder))
        problems = Problems(root=folder)
        parsed = frontmatter.parse(folder / "note.md", text, problems)
        if parsed is None:
            assert problems.errors
        else:
            assert isinstance(parsed.data, dict)
            assert parsed.body_line >= 1
        note_problems_have_lines(problems)
        assert not (folder / MARKER).exists(), "YAML ran code"


MD: MarkdownIt = new_parser(False)


@given(text=markdown_files())
def test_load_note_never_raises(text: str) -> None:
    with temp_folder() as folder:
        path = folder / "note.md"
        path.write_text(text.replace("{folder}", str(folder)), encoding="utf-8")
        problems = Problems(root=folder)
        note = content.load_note(path, MD, problems, max_bytes=2**31)  # the size limit has its own test
        if note is None:
            assert problems.errors
        else:
            assert note.meta.headline
            note.body.html()
        note_problems_have_lines(problems)
        assert not (folder / MARKER).exists(), "YAML ran code"


@given(yaml_text=yaml_documents())
def test_site_settings_never_raise(yaml_text: str) -> None:
    with temp_folder() as folder:
        path = folder / "site.yaml"
        path.write_text(yaml_text.replace("{folder}", str(folder)), encoding="utf-8")
        problems = Problems(root=folder)
        loaded = settings_module.load_settings(path, problems)
        assert (loaded is None) == bool(problems.errors), problems.items
        if loaded is not None:
            bad = {c for text in strings_in(loaded.model_dump()) for c in text if ord(c) in UNSAFE}
            assert not bad, f"unsafe characters kept: {sorted(map(hex, map(ord, bad)))}"
        assert all(p.path == "site.yaml" for p in problems.items)
        assert not (folder / MARKER).exists(), "YAML ran code"


# ---------------------------------------------------------------- 3. whole sites


def front_matter(data: dict[str, Any], allow_unicode: bool) -> str:
    return "---\n" + yaml.safe_dump(data, allow_unicode=allow_unicode) + "---\n"


@st.composite
def hostile_sites(draw: Any) -> dict[str, Any]:
    """What to put into beta.json and into the note that covers it."""
    return {
        "title": draw(hostile_text),
        "claims": draw(st.lists(st.fixed_dictionaries({"claim": hostile_text, "evidence": hostile_text, "supported": hostile_text}), max_size=3)),
        "red_flags": draw(st.lists(st.fixed_dictionaries({"flag": hostile_text, "detail": hostile_text}), max_size=3)),
        "justification": draw(hostile_text),
        "key_findings": draw(hostile_text),
        "headline": draw(file_text),
        "body": draw(file_text),
        "tag": draw(file_text),
        "ascii_only": draw(st.booleans()),
    }


def assert_safe_html(name: str, page: bytes) -> None:
    """Parsed as a browser would (html5lib): no img, no script that runs (but the search page's two files), no on* attribute, no script URL."""
    tree = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False)
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue  # a comment
        tag = element.tag.rpartition("}")[2].lower()
        assert tag != "img", f"{name}: img"
        ours = name == "search/index.html" and element.get("src") in ("../pagefind/pagefind-ui.js", "../search.js") and not element.text
        assert tag != "script" or element.get("type") == "application/ld+json" or ours, f"{name}: a script that runs"
        for attribute, value in element.attrib.items():
            attribute = attribute.rpartition("}")[2].lower()
            assert not attribute.startswith("on"), f"{name}: <{tag} {attribute}=...>"
            if attribute in ("href", "src", "action", "formaction"):
                squashed = "".join(c for c in value if c > " ").lower()
                assert not squashed.startswith(("javascript:", "vbscript:", "data:")), f"{name}: {attribute}={value!r}"


@functools.cache
def clean_fixture_pages() -> dict[str, bytes]:
    """The fixture site's pages built as shipped (checked once); a hostile case's page equal to one holds none of its text."""
    with temp_folder() as folder:
        out = folder / "out"
        problems = Problems(root=FIXTURE)
        assert build(Options(FIXTURE / "content", FIXTURE / "scans", ROOT / "templates", out), problems), problems.errors
        pages = {page.relative_to(out).as_posix(): page.read_bytes() for page in out.rglob("*.html")}
    for name, page in pages.items():
        assert_safe_html(name, page)
    return pages


EXAMPLES_RUN = {"sites": 0}


def count_example(kind: str) -> None:
    """Count an example, and in a long run report the count to $FUZZ_PROGRESS, so a stopped run still says how far it got."""
    EXAMPLES_RUN[kind] += 1
    progress = os.environ.get("FUZZ_PROGRESS")
    if progress and EXAMPLES_RUN[kind] % 100 == 0:
        Path(progress).write_text(f"{kind}: {EXAMPLES_RUN[kind]} examples, none failing\n", encoding="utf-8")


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=hostile_sites())
def test_hostile_site_builds_safely_or_fails_cleanly(case: dict[str, Any]) -> None:
    with temp_folder() as folder:
        site = folder / "site"
        shutil.copytree(FIXTURE, site)
        scan = json.loads(json.dumps(BETA))
        scan["paper"]["title"] = case["title"]
        scan["claims"] += case["claims"]
        scan["red_flags"] = case["red_flags"]
        scan["checklist"]["claims_and_evidence"]["abstract_claims_supported"]["justification"] = case["justification"]
        scan["key_findings"] = case["key_findings"]
        (site / "scans" / "beta.json").write_bytes(dump_json(scan, case["ascii_only"]))
        meta = {"headline": case["headline"], "scan": "10.5555/Beta.2025", "tags": ["surveys", case["tag"]]}
        note = front_matter(meta, not case["ascii_only"]) + "**What happened:** " + case["body"] + "\n\n**What's interesting:** x\n"
        (site / "content" / "editions" / "2026-01-15" / "02-beta.md").write_text(note, encoding="utf-8")
        out = folder / "out"
        problems = Problems(root=site)
        built = build(Options(site / "content", site / "scans", ROOT / "templates", out), problems)
        if built is None:
            assert problems.errors
            assert not out.exists(), "a failed build touched the output folder"
            count_example("sites")
            return
        assert not problems.errors
        for name in ("feed.xml", "atom.xml"):
            parsed = feedparser.parse((out / name).read_bytes())
            assert parsed.bozo == 0, f"{name}: {parsed.get('bozo_exception')!r}"
            assert parsed.entries
        clean = clean_fixture_pages()
        for page in out.rglob("*.html"):
            name = page.relative_to(out).as_posix()
            built_page = page.read_bytes()
            if clean.get(name) != built_page:
                assert_safe_html(name, built_page)
        count_example("sites")


def test_long_tag_gets_a_short_page(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site)
    note = front_matter({"headline": "Long tag", "scan": "10.5555/Beta.2025", "tags": ["x" * 300]}, True) + "Body.\n"
    (site / "content" / "editions" / "2026-01-15" / "02-beta.md").write_text(note, encoding="utf-8")
    problems = Problems(root=site)
    built = build(Options(site / "content", site / "scans", ROOT / "templates", tmp_path / "out"), problems)
    assert built is not None, problems.errors
    pages = [p for p in (tmp_path / "out" / "tags").iterdir() if p.name.startswith("xxx")]
    assert len(pages) == 1 and len(pages[0].name) < 80


@given(text=st.one_of(hostile_text, st.text(alphabet=st.sampled_from("aZ9 -_.!É\u00e9\u00df\ufb01\u0130\u2014\u00a0\x1f"))))
def test_slugs_are_the_ascii_letters_and_digits_of_the_text_with_one_hyphen_between_runs(text: str) -> None:
    import re
    import unicodedata

    from digest.markdown import slugify

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    assert slugify(text) == "-".join(re.findall("[a-z0-9]+", ascii_text))  # "Fine-tuning, É" → "fine-tuning-e"


# ---------------------------------------------------------------- 4. related papers

# Small pools, so that papers share tags, methods and titles, and scores tie. Names that differ but
# slugify alike ("A" and "a", "Fine tuning" and "fine-tuning", "" and "!!") must count as one.
TITLES = ["A", "a", "B b", "b-b", "C", "", "!!"]
TAG_NAMES = ["x", "X", "y", "Fine tuning", "fine-tuning", "z"]
METHOD_NAMES = ["M", "m", "n", "o"]


def paper_entry(paper_id: str, title: str, tag_names: list[list[str]], scan: tuple[list[str], list[str]] | None) -> Any:
    """A PaperEntry with one note per tag list, and a stand-in scan of (methods, cited titles) if given."""
    from types import SimpleNamespace

    from digest.ids import Citation
    from digest.library import PaperEntry, TagEntry
    from digest.markdown import slugify
    from digest.urls import tag_slug

    scan_file = None
    if scan is not None:
        scan_file = SimpleNamespace(id=paper_id, methodology_tags=scan[0], cited=list(dict.fromkeys(map(slugify, scan[1]))))
    paper = PaperEntry(paper_id, paper_id, Citation(title), scan_file)  # type: ignore[arg-type]
    for names in tag_names:
        tags = {tag_slug(n): TagEntry(n, tag_slug(n)) for n in names}
        paper.notes.append(SimpleNamespace(tags=list(tags.values())))  # type: ignore[arg-type]
    return paper


papers_strategy = st.lists(
    st.builds(
        paper_entry,
        st.text("abcde", max_size=2),  # ids may repeat: the pairwise ranking then keeps list order
        st.sampled_from(TITLES),
        st.lists(st.lists(st.sampled_from(TAG_NAMES), max_size=3), max_size=2),  # no notes means no tags
        st.none() | st.tuples(st.lists(st.sampled_from(METHOD_NAMES), max_size=3), st.lists(st.sampled_from(TITLES), max_size=3)),
    ),
    max_size=14,
)


def relate(papers: list[Any], limit: int) -> None:
    """Give the papers one set of relations, as the library does."""
    from digest.related import Relations

    relations = Relations(papers, limit)
    for paper in papers:
        paper.relations = relations


@given(papers=papers_strategy, limit=st.integers(0, 16))
def test_relations_match_the_pairwise_ranking(papers: list[Any], limit: int) -> None:
    from conftest import related_papers

    relate(papers, limit)
    for paper in papers:
        assert [p.id for p in paper.related] == [p.id for p in related_papers(paper, papers, limit)]
        assert all(a is b for a, b in zip(paper.related, related_papers(paper, papers, limit), strict=True))


def test_relations_rank_ties_by_id_and_count_citations_either_way() -> None:
    hub = paper_entry("h", "Hub", [["x"]], (["m"], ["Hub", "Cited"]))  # cites itself, which does not count
    crowd = [paper_entry(i, f"P {i}", [["x"]], None) for i in "gfedcba"]  # seven ties at 2, more than the limit
    cited = paper_entry("z", "cited", [], None)  # cited by the hub: 3
    citing = paper_entry("y", "Citer", [], (["M"], ["hub"]))  # cites the hub, shares a method: 3 + 1
    pair = [paper_entry("w", "W", [], (["n"], [])), paper_entry("v", "V", [], (["N"], []))]  # one method: 1
    loner = paper_entry("u", "Loner", [], None)  # no tags, no scan: never related
    papers = [hub, *crowd, cited, citing, *pair, loner]
    relate(papers, limit=4)
    assert [p.id for p in hub.related] == ["y", "z", "a", "b"]
    assert [p.id for p in crowd[0].related] == ["a", "b", "c", "d"]
    assert [p.id for p in citing.related] == ["h"]
    assert [p.id for p in pair[0].related] == ["v"] and [p.id for p in pair[1].related] == ["w"]
    assert loner.related == []
    relate(papers, limit=20)
    assert [p.id for p in hub.related] == ["y", "z", "a", "b", "c", "d", "e", "f", "g"]
