"""Coverage-guided fuzzing of the .ppt record walk (``ppt97``) with atheris: the bytes are the
"PowerPoint Document" stream itself, so no mutation is spent breaking the OLE2 container.

Usage (atheris is the ``fuzz`` extra; see ``fuzz_reader.py``):

    .venv/bin/python tests/fuzz/fuzz_ppt_stream.py SEED_DIR... [libFuzzer options]

SEED_DIR holds PowerPoint Document streams (taken out of real decks with ``ole2``). The stream is
read as ``ppt97.slide_chunks`` reads it once the container is open: the index, the walk of every
record, the lines, then the embedded objects (``embedded``, which reads an .xls or .doc one).

A finding is what ``fuzz_reader.py`` counts, and what its generic catch would hide: any exception
but ``DocumentRefused`` (``read_office_file`` turns any other into "unreadable (IndexError)" and
the rest of the deck is lost), a message of more than one line or one that is not ASCII (ppt97's
messages are; text from the file would not be). What an embedded object's own reader (``xls_stream``,
``word97``) says of it is another module's: with ``FUZZ_LOG`` set, its "unreadable (...)" lines are
appended to that file instead, and the fuzzing goes on.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import atheris

with atheris.instrument_imports(include=["pii_audit", "recognizers"]):
    from pii_audit import sources
    from pii_audit.sources import ScanOptions, TargetCoverage, damage, ppt97
    from pii_audit.sources.ooxml import DocumentRefused
    # Only what is imported in this block is instrumented, and embedded imports the readers of an
    # embedded object late (documents, word97, spreadsheets, xls_stream...): each is imported here.
    for _module in pkgutil.iter_modules(sources.__path__):
        importlib.import_module(f"pii_audit.sources.{_module.name}")

OPTIONS = ScanOptions(jobs=1)


class BytesStream:
    """An in-memory stand-in for ``ole2.Stream``: ``size`` and ``read(offset, count)``."""

    def __init__(self, data: bytes):
        self.data, self.size = data, len(data)

    def read(self, offset: int, count: int) -> bytes:
        return self.data[offset:offset + count]


def read_stream(data: bytes) -> None:
    """Read ``data`` as a deck's PowerPoint Document stream; fail on what a reader must never do."""
    coverage = TargetCoverage("a.ppt")
    window = ppt97._Window(BytesStream(data))
    try:
        walk = ppt97._Walk(window, ppt97._index(window))
        try:
            for _ in ppt97._chunks(walk.texts(), "a.ppt"):
                pass
        finally:
            for _ in ppt97._objects(window, walk, "a.ppt", OPTIONS, coverage):
                pass
    except DocumentRefused as error:
        check(str(error))
    for line in coverage.problems + coverage.notices:
        assert "\n" not in line.reason, line.reason
        if "!" + ppt97.OBJECT in line.where and os.environ.get("FUZZ_LOG"):
            if damage.CATCH_ALL.search(line.reason):
                with open(os.environ["FUZZ_LOG"], "a", encoding="utf-8") as log:
                    log.write(f"{line.where}\t{line.reason}\t{data.hex()}\n")
            continue
        check(line.reason)
        assert not damage.CATCH_ALL.search(line.reason), line.reason


def check(message: str) -> None:
    assert "\n" not in message and message.isascii(), message


if __name__ == "__main__":
    atheris.Setup(sys.argv, read_stream)
    atheris.Fuzz()
