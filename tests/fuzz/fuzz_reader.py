"""Coverage-guided fuzzing of one reader with atheris (libFuzzer): bytes in, chunks or problem lines out.

Usage (atheris is the ``fuzz`` extra: ``.venv/bin/pip install -e '.[fuzz]'``):

    .venv/bin/python tests/fuzz/fuzz_reader.py NAME SEED_DIR... [libFuzzer options]

NAME is the file name the bytes are read as (``a.doc``, ``a.xlsb``, ``a.rtf``...): the reader is
chosen by it, as an archive's members are (``archives.read_member``), so every format the scan
reads can be fuzzed. SEED_DIR holds real files of that format to start from (libFuzzer adds the
inputs it finds to the first). Useful options: ``-max_total_time=600``, ``-timeout=10`` (a hang),
``-rss_limit_mb=1024`` (memory that is not bounded), ``-max_len=2000000``.

What counts as a finding, as ``scan._record_failure`` would see it: any exception but a
``SourceError`` (a reader that meets damage must say so in one line, not fail with IndexError),
a problem or notice of more than one line, a hang, or memory past the limit. Each finding is fixed
with a regression test in the reader's own test module, never by a test here: this folder holds
no tests (pytest collects ``test_*.py`` only), so the suite stays fast.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import sys

import atheris

with atheris.instrument_imports(include=["pii_audit", "recognizers"]):
    from pii_audit import sources
    from pii_audit.errors import SourceError
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.archives import read_member
    # Only what is imported in this block is instrumented, and read_member imports most readers
    # late (presentations, emails, outlook, rtf, word97, xlsx_stream...): each is imported here.
    for _module in pkgutil.iter_modules(sources.__path__):
        importlib.import_module(f"pii_audit.sources.{_module.name}")

NAME = sys.argv.pop(1) if len(sys.argv) > 1 else "a.doc"
OPTIONS = ScanOptions(jobs=1)


def read_as_file(data: bytes) -> None:
    """Read ``data`` as a file called NAME; fail on what a reader must never do."""
    coverage = TargetCoverage(NAME)
    try:
        for _ in read_member(NAME, io.BufferedReader(io.BytesIO(data)), OPTIONS, coverage, 1):
            pass
    except SourceError as error:
        assert "\n" not in str(error), str(error)
    for line in coverage.problems + coverage.notices:
        assert "\n" not in line.reason and "\n" not in line.where, (line.where, line.reason)


if __name__ == "__main__":
    atheris.Setup(sys.argv, read_as_file)
    atheris.Fuzz()
