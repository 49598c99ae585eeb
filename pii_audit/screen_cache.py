"""The screen's Hyperscan database, kept on disk between runs.

Compiling the screen took 0.49 s of a 1.56 s start-up (measured on this machine in a slow phase,
0.38 s of it for the column-key screens, whose optional underscore between every letter Hyperscan
compiles slowly); loading the compiled database back takes 0.3 ms. Every command pays the
compile once, and so did each of the test suite's hundreds of ``pii-audit`` subprocesses.

The file holds compiled regexes, nothing read from a scanned system. Hyperscan refuses a
database with a wrong CRC, version or platform; a file we did not write (another user's, or one
others may write) is not loaded at all, since a crafted database runs as Hyperscan's bytecode.
Any trouble reading or writing the cache costs only the compile: the cache is never needed.

Where: ``$PII_AUDIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/pii-audit``, else ``~/.cache/pii-audit``;
an empty ``PII_AUDIT_CACHE_DIR`` turns the cache off. One file per set of patterns (a scan's
``--entities`` choose its recognizers, hence its patterns), the 16 used last kept.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Sequence

import hyperscan

KEPT_FILES = 16
_PREFIX, _SUFFIX = "screen-", ".hsdb"
# A screen's database is about 0.6 MB; a file far larger than any is no database of ours.
_MAX_BYTES = 64 * 2**20


def compiled(expressions: Sequence[bytes], flags: Sequence[int]) -> hyperscan.Database:
    """Return the block-mode Hyperscan database of these expressions (ids 0, 1, ...) and flags,
    loaded from the cache when it holds it, else compiled and stored there."""
    folder = cache_folder()
    path = None if folder is None else folder / f"{_PREFIX}{_digest(expressions, flags)}{_SUFFIX}"
    database = _loaded(path) if path is not None else None
    if database is None:
        database = hyperscan.Database()
        database.compile(expressions=list(expressions), ids=list(range(len(expressions))),
                         elements=len(expressions), flags=list(flags))
        if path is not None:
            _store(database, path)
    return database


def cache_folder() -> Path | None:
    """Return the folder of the cache, or None when ``PII_AUDIT_CACHE_DIR`` is set empty."""
    chosen = os.environ.get("PII_AUDIT_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pii-audit"


def _digest(expressions: Sequence[bytes], flags: Sequence[int]) -> str:
    # The bindings' version pins the Hyperscan library they carry. Hyperscan refuses a database
    # compiled for a CPU with features this one lacks, but runs one compiled for fewer: with the
    # CPU's features in the name, a home folder shared by two kinds of machine keeps one each.
    content = repr((hyperscan.__version__, _cpu_features(), list(expressions), list(flags)))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]


def _cpu_features() -> str:
    """Return the CPU's feature flags as Linux lists them (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            return next((line for line in cpuinfo if line.startswith("flags")), "")
    except OSError:
        return ""


def _loaded(path: Path) -> hyperscan.Database | None:
    """Return the database stored at ``path``, or None when there is none we may trust."""
    try:
        if not _ours(os.lstat(path.parent)):
            return None
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        with os.fdopen(descriptor, "rb") as handle:
            status = os.fstat(handle.fileno())
            if not (_ours(status) and stat.S_ISREG(status.st_mode) and status.st_size <= _MAX_BYTES):
                return None
            serialized = handle.read(_MAX_BYTES + 1)
        database = hyperscan.loadb(serialized, hyperscan.HS_MODE_BLOCK)
        # A loaded database comes without the scratch space a scan needs.
        database.scratch = hyperscan.Scratch(database)
        os.utime(path)  # used last: kept longest
        return database
    except (OSError, hyperscan.error):
        return None


def _ours(status: os.stat_result) -> bool:
    """Tell whether a file or folder is this user's and nobody else may write it (never, where
    the system has no user ids to tell)."""
    if not hasattr(os, "getuid"):
        return False
    return status.st_uid == os.getuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _store(database: hyperscan.Database, path: Path) -> None:
    """Write ``database`` to ``path`` (mode 0600, in one step), keeping the cache's size bounded;
    a cache that cannot be written is left alone."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _ours(os.lstat(path.parent)):
            return
        descriptor, temporary = tempfile.mkstemp(prefix=".screen-", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(hyperscan.dumpb(database))
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        _prune(path.parent)
    except (OSError, hyperscan.error):
        pass


def _prune(folder: Path) -> None:
    """Remove all but the ``KEPT_FILES`` screen files used last."""
    files = sorted(folder.glob(f"{_PREFIX}*{_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEPT_FILES:]:
        old.unlink(missing_ok=True)
