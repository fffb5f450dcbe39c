"""Incremental builds: after every random edit, the cached build writes exactly what a clean build writes."""

from __future__ import annotations

import inspect
import io
import json
import os
import random
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from digest import cache, parallel, pipeline, snapshot
from digest import memo as memo_module
from digest.markdown import new_parser
from digest.problems import Problems

from conftest import ROOT, run_cli, tree

STEPS = 30


def project(tmp_path: Path) -> Path:
    """A copy of the shipped sample (content, scans) and of the templates, to edit freely."""
    site = tmp_path / "site"
    for name in ("content", "scans", "templates"):
        shutil.copytree(ROOT / name, site / name)
    return site


def layout(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every file and folder under folder (and folder itself), by relative path: its mode, and a file's bytes."""
    entries = sorted(folder.rglob("*"))
    return {"": (folder.stat().st_mode, None)} | {
        p.relative_to(folder).as_posix(): (p.lstat().st_mode, p.read_bytes() if p.is_file() and not p.is_symlink() else None) for p in entries
    }


def spare_of(site: Path) -> Path:
    """The spare folder that cached builds into _site keep in the project's cache."""
    return cache.folder_of(site / ".digest-cache", site / "_site") / "spare"


def inode(path: Path) -> int | None:
    """A folder's inode, or None if it is missing."""
    return os.stat(path).st_ino if path.is_dir() else None


def options(site: Path, out: str, cache: bool) -> pipeline.Options:
    """Build options for the project; the cached build keeps its cache in the project."""
    return pipeline.Options(site / "content", site / "scans", site / "templates", site / out,
                            cache=site / ".digest-cache" if cache else None)


def incremental(site: Path) -> tuple[pipeline.Site | pipeline.Unchanged | None, Problems]:
    """A cached build into _site."""
    problems = Problems()
    return pipeline.update(options(site, "_site", cache=True), problems), problems


def clean(site: Path) -> tuple[pipeline.Site | None, Problems]:
    """A full build, without the cache, into a fresh folder."""
    shutil.rmtree(site / "_clean", ignore_errors=True)
    problems = Problems()
    return pipeline.build(options(site, "_clean", cache=False), problems), problems


class Editor:
    """Random edits of every kind of input, from one seed."""

    def __init__(self, site: Path, rng: random.Random) -> None:
        self.site = site
        self.rng = rng
        self.made = 0

    def notes(self) -> list[Path]:
        return sorted(p for p in (self.site / "content" / "editions").glob("*/*.md") if p.name != "index.md")

    def scan_ids(self) -> list[str]:
        ids = []
        for path in sorted((self.site / "scans").rglob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            ids.append(data["paper"].get("arxiv_id") or path.stem)
        return ids

    def editions(self) -> list[Path]:
        return sorted(p for p in (self.site / "content" / "editions").iterdir() if p.is_dir())

    def fresh(self) -> int:
        self.made += 1
        return self.made

    def note_text(self, scan_id: str) -> str:
        words = " ".join(self.rng.choice(["models", "data", "a", "claim", "42%", "[link](../../papers/)", "*very*"]) for _ in range(12))
        tags = self.rng.sample(["alignment", "safety", "new tag", "Measurement", "interpretability"], self.rng.randint(0, 2))
        return (f'---\nheadline: "Headline {self.fresh()}"\nscan: "{scan_id}"\ntags: [{", ".join(tags)}]\n---\n'
                f"**What happened:** {words}\n\n**What's interesting:** {words}\n\n- {words}\n")

    def add_note(self) -> str:
        folder = self.rng.choice(self.editions())
        text = self.note_text(self.rng.choice(self.scan_ids()))
        (folder / f"{self.rng.randint(0, 99):02d}-added-{self.fresh()}.md").write_text(text, encoding="utf-8")
        return f"add a note in {folder.name}"

    def change_note_body(self) -> str:
        note = self.rng.choice(self.notes())
        text = note.read_text(encoding="utf-8")
        # Same length edits too: the cache must see them even within the file system's clock tick.
        note.write_text(text.replace("the", "THE", 1) if self.rng.random() < 0.5 else text + f"\nAdded line {self.fresh()}.\n", encoding="utf-8")
        return f"change the body of {note.name}"

    def change_note_meta(self) -> str:
        note = self.rng.choice(self.notes())
        text = note.read_text(encoding="utf-8")
        note.write_text(text.replace("headline: ", f"headline: Changed {self.fresh()} ", 1), encoding="utf-8")
        return f"change the headline of {note.name}"

    def delete_note(self) -> str:
        notes = self.notes()
        if len(notes) <= 2:
            return self.add_note()
        note = self.rng.choice(notes)
        note.unlink()
        return f"delete {note.name}"

    def add_scan(self) -> str:
        source = self.rng.choice(sorted((self.site / "scans").rglob("*.json")))
        data = json.loads(source.read_text(encoding="utf-8"))
        number = self.fresh()
        data["paper"]["arxiv_id"] = f"2999.{number:05d}"
        data["paper"]["title"] = f"A new paper {number}"
        (self.site / "scans" / f"new-{number}.json").write_text(json.dumps(data), encoding="utf-8")
        return f"add scan 2999.{number:05d}"

    def change_scan(self) -> str:
        path = self.rng.choice(sorted((self.site / "scans").rglob("*.json")))
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("claims"):
            data["claims"][0]["claim"] = f"Changed claim {self.fresh()}"
        data["key_findings"] = f"Changed findings {self.fresh()}"
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
        return f"change scan {path.name}"

    def delete_scan(self) -> str:
        path = self.rng.choice(sorted((self.site / "scans").rglob("*.json")))
        path.unlink()
        return f"delete scan {path.name} (notes naming it make the build fail)"

    def add_edition(self) -> str:
        latest = self.editions()[-1].name
        year = int(latest[:4]) + 1
        folder = self.site / "content" / "editions" / f"{year}{latest[4:]}"
        folder.mkdir()
        draft = "draft: true\n" if self.rng.random() < 0.3 else ""
        (folder / "index.md").write_text(f"---\ntitle: Edition {self.fresh()}\n{draft}---\nAn introduction.\n", encoding="utf-8")
        (folder / "01-first.md").write_text(self.note_text(self.rng.choice(self.scan_ids())), encoding="utf-8")
        return f"add edition {folder.name}"

    def change_edition(self) -> str:
        index = self.rng.choice(self.editions()) / "index.md"
        index.write_text(index.read_text(encoding="utf-8") + f"\nMore introduction {self.fresh()}.\n", encoding="utf-8")
        return f"change the introduction of {index.parent.name}"

    def delete_edition(self) -> str:
        editions = self.editions()
        if len(editions) <= 2:
            return self.add_edition()
        folder = self.rng.choice(editions)
        shutil.rmtree(folder)
        return f"delete edition {folder.name}"

    def change_template(self) -> str:
        template = self.rng.choice(sorted((self.site / "templates").glob("*.html")))
        text = template.read_text(encoding="utf-8")
        template.write_text(text.replace("</", f"<!-- edit {self.fresh()} --></", 1), encoding="utf-8")
        return f"change template {template.name}"

    def change_style(self) -> str:
        style = self.site / "templates" / "static" / "style.css"
        style.write_text(style.read_text(encoding="utf-8") + f"\n/* edit {self.fresh()} */\n", encoding="utf-8")
        return "change style.css"

    def change_page(self) -> str:
        page = self.rng.choice(sorted((self.site / "content" / "pages").glob("*.md")))
        page.write_text(page.read_text(encoding="utf-8") + f"\nMore text {self.fresh()}.\n", encoding="utf-8")
        return f"change page {page.name}"

    def change_settings(self) -> str:
        settings = self.site / "content" / "site.yaml"
        settings.write_text(settings.read_text(encoding="utf-8").replace("title: ", "title: New ", 1), encoding="utf-8")
        return "change the site title"

    def nothing(self) -> str:
        return "change nothing"

    def edit(self) -> str:
        kinds = [self.add_note, self.change_note_body, self.change_note_body, self.change_note_body, self.change_note_meta,
                 self.delete_note, self.add_scan, self.change_scan, self.delete_scan, self.add_edition, self.change_edition,
                 self.delete_edition, self.change_template, self.change_style, self.change_page, self.change_settings, self.nothing]
        return self.rng.choice(kinds)()


def test_random_edits_build_what_a_clean_build_builds(tmp_path: Path) -> None:
    site = project(tmp_path)
    editor = Editor(site, random.Random(20260827))
    kept = unchanged = swapped_in = 0
    for step in range(STEPS):
        what = editor.edit() if step else "first build"
        before = tree(site / "_site") if (site / "_site").is_dir() else None
        out_before, spare_before = inode(site / "_site"), inode(spare_of(site))
        built, problems = incremental(site)
        reference, reference_problems = clean(site)
        assert messages(problems) == messages(reference_problems), f"step {step}: {what}"
        if reference is None:
            assert built is None, f"step {step}: {what}: the clean build failed, the cached one did not"
            assert before is None or tree(site / "_site") == before, f"step {step}: {what}: a failed build changed the site"
            if "delete scan" in what:  # put the site back in a state that builds
                shutil.rmtree(site / "scans")
                shutil.copytree(ROOT / "scans", site / "scans")
            continue
        assert built is not None, f"step {step}: {what}: {problems.errors}"
        if isinstance(built, pipeline.Unchanged):
            unchanged += 1
        else:
            kept += len(built.reused)
            assert out_before is None or inode(spare_of(site)) == out_before, f"step {step}: {what}: the old site was not kept as the spare"
            if spare_before is not None:  # the spare was updated into the new site and swapped in
                assert inode(site / "_site") == spare_before, f"step {step}: {what}: the spare was not used"
                swapped_in += 1
        assert layout(site / "_site") == layout(site / "_clean"), f"step {step}: {what}: the cached build differs from a clean build"
    assert kept > 0 and unchanged > 0, "the sequence never exercised reuse or a no-op build"
    assert swapped_in > STEPS // 2, "the builds did not update the spare into the new site"


def test_no_op_rebuild_writes_nothing_and_says_so(tmp_path: Path) -> None:
    site = project(tmp_path)
    first = run_cli(site, "--templates", str(site / "templates"))
    assert first.code == 0, first.err
    stamp = (site / "_site" / "index.html").stat().st_mtime_ns, (site / "_site").stat().st_ino
    again = run_cli(site, "--templates", str(site / "templates"))
    assert again.code == 0, again.err
    assert "Nothing changed" in again.out
    assert ((site / "_site" / "index.html").stat().st_mtime_ns, (site / "_site").stat().st_ino) == stamp


def test_one_note_edit_renders_only_what_shows_it(tmp_path: Path) -> None:
    site = project(tmp_path)
    assert incremental(site)[0] is not None
    note = sorted((site / "content" / "editions").glob("*/0*.md"))[0]
    note.write_text(note.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    built, problems = incremental(site)
    assert isinstance(built, pipeline.Site), problems.errors
    edition = f"editions/{note.parent.name}/"
    rendered = set(built.files)
    assert {f"{edition}index.html", f"{edition}email.html", f"{edition}email.txt", "feed.xml", "atom.xml"} <= rendered
    assert "papers/index.html" not in rendered and "tags/index.html" not in rendered and "404.html" not in rendered


@pytest.mark.parametrize("flag", ["--no-cache"])
def test_no_cache_builds_everything_and_leaves_no_cache(tmp_path: Path, flag: str) -> None:
    site = project(tmp_path)
    done = run_cli(site, "--templates", str(site / "templates"), flag)
    assert done.code == 0, done.err
    again = run_cli(site, "--templates", str(site / "templates"), flag)
    assert "Built" in again.out and "Nothing changed" not in again.out
    assert not (site / ".digest-cache").exists()


def messages(problems: Problems) -> list[str]:
    """Every problem as the command line prints it."""
    return [str(p) for p in problems.errors + problems.warnings]


def test_recalled_inputs_report_the_same_warnings_as_a_clean_build(tmp_path: Path) -> None:
    site = project(tmp_path)
    scan = next((site / "scans").rglob("*.json"))
    scan.write_text(scan.read_text(encoding="utf-8").replace('"paper_type": "', '"paper_type": "\\u0007', 1), encoding="utf-8")
    first, first_problems = incremental(site)
    assert isinstance(first, pipeline.Site)
    expected = messages(first_problems)
    assert any("dropped" in m and scan.name in m for m in expected)
    other = next((site / "content" / "editions").glob("*/0*.md"))
    other.write_text(other.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    second, second_problems = incremental(site)  # the scan with the warning is recalled from the memo
    assert isinstance(second, pipeline.Site)
    assert messages(second_problems) == expected
    assert messages(clean(site)[1]) == expected


def test_a_lower_limit_in_site_yaml_applies_to_recalled_files(tmp_path: Path) -> None:
    site = project(tmp_path)
    assert isinstance(incremental(site)[0], pipeline.Site)
    settings = site / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "max_scan_bytes: 1000\nmax_markdown_bytes: 200\n", encoding="utf-8")
    built, problems = incremental(site)
    assert built is None
    assert messages(problems) == messages(clean(site)[1])
    assert any("over the limit of 1,000" in m for m in messages(problems)) and any("over the limit of 200" in m for m in messages(problems))


def memo_with(path: Path, names: list[str], hashes: dict[str, str]) -> memo_module.Memo:
    """A memo opened from path that recalls every named file it can and loads (remembers) the rest, as a build does."""
    memo = memo_module.Memo.open(path, "key", lambda p: hashes[str(p)])
    for name in names:
        if memo.recall(Path(name), Problems()) is None:
            memo.remember(Path(name), f"loaded {name} {hashes[name]}", [])
    return memo


def test_the_memo_saves_small_changes_as_a_delta_and_rewrites_itself_when_they_grow(tmp_path: Path) -> None:
    path = tmp_path / "memo.pickle"
    names = [f"/inputs/{i}.md" for i in range(200)]
    hashes = dict.fromkeys(names, "a")
    memo_with(path, names, hashes).save(path)
    whole = path.read_bytes()
    assert not memo_module.delta_path(path).exists()

    hashes[names[0]] = "b"  # one edit: only the delta is written
    memo_with(path, names, hashes).save(path)
    assert path.read_bytes() == whole and memo_module.delta_path(path).exists()
    recalled = memo_module.Memo.open(path, "key", lambda p: hashes[str(p)])
    assert recalled.recall(Path(names[0]), Problems()) == f"loaded {names[0]} b"
    assert recalled.recall(Path(names[1]), Problems()) == f"loaded {names[1]} a"

    for name in names[:150]:  # many edits: the whole memo is rewritten without the unused entries, and the delta goes
        hashes[name] = "c"
    memo_with(path, names, hashes).save(path)
    assert path.read_bytes() != whole and not memo_module.delta_path(path).exists()
    rewritten = memo_module.Memo.open(path, "key", lambda p: hashes[str(p)])
    assert len(rewritten.previous) == len(names)
    assert all(rewritten.recall(Path(name), Problems()) == f"loaded {name} {hashes[name]}" for name in names)


def test_a_delta_left_beside_a_rewritten_memo_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "memo.pickle"
    names = [f"/inputs/{i}.md" for i in range(100)]
    hashes = dict.fromkeys(names, "a")
    memo_with(path, names, hashes).save(path)
    hashes[names[0]] = "b"
    memo_with(path, names, hashes).save(path)
    old_delta = memo_module.delta_path(path).read_bytes()
    for name in names:
        hashes[name] = "c"
    memo_with(path, names, hashes).save(path)  # rewritten whole: a build killed before removing the delta leaves it behind
    memo_module.delta_path(path).write_bytes(old_delta)
    hashes[names[0]] = "b"  # the delta's entry would match, but it belongs to the memo before
    memo = memo_module.Memo.open(path, "key", lambda p: hashes[str(p)])
    assert memo.recall(Path(names[0]), Problems()) is None
    assert memo.recall(Path(names[1]), Problems()) == f"loaded {names[1]} c"


def test_notes_parsed_by_another_process_build_what_this_one_would(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = project(tmp_path)
    notes = sorted((site / "content" / "editions").glob("*/0*.md"))
    notes[0].write_text(notes[0].read_text(encoding="utf-8").replace("tags: [", 'tags: ["a\\bb", ', 1), encoding="utf-8")  # a warning
    reference, reference_problems = clean(site)
    assert reference is not None
    assert any("dropped" in m and notes[0].name in m for m in messages(reference_problems))
    expected = layout(site / "_clean")
    with monkeypatch.context() as patch:
        patch.setattr(parallel, "can_fork", lambda: False)
        alone, alone_problems = clean(site)
    assert alone is not None
    assert messages(alone_problems) == messages(reference_problems)
    assert layout(site / "_clean") == expected
    notes[1].write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")  # an error, reported where it is
    failed, problems = clean(site)
    with monkeypatch.context() as patch:
        patch.setattr(parallel, "can_fork", lambda: False)
        failed_alone, problems_alone = clean(site)
    assert failed is None
    assert failed_alone is None
    assert messages(problems) == messages(problems_alone) and any(notes[1].name in m for m in messages(problems))


def test_inputs_stamped_by_another_process_are_stamped_as_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = project(tmp_path)
    assert isinstance(incremental(site)[0], pipeline.Site)
    note = sorted((site / "content" / "editions").glob("*/0*.md"))[0]
    note.write_text(note.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    opts = options(site, "_site", cache=True)
    roots, text = opts.inputs, pipeline.output_options(opts)
    here = cache.State.open(site / ".digest-cache", opts.out, text, roots)
    monkeypatch.setattr(cache, "STAMP_APART", 0)  # a large site: stamped apart
    ran: list[bool] = []
    apart = cache.State.open(site / ".digest-cache", opts.out, text, roots, meanwhile=lambda: ran.append(True))
    assert ran == [True]
    assert {path: (s.stat, s.hash) for path, s in apart.inputs.items()} == {path: (s.stat, s.hash) for path, s in here.inputs.items()}
    assert apart.inputs[str(note)].hash != apart.previous["inputs"][str(note)][1]  # the edited note was hashed again
    built, problems = incremental(site)  # and a whole build with its inputs stamped apart matches a clean one
    assert isinstance(built, pipeline.Site), problems.errors
    assert clean(site)[0] is not None
    assert layout(site / "_site") == layout(site / "_clean")


def test_a_built_site_prints_as_one_short_line(tmp_path: Path) -> None:
    built, problems = clean(project(tmp_path))  # a failed assertion prints the site: the whole library would take minutes
    assert built is not None, problems.errors
    text = repr(built)
    assert "\n" not in text and len(text) < 200
    assert f"{len(built.files)} files written" in text and f"{len(built.library.papers)} papers" in text


def test_note_body_edits_reuse_the_saved_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = project(tmp_path)
    note = sorted((site / "content" / "editions").glob("*/0*.md"))[0]
    original = note.read_text(encoding="utf-8")
    warned = original.replace('headline: "', 'headline: "\\b', 1)  # the same headline once "\b" is dropped, with a warning
    note.write_text(warned, encoding="utf-8")
    assert isinstance(incremental(site)[0], pipeline.Site)
    assert (cache.folder_of(site / ".digest-cache", site / "_site") / snapshot.FILE).is_file()
    loads: list[Path] = []
    real_load = pipeline.load
    monkeypatch.setattr(pipeline, "load", lambda options, *rest, **named: loads.append(options.content) or real_load(options, *rest, **named))
    edits = [
        warned + "\nA sentence.\n",  # the warning stays
        original.replace("---\n", "---\n# a comment: every key a line lower, the same values\n", 1),  # the warning goes
        original.replace("**What happened:**", "**What happened, in short:**", 1),
    ]
    for step, text in enumerate(edits):
        note.write_text(text, encoding="utf-8")
        built, problems = incremental(site)
        assert isinstance(built, pipeline.Site), problems.errors
        assert f"editions/{note.parent.name}/index.html" in built.files
        reference, reference_problems = clean(site)
        assert reference is not None
        assert layout(site / "_site") == layout(site / "_clean"), f"edit {step}"
        assert messages(problems) == messages(reference_problems), f"edit {step}"
        assert any("dropped" in m for m in messages(problems)) == (step == 0)
    assert loads == [site / "content"] * len(edits), "only the clean builds loaded the site"
    note.write_text(original.replace("headline: ", "headline: Changed ", 1), encoding="utf-8")  # front matter: loaded again
    built, problems = incremental(site)
    assert isinstance(built, pipeline.Site) and len(loads) == len(edits) + 1
    assert clean(site)[0] is not None and layout(site / "_site") == layout(site / "_clean")
    before = tree(site / "_site")
    note.write_text(original.replace("headline: ", "headline: [unclosed ", 1), encoding="utf-8")  # an error: loaded, and reported
    failed, problems = incremental(site)
    assert failed is None and len(loads) == len(edits) + 3
    assert messages(problems) == messages(clean(site)[1]) and any(note.name in m for m in messages(problems))
    assert tree(site / "_site") == before


@contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    """Python's recursion limit lowered to limit for the block."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def test_a_long_archive_is_saved_flat_and_read_back_whole(tmp_path: Path) -> None:
    site = project(tmp_path)
    editions = site / "content" / "editions"
    first = sorted(editions.iterdir())[0]
    for year in range(2100, 2160):  # sixty more editions: a chain too long for pickle to follow link by link
        shutil.copytree(first, editions / f"{year}{first.name[4:]}")
    opts = options(site, "_clean", cache=False)
    library = pipeline.load(opts, Problems())
    assert library is not None
    with recursion_limit(len(inspect.stack()) + 100):
        with pytest.raises(RecursionError):
            snapshot.Pickler.dumps(library)  # the library as it is
        data = snapshot.Pickler.dumps(snapshot.flatten(library))
    restored = snapshot.restore(snapshot.Unpickler(io.BytesIO(data), new_parser(library.settings.allow_html)).load())
    assert repr(restored) == repr(library)
    expected, again = pipeline.render_site(library, opts, Problems()), pipeline.render_site(restored, opts, Problems())
    assert expected is not None and again is not None
    assert again.files == expected.files
