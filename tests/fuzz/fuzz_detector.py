"""Coverage-guided fuzzing of the detector with atheris (libFuzzer): any text in, occurrences out.

Usage (atheris is the ``fuzz`` extra: ``.venv/bin/pip install -e '.[fuzz]'``):

    .venv/bin/python tests/fuzz/fuzz_detector.py SEED_DIR... [libFuzzer options]

SEED_DIR holds text files to start from (log lines, JSON lines with ``\\uXXXX`` escapes, values
with full-width digits, a column name then values); libFuzzer adds what it finds to the first.
The first byte of an input says how its text reaches ``Detector.detect`` (the recognizers and
screen ``scan.make_detector`` builds): bit 0, as one chunk of lines, as a log's are, else as
single values, as a document's lines or a sheet's cells are, cut at each ``\\x1e``; bit 1, with
the text before the first ``\\x1f`` as the values' column name (context); bit 2, decoded with
``surrogateescape`` (lone surrogates, which a ``\\ud800`` JSON escape gives too), else with
``replace``. Useful options: ``-max_total_time=600``, ``-timeout=10``, ``-max_len=4096``.

What counts as a finding: any exception, an occurrence located outside its line or value (its
``start`` and ``end`` must satisfy ``0 <= start < end <= len``), or a masked value equal to the
text it was found in (a raw value would reach the ledger and the reports), or an occurrence whose
JSON record cannot be written as ``scan`` writes it (strict UTF-8: a lone surrogate in a masked
value would stop the scan). A value the source itself held masked (``already_masked``) is shown
as found, so it is left out of the masking check.
As in ``fuzz_reader.py``, each finding is fixed with a regression test in the module's own test
file (``tests/test_detector.py``, a recognizer's), never by a test here.
"""

from __future__ import annotations

import json
import sys

import atheris

with atheris.instrument_imports(include=["pii_audit", "recognizers"]):
    from pii_audit.models import Chunk
    from pii_audit.scan import make_detector
    from pii_audit.sources import ScanOptions
    from recognizers.base import to_halfwidth

DETECTOR = make_detector(b"k" * 32, ScanOptions(jobs=1))


def chunks_of(data: bytes) -> list[Chunk]:
    """Return the chunks the input's first byte says its text is cut into (see the docstring)."""
    mode, body = (data[0], data[1:]) if data else (0, b"")
    text = body.decode("utf-8", "surrogateescape" if mode & 4 else "replace")
    context: tuple[str, ...] = ()
    if mode & 2 and "\x1f" in text:
        name, text = text.split("\x1f", 1)
        context = (name,)
    if mode & 1:
        return [Chunk(text, {"path": "a.log", "line": 1}, "a.log", context, multiline=True)]
    return [Chunk(value, {"path": "a.txt", "value": number}, "a.txt", context)
            for number, value in enumerate(text.split("\x1e"))]


def located_text(chunk: Chunk, location: dict) -> str:
    """Return the line or value an occurrence's offsets count in."""
    if not chunk.multiline:
        return chunk.text
    line = chunk.text.split("\n")[location["line"] - 1]
    return line[:-1] if line.endswith("\r") else line


def detect(data: bytes) -> None:
    """Detect in the input's chunks; fail on what the detector must never do."""
    chunks = chunks_of(data)
    for occurrence in DETECTOR.detect(chunks):
        location = occurrence.location
        chunk = chunks[location["value"]] if "value" in location else chunks[0]
        text = located_text(chunk, location)
        start, end = location["start"], location["end"]
        assert 0 <= start < end <= len(text), (start, end, len(text))
        if not occurrence.already_masked:
            found = text[start:end]
            assert occurrence.masked not in (found, to_halfwidth(found)), occurrence.entity_type
        json.dumps(occurrence.to_json(), ensure_ascii=False).encode("utf-8")  # as scan writes the JSONL


if __name__ == "__main__":
    atheris.Setup(sys.argv, detect)
    atheris.Fuzz()
