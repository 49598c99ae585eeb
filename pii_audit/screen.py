"""A byte-level screen: find the lines of raw log bytes where a recognizer's prefilter could match.

Python's ``re`` runs the detector's prefilter at about 2 MB/s over Chinese log text (measured in
``bench/logs.py``: it has no literal to skip ahead with). ``bytes.translate`` and ``bytes.find``
run at hundreds of MB/s, so the file reader maps digits to ``0`` and separators to ``-`` and looks
for a few fixed needles; only the lines that hold one are decoded and handed to the detector,
whose own prefilter and recognizers then decide exactly as before.

The needles are a superset of the prefilters they were derived from, which ``KNOWN_PREFILTERS``
records. When a recognizer's prefilter is not one of these (a new or changed recognizer), there is
no screen and the reader falls back to decoding every line: slower, never blind.
"""

from __future__ import annotations

from typing import Iterable, Iterator

# (entity, PREFILTER) pairs the needles below were derived from.
KNOWN_PREFILTERS = frozenset({
    ("CN_RESIDENT_ID", r"\d{15}|\d\*{4}"),
    ("CN_BANK_CARD", r"\d{15}|\d{4}[ \-]\d{4}[ \-]\d{4}|\d{4}[ \-]?\*\*"),
    ("CN_MOBILE_PHONE", r"1\d{2}[ \-]?[\d*]{4}[ \-]?\d{4}"),
})
# After translation: a run of 7 digits is part of every 11-19 digit candidate and of a 3-4-4
# number with one separator; "0000-0000" of grouped cards and phones; "0*" and "-*" of every
# masked form (its first star follows a digit or a separator).
NEEDLES = (b"0000000", b"0000-0000", b"0*", b"-*")
# Full-width forms that to_halfwidth() turns into characters the prefilters use.
FULLWIDTH = "０１２３４５６７８９＊－\u3000"

_TABLE = bytearray(b"." * 256)
for _digit in b"0123456789":
    _TABLE[_digit] = ord("0")
_TABLE[ord("*")] = ord("*")
_TABLE[ord(" ")] = _TABLE[ord("-")] = ord("-")
_TABLE[ord("\n")] = ord("\n")
_TABLE = bytes(_TABLE)


class ByteScreen:
    """Find candidate lines in blocks of whole lines of bytes in one ASCII-compatible encoding."""

    def __init__(self, encoding: str):
        self.raw_needles = tuple({c.encode(encoding) for c in FULLWIDTH})

    @classmethod
    def for_recognizers(cls, recognizers: Iterable, encoding: str) -> "ByteScreen | None":
        """Return a screen for these recognizer classes or instances, or None if one is unknown."""
        for recognizer in recognizers:
            if (recognizer.ENTITY, recognizer.PREFILTER) not in KNOWN_PREFILTERS:
                return None
        return cls(encoding)

    def lines(self, data: bytes) -> Iterator[tuple[int, int]]:
        """Yield ``(start, end)`` byte spans (without the newline) of candidate lines, in order."""
        starts: set[int] = set()
        self._collect(data.translate(_TABLE), NEEDLES, starts)
        self._collect(data, self.raw_needles, starts)
        for start in sorted(starts):
            end = data.find(b"\n", start)
            yield start, len(data) if end < 0 else end

    @staticmethod
    def _collect(data: bytes, needles: Iterable[bytes], starts: set[int]) -> None:
        for needle in needles:
            position = data.find(needle)
            while position >= 0:
                starts.add(data.rfind(b"\n", 0, position) + 1)
                end = data.find(b"\n", position)
                if end < 0:
                    break
                position = data.find(needle, end)
