"""The build cache in `.digest-cache/`: what the last build read and wrote, so the next one does only what changed.

Every input file (content, scans, templates) is known by the hash of its bytes; a file whose size,
modification and change times and inode are as recorded keeps its recorded hash, unless it was
changed so close to the last build that the clock may not have moved (then it is hashed again).

- Nothing changed (every input hash, the options, the tool and its libraries as before, and the
  output folder the one the last build made): nothing is rendered or written.
- Otherwise the site is loaded and every output file gets a key: the hash of the inputs it depends on.
  Every page depends on the *structure*: every template, settings, scan, edition introduction,
  standalone page and static file, and every note's front matter. An edition page (with its feed
  entry and email copies), the home page (the latest edition) and a paper page also depend on the
  bodies of their notes. A note body edit re-renders its edition, its paper and the feeds; any
  other edit re-renders everything. Files whose key is unchanged are hard-linked from the previous
  output instead of rendered.

Double buffering: the site a build replaces is kept as the *spare* (`spare/` in this output's part of
the cache), recorded in `spare.marshal` with its folder's inode and the keys of the build that made it
(none if the cache did not know that site, say one a `--no-cache` build made: then every file in it
is replaced, which still spares making its thousands of folders again). The next build that writes
updates the spare in place into the new site (see digest.write) and swaps it in, and the old site
becomes the spare in turn. The record is deleted before the spare is touched, and written again only
after the swap and the manifest, so a spare left by an interrupted build, or any folder in its place
that does not match the record or lies on another file system than the output, is deleted and the
build writes a fresh folder instead. Builds without the cache delete the old site.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest import __version__, write
from digest.parallel import Later

FORMAT = 3
MANIFEST = "manifest.marshal"  # the last build's record (marshal: the fastest format Python reads and writes)
SPARE_RECORD = "spare.marshal"  # the spare site's inode and output keys, while it is as the last build left it
STAMP_APART = 5_000  # inputs (as many as the last build had) from which stamping them takes longer than importing the stages
RACY_NS = 2_000_000_000  # files changed this close before the last build are hashed again
LIBRARIES = ("jinja2", "markdown-it-py", "pydantic", "pydantic-core", "pyyaml", "feedgen", "lxml", "markupsafe")


def digest_of(*parts: str | bytes) -> str:
    """A short hex hash of the parts, kept apart from each other."""
    chunks: list[bytes] = []
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        chunks += (len(data).to_bytes(8, "little"), data)
    return hashlib.blake2b(b"".join(chunks), digest_size=16).hexdigest()


@functools.cache
def tool_key() -> str:
    """The tool's version, its own source files and the versions of the libraries that shape its output."""
    import importlib.metadata  # here: a build without the cache does not need it (~30 ms to import)

    package = Path(__file__).resolve().parent
    parts: list[str | bytes] = [__version__, sys.version]
    for source in sorted(package.glob("*.py")):
        parts += [source.name, source.read_bytes()]
    for name in LIBRARIES:
        try:
            parts.append(f"{name}={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{name}=none")
    return digest_of(*parts)


Stat = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


@dataclass
class Stamp:
    """What the cache knows of one input file."""

    stat: Stat
    hash: str


def walk(roots: Iterable[Path]) -> dict[str, os.stat_result]:
    """Every file under the roots by absolute path, following links to folders once."""
    found: dict[str, os.stat_result] = {}
    seen: set[tuple[int, int]] = set()
    for root in roots:
        top = os.path.abspath(root)
        if not os.path.isdir(top):
            if os.path.isfile(top):
                found[top] = os.stat(top)
            continue
        folders = [top]
        while folders:
            folder = folders.pop()
            try:
                here = os.stat(folder)
                if (here.st_dev, here.st_ino) in seen:
                    continue
                seen.add((here.st_dev, here.st_ino))
                listing = list(os.scandir(folder))
            except OSError:
                continue
            for entry in listing:
                try:
                    if entry.is_dir():
                        folders.append(entry.path)
                        continue
                    found[entry.path] = entry.stat()
                except OSError:
                    found[entry.path] = entry.stat(follow_symlinks=False)  # a broken link: the build will say so
    return found


def stamp(roots: Iterable[Path], known: dict[str, tuple[Stat, str]], written: int) -> dict[str, tuple[Stat, str]]:
    """Every input file's stat and hash: the known hash while its stat is as recorded in a manifest written at written (ns)."""
    stamps = {}
    for path, st in walk(roots).items():
        stat = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        old = known.get(path)
        fresh = max(st.st_mtime_ns, st.st_ctime_ns) < written - RACY_NS
        stamps[path] = (stat, old[1] if old is not None and old[0] == stat and fresh else hash_file(path))
    return stamps


def hash_file(path: str) -> str:
    """The hash of a file's bytes; unreadable files get a hash of the error, so they count as changed."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
    except OSError as error:
        return digest_of("unreadable", str(error))


@dataclass
class State:
    """The cache for one output folder: the previous build's record, and this build's inputs."""

    folder: Path  # this output folder's part of the cache
    out: Path
    options: str  # the options that shape the output, as text
    inputs: dict[str, Stamp] = field(default_factory=dict)
    previous: dict[str, Any] = field(default_factory=dict)
    intact: bool | None = None  # whether the output folder is the last build's, once looked at
    live_inodes: dict[str, int] = field(default_factory=dict)  # the inode of each reusable file of the output folder, once looked at

    @classmethod
    def open(cls, cache: Path, out: Path, options: str, roots: list[Path], meanwhile: Callable[[], object] | None = None) -> State:
        """Read the record of the last build into out, and stamp every input file now.

        With meanwhile, the inputs of a large site are stamped by another process while this one runs it.
        """
        out = Path(os.path.abspath(out))
        state = cls(folder_of(cache, out), out, options)
        manifest = state.folder / MANIFEST
        try:
            previous = marshal.loads(manifest.read_bytes())
            written = manifest.stat().st_mtime_ns
        except (OSError, ValueError, EOFError, TypeError):  # missing, partial or from another Python: none
            previous, written = {}, 0
        if not isinstance(previous, dict) or previous.get("format") != FORMAT:
            previous = {}
        state.previous = previous
        known = previous.get("inputs", {})
        stamping = functools.partial(stamp, roots, known, written)
        if meanwhile is None or len(known) < STAMP_APART:
            stamps = stamping()
        else:
            later = Later(stamping)
            try:
                meanwhile()
                stamps = later.result()
            finally:
                later.cancel()
        state.inputs = {path: Stamp(*found) for path, found in stamps.items()}
        return state

    @functools.cached_property
    def input_lines(self) -> list[tuple[str, str]]:
        """Every input file's path with a line naming it and its hash, sorted by path: what the keys are made from."""
        return [(path, f"{path}\0{stamp.hash}") for path, stamp in sorted(self.inputs.items())]

    @functools.cached_property
    def inputs_key(self) -> str:
        """One hash of every input file, the options and the tool (the inputs are stamped once, when the state is opened)."""
        return digest_of(tool_key(), self.options, *(line for _, line in self.input_lines))

    def unchanged(self) -> bool:
        """True when nothing changed since the last build, which is still in place in the output folder."""
        return bool(self.previous) and self.previous.get("inputs_key") == self.inputs_key and self.output_intact()

    def output_intact(self) -> bool:
        """The output folder is the one the last build swapped in, with its marker (looked at once, before this build swaps)."""
        if self.intact is None:
            try:
                self.intact = os.stat(self.out).st_ino == self.previous.get("out_inode") and (self.out / ".digest-site").is_file()
            except OSError:
                self.intact = False
        return self.intact

    def file_hash(self, path: Path | str) -> str:
        """The hash of an input file, by its path."""
        text = str(path)
        stamp = self.inputs.get(text) or self.inputs.get(os.path.abspath(text))  # paths under absolute roots are found as they are
        return stamp.hash if stamp else hash_file(text)

    def reusable(self, path: str, key: str) -> str | None:
        """The previous output file for path (a plain string: there are thousands), when it was made from the same inputs."""
        if not self.output_intact() or self.previous.get("keys", {}).get(path) != key:
            return None
        old = os.path.join(self.out, path)
        try:
            found = os.stat(old)
        except OSError:
            return None
        if not stat.S_ISREG(found.st_mode):
            return None
        self.live_inodes[old] = found.st_ino
        return old

    def body(self, key: str) -> str | None:
        """A cached feed entry body, by its key."""
        try:
            return (self.folder / "bodies" / f"{key}.html").read_text(encoding="utf-8")
        except OSError:
            return None

    @property
    def spare(self) -> Path:
        """Where the spare site is kept."""
        return self.folder / "spare"

    def spare_recorded(self) -> bool:
        """A spare site is recorded (whether it is intact is for claim_spare to say)."""
        return (self.folder / SPARE_RECORD).is_file() and self.spare.is_dir()

    def claim_spare(self, new_keys: dict[str, str], survey: Later[write.Listing] | None = None) -> write.Spare | None:
        """The spare, to be updated into the site with new_keys: None (and whatever is in its place deleted) unless it is as recorded.

        The record is removed first: from here on, until save, the spare may be half updated.
        """
        record_path = self.folder / SPARE_RECORD
        try:
            record = marshal.loads(record_path.read_bytes())
            record_path.unlink()
        except (OSError, ValueError, EOFError, TypeError):  # missing, partial or from another Python: none
            record = None
        if isinstance(record, dict) and isinstance(record.get("keys"), dict) and self.spare_intact(record.get("inode")):
            return write.Spare(self.spare, record["keys"], new_keys, survey, self.live_inodes)
        write.discard(self.spare)
        return None

    def spare_intact(self, inode: object) -> bool:
        """The spare folder is a real folder with the recorded inode, on the output's file system."""
        try:
            spare, parent = os.lstat(self.spare), os.stat(os.path.dirname(os.path.realpath(self.out)))
        except OSError:
            return False
        return stat.S_ISDIR(spare.st_mode) and spare.st_ino == inode and spare.st_dev == parent.st_dev

    def next_spare(self) -> Path:
        """Where the site this build replaces is to be kept (if it is not the site the cache recorded, its files' keys are unknown)."""
        return self.spare

    def save(self, keys: dict[str, str], bodies: dict[str, str], body_keys: dict[str, str], spare_kept: bool = False) -> None:
        """Record this build: input stamps, the key of every output file, the feed entry bodies, and the spare if one was kept."""
        (self.folder / "bodies").mkdir(parents=True, exist_ok=True)
        wanted = {f"{key}.html" for key in body_keys.values()}
        for slug, key in body_keys.items():
            target = self.folder / "bodies" / f"{key}.html"
            if slug in bodies and not target.exists():
                write_atomically(target, bodies[slug].encode("utf-8"))
        for stale in (self.folder / "bodies").iterdir():
            if stale.name not in wanted:
                stale.unlink(missing_ok=True)
        manifest = {
            "format": FORMAT,
            "inputs_key": self.inputs_key,
            "out_inode": os.stat(self.out).st_ino,
            "inputs": {path: (stamp.stat, stamp.hash) for path, stamp in sorted(self.inputs.items())},
            "keys": dict(sorted(keys.items())),
        }
        write_atomically(self.folder / MANIFEST, marshal.dumps(manifest))
        if spare_kept:  # the site this build replaced, with its keys if the last build made it; recorded after the manifest that it goes with
            record = {"inode": os.lstat(self.spare).st_ino, "keys": self.previous.get("keys", {}) if self.output_intact() else {}}
            write_atomically(self.folder / SPARE_RECORD, marshal.dumps(record))


def folder_of(cache: Path, out: Path) -> Path:
    """The part of the cache folder that belongs to the output folder out."""
    return Path(os.path.abspath(cache)) / digest_of(os.path.abspath(out))[:16]


def write_atomically(target: Path, data: bytes) -> None:
    """Write a file whole or not at all."""
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, target)
