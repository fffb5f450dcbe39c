"""Incremental builds: after every random edit, the cached build writes exactly what a clean build writes."""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from digest import cache, cli, pipeline, write
from digest.problems import Problems

from conftest import ROOT, tree

STEPS = 120


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


def inode(path: Path) -> int | None:
    """A folder's inode, or None if it is missing."""
    return os.stat(path).st_ino if path.is_dir() else None


def options(site: Path, out: str = "_site", cached: bool = True) -> pipeline.Options:
    """Build options for the project; a cached build keeps its cache in the project."""
    return pipeline.Options(site / "content", site / "scans", site / "templates", site / out, cache=site / ".digest-cache" if cached else None)


def spare_of(site: Path) -> Path:
    """Where cached builds into _site keep the site they replaced."""
    built = options(site)
    spare = cache.Cache.of(site / ".digest-cache", built.out, built.text(), []).spare
    assert spare is not None
    return spare


def incremental(site: Path) -> tuple[pipeline.Site | pipeline.Unchanged | None, Problems]:
    """A cached build into _site, as the command line makes it (locked, with the cache in the project)."""
    problems = Problems()
    built = options(site)
    with write.lock(built.out):
        found = cache.Cache.of(site / ".digest-cache", built.out, built.text(), built.inputs)
        return pipeline.build(built, problems, found), problems


def clean(site: Path) -> tuple[pipeline.Site | pipeline.Unchanged | None, Problems]:
    """A full build, without the cache, into a fresh folder."""
    shutil.rmtree(site / "_clean", ignore_errors=True)
    problems = Problems()
    return pipeline.build(options(site, "_clean", cached=False), problems), problems


def command(site: Path, *args: str) -> tuple[int, str, str]:
    """`python build.py` with the project's folders, run in this process: its exit code, output and problems."""
    out, err = io.StringIO(), io.StringIO()
    folders = ["--content", str(site / "content"), "--scans", str(site / "scans"), "--templates", str(site / "templates")]
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["build", *folders, "--out", str(site / "_site"), "--cache", str(site / ".digest-cache"), *args])
    return code, out.getvalue(), err.getvalue()


def problem_lines(err: str) -> list[str]:
    """The problems a build printed, one per line (not its summary)."""
    return [line for line in err.splitlines() if not re.match(r"\d+ (problem|warning)\(s\)|Waiting for", line)]


class Editor:
    """Random edits of every kind of input, from one seed; the last one can be taken back."""

    def __init__(self, site: Path, rng: random.Random) -> None:
        self.site = site
        self.rng = rng
        self.made = 0
        self.undo: tuple[Path, bytes | None] | None = None

    def notes(self) -> list[Path]:
        return sorted(p for p in (self.site / "content" / "editions").glob("*/*.md") if p.name != "index.md")

    def scans(self) -> list[Path]:
        return sorted((self.site / "scans").rglob("*.json"))

    def scan_ids(self) -> list[str]:
        ids = []
        for path in self.scans():
            data = json.loads(path.read_text(encoding="utf-8"))
            ids.append(data["paper"].get("arxiv_id") or path.stem)
        return ids

    def editions(self) -> list[Path]:
        return sorted(p for p in (self.site / "content" / "editions").iterdir() if p.is_dir())

    def fresh(self) -> int:
        self.made += 1
        return self.made

    def write(self, path: Path, text: str) -> None:
        """Change one file, remembering how it was."""
        self.undo = (path, path.read_bytes() if path.exists() else None)
        path.write_text(text, encoding="utf-8")

    def note_text(self, scan_id: str) -> str:
        words = " ".join(self.rng.choice(["models", "data", "a", "claim", "42%", "[link](../../papers/)", "*very*"]) for _ in range(12))
        tags = self.rng.sample(["alignment", "safety", "new tag", "Measurement", "interpretability"], self.rng.randint(0, 2))
        return (
            f'---\nheadline: "Headline {self.fresh()}"\nscan: "{scan_id}"\ntags: [{", ".join(tags)}]\n---\n'
            f"**What happened:** {words}\n\n**What's interesting:** {words}\n\n- {words}\n"
        )

    def add_note(self) -> str:
        folder = self.rng.choice(self.editions())
        self.write(folder / f"{self.rng.randint(0, 99):02d}-added-{self.fresh()}.md", self.note_text(self.rng.choice(self.scan_ids())))
        return f"add a note in {folder.name}"

    def change_note_body(self) -> str:
        note = self.rng.choice(self.notes())
        text = note.read_text(encoding="utf-8")
        # Same-length edits too: the cache must see them even within the file system's clock tick.
        self.write(note, text.replace("the", "THE", 1) if self.rng.random() < 0.5 else text + f"\nAdded line {self.fresh()}.\n")
        return f"change the body of {note.name}"

    def change_note_meta(self) -> str:
        note = self.rng.choice(self.notes())
        self.write(note, note.read_text(encoding="utf-8").replace("headline: ", f"headline: Changed {self.fresh()} ", 1))
        return f"change the headline of {note.name}"

    def delete_note(self) -> str:
        notes = self.notes()
        if len(notes) <= 2:
            return self.add_note()
        note = self.rng.choice(notes)
        self.undo = (note, note.read_bytes())
        note.unlink()
        return f"delete {note.name}"

    def add_scan(self) -> str:
        data = json.loads(self.rng.choice(self.scans()).read_text(encoding="utf-8"))
        number = self.fresh()
        data["paper"]["arxiv_id"] = f"2999.{number:05d}"
        data["paper"]["title"] = f"A new paper {number}"
        self.write(self.site / "scans" / f"new-{number}.json", json.dumps(data))
        return f"add scan 2999.{number:05d}"

    def change_scan(self) -> str:
        path = self.rng.choice(self.scans())
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("claims"):
            data["claims"][0]["claim"] = f"Changed claim {self.fresh()}"
        data["key_findings"] = f"Changed findings {self.fresh()}"
        self.write(path, json.dumps(data, indent=2))
        return f"change scan {path.name}"

    def add_scan_version(self) -> str:
        path = self.rng.choice(self.scans())
        data = json.loads(path.read_text(encoding="utf-8"))
        data["scan_version"] = data.get("scan_version", 1) + self.rng.choice([-1, 1, 1])  # a newer version wins, an older one does not
        data["key_findings"] = f"Version {data['scan_version']} of the scan, edit {self.fresh()}"
        folder = path.parent / f"versions-{path.stem}"
        folder.mkdir(exist_ok=True)
        self.write(folder / f"scan-v{data['scan_version']}-{self.made}.json", json.dumps(data))
        return f"add scan_version {data['scan_version']} of {path.name}"

    def delete_scan(self) -> str:
        path = self.rng.choice(self.scans())
        self.undo = (path, path.read_bytes())
        path.unlink()
        return f"delete scan {path.name} (notes naming it make the build fail)"

    def add_edition(self) -> str:
        latest = self.editions()[-1].name
        folder = self.site / "content" / "editions" / f"{int(latest[:4]) + 1}{latest[4:]}"
        folder.mkdir()
        draft = "draft: true\n" if self.rng.random() < 0.3 else ""
        (folder / "index.md").write_text(f"---\ntitle: Edition {self.fresh()}\n{draft}---\nAn introduction.\n", encoding="utf-8")
        self.write(folder / "01-first.md", self.note_text(self.rng.choice(self.scan_ids())))
        return f"add edition {folder.name}"

    def change_edition(self) -> str:
        index = self.rng.choice(self.editions()) / "index.md"
        self.write(index, index.read_text(encoding="utf-8") + f"\nMore introduction {self.fresh()}.\n")
        return f"change the introduction of {index.parent.name}"

    def delete_edition(self) -> str:
        editions = self.editions()
        if len(editions) <= 2:
            return self.add_edition()
        folder = self.rng.choice(editions)
        shutil.rmtree(folder)
        self.undo = None
        return f"delete edition {folder.name}"

    def change_template(self) -> str:
        template = self.rng.choice(sorted((self.site / "templates").glob("*.*")))
        self.write(template, template.read_text(encoding="utf-8").replace("</", f"<!-- edit {self.fresh()} --></", 1))
        return f"change template {template.name}"

    def change_style(self) -> str:
        style = self.site / "templates" / "static" / "style.css"
        self.write(style, style.read_text(encoding="utf-8") + f"\n/* edit {self.fresh()} */\n")
        return "change style.css"

    def change_page(self) -> str:
        page = self.rng.choice(sorted((self.site / "content" / "pages").glob("*.md")))
        self.write(page, page.read_text(encoding="utf-8") + f"\nMore text {self.fresh()}.\n")
        return f"change page {page.name}"

    def change_settings(self) -> str:
        settings = self.site / "content" / "site.yaml"
        text = settings.read_text(encoding="utf-8")
        if self.rng.random() < 0.5:
            self.write(settings, text.replace("title: ", "title: New ", 1))
            return "change the site title"
        self.write(settings, re.sub(r"\nfeed_limit: \d+", "", text) + f"\nfeed_limit: {self.rng.randint(0, 3)}\n")
        return "change how many editions the feeds carry"

    def touch(self) -> str:
        path = self.rng.choice([*self.notes(), *self.scans()])
        os.utime(path)
        return f"touch {path.name} (its bytes as they were)"

    def take_back(self) -> str:
        if self.undo is None:
            return self.touch()
        path, before = self.undo
        self.undo = None
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)
        return f"take back the last edit of {path.name}"

    def nothing(self) -> str:
        return "change nothing"

    def edit(self) -> str:
        kinds = [
            self.add_note,
            self.change_note_body,
            self.change_note_body,
            self.change_note_body,
            self.change_note_meta,
            self.delete_note,
            self.add_scan,
            self.change_scan,
            self.add_scan_version,
            self.delete_scan,
            self.add_edition,
            self.change_edition,
            self.delete_edition,
            self.change_template,
            self.change_style,
            self.change_page,
            self.change_settings,
            self.touch,
            self.take_back,
            self.take_back,
            self.nothing,
        ]
        return self.rng.choice(kinds)()


def test_random_edits_build_what_a_clean_build_builds(tmp_path: Path) -> None:
    site = project(tmp_path)
    editor = Editor(site, random.Random(20260827))
    kept = unchanged = from_spare = 0
    for step in range(STEPS):
        what = editor.edit() if step else "first build"
        if what == "change nothing" and step % 3 == 0:  # now and then, let every file age past the cache's window for racy files
            time.sleep(cache.RACY_NS / 1e9 + 0.1)
            command(site)
        before = tree(site / "_site") if (site / "_site").is_dir() else None
        spare = inode(spare_of(site))
        code, out, err = command(site)
        reference, reference_problems = clean(site)
        if reference is None:
            assert code == 1, f"step {step}: {what}: the clean build failed, the cached one did not"
            assert problem_lines(err) == [str(p) for p in reference_problems.errors], f"step {step}: {what}"
            assert before is None or tree(site / "_site") == before, f"step {step}: {what}: a failed build changed the site"
            if "delete scan" in what:  # put the site back in a state that builds
                editor.take_back()
            continue
        assert code == 0, f"step {step}: {what}: {err}"
        if "Nothing changed" in out:
            unchanged += 1
        else:
            assert problem_lines(err) == [str(p) for p in reference_problems.warnings], f"step {step}: {what}"
            kept += int(re.search(r"\((\d+) unchanged files kept\)", out)[1]) if "kept)" in out else 0  # type: ignore[index]
            from_spare += spare is not None and inode(site / "_site") == spare
        assert layout(site / "_site") == layout(site / "_clean"), f"step {step}: {what}: the cached build differs from a clean build"
    assert kept > 0 and unchanged > 0, "the sequence never exercised reuse or a no-op build"
    assert from_spare > STEPS // 2, "the builds did not make the new site from the one before the last"


def test_no_op_rebuild_writes_nothing_and_says_so(tmp_path: Path) -> None:
    site = project(tmp_path)
    assert command(site)[0] == 0
    time.sleep(cache.RACY_NS / 1e9 + 0.1)  # inputs changed this close before a build may change again unseen: they count as changed
    assert command(site)[0] == 0
    stamp = (site / "_site" / "index.html").stat().st_mtime_ns, (site / "_site").stat().st_ino
    code, out, _ = command(site)
    assert code == 0 and "Nothing changed" in out
    assert ((site / "_site" / "index.html").stat().st_mtime_ns, (site / "_site").stat().st_ino) == stamp


def test_one_note_edit_renders_only_what_shows_it(tmp_path: Path) -> None:
    site = project(tmp_path)
    assert incremental(site)[0] is not None
    note = sorted((site / "content" / "editions").glob("*/0*.md"))[0]
    note.write_text(note.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    built, problems = incremental(site)
    assert isinstance(built, pipeline.Site), problems.errors
    edition = f"editions/{note.parent.name}/"
    assert {f"{edition}index.html", f"{edition}email.html", f"{edition}email.txt"} <= set(built.rendered)
    assert "papers/index.html" in built.kept and "tags/index.html" in built.kept and "404.html" in built.kept
    assert not {"papers/index.html", "tags/index.html", "404.html", "sitemap.xml"} & set(built.rendered)


def test_an_editor_template_that_shows_other_notes_is_rendered_every_time(tmp_path: Path) -> None:
    site = project(tmp_path)
    tags = site / "templates" / "tag.html"  # a tag page that quotes every note's text, which the plan does not list for it
    tags.write_text(
        tags.read_text(encoding="utf-8").replace("{% endblock %}", "{% for note in tag.notes %}{{ ctx.note_html(note) }}{% endfor %}{% endblock %}"),
        encoding="utf-8",
    )
    assert command(site)[0] == 0
    note = next(note for note in sorted((site / "content" / "editions").glob("*/0*.md")) if "tags: [" in note.read_text(encoding="utf-8"))
    note.write_text(note.read_text(encoding="utf-8") + "\nA sentence the tag pages quote.\n", encoding="utf-8")
    assert command(site)[0] == 0
    assert clean(site)[0] is not None
    assert layout(site / "_site") == layout(site / "_clean")
    assert "A sentence the tag pages quote." in "".join(p.read_text() for p in (site / "_site" / "tags").rglob("index.html"))


def test_no_cache_builds_everything_and_leaves_no_cache(tmp_path: Path) -> None:
    site = project(tmp_path)
    assert command(site, "--no-cache")[0] == 0
    code, out, _ = command(site, "--no-cache")
    assert code == 0 and "Built" in out and "kept" not in out
    assert not (site / ".digest-cache").exists()


def test_a_lower_limit_in_site_yaml_applies_to_every_file(tmp_path: Path) -> None:
    site = project(tmp_path)
    assert command(site)[0] == 0
    settings = site / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "max_scan_bytes: 1000\nmax_markdown_bytes: 200\n", encoding="utf-8")
    code, _, err = command(site)
    assert code == 1
    assert problem_lines(err) == [str(p) for p in clean(site)[1].errors]
    assert "over the limit of 1,000" in err and "over the limit of 200" in err


def test_a_built_site_prints_as_one_short_line(tmp_path: Path) -> None:
    built, problems = clean(project(tmp_path))  # a failed assertion prints the site: the whole library would take minutes
    assert isinstance(built, pipeline.Site), problems.errors
    text = repr(built)
    assert "\n" not in text and len(text) < 200
    assert f"{len(built.rendered)} rendered" in text and f"{len(built.library.papers)} papers" in text
