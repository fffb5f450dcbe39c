"""The build cache: what the last build read and wrote, so that the next one renders only what changed.

Each output folder has a part of the cache, `<cache>/<digest of the output's path>/`: the site the
last build replaced (`spare/`, see digest.write), and one manifest, `manifest.json`, written whole
after the new site is swapped in, its first line a checksum of the rest. It holds:

- the stat of every input file (content, scans, templates), taken before the build read any of them.
  If none has changed since, nor the tool, nor the options, and the output folder is the one that
  build swapped in, the next build has nothing to do ("Nothing changed").
- the key of every output of the plan (see digest.outputs), with its file's inode, size and time:
  a digest of the tool, the options, the templates, the site's structure (every input the build
  read, but the text of notes) and the text of the notes the output shows, all made from the bytes
  the build actually read. An output whose key is unchanged, and whose file is still as it was
  written, is linked from the previous site instead of rendered.
- the inode of that output folder, the file system's time when the inputs were looked at, and the
  digests of the scans the build validated whole (a later build only sums up those bytes).

A manifest that is missing, damaged or from another version counts as none: the build renders
everything, so damage costs time, never a different site.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import secrets
import stat
import sys
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest import __version__
from digest.files import digest_of
from digest.library import Library
from digest.outputs import Output
from digest.render import Templates

FORMAT = 1
MANIFEST = "manifest.json"
RACY_NS = 2_000_000_000  # a file changed this close before its stat was taken may change again unseen: it counts as changed
LIBRARIES = (
    *("jinja2", "markdown-it-py", "pydantic", "pydantic-core", "pyyaml", "feedgen", "lxml", "markupsafe", "css-inline"),
    *("pagefind", "pagefind-bin", "cbor2"),
)

Stat = list[int]  # size, mtime_ns, ctime_ns, inode
Record = list[Any]  # an output's key (None for a copied file), and its file's inode, size and mtime_ns once written


@functools.cache
def tool_key() -> str:
    """The tool's version, its own source files and the versions of the libraries that shape its output."""
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


@dataclass
class Manifest:
    """What one build read and wrote."""

    tool: str
    options: str
    started: int = 0  # the file system's time when the inputs were looked at (ns)
    out: int = 0  # the inode of the output folder the build swapped in
    inputs: dict[str, Stat] = field(default_factory=dict)
    outputs: dict[str, Record] = field(default_factory=dict)
    scans: list[str] = field(default_factory=list)  # the digests of the scans the build validated

    @classmethod
    def load(cls, path: Path) -> Manifest | None:
        """The manifest saved at path, or None if it is missing, damaged or from another format."""
        try:
            checksum, _, body = path.read_bytes().partition(b"\n")
            if checksum.decode("ascii") != digest_of(body):
                return None
            data = json.loads(body)
            if data.pop("format") != FORMAT:
                return None
            return cls(**data)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None

    def save(self, path: Path) -> None:
        """Write the manifest whole or not at all."""
        body = json.dumps({"format": FORMAT, **self.__dict__}, separators=(",", ":")).encode("utf-8")
        partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.partial")
        try:
            with open(partial, "wb") as handle:
                handle.write(digest_of(body).encode("ascii") + b"\n" + body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)


class Cache:
    """The last build's manifest for one output folder, and this build's, once it is saved."""

    def __init__(self, folder: Path | None, out: Path, options: str, roots: Sequence[Path] = (), spare: Path | None = None) -> None:
        """Read the manifest kept in folder (None: kept in memory only, as serve does) and look at every input file now.

        The site a build replaces is kept at spare (by default in folder) and made into the next (see write.Staging).
        """
        self.folder = folder
        self.spare = spare or (folder / "spare" if folder is not None else None)
        self.out = Path(os.path.abspath(out))
        self.previous: Manifest | None = None
        self.current = Manifest(tool_key(), options)
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            for partial in folder.glob("*.partial"):  # left by a build killed while saving: the lock says none is saving now
                partial.unlink(missing_ok=True)
            self.previous = Manifest.load(folder / MANIFEST)
            os.utime(folder)  # its time is now the file system's time, which stamps the inputs' stat below
            self.current.started = os.stat(folder).st_mtime_ns
            self.current.inputs = stats(roots)
        self._intact: bool | None = None

    @classmethod
    def of(cls, cache: Path, out: Path, options: str, roots: Sequence[Path]) -> Cache:
        """The cache folder's part for the output folder out."""
        return cls(Path(os.path.abspath(cache)) / digest_of(os.path.abspath(out))[:16], out, options, roots)

    @property
    def valid(self) -> frozenset[str]:
        """The digests of the scans the last build of this tool validated whole."""
        before = self.previous
        return frozenset(before.scans) if before is not None and before.tool == self.current.tool else frozenset()

    def unchanged(self) -> bool:
        """Whether no input, option or tool changed since the last build, whose site is still in place."""
        before, now = self.previous, self.current
        if self.folder is None or before is None or (before.tool, before.options, before.inputs.keys()) != (now.tool, now.options, now.inputs.keys()):
            return False
        settled = before.started - RACY_NS
        return all(now.inputs[path] == seen and max(seen[1], seen[2]) < settled for path, seen in before.inputs.items()) and self.intact()

    def intact(self) -> bool:
        """Whether the output folder is the one the last build swapped in (looked at once, before this build swaps)."""
        if self._intact is None:
            try:
                self._intact = self.previous is not None and os.stat(self.out).st_ino == self.previous.out and (self.out / ".digest-site").is_file()
            except OSError:
                self._intact = False
        return self._intact

    def keys(self, outputs: Iterable[Output], library: Library, templates: Templates) -> list[str | None]:
        """Each output's key: what it is made from (None for a copied file, which is always copied)."""
        base = digest_of(self.current.tool, self.current.options, templates.digest, library.structure)
        return [None if output.copy else digest_of(base, *(note.note.body_digest for note in output.shows)) for output in outputs]

    def reusable(self, path: str, key: str | None) -> str | None:
        """The previous site's file for path, if it was made with this key and is still as it was written."""
        record = self.previous.outputs.get(path) if self.previous else None
        if key is None or record is None or record[0] != key or not self.intact():
            return None
        live = os.path.join(self.out, path)
        try:
            found = os.lstat(live)
        except OSError:
            return None
        return live if stat.S_ISREG(found.st_mode) and [found.st_ino, found.st_size, found.st_mtime_ns] == record[1:] else None

    def save(self, library: Library, outputs: Sequence[Output], keys: Sequence[str | None], kept: Collection[str], strays: Collection[str]) -> None:
        """Record the site just swapped in: its folder, each output's key and file, the scans validated (OSError if it cannot be saved).

        The files of kept outputs are as the last build recorded them; the others are looked at. Strays,
        outputs that showed notes the plan does not list for them (an editor's template can), get no key:
        they are rendered on every build.
        """
        now, before = self.current, self.previous.outputs if self.previous else {}
        now.out = os.stat(self.out).st_ino
        now.scans = sorted({s.digest for scan in library.scans.values() for s in (scan, scan.previous) if s is not None})
        for output, key in zip(outputs, keys, strict=True):
            key = None if output.path in strays else key
            if output.path in kept:
                now.outputs[output.path] = [key, *before[output.path][1:]]
                continue
            try:
                found = os.lstat(os.path.join(self.out, output.path))
            except OSError:
                continue
            now.outputs[output.path] = [key, found.st_ino, found.st_size, found.st_mtime_ns]
        if self.folder is not None:
            now.save(self.folder / MANIFEST)
        self.previous, self.current, self._intact = now, Manifest(now.tool, now.options), None


def stats(roots: Iterable[Path]) -> dict[str, Stat]:
    """Every file under the roots by absolute path, with its size, times and inode (following links to folders once)."""
    found: dict[str, Stat] = {}
    seen: set[tuple[int, int]] = set()
    for root in roots:
        top = os.path.abspath(root)
        if not os.path.isdir(top):
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
                    st = entry.stat()
                except OSError:
                    st = entry.stat(follow_symlinks=False)  # a broken link: the build will say so
                found[entry.path] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
    return found
