"""Coverage-guided fuzzing of a .msg's compressed RTF body (``lzfu``) and the RTF reader behind it
(``rtf``), in both of the body's forms: stored ("MELA") and compressed ("LZFu").

Usage (atheris is the ``fuzz`` extra: ``.venv/bin/pip install -e '.[fuzz]'``):

    .venv/bin/python tests/fuzz/fuzz_lzfu.py SEED_DIR... [libFuzzer options]
    .venv/bin/python tests/fuzz/fuzz_lzfu.py seeds OUT_DIR FILE.rtf...   # write the seeds of RTF files

Each input is the payload of a compressed-RTF property (``PR_RTF_COMPRESSED``), put behind a valid
16-byte header twice: stored, where the payload is the RTF itself, and compressed, where it is the
LZ77 tokens, with the CRC-32 that ``lzfu`` checks. Each is the only body of a .msg (a compound file
written by the tests' own writer, ``ole2_helpers``), read as a file called ``a.msg`` through
``archives.read_member``, as a scan reads one: ``outlook`` inflates it (``lzfu.Inflated``) and
reads its lines (``rtf.RtfText``). Mutating a whole .msg, or a stream of one (``fuzz_ole_streams``),
mostly breaks the header's sizes or its CRC, so the stored form was never reached, nor the RTF
reader past the first bytes; here the header is always right. The ``seeds`` command writes, for
each RTF file, its bytes (read as RTF through the stored form) and its compressed payload (read
as RTF through the compressed form), with ``CANARY`` added to its text.

Findings are ``fuzz_reader``'s (an exception but ``SourceError``, a problem or notice of more than
one line, a hang, memory past the limit), and three more: a problem or notice quoting the RTF's
text (every seed holds ``CANARY``, which no message may repeat); a problem line that a catch-all
wrote for an exception (``unreadable e-mail (IndexError)``), which loses the rest of the message
(raised again, with its traceback); and a compressed body said to fail its CRC, which the header
built here always matches. As in ``fuzz_reader``, each finding is fixed with a regression test in
the reader's own test module; no tests live here.
"""

from __future__ import annotations

import io
import re
import struct
import sys
import zlib
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the compound file writer

with atheris.instrument_imports(include=["pii_audit"]):
    from pii_audit.errors import SourceError
    from pii_audit.sources import ScanOptions, TargetCoverage, damage
    from pii_audit.sources.archives import read_member
    # Only what is imported in this block is instrumented, and the readers import these lazily.
    from pii_audit.sources import emails, lzfu, outlook, rtf  # noqa: F401

from ole2_helpers import BINARY, UNICODE, compound_file, outlook_message  # noqa: E402 -- after the path is set

NAME = "a.msg"
OPTIONS = ScanOptions(jobs=1)
CANARY = b"CANARY"
# The lines the readers' catch-alls write for an exception they did not foresee (emails, scan).
CATCH_ALL = re.compile(r"could not be read \(\w+\)|" + damage.CATCH_ALL.pattern)


class Finding(AssertionError):
    """What a reader must never do, raised past every catch-all."""


class StrictCoverage(TargetCoverage):
    """A coverage that fails on a line a reader must never write, raising again the exception
    behind a catch-all's."""

    def problem(self, where: str, reason: str, container: str | None = None) -> None:
        _check(reason)
        error = sys.exc_info()[1]
        if isinstance(error, Finding):
            raise error
        if CATCH_ALL.search(reason):
            raise Finding(f"caught by a catch-all: {reason}") from error
        super().problem(where, reason, container)

    def notice(self, where: str, reason: str, *args, **kwargs) -> None:
        _check(reason)
        if "CRC does not match" in reason:
            raise Finding(f"a valid CRC refused: {reason}")
        super().notice(where, reason, *args, **kwargs)


def _check(reason: str) -> None:
    if "\n" in reason:
        raise Finding(f"a reason of more than one line: {reason!r}")
    if CANARY.decode() in reason:
        raise Finding(f"a reason quoting the text: {reason!r}")


def stored(payload: bytes) -> bytes:
    """Return ``payload`` as a stored body: its sizes, "MELA", a CRC of 0 ([MS-OXRTFCP] 2.1.3.1)."""
    return struct.pack("<II4sI", len(payload) + 12, len(payload), b"MELA", 0) + payload


def compressed(payload: bytes) -> bytes:
    """Return ``payload`` as a compressed body's tokens: its size, a raw size (which the tokens may
    not give), "LZFu", and the CRC-32 of the tokens as ``lzfu`` computes it."""
    crc = zlib.crc32(payload, 0xFFFFFFFF) ^ 0xFFFFFFFF
    return struct.pack("<II4sI", len(payload) + 12, len(payload) * 8, b"LZFu", crc) + payload


def message(body: bytes) -> bytes:
    """Return a .msg whose only body is the compressed-RTF property ``body``."""
    return compound_file(outlook_message([(0x0037, UNICODE, "开户登记"), (0x1009, BINARY, body)]))


def read_as_msg(data: bytes) -> None:
    """Read ``data`` as the payload of a stored, then a compressed RTF body; fail on what a reader must never do."""
    for body in (stored(data), compressed(data)):
        coverage = StrictCoverage(NAME)
        try:
            for _ in read_member(NAME, io.BufferedReader(io.BytesIO(message(body))), OPTIONS, coverage, 1):
                pass
        except SourceError as error:
            _check(str(error))


def write_seeds(folder: str, files: list[str]) -> None:
    """Write each RTF file, with CANARY in its text, as it is and as a compressed payload."""
    import compressed_rtf  # the tests' extra: an independent compressor

    Path(folder).mkdir(parents=True, exist_ok=True)
    for number, name in enumerate(files):
        rtf = Path(name).read_bytes()
        at = rtf.find(b"\\par")
        rtf = rtf[:at] + b" CANARY " + rtf[at:] if at > 0 else rtf + b"CANARY"
        (Path(folder) / f"stored{number}").write_bytes(rtf)
        (Path(folder) / f"compressed{number}").write_bytes(compressed_rtf.compress(rtf)[16:])


if __name__ == "__main__" and sys.argv[1:2] == ["seeds"]:
    write_seeds(sys.argv[2], sys.argv[3:])
elif __name__ == "__main__":
    atheris.Setup(sys.argv, read_as_msg)
    atheris.Fuzz()
