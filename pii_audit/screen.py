"""The detector's screen: which lines of a text may hold a value a recognizer reports, and whose.

Presidio's ``AnalyzerEngine`` runs every recognizer's regexes over every line, about 1 MB/s over
Chinese logs. The screen instead finds, in one Hyperscan pass over the text's UTF-8 bytes
(``to_halfwidth`` done), what every reportable value must hold, and the detector runs a
recognizer only on the lines where the screen found its part:

* its needles (``ChineseRecognizer.screen_needles``), written in the alphabet of
  ``recognizers.base.shape``: "0" stands for any ASCII digit, a letter for itself in either
  case, "-" for a space or a dash (``0*******`` is a digit then seven stars; ``phone``, ``身份证``);
* its ``screens``, regexes for what needles cannot say (an IPv6 address written in full; a
  masked card's five stars or more, in one run or in groups, where a needle would also take a
  masked mobile number's four; a field its column hints name, ``"lxdh":"``);
* for a recognizer that declares ``RUN_LENGTHS`` (its values are whole runs of ASCII letters and
  digits), each run its ``RUN_PATTERN`` matches in full, of one of those lengths, that
  ``run_may_hold`` accepts: its all-digit needles are answered that way, so an 18-digit order
  number, or a run of digits inside a longer one, wakes nobody.

Why that loses nothing: without column context, a recognizer reports a value only when its
pattern scores at least ``MIN_SCORE`` (then the value's shape holds one of its ``NEEDLES``) or a
``CONTEXT`` keyword stands near it (then the keyword is a needle too). ``tests/test_properties.py``
checks it on generated text, and ``tests/test_recognizer_contract.py`` on every recognizer's examples.

Hyperscan is Intel's regex engine for intrusion detection, made to run thousands of patterns over
hostile traffic in one pass. It replaced a screen of our own (the text translated to its shape, an
Aho-Corasick pass for the needles, a ``re`` search for runs of digits, then a Python check of each
run): on the first 50 MB of the bench logs the screen took 0.44-0.53 s before and 0.33-0.40 s
after, and a whole scan of 5 MB 987 -> 869 million instructions (``bench/instructions.py``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import hyperscan

from pii_audit import screen_cache
from recognizers import ChineseRecognizer

# A run is bounded by a byte that is no ASCII letter or digit, or by the edge of its line.
_RUN_START = rb"(?:^|[^0-9A-Za-z\n])"
_RUN_END = rb"(?:[^0-9A-Za-z\n]|$)"
_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@lru_cache(maxsize=8)
def _compiled(expressions: tuple[bytes, ...], flags: tuple[int, ...]) -> hyperscan.Database:
    """Return the Hyperscan database of these expressions, built once a process (and compiled
    once a machine: ``screen_cache``).

    A scheduled run scans its targets one after another in one process, and the tests build a
    detector hundreds of times. A database holds its own scratch space, so it must not scan from
    two threads at once: pii-audit scans in processes, never threads."""
    return screen_cache.compiled(expressions, flags)


def needle_regex(needle: bytes) -> bytes:
    """Return the Hyperscan regex (matched case-insensitively) of a needle in the shape alphabet.

    >>> needle_regex(b"0-**")
    b'[0-9][ \\\\-]\\\\x2a\\\\x2a'
    """
    pieces = []
    for byte in needle:
        if byte == ord("0"):
            pieces.append(rb"[0-9]")
        elif byte == ord("-"):
            pieces.append(rb"[ \-]")
        elif ord("a") <= byte <= ord("z"):
            pieces.append(bytes([byte]))
        else:
            pieces.append(rb"\x%02x" % byte)
    return b"".join(pieces)


class Screen:
    """One Hyperscan database of every recognizer's needles, screens and runs, and of ``marks``:
    regexes (Hyperscan's syntax, case-sensitive) of lines the detector reads in its own way (SQL
    logged with its parameters, ``pii_audit.sql_logs``; base64 that may encode text,
    ``escapes.BASE64_MARK``; ISO 8583 messages and hex dumps, ``iso8583``), found in the same pass."""

    def __init__(self, recognizers: Sequence[ChineseRecognizer], marks: Sequence[bytes] = ()):
        self.recognizers = list(recognizers)
        run_checkers = [k for k, r in enumerate(self.recognizers) if r.RUN_LENGTHS]
        owners: dict[bytes, set[int]] = {}
        for number, recognizer in enumerate(self.recognizers):
            for needle in recognizer.screen_needles():
                if number in run_checkers and not needle.strip(b"0"):
                    continue  # answered by the runs
                owners.setdefault(needle, set()).add(number)
        expressions: list[bytes] = []
        flags: list[int] = []
        # By pattern id: the recognizers a hit wakes, or None for a run that one must check first
        # (the recognizer in _run_checker) or a mark (-1 there).
        self._woken: list[frozenset[int] | None] = []
        self._run_checker: list[int] = []
        for needle, numbers in sorted(owners.items()):
            expressions.append(needle_regex(needle))
            flags.append(hyperscan.HS_FLAG_CASELESS)
            self._woken.append(frozenset(numbers))
            self._run_checker.append(-1)
        for number, recognizer in enumerate(self.recognizers):
            for screen in recognizer.screens():
                expressions.append(screen.encode("utf-8"))
                flags.append(hyperscan.HS_FLAG_CASELESS)
                self._woken.append(frozenset([number]))
                self._run_checker.append(-1)
        for number in run_checkers:
            pattern = self.recognizers[number].RUN_PATTERN.encode("ascii")
            expressions.append(_RUN_START + b"(?:" + pattern + b")" + _RUN_END)
            # The match's start is wanted too: it says where the run begins.
            flags.append(hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_SOM_LEFTMOST)
            self._woken.append(None)
            self._run_checker.append(number)
        self._first_mark = len(expressions)
        for mark in marks:  # no recognizer to wake, no run to check: a mark (``candidates``)
            expressions.append(mark)
            flags.append(0)
            self._woken.append(None)
            self._run_checker.append(-1)
        self._database = _compiled(tuple(expressions), tuple(flags)) if expressions else None

    def candidates(self, raw: bytes, marked: Sequence[set[int]] = ()) -> list[tuple[int, int, int, set[int]]]:
        """Return ``(line index, start, end, recognizers to run)`` of each line of ``raw`` (UTF-8,
        ``halfwidth_utf8`` done) that the screen hits, in order; ``start`` and ``end`` are the
        line's byte offsets, without its newline. ``marked`` holds a set for each of the first
        marks: add to it the index of each line the mark matches, which is a candidate too (with
        no recognizers, unless hit)."""
        if self._database is None or not raw:
            return []
        hits: list[tuple[int, int, int]] = []
        self._database.scan(raw, match_event_handler=_collect, context=hits)
        marks: list[set[int]] = [set() for _ in marked]  # line start offsets, by mark
        chosen_at: dict[int, set[int]] = {}  # line start offset -> recognizers
        for pattern, start, end in hits:
            woken = self._woken[pattern]
            if woken is None:
                number = self._run_checker[pattern]
                if number < 0:  # a mark
                    mark = pattern - self._first_mark
                    if mark < len(marks):
                        line_start = raw.rfind(b"\n", 0, end) + 1
                        marks[mark].add(line_start)
                        chosen_at.setdefault(line_start, set())
                    continue
                # The match holds the run and the byte on either side of it, where one bounds it.
                start += raw[start] not in _ALNUM
                end -= raw[end - 1] not in _ALNUM
                recognizer = self.recognizers[number]
                if not recognizer.run_may_hold(raw[start:end].decode("ascii")):
                    continue
                woken = (number,)
            # A needle holds no newline: the line's start is the last one before the hit's end.
            chosen_at.setdefault(raw.rfind(b"\n", 0, end) + 1, set()).update(woken)
        candidates, counted, index = [], 0, 0
        for start in sorted(chosen_at):
            index += raw.count(b"\n", counted, start)
            counted = start
            end = raw.find(b"\n", start)
            candidates.append((index, start, len(raw) if end < 0 else end, chosen_at[start]))
            for lines, starts in zip(marked, marks):
                if start in starts:
                    lines.add(index)
        return candidates


def _collect(pattern: int, start: int, end: int, flags: int, hits: list) -> None:
    # Hyperscan's callback: None goes on scanning.
    hits.append((pattern, start, end))
