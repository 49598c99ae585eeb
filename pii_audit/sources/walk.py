"""Walk a file target (a file, a folder or a glob) safely: only inside its roots, each file once.

SECURITY.md item 10: a link that leads out of a root is not followed, a link that leads back to
an ancestor is a loop (recorded as a problem), a link to nothing is noted, and files are
de-duplicated by device and inode so hard links and links inside the root are read once. Files that are not regular (FIFOs, sockets,
devices) are never opened: opening a FIFO would block the scan.
"""

from __future__ import annotations

import dataclasses
import errno
import fnmatch
import os
import posixpath
import stat
from typing import Iterable, Iterator, TypeVar

from pii_audit.sources import ScanOptions, TargetCoverage, expand_target, is_archive, reader_state, shown

T = TypeVar("T")
_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device"}


def os_reason(error: OSError) -> str:
    """Return a one-line reason for an OS error, without the path (the caller shows it)."""
    if error.errno == errno.ELOOP:
        return "symlink loop (too many levels of symbolic links)"
    return (error.strerror or type(error).__name__).lower()


def walk_target(target: str, options: ScanOptions, coverage: TargetCoverage
                ) -> Iterator[tuple[str, os.stat_result]]:
    """Yield ``(path, stat)`` of every regular file a target names, recording what cannot be walked."""
    paths = expand_target(target)
    if not paths:
        coverage.problem(target, "no file matches this pattern")
        return
    seen: set[tuple[int, int]] = set()
    for path in paths:
        try:
            info = os.stat(path)
        except OSError as error:
            coverage.problem(path, os_reason(error))
            continue
        if stat.S_ISDIR(info.st_mode):
            if shown(path) not in coverage.folders:
                coverage.folders.append(shown(path))
            yield from _walk_dir(path, info, options, coverage, seen)
        elif _accept(path, info, coverage, seen):
            yield path, info


def _accept(path: str, info: os.stat_result, coverage: TargetCoverage,
            seen: set[tuple[int, int]]) -> bool:
    """Tell whether a file is regular and not seen before; record one that is not regular."""
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        coverage.problem(path, f"{kind}, not a regular file; not read")
        return False
    identity = (info.st_dev, info.st_ino)
    if identity in seen:
        return False  # a hard link or a second link to a file already read
    seen.add(identity)
    return True


def _walk_dir(root: str, info: os.stat_result, options: ScanOptions, coverage: TargetCoverage,
              seen: set[tuple[int, int]]) -> Iterator[tuple[str, os.stat_result]]:
    real_root = os.path.realpath(root)
    dirs_seen = {(info.st_dev, info.st_ino)}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                names = sorted(entries, key=lambda e: e.name)
        except OSError as error:
            coverage.problem(folder, os_reason(error))
            continue
        subfolders = []
        for entry in names:
            found = _entry(entry, real_root, coverage)
            if found is None:
                continue
            if stat.S_ISDIR(found.st_mode):
                identity = (found.st_dev, found.st_ino)
                if identity in dirs_seen:
                    if entry.is_symlink() and _is_ancestor_link(entry.path):
                        coverage.problem(entry.path, "symlink loop (links back to a folder above it); "
                                         "not followed")
                    continue
                dirs_seen.add(identity)
                subfolders.append(entry.path)
            elif _selected(entry.path, root, options) and _accept(entry.path, found, coverage, seen):
                yield entry.path, found
        stack.extend(reversed(subfolders))


def _entry(entry: os.DirEntry, real_root: str, coverage: TargetCoverage) -> os.stat_result | None:
    """Return the stat of a folder entry to walk into or read, or None to leave it."""
    try:
        if entry.is_symlink():
            real = os.path.realpath(entry.path)
            if os.path.commonpath([real, real_root]) != real_root:
                coverage.notice(entry.path, "symbolic link leads outside the scanned folder; not followed")
                return None
        return entry.stat(follow_symlinks=True)
    except OSError as error:
        if error.errno == errno.ENOENT and entry.is_symlink():
            # A dangling link holds nothing to miss (a deleted log's "current" link, a package's
            # alternative not installed): as a problem it made every scan of its folder partial,
            # which then never verified anything there.
            coverage.notice(entry.path, "symbolic link to a file that does not exist; nothing to read")
        else:
            coverage.problem(entry.path, os_reason(error))
        return None


def _is_ancestor_link(path: str) -> bool:
    real = os.path.realpath(path)
    parent = os.path.realpath(os.path.dirname(path))
    return os.path.commonpath([real, parent]) == real


def _selected(path: str, root: str, options: ScanOptions) -> bool:
    """Apply the include and exclude globs to a path relative to its root (and to its name). An
    archive the include globs leave out is still looked into, as a folder is, for the members
    they choose (``members_chosen``): ``--include '*.log'`` means the logs in monthly archives too."""
    relative = os.path.relpath(path, root)
    names = (relative, os.path.basename(path))
    if not included(names, options) and not is_archive(path):
        return False
    return not excluded(names, options)


def included(names: tuple[str, ...], options: ScanOptions) -> bool:
    """Tell whether the include globs choose a file by one of its names (all do when there are none)."""
    return not options.include or any(fnmatch.fnmatch(n, p) for p in options.include for n in names)


def members_chosen(archive: str, options: ScanOptions) -> ScanOptions:
    """Return the options an archive's members are read with: an archive the include globs choose
    is read whole (no include globs), one they do not is read for the members they choose.

    Which of its names the walk matched is not known here, so every tail of its path is tried
    (``2024/a.zip`` for ``2024/*.zip``): a tail above the walk's root may match where the walk's
    relative path did not, and then the archive is read whole, more than asked, never less.

    >>> members_chosen("/data/2024/a.zip", ScanOptions(include=("2024/*.zip",))).include
    ()
    >>> members_chosen("/data/2024/a.zip", ScanOptions(include=("*.log",))).include
    ('*.log',)
    """
    parts = archive.replace(os.sep, "/").split("!")[-1].split("/")
    tails = tuple("/".join(parts[i:]) for i in range(len(parts)))
    return dataclasses.replace(options, include=()) if options.include and included(tails, options) else options


def excluded(names: tuple[str, ...], options: ScanOptions) -> bool:
    """Tell whether an exclude glob matches one of a file's names: its path relative to its root
    (or its archive), its base name."""
    return any(fnmatch.fnmatch(n, p) for p in options.exclude for n in names)


def excluded_member(name: str, options: ScanOptions) -> bool:
    """Tell whether the globs leave out an archive's member (by its path in the archive or its
    name): an exclude glob, or include globs that choose neither it nor the archive
    (``members_chosen``); an archive inside is looked into as the archive around it is."""
    names = (name, posixpath.basename(name))
    return excluded(names, options) or not (included(names, options) or is_archive(name))


def listed(entries: Iterable[T], depth: int, options: ScanOptions) -> Iterator[tuple[int, T]]:
    """Yield an archive's entries, each with its place in the listing (from 0); ``depth`` is the
    archive's (1 on disk). For a worker that reads one member (``InnerOptions.only_member``), only
    the entry on the way to it, and nothing after it: a tar, 7z or RAR is not inflated further.

    >>> from pii_audit.sources import inner_options
    >>> list(listed("abc", 1, ScanOptions())), list(listed("abc", 1, inner_options(ScanOptions(), only_member=(1,))))
    ([(0, 'a'), (1, 'b'), (2, 'c')], [(1, 'b')])
    """
    only = reader_state(options).only_member
    for place, entry in enumerate(entries):
        if only is None or depth > len(only):
            yield place, entry
        elif place == only[depth - 1]:
            yield place, entry
            return
