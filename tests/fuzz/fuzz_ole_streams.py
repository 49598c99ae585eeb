"""Coverage-guided fuzzing of the OLE2-family readers (.doc, .xls, .msg, property sets, packaged
files) with atheris, past the compound file's header: one stream's bytes mutated at a time.

Usage (atheris is the ``fuzz`` extra, as for ``fuzz_reader.py``):

    .venv/bin/python tests/fuzz/fuzz_ole_streams.py MODE NAME SEED_DIR... [libFuzzer options]
    .venv/bin/python tests/fuzz/fuzz_ole_streams.py bundle OUT_DIR FILE...   # seeds for MODE streams

MODE ``streams``: each input is a bundle of a compound file's streams (``bundle`` says its form;
the ``bundle`` command writes one for each real OLE2 file given), which the harness writes into a
valid compound file (``ole2_helpers.compound_file``, the tests' own writer) and reads as a file
called NAME (``a.doc``, ``a.xls``, ``a.msg``). Mutating a whole file mostly breaks its header or
its allocation table, and the reader stops there: here libFuzzer's mutations land in the streams'
bytes (a FIB, BIFF records, a property set, an Ole10Native header, compressed RTF), so the
readers' own parsing is reached. MODE ``file``: each input is the whole file, as in
``fuzz_reader.py`` (the compound file's own parser, ``ole2``, is fuzzed so).

A finding is what ``fuzz_reader.py`` counts, and two more: a problem line that a reader's
catch-all wrote for an exception that passed through one of these readers (``unreadable
(IndexError): corrupt or not a Word document``), which loses the rest of the file as surely as an
escaping exception would (the harness raises it again, with its traceback); and a problem of a
.doc or .msg worded for an .xls (``ole2`` words its refusals so, for each reader to word again).
Each problem and notice reason is also written, digits folded to 9, to ``$FUZZ_REASONS`` (when
set) once, to be read for any that quotes the file's content. Inputs that take thousands of
directory entries to slow a reader down are out of a fuzzer's reach: they were looked for by
reading the code. As in ``fuzz_reader.py``, no tests live here.
"""

from __future__ import annotations

import importlib
import io
import os
import pkgutil
import re
import struct
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the compound file writer

with atheris.instrument_imports(include=["pii_audit", "recognizers"]):
    from pii_audit import sources
    from pii_audit.errors import SourceError
    from pii_audit.sources import ScanOptions, TargetCoverage, damage
    from pii_audit.sources.archives import read_member
    from pii_audit.sources.ole2 import CompoundFile
    # Only what is imported in this block is instrumented, and read_member imports most readers
    # late (presentations, emails, outlook, rtf, word97, xlsx_stream...): each is imported here.
    for _module in pkgutil.iter_modules(sources.__path__):
        importlib.import_module(f"pii_audit.sources.{_module.name}")

from ole2_helpers import compound_file  # noqa: E402 -- after the path is set

MODE = sys.argv.pop(1) if len(sys.argv) > 1 else "streams"
NAME = sys.argv.pop(1) if len(sys.argv) > 1 else "a.doc"
OPTIONS = ScanOptions(jobs=1)
# The lines a reader's catch-all writes for an exception it did not foresee (ooxml, spreadsheets,
# emails, scan), and the ones for a part it gave up on for the same reason.
CATCH_ALL = re.compile(r"could not be read \(\w+\)|" + damage.CATCH_ALL.pattern)
# The readers fuzzed here: an exception is theirs to handle when it passed through one of them (an
# attached .xlsx's zlib.error, an Excel 95 workbook's CalamineError are other readers' words).
OURS = {"ole2.py", "word97.py", "xls_stream.py", "outlook.py", "lzfu.py", "ole_properties.py", "packager.py",
        "embedded.py"}
REASONS = os.environ.get("FUZZ_REASONS")
_seen: set[str] = set()


class Finding(AssertionError):
    """What a reader must never do, raised past every catch-all (a nested reader's is raised again)."""


class StrictCoverage(TargetCoverage):
    """A coverage that raises again the exception behind a catch-all's problem line."""

    def problem(self, where: str, reason: str, container: str | None = None) -> None:
        _note(reason, where)
        error = sys.exc_info()[1]
        if isinstance(error, Finding):
            raise error
        if CATCH_ALL.search(reason) and error is not None and _through_ours(error):
            raise Finding(f"caught by a catch-all: {reason}") from error
        # ole2 words its refusals for a workbook; a reader of another kind must word them for its own.
        if where == NAME and not NAME.endswith(".xls") and ".xls workbook" in reason:
            raise Finding(reason)
        super().problem(where, reason, container)

    def notice(self, where: str, reason: str, *args, **kwargs) -> None:
        _note(reason, where)
        super().notice(where, reason, *args, **kwargs)


def _through_ours(error: BaseException) -> bool:
    """Tell whether ``error`` was raised in, or passed through, one of the readers fuzzed here."""
    frame = error.__traceback__
    while frame is not None:
        path = frame.tb_frame.f_code.co_filename
        if "/pii_audit/sources/" in path and os.path.basename(path) in OURS:
            return True
        frame = frame.tb_next
    return False


def _note(reason: str, where: str) -> None:
    """Write a reason's shape to $FUZZ_REASONS the first time it is met; fail on a line break in
    it or in where it is (an attachment's or a packaged file's name, which the file gives)."""
    if "\n" in reason or "\n" in where:
        raise Finding(f"a problem line of more than one line: {where!r}: {reason!r}")
    shape = re.sub(r"\d[\d,]*", "9", reason)
    if REASONS and shape not in _seen:
        _seen.add(shape)
        with open(REASONS, "a", encoding="utf-8") as out:
            out.write(shape + "\n")


def bundle(streams: dict[str, bytes], classes: dict[str, bytes] | None = None, big_sectors: bool = False) -> bytes:
    """Return the fuzz input for ``streams`` (by path, ``a/b``: storage a): a byte of flags
    (1: 4,096-byte sectors), then each stream (kind 0) or storage's CLSID (kind 1) as kind (1 byte),
    path length (2), path (UTF-8), data length (4), data."""
    out = bytearray([1 if big_sectors else 0])
    entries = [(0, path, data) for path, data in streams.items()]
    entries += [(1, path, clsid) for path, clsid in (classes or {}).items()]
    for kind, path, data in entries:
        raw = path.encode("utf-8")
        out += struct.pack("<BH", kind, len(raw)) + raw + struct.pack("<I", len(data)) + data
    return bytes(out)


def unbundled(data: bytes) -> tuple[dict[str, bytes], dict[str, bytes], int] | None:
    """Return the streams, classes and sector size a bundle holds, lengths cut to what is there;
    None when it names no stream."""
    streams, classes, at = {}, {}, 1
    while at + 3 <= len(data):
        kind, length = struct.unpack_from("<BH", data, at)
        path = data[at + 3:at + 3 + length].decode("utf-8", "replace")
        at += 3 + length
        size = struct.unpack_from("<I", data, at)[0] if at + 4 <= len(data) else 0
        body = data[at + 4:at + 4 + size]
        at += 4 + size
        parts = path.split("/")
        if any(not part or len(part) > 31 for part in parts):
            continue
        if kind & 1:
            classes[path] = body[:16].ljust(16, b"\0")
        else:
            streams.setdefault(path, body)
    if not streams:
        return None
    return streams, classes, 4096 if data[:1] and data[0] & 1 else 512


def built(data: bytes) -> bytes | None:
    """Return the compound file a bundle describes, or None when it describes none."""
    found = unbundled(data)
    if found is None:
        return None
    streams, classes, sector_size = found
    folders = {path.rpartition("/")[0] for path in streams}
    prefixes = {"/".join(path.split("/")[:k]) for path in streams for k in range(1, path.count("/") + 1)}
    if prefixes & set(streams) or any(folder and folder not in prefixes for folder in folders):
        return None  # a stream and a storage of one path
    classes = {path: clsid for path, clsid in classes.items() if path == "" or path in prefixes}
    return compound_file(streams, sector_size, classes)


def bundle_of(data: bytes) -> bytes:
    """Return the bundle of the OLE2 file ``data``: its streams, and its storages' CLSIDs."""
    compound = CompoundFile(io.BytesIO(data))
    streams = {path: compound.stream(*entry).read(0, entry[1]) for path, entry in compound.streams().items()}
    folders = {"/".join(path.split("/")[:k]) for path in streams for k in range(path.count("/") + 1)}
    return bundle(streams, {folder: compound.class_id(folder) for folder in folders})


def read_as_file(data: bytes) -> None:
    """Read ``data`` (a bundle, or a whole file) as a file called NAME; fail on what a reader must never do."""
    if MODE == "streams":
        data = built(data)
        if data is None:
            return
    coverage = StrictCoverage(NAME)
    try:
        for _ in read_member(NAME, io.BufferedReader(io.BytesIO(data)), OPTIONS, coverage, 1):
            pass
    except SourceError as error:
        assert "\n" not in str(error), str(error)


if __name__ == "__main__" and MODE == "bundle":
    for name in sys.argv[1:]:
        (Path(NAME) / Path(name).name).write_bytes(bundle_of(Path(name).read_bytes()))
elif __name__ == "__main__":
    atheris.Setup(sys.argv, read_as_file)
    atheris.Fuzz()
