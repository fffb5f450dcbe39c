"""Writing the site: into a folder beside the output, then swapped in whole.

A build never writes into the output folder. It fills another folder and exchanges the two in one
step (renameat2 RENAME_EXCHANGE), so a build killed at any moment leaves the old site or the new one.

Without the cache that other folder is fresh, and the old site is deleted after the swap. With the
cache the old site is kept as the *spare* (a folder in the cache, see digest.cache), and the next
build updates the spare in place into the new site instead of filling a fresh folder: it keeps the
spare's files that are already right, replaces the others (a new file beside each, renamed over it:
the spare's files are hard links shared with the live site, so they are never written into) and
deletes what the new site does not have. The work is then proportional to what changed in the last
two builds, not to the size of the site.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from digest.parallel import Later

MARKER = ".digest-site"
MARKER_TEXT = "This folder is made by digest and replaced whole on every build.\n"
RENAME_EXCHANGE = 2


Listing = tuple[dict[str, int], set[str], list[str]]  # what survey finds: files (to inodes), folders, other entries


@dataclass(frozen=True)
class Spare:
    """A previous site kept to be updated in place into the next one: its folder and the key of each of its files."""

    folder: Path  # on the output's file system
    keys: dict[str, str]  # the key of each file of the site in folder (files without one are always rewritten)
    new_keys: dict[str, str]  # the key of each file of the site being written
    survey: Later[Listing] | None = None  # the folder's survey, if one was started early (in another process)
    inodes: dict[str, int] = field(default_factory=dict)  # the inodes of the files to reuse, where already looked at


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


class Staging:
    """A fresh folder beside the output that pages are written into as soon as they are rendered."""

    def __init__(self, out: Path) -> None:
        """Make the folder (after deleting what interrupted builds left beside out)."""
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(self.out)
        self.folder = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.new-", dir=self.out.parent))
        self.place = placer(self.folder)

    def write(self, relative: str, data: bytes) -> None:
        """Write one file of the new site (in any process: render workers write their own pages)."""
        write_new(data, self.place(relative))

    def discard(self) -> None:
        """Delete the folder: the build failed."""
        discard(self.folder)


def write_site(out: Path, files: dict[str, bytes], copies: dict[str, Path], reused: dict[str, str] | None = None,
               spare: Spare | None = None, keep: Path | None = None, staging: Staging | None = None) -> bool:
    """Write the site into the spare (or, without one, a fresh folder beside out) and swap it in for the old site.

    reused maps paths to unchanged files of the old site: they are hard-linked (copied where links fail).
    A staging folder, if given, already holds other files of the site (not in files). The old site is then moved to keep,
    if given and possible (True), or deleted (False).
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if staging is None:
        remove_leftovers(out)
    if spare is not None:
        folder = spare.folder
    else:
        folder = staging.folder if staging is not None else Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        if spare is not None:
            update(spare, files, copies, reused or {})
        else:
            fresh(folder, files, copies, reused or {})
        had_site = out.exists()
        swap(folder, out)
    except BaseException:
        discard(folder)
        raise
    if had_site and keep is not None and park(folder, keep):
        return True
    discard(folder)
    return False


def fresh(root: Path, files: dict[str, bytes], copies: dict[str, Path], reused: dict[str, str]) -> None:
    """Write every file of the site into the empty folder root."""
    place = placer(root)
    for relative, data in sorted(files.items()):
        write_new(data, place(relative))
    for relative, copied in sorted(copies.items()):
        shutil.copyfile(copied, place(relative))
    for relative, source in sorted(reused.items()):
        link_or_copy(source, place(relative))
    write_new(MARKER_TEXT.encode("utf-8"), str(root / MARKER))
    root.chmod(0o755)


def update(spare: Spare, files: dict[str, bytes], copies: dict[str, Path], reused: dict[str, str]) -> None:
    """Turn the spare into the new site in place: keep the files that are already right, replace the rest, delete the extra."""
    root = spare.folder
    top = os.path.realpath(root)
    present, folders, strays = spare.survey.result() if spare.survey else survey(top)
    wanted = {*files, *copies, *reused, MARKER}
    needed = parents(wanted)
    prune(top, present, folders - needed, strays, wanted)
    place = placer(root, folders & needed)

    def same_key(relative: str) -> bool:
        key = spare.new_keys.get(relative)
        return key is not None and spare.keys.get(relative) == key and relative in present

    # A matching key only spares work: a file is kept when it holds the new bytes, or is the live file to reuse.
    for relative, data in sorted(files.items()):
        if not (same_key(relative) and holds(place(relative), data)):
            renew(place(relative), functools.partial(write_new, data))
    for relative, source in sorted(reused.items()):
        if not (same_key(relative) and present[relative] == (spare.inodes.get(source) or os.stat(source).st_ino)):
            renew(place(relative), functools.partial(link_or_copy, source))
    for relative, copied in sorted(copies.items()):
        renew(place(relative), functools.partial(shutil.copyfile, copied))
    renew(os.path.join(top, MARKER), functools.partial(write_new, MARKER_TEXT.encode("utf-8")))
    root.chmod(0o755)


def surveying(folder: Path) -> Later[Listing]:
    """The survey of folder, taken in another process while the build goes on (listing 10,000 folders keeps a core busy)."""
    return Later(functools.partial(survey, os.path.realpath(folder)))


def survey(top: str) -> Listing:
    """Under top: every regular file (relative path to inode), every folder, and every other entry (links and the like)."""
    present: dict[str, int] = {}
    folders: set[str] = set()
    strays: list[str] = []
    pending = [""]
    while pending:
        folder = pending.pop()
        with os.scandir(os.path.join(top, folder)) as entries:
            for entry in entries:
                relative = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    folders.add(relative)
                    pending.append(relative)
                elif entry.is_file(follow_symlinks=False):
                    present[relative] = entry.inode()
                else:
                    strays.append(relative)
    return present, folders, strays


def parents(paths: set[str]) -> set[str]:
    """Every folder that holds one of the relative paths, at any depth."""
    found: set[str] = set()
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder and folder not in found:
            found.add(folder)
            folder = folder.rpartition("/")[0]
    return found


def prune(top: str, present: dict[str, int], gone: set[str], strays: list[str], wanted: set[str]) -> None:
    """Delete from top the folders gone, the files not wanted (also from present) and every other entry."""
    for folder in sorted(gone):
        if folder.rpartition("/")[0] not in gone:
            shutil.rmtree(os.path.join(top, folder))
    for relative in [*(path for path in present if path not in wanted), *strays]:
        present.pop(relative, None)
        if relative.rpartition("/")[0] not in gone:
            os.unlink(os.path.join(top, relative))


def holds(path: str, data: bytes) -> bool:
    """The file at path holds exactly data."""
    try:
        with open(path, "rb") as handle:
            return os.fstat(handle.fileno()).st_size == len(data) and handle.read() == data
    except OSError:
        return False


def renew(target: str, make: Callable[[str], object]) -> None:
    """Make a new file beside target with make, then rename it over target: an existing file is never written into."""
    partial = f"{target}.{secrets.token_hex(6)}.partial"
    try:
        make(partial)
        os.replace(partial, target)
    except BaseException:
        if os.path.lexists(partial):
            os.unlink(partial)
        raise


def write_new(data: bytes, path: str) -> None:
    """Create the file at path (it must not exist yet) holding data."""
    with open(path, "xb") as handle:
        handle.write(data)


def link_or_copy(source: str | Path, path: str) -> None:
    """Hard-link source as path, or copy it where links fail."""
    try:
        os.link(source, path)
    except OSError:
        shutil.copyfile(source, path)


def placer(root: Path, existing: set[str] | None = None) -> Callable[[str], str]:
    """A function giving the path of a relative path under root, its folder made; existing names folders already there.

    Root is a fresh folder or a surveyed spare, so it holds no links to follow.
    """
    top = os.path.realpath(root)
    made = {top, *(os.path.join(top, folder) for folder in existing or ())}

    def place(relative: str) -> str:
        target = inside(top, relative)
        folder = os.path.dirname(target)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        return target

    return place


def inside(top: str, relative: str) -> str:
    """The path of relative under the real folder top, refusing anything that would land outside it or on it."""
    target = os.path.normpath(os.path.join(top, relative))
    if not target.startswith(top + os.sep):
        raise ValueError(f"output path {relative!r} lies outside the output folder")
    return target


def swap(staging: Path, out: Path) -> None:
    """Put staging in out's place in one step; the old site ends up in staging."""
    if not out.exists():
        os.rename(staging, out)
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
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE)
    return bool(result == 0)


def park(old: Path, spare: Path) -> bool:
    """Move the old site to be the spare; False if it cannot go there (another file system)."""
    if old == spare:
        return True
    try:
        os.rename(old, spare)
    except OSError:
        return False
    return True


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
    """Delete staging folders that an interrupted earlier build left beside out."""
    for prefix in (f".{out.name}.new-", f".{out.name}.old-"):
        for leftover in out.parent.glob(prefix + "*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
