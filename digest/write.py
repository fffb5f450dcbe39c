"""Writing the site: into a folder beside the output, then swapped in whole; one build at a time.

A build never writes into the output folder. It fills another folder on the same file system (a
fresh one beside it, or with the cache, the site before the last, kept as the spare), with unchanged
files hard-linked from the old site, and exchanges the two in one step (renameat2 RENAME_EXCHANGE),
so a build killed or failed at any moment leaves the old site or the new one.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path

MARKER = ".digest-site"
MARKER_TEXT = "This folder is made by digest and replaced whole on every build.\n"
RENAME_EXCHANGE = 2


def unsafe_output(out: Path, inputs: list[Path]) -> str | None:
    """Why out must not be replaced, or None: it is `/`, home, or holds or lies in an input."""
    target = out.resolve()
    if target == Path(target.anchor) or target == Path.home().resolve():
        return f"refusing to write the site to {out}: it is {'/' if target == Path(target.anchor) else 'your home folder'}"
    for folder in inputs:
        source = folder.resolve()
        if target == source or source.is_relative_to(target) or target.is_relative_to(source):
            return f"refusing to write the site to {out}: it is, holds or lies inside the input folder {folder}"
    if target.exists() and not target.is_dir():
        return f"refusing to write the site to {out}: it is a file, not a folder"
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
        return f"refusing to replace {out}: it is not empty and was not made by digest (no {MARKER} file)"
    return None


def unsafe_cache(cache: Path, out: Path, inputs: list[Path]) -> str | None:
    """Why cache must not hold the build cache, or None: it is, holds or lies in the output or an input folder."""
    target = cache.resolve()
    for folder, what in [(out, "the output folder, which would publish it"), *((folder, f"the input folder {folder}") for folder in inputs)]:
        other = folder.resolve()
        if target == other or target.is_relative_to(other) or other.is_relative_to(target):
            return f"refusing to keep the cache in {cache}: it is, holds or lies inside {what}"
    return None


@contextlib.contextmanager
def lock(out: Path, waiting: Callable[[], object] = lambda: None) -> Iterator[None]:
    """Hold the output folder's lock while building into it, calling waiting first if another build holds it.

    The lock is a file beside the output, locked with lockf: it is the process's own (processes it
    forks do not hold it) and goes with it, however it ends. Holding it, the build clears what killed
    builds left beside the output.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(out.parent / f".{out.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            waiting()
            fcntl.lockf(handle, fcntl.LOCK_EX)
        remove_leftovers(out)
        yield
    finally:
        os.close(handle)


class Staging:
    """A folder beside the output, filled with the new site and swapped in whole.

    With a spare (a cached build), the folder is the site before the last one, kept in the cache:
    cleared of everything the new site does not have, its files that are the same as the old site's
    (hard links to them) are kept, and every other file is replaced. After the swap the old site is
    kept there in turn. Creating and deleting ten thousand folders on every build is then spared.
    """

    def __init__(self, out: Path, paths: Collection[str] = (), spare: Path | None = None) -> None:
        """Make the folder for a site of paths: the spare, tidied, if it is usable, or a fresh one."""
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.spare = spare
        self.present: dict[str, int] = {}  # the files already in the folder, by path, with their inodes
        if spare is not None and usable(spare, self.out.parent):
            self.folder = spare
            self.present = tidy(spare, {*paths, MARKER})
        else:
            if spare is not None:
                discard(spare)
            self.folder = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.new-", dir=self.out.parent))
        self.place = placer(self.folder)

    def target(self, relative: str) -> str:
        """Where a file goes, with whatever the folder held there removed (it may be a link to the old site's file)."""
        target = self.place(relative)
        if relative in self.present:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
        return target

    def write(self, relative: str, data: bytes) -> None:
        """Write one file of the new site (in any process: rendering processes write their own)."""
        with open(self.target(relative), "xb") as handle:
            handle.write(data)

    def keep(self, relative: str, live: str) -> None:
        """Take an unchanged file from the old site: hard-linked (unless already there), or copied where links fail."""
        if relative in self.present and self.present[relative] == os.stat(live).st_ino:
            return
        target = self.target(relative)
        try:
            os.link(live, target)
        except OSError:
            shutil.copyfile(live, target)

    def copy(self, relative: str, source: Path) -> None:
        """Publish a file as it is."""
        shutil.copyfile(source, self.target(relative))

    def fill(self, kept: Mapping[str, str], copies: Mapping[str, Path]) -> None:
        """Add the old site's unchanged files (kept) and the files published as they are (copies): the new site is whole."""
        for relative, live in kept.items():
            self.keep(relative, live)
        for relative, source in copies.items():
            self.copy(relative, source)

    def publish(self) -> None:
        """Swap the new site in and keep the old one as the spare, or delete it."""
        self.write(MARKER, MARKER_TEXT.encode("utf-8"))
        self.folder.chmod(0o755)
        swap(self.folder, self.out)
        if self.spare is not None and self.folder != self.spare:
            with contextlib.suppress(OSError):
                os.rename(self.folder, self.spare)
        if self.folder != self.spare:
            discard(self.folder)

    def discard(self) -> None:
        """Delete the folder if the build failed (a spare stays, to be tidied next time)."""
        if self.folder != self.spare:
            discard(self.folder)


def usable(spare: Path, parent: Path) -> bool:
    """Whether spare is a real folder on the output's file system (a swap cannot cross file systems)."""
    try:
        found, there = os.lstat(spare), os.stat(parent)
    except OSError:
        return False
    return stat.S_ISDIR(found.st_mode) and found.st_dev == there.st_dev


def tidy(root: Path, paths: set[str]) -> dict[str, int]:
    """Delete from root everything but regular files at paths and the folders that hold them; the inodes of the files left."""
    folders = {"/".join(path.split("/")[:depth]) for path in paths for depth in range(1, path.count("/") + 1)}
    present: dict[str, int] = {}
    pending = [""]
    while pending:
        folder = pending.pop()
        with os.scandir(os.path.join(root, folder)) as entries:
            for entry in entries:
                relative = f"{folder}/{entry.name}" if folder else entry.name
                if relative in folders and entry.is_dir(follow_symlinks=False):
                    pending.append(relative)
                elif relative in paths and entry.is_file(follow_symlinks=False):
                    present[relative] = entry.inode()
                else:
                    discard(Path(entry.path))
    return present


def placer(root: Path) -> Callable[[str], str]:
    """A function giving the path of a relative path under root, its folder made."""
    top = os.path.realpath(root)
    made = {top}

    def place(relative: str) -> str:
        target = os.path.normpath(os.path.join(top, relative))
        if not target.startswith(top + os.sep):
            raise ValueError(f"output path {relative!r} lies outside the output folder")
        folder = os.path.dirname(target)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        return target

    return place


def swap(staging: Path, out: Path) -> None:
    """Put staging in out's place in one step; the old site ends up in staging."""
    if not out.exists():
        os.rename(staging, out)
        staging.mkdir()
        return
    if exchange(staging, out):
        return
    # No atomic exchange on this system: two renames, with the old site kept until the second.
    parked = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, parked / "site")
    os.rename(staging, out)
    os.rename(parked / "site", staging)
    parked.rmdir()


def exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two folders with Linux's renameat2(RENAME_EXCHANGE); False if unsupported."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)  # the C library this process runs with
    at_fdcwd = -100
    return renameat2 is not None and renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE) == 0


def discard(path: Path) -> None:
    """Delete a folder, or whatever else is at path, without following links."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        shutil.rmtree(path, ignore_errors=True)
    else:
        os.unlink(path)


def remove_leftovers(out: Path) -> None:
    """Delete the folders that killed builds left beside out (the caller holds out's lock)."""
    for prefix in (f".{out.name}.new-", f".{out.name}.old-"):
        for leftover in out.parent.glob(prefix + "*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
