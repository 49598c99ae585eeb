"""A fixed-width batch file's layout, guessed from its first records where no ``[[layouts]]`` names it.

A bank has hundreds of batch and reconciliation formats (批量文件, 对账文件), and a compliance
officer scanning a folder of them rarely has every interface specification at hand. Read as text,
a fixed-width record's fields run together: an ID number after a ``01`` certificate type, a card
after a date, make one long run of digits, rejected as an order number is (``bench/probe.py``'s
``batch-fixed``: no card, ID or name of 30 found). Yet such a file shows its own layout:

* nearly all its lines (inflated, when it is compressed) have the same length in bytes (``SAME_LENGTH_SHARE`` of at least
  ``MIN_RECORDS``; a header or trailer line may differ), or, when their lengths differ, its
  fields keep their bytes counted from the line's start (the system that wrote it trimmed the
  padding of a last field, or a last field is free text) or from its end (a field before them is
  not padded to its width: ``bench/probe.py``'s ``batch-fixed``); the field whose width varies
  is then read whole, whatever its length (``Layout.varying``);
* a field of IDs, cards or mobile numbers stands at the same bytes in line after line, and its
  values pass their checks there (the ID's check digit and birth date, the card's Luhn digit and
  issuer, the mobile's segment) in at least ``FIELD_SHARE`` of the records. Digits at a place
  chosen by chance pass the Luhn check one time in ten: in 40 records of 50 they never do.

A file is read so when a field runs into another (its values are lost as text), or when its
identifiers stand apart but its fields are padded with spaces (two paddings of two bytes or more)
and most records hold Chinese text: read as text, its IDs and mobiles are found, but a name in
a padded field is not (nothing delimits it). Any other file is read as text, as before, and so
is a file named as a log (``app.log``, ``app.log.1``, ``catalina.out``), whatever its lines. A
card or mobile field may be left-aligned (its values start at one byte, a 16-digit card ends
sooner than a 19-digit one) or right-aligned and padded with zeros (they end at one byte).

The guessed layout is read as a configured one (``layouts.read_layout``, ``guessed=True``): each
field found is a column named by what it holds (证件号码, 银行卡号, 手机号, so their column rules
apply), the bytes between them are split where a padding of two spaces or more ends (one space
separates ``138 1234 5678``, it pads nothing) and where Chinese text follows digits in nearly
every record (``20240601王建国``), each such column named
by its number (字段3: a name there is a PERSON when its record holds an identifier, as in a
headerless CSV). An audit.toml layout whose globs match the file is used instead of any guess,
and ``guess_layouts = false`` turns guessing off. A member of an archive is guessed from its
first ``HEAD_BYTES`` too (``archives.member_layout``).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Callable, Iterable, Iterator

from pii_audit.sources.files import inflated_head, stream_name
from pii_audit.sources.layouts import Layout
from pii_audit.sources.streams import CORRUPT_ERRORS
from recognizers import cn_bank_card, cn_mobile_phone, cn_resident_id

HEAD_BYTES = 32 << 10  # the records a layout is guessed from: the file's first 32 KiB
MIN_RECORDS = 20
SAMPLE_RECORDS = 50
FIRST_RECORDS = 10  # where every window is tried; a field's place is seen in LIKELY_SHARE of them
LIKELY_SHARE = 0.3
SAME_LENGTH_SHARE = 0.9
FIELD_SHARE = 0.8
MIN_RECORD_BYTES = 30
PADDING_SHARE = 0.95  # a byte is padding where it is a space in this share of records
LOG_SUFFIXES = (".log", ".out", ".err", ".trace")

# What a field may hold: its column's name, the lengths of its values, and their check; the
# strongest check first.
KINDS: tuple[tuple[str, tuple[int, ...], Callable[[str], bool]], ...] = (
    ("证件号码", (18,), cn_resident_id.is_valid),
    ("银行卡号", (16, 17, 18, 19), cn_bank_card.is_valid),
    ("手机号", (11,), cn_mobile_phone.is_valid),
)
_DIGITS = re.compile(rb"[0-9]{11,}[Xx]?")
_TEXT_START = re.compile(rb"[0-9](?=[\x80-\xff])")  # a digit, then a GBK or UTF-8 character
_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def guess_layout(path: str) -> Layout | None:
    """Return the layout of a fixed-width file guessed from its first ``HEAD_BYTES`` (inflated,
    when it is compressed), or None."""
    if named_as_log(path):
        return None
    try:
        head = inflated_head(path, HEAD_BYTES)
    except (OSError, EOFError, *CORRUPT_ERRORS):
        return None  # unreadable or damaged: read as text, where that is said
    return guessed(head, path)


def guessed(head: bytes, path: str) -> Layout | None:
    """Return the layout of the records in ``head`` (a file's first bytes), or None when they are
    not fixed-width, hold no identifier field, or are read as well as text (``tests/test_layout_guess.py``).
    """
    if named_as_log(path):
        return None
    lines = [line.rstrip(b"\r") for line in head.split(b"\n")[:-1]]  # the last may be cut short
    if len(lines) < MIN_RECORDS:
        return None
    length, count = Counter(map(len, lines)).most_common(1)[0]
    if count >= SAME_LENGTH_SHARE * len(lines):
        if length < MIN_RECORD_BYTES:
            return None
        records = [line for line in lines if len(line) == length][:SAMPLE_RECORDS]
        return _layout(records, [0] * len(records), _first_passing(records), path, None)
    return _varying_layout(lines, path)


def _varying_layout(lines: list[bytes], path: str) -> Layout | None:
    """Return the layout of records of many lengths whose fields stand at fixed bytes counted from
    their start (a tail trimmed of its padding) or from their end (a field before them not padded
    to its width), or None; the side where more identifier fields are found taken. The shortest
    and longest tenth of the lines (a header, a trailer) are left out of the guess."""
    lengths = sorted(map(len, lines))
    shortest = lengths[int((1 - SAME_LENGTH_SHARE) * len(lines))]
    longest = lengths[int(SAME_LENGTH_SHARE * (len(lines) - 1))]
    if shortest < MIN_RECORD_BYTES:
        return None
    records = [line for line in lines if shortest <= len(line) <= longest][:SAMPLE_RECORDS]
    passing = _first_passing(records)  # found once, shifted for the side counted from the end
    best: Layout | None = None
    for varying, shifts in (("last", [0] * len(records)), ("first", [longest - len(r) for r in records])):
        layout = _layout(records, shifts, passing, path, varying)
        if layout is not None and (best is None or _identifiers(layout) > _identifiers(best)):
            best = layout
    return best


def _identifiers(layout: Layout) -> int:
    return sum(not column.startswith("字段") for column in layout.columns)


def _layout(records: list[bytes], shifts: list[int], first_passing: list[list[tuple[str, int, int, bool]]],
            path: str, varying: str | None) -> Layout | None:
    """Return the layout of ``records``, each placed ``shifts`` bytes into a frame as long as the
    longest (NULs, neither digits nor padding, around it: records of one length need none), or
    None when they hold no identifier field or are read as well as text. ``first_passing``: the
    values passing their checks in the first records (``_first_passing``)."""
    length = max(shift + len(record) for shift, record in zip(shifts, records))
    records = [bytes(shift) + record + bytes(length - shift - len(record)) for shift, record in zip(shifts, records)]
    shifted = [[(name, start + shift, end + shift, runs_into) for name, start, end, runs_into in values]
               for shift, values in zip(shifts, first_passing)]
    fields = _identifier_fields(records, shifted)
    if not fields:
        return None
    paddings = _paddings(records)
    if not any(abutting for *_, abutting in fields) and not _padded_records(records, paddings):
        return None
    inside = [(start, end) for start, end, _, _ in fields]
    edges = {0, length} | {edge for start, end in inside for edge in (start, end)}
    breaks = {end for _, end in paddings} | _text_starts(records)
    edges |= {end for end in breaks if 0 < end < length and not any(s < end < e for s, e in inside)}
    edges = sorted(edges)
    widths = tuple(end - start for start, end in zip(edges, edges[1:]))
    # A byte range would say where a field is, but 第101-112字节 reads as a negative context
    # (a count, not a mobile number's column): a field is named by its number, its bytes said in
    # the scan's notice line.
    named = {start: name for start, _, name, _ in fields}
    columns = tuple(named.get(start) or f"字段{number}" for number, start in enumerate(edges[:-1], 1))
    return Layout((path,), _unique(columns), widths, guessed=True, varying=varying)


def named_as_log(path: str) -> bool:
    """Tell whether a file is named as a log (``app.log``, ``app.log.1``, ``catalina.out``): its
    lines are messages and its rotations one stream, read as text whatever their lengths."""
    return stream_name(path).lower().endswith(LOG_SUFFIXES)


def _padded_records(records: list[bytes], paddings: list[tuple[int, int]]) -> bool:
    """Tell whether records whose identifiers stand apart are worth reading as a table: padded
    fields (two paddings at least) and Chinese text in most records, which may be a name, found
    only in a field of its own (a record holding an identifier, as a headerless CSV's row)."""
    return len(paddings) >= 2 and sum(not record.isascii() for record in records) >= 0.5 * len(records)


def _identifier_fields(records: list[bytes], first_passing: list[list[tuple[str, int, int, bool]]]
                       ) -> list[tuple[int, int, str, bool]]:
    """Return ``(start, end, column name, runs into another field)`` of the fields whose values
    pass their check at the same bytes in ``FIELD_SHARE`` of ``records``.

    Every window of every run is tried in the first ``FIRST_RECORDS`` records only (``first_passing``
    holds what passed there), the places seen there in the rest: a file of 300-digit records took
    0.11 s trying them all in 50."""
    longest: dict[tuple[str, str, int], int] = {}
    abutting: Counter = Counter()
    seen = Counter(anchor for passing in first_passing for anchor in _anchors(passing, longest, abutting))
    likely = {anchor for anchor, count in seen.items() if count >= LIKELY_SHARE * len(first_passing)}
    if not likely:
        return []
    abutting.clear()
    anchored = Counter(anchor for record in records
                       for anchor in _anchors(_passing(record, _windows_at(record, likely)), longest, abutting))
    fields: list[tuple[int, int, str, bool]] = []
    # The kinds whose checks say most first: "1" ending a date then a card's 622202 is a mobile
    # number's shape in every record of a bank's own cards, where the card passes Luhn.
    strength = {name: rank for rank, (name, _, _) in enumerate(KINDS)}
    for anchor, count in sorted(anchored.items(), key=lambda item: (strength[item[0][0]], -item[1], item[0])):
        if count < FIELD_SHARE * len(records):
            continue
        name, side, offset = anchor
        start, end = (offset, offset + longest[anchor]) if side == "start" else (offset - longest[anchor], offset)
        if not any(start < e and s < end for s, e, _, _ in fields):
            fields.append((start, end, name, abutting[anchor] > 0))
    return sorted(fields)


def _first_passing(records: list[bytes]) -> list[list[tuple[str, int, int, bool]]]:
    """Return the values passing their checks in every window of the first ``FIRST_RECORDS``."""
    return [_passing(record, _every_window(record)) for record in records[:FIRST_RECORDS]]


def _every_window(record: bytes) -> Iterator[tuple[int, int, int]]:
    """Yield ``(kind, size, start)`` of each window of a value's size in a run of 11 digits or
    more (an ID's X after them). Digit runs, not runs of letters and digits: a log's trace ids
    (16 hex digits) cost 0.3 s in 2,000 logs of lines of one length (measured)."""
    for run in _DIGITS.finditer(record):
        run_start, run_end = run.span()
        for kind, (_, sizes, _) in enumerate(KINDS):
            for size in sizes:
                for start in range(run_start, run_end - size + 1):
                    yield kind, size, start


def _windows_at(record: bytes, anchors: set[tuple[str, str, int]]) -> Iterator[tuple[int, int, int]]:
    """Yield the windows of ``record`` that start or end at ``anchors``."""
    for name, side, offset in anchors:
        kind = next(k for k, (kind_name, _, _) in enumerate(KINDS) if kind_name == name)
        for size in KINDS[kind][1]:
            start = offset if side == "start" else offset - size
            if 0 <= start and start + size <= len(record):
                yield kind, size, start


def _passing(record: bytes, windows: Iterable[tuple[int, int, int]]) -> list[tuple[str, int, int, bool]]:
    """Return ``(kind's column name, start, end, runs into an ASCII letter or digit on either
    side)`` of the windows whose values pass their check."""
    found = []
    for kind, size, start in windows:
        name, _, valid = KINDS[kind]
        end = start + size
        window = record[start:end]
        if (window.isdigit() or name == "证件号码" and window[:-1].isdigit()) and valid(window.decode("ascii")):
            runs_into = start > 0 and record[start - 1] in _ALNUM or end < len(record) and record[end] in _ALNUM
            found.append((name, start, end, runs_into))
    return found


def _anchors(passing: list[tuple[str, int, int, bool]], longest: dict, abutting: Counter
             ) -> set[tuple[str, str, int]]:
    """Return where the values passing their checks start and end, by kind; note the longest
    value seen at each (a left-aligned card field holds 16 to 19 digits), and count those that
    run into another field (``abutting``)."""
    found = set()
    for name, start, end, runs_into in passing:
        for anchor in ((name, "start", start), (name, "end", end)):
            found.add(anchor)
            longest[anchor] = max(longest.get(anchor, 0), end - start)
            abutting[anchor] += runs_into
    return found


def _text_starts(records: list[bytes]) -> set[int]:
    """Return the bytes where a digit field ends and a field of Chinese text starts, unpadded, in
    most records (``PADDING_SHARE``): ``20240601王建国`` is a date and a name, which the record's
    ID makes a PERSON only in a field of its own."""
    starts = Counter(match.end() for record in records for match in _TEXT_START.finditer(record))
    return {at for at, count in starts.items() if count >= PADDING_SHARE * len(records)}


def _paddings(records: list[bytes]) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of the runs of two bytes or more that are spaces in most records
    (``PADDING_SHARE``): a field's padding, the next field starting at its end. One space is a
    separator, not padding: 138 1234 5678 in a field of its own must stay whole."""
    length = len(records[0])
    padded = PADDING_SHARE * len(records)
    spaces = [sum(record[at] == 0x20 for record in records) >= padded for at in range(length)]
    runs, at = [], 0
    while at < length:
        if spaces[at]:
            end = at
            while end < length and spaces[end]:
                end += 1
            if end - at >= 2:
                runs.append((at, end))
            at = end
        else:
            at += 1
    return runs


def _unique(names: tuple[str, ...]) -> tuple[str, ...]:
    """Number the second and later columns of one name: 证件号码, 证件号码2."""
    seen: Counter = Counter()
    unique = []
    for name in names:
        seen[name] += 1
        unique.append(name if seen[name] == 1 else f"{name}{seen[name]}")
    return tuple(unique)
