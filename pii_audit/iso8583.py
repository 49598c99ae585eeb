"""Card numbers and track data inside ISO 8583 messages, as a payment front end logs them.

A bank's POS and ATM front-end processors (POSP, ATMP, 前置) and its switch to UnionPay exchange
ISO 8583 messages, and log them whole, written in hex or as text: a message type (``0200``), a
bitmap of the fields present (16 hex digits; 32 when a secondary bitmap follows), then the fields
glued together. Field 2, the card number, and field 35, track 2 (the card number, ``D`` or ``=``,
the expiry date, the service code), each come as a length of two digits and then the digits
(packed BCD written in hex, or ASCII)::

    0200 7020048000C00000 16 6222021234567894 000000 …        (the message's parts)
    02007020048000C00000166222021234567894000000…             (as a front end logs it)

Glued so, the card number is one piece of a long run of hex digits, which the recognizers take
whole (so that an order number or a hash is no card): every card a front end logged was missed.
``card_fields`` finds where those two fields are, by the message's own lengths; the detector
reads such a run with a space on either side of each (``escapes``), so the card and track
recognizers find, validate and mask them as they do anywhere else.

Field 2 follows the bitmap, when its bit 2 is set; field 35 is found by its shape (13-19 digits,
the separator, seven digits), its length the two digits before it, its card number whichever
length the track's check passes (``card_track_data.is_valid``): finding it by the message's
layout would need every field before it, whose formats differ between networks.

A chip card's data (EMV tags: a tag, its value's length in bytes, the value) holds the card
number again (tag 5A) and its track 2 equivalent (tag 57): in field 55 of some networks'
messages, in a terminal's kernel log of the records it read from the chip, in a card
personalisation file. Each is found by its tag and length, wherever it stands in a run.
"""

from __future__ import annotations

import bisect
import itertools
import re

from recognizers import card_track_data

# Field 2's length (13-19) with 13 digits after it, where the field may begin: what is looked for
# first, at each 1 (a lookahead: where a false start overlaps the true one, both are tried).
_LENGTH = re.compile(r"1(?=[3-9][0-9]{13})")
# What must come just before it: a message's type (version 0-2, class 1-9, function, origin) and a
# bitmap saying field 2 is present (bit 2: its first hex digit is 4-7, or C-F where bit 1 says a
# secondary bitmap follows), with a letter among its hex digits (a bitmap of digits only is more
# likely a run of an order number's digits: in 20,000 such numbers of 40 digits, two held a valid
# card where the "length" said). Looked for from each such start, a message's whole shape took
# 7.7 µs over one logged message of 120 hex digits, ``re`` trying it at each 0, 1 and 2; from its
# length, 2.4 (measured).
_PRIMARY = re.compile(r"[0-2][1-9][0-9]{2}[4-7][0-9A-Fa-f]{15}")
_SECONDARY = re.compile(r"[0-2][1-9][0-9]{2}[C-Fc-f][0-9A-Fa-f]{31}")
# Track 2's separator with its expiry date and service code after it (the card number before it
# is ``_track_2``'s to find).
_TRACK_2_SEPARATOR = re.compile(r"[=Dd](?=[0-9]{7})")
_TRACK_2_LONGEST = 37  # ISO/IEC 7813: a track 2 holds at most 37 characters
_CARD_LENGTHS = (16, 19, 17, 18, 15, 14, 13)  # the common ones first
# A chip card's card number (EMV tag 5A) and its track 2 equivalent (tag 57), as field 55 (IC
# data) holds them, or IC data logged on its own: the tag, the value's length in bytes (hex), then
# the value in packed BCD, padded with an F to whole bytes (57: the card number, D, the expiry date,
# the service code, discretionary digits). A front end that masks field 2 may log field 55 whole.
_EMV_TAG = re.compile(r"5[Aa](0[7-9Aa])|57(0[89A-Fa-f]|1[0-3])")
# A run of hex digits that may hold a message (the shortest: type, bitmap, a 13-digit field 2),
# with ``=`` in it where a track is logged as text.
RUN = re.compile(r"[0-9A-Fa-f][0-9A-Fa-f=]{34,}")
# Hex digits enough for such a message written as its ASCII bytes' hex digits.
_ASCII_MESSAGE_DIGITS = 70
# The lines that may hold a message, for the detector's screen: 15 decimal digits (a card field's
# length and 13 digits at least; written as its ASCII bytes' hex digits, each byte 3x) and 20 hex
# digits more (the fields after it: a processing code, an amount, a trace number), or a track
# glued to what is before it. Over the bench logs, 2 MB, Hyperscan's pass took 10.0 ms without it,
# 10.7 with it, 12.5 with the message's whole shape (type, bitmap, length) and 11.9 with any 36
# hex digits, which also found every SHA-256 or SM3 digest and ciphertext in hex: each such line
# then cost 9 µs to rule out (measured). Matched where the run ends, the hex digits running on to
# it: else Hyperscan reports each of its characters past the 35th (a 40-digit order number on
# every line: 20 µs a line). Session 23's mark held exactly 20 hex digits before the end, so a
# message was read only where the 15 digits 35 from its end were decimal: a chip purchase, which
# ends with its IC data (field 55, letters among its digits) and a MAC, was missed. A line of 512
# hex digits of ciphertext, 35% of which now hold 15 decimal digits somewhere, costs 7.7 µs where
# it cost 4.4 (measured).
MARK = rb"(?m)[0-9]{15}[0-9A-Fa-f]{20,}(?:[^0-9A-Fa-f\n]|$)|[0-9A-Fa-f][0-9]{15}[=Dd][0-9]{7}"


def card_fields(run: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of each field 2 and field 35 in a run of hex digits or text that
    holds ISO 8583 messages, and of each EMV tag 5A and 57 (``_emv_value``), in order: the digits
    a field's length says, not the length itself.

    >>> run = "600003000002007020048000C00000166222021234567894000000"
    >>> [run[start:end] for start, end in card_fields(run)]
    ['6222021234567894']
    >>> run = "02003020048020C00000000000000000010000376222021234567894D25121010000000000000F"
    >>> [run[start:end] for start, end in card_fields(run)]
    ['6222021234567894D25121010000000000000']
    >>> card_fields("4f2a9c0e7b1d3a5f6e8c0b2d4f6a8c0e1b3d5f7a9c0e2b4d6f8a0c2e4b6d8f0a")  # a hash
    []
    >>> run = "9F3602012357136222021234567894D25122010000012345678F5A0A6222021234567894123F5F2403"
    >>> [run[start:end] for start, end in card_fields(run)]
    ['6222021234567894D25122010000012345678F', '6222021234567894123']
    """
    if run.isdigit():  # a bitmap holds a letter, a track its separator: an order number (6.6 µs saved)
        return []
    spans = set()
    for length_at in (match.start() for match in _LENGTH.finditer(run)):
        if (length_at >= 20 and _PRIMARY.fullmatch(run, length_at - 20, length_at)
                and not run[length_at - 16:length_at].isdigit()) or \
                (length_at >= 36 and _SECONDARY.fullmatch(run, length_at - 36, length_at)):
            length = int(run[length_at:length_at + 2])
            digits = run[length_at + 2:length_at + 2 + length]
            if len(digits) == length and digits.isdigit():
                spans.add((length_at + 2, length_at + 2 + length))
    for separator in (match.start() for match in _TRACK_2_SEPARATOR.finditer(run)):
        track = _track_2(run, separator) if separator >= 15 and run[separator - 15:separator].isdigit() else None
        if track is not None:
            spans.add(track)
    spans.update(span for span in map(_emv_value, itertools.repeat(run), _EMV_TAG.finditer(run)) if span)
    # One inside another is no field of its own: tag 57's length 13 (19 bytes) before a card
    # number looks like field 2's after a bitmap.
    return sorted(span for span in spans if not any(o != span and o[0] <= span[0] and span[1] <= o[1] for o in spans))


def _emv_value(run: str, tag: re.Match) -> tuple[int, int] | None:
    """Return where the value of an EMV tag 5A or 57 (``_EMV_TAG``) begins and ends in ``run``
    (a card number without its F pad; a track 2 equivalent with it); None where what follows
    the tag is no such value."""
    start, size = tag.end(), 2 * int(tag.group(1) or tag.group(2), 16)
    value = run[start:start + size].upper()
    if len(value) < size:  # the run ends first
        return None
    digits = value[:-1] if value.endswith("F") else value
    if tag.group(1):  # 5A: the card number
        return (start, start + len(digits)) if 13 <= len(digits) <= 19 and digits.isdigit() else None
    card, separator, rest = digits.partition("D")
    fits = separator and 13 <= len(card) <= 19 and card.isdigit() and len(rest) >= 7 and rest.isdigit()
    return (start, start + len(value)) if fits else None


def _track_2(run: str, separator: int) -> tuple[int, int] | None:
    """Return where the track 2 whose separator is at ``separator`` begins and ends: its card
    number the digits before, as many as the track's check passes with, its length the two
    digits before them; None when no length fits."""
    for card_length in _CARD_LENGTHS:
        start = separator - card_length
        declared = run[start - 2:start] if start >= 2 else ""
        if not declared.isdigit() or not card_length + 8 <= int(declared) <= _TRACK_2_LONGEST:
            continue
        end = start + int(declared)
        track = run[start:end].upper()
        if end <= len(run) and track[card_length + 1:].isdigit() and card_track_data.is_valid(track):
            return start, end
    return None


def spaced(run: str, offset: int = 0) -> tuple[str, list[int], list[int]] | None:
    """Return a run with a space before and after each of its ``card_fields`` (a track's hex
    digits upper-cased; a field of a message written as its ASCII bytes' hex digits, its
    characters), and where each character of the result starts and ends in the text the run
    begins at ``offset`` of (an added space: nowhere, at the field's edge); None when it holds none.

    >>> spaced("02007020048000C000001662220212345678940000")[0]
    '02007020048000C0000016 6222021234567894 0000'
    >>> spaced("02007020048000C0000016622202123456789400".encode().hex())[0][-24:]
    '36 6222021234567894 3030'
    """
    fields = [(start, end, run[start:end].upper(), 1) for start, end in card_fields(run)] or _ascii_fields(run)
    if not fields:
        return None
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    done = 0
    for start, end, text, width in fields:
        if start < done:  # overlapping the field before (a track inside a longer field 2): left as it is
            continue
        pieces += (run[done:start], " ", text, " ")
        starts.extend(range(offset + done, offset + start))
        starts.append(offset + start)
        starts.extend(range(offset + start, offset + end, width))
        starts.append(offset + end)
        ends.extend(range(offset + done + 1, offset + start + 1))
        ends.append(offset + start)
        ends.extend(range(offset + start + width, offset + end + 1, width))
        ends.append(offset + end)
        done = end
    pieces.append(run[done:])
    starts.extend(range(offset + done, offset + len(run)))
    ends.extend(range(offset + done + 1, offset + len(run) + 1))
    return "".join(pieces), starts, ends


def _ascii_fields(run: str) -> list[tuple[int, int, str, int]]:
    """Return ``(start, end, text, 2)`` of each card field of a message written as its ASCII
    bytes' hex digits in ``run`` (``3136 3632…``: "16", "62…"): where its hex digits are, its text."""
    fields = []
    piece_start = 0
    for piece in run.split("="):
        if len(piece) >= _ASCII_MESSAGE_DIGITS and "3" in piece:  # every ASCII digit's byte is 3x
            for skip in (0, 1)[:1 + len(piece) % 2]:  # odd: a digit too many at one end
                digits = piece[skip:skip + (len(piece) - skip) // 2 * 2]
                as_text = bytes.fromhex(digits).decode("latin-1")
                first = piece_start + skip
                fields += [(first + 2 * start, first + 2 * end, as_text[start:end].upper(), 2)
                           for start, end in card_fields(as_text)]
        piece_start += len(piece) + 1
    return sorted(set(fields))


# A line of a hex dump: an offset (``0000:``, ``[0010]``, hexdump -C's ``00000010``), then bytes
# two hex digits each, one or two spaces apart, then perhaps the bytes as characters. jPOS's
# ``ISOUtil.hexdump``, a front end's own, ``hexdump -C``. The offset begins the line, or follows a
# space or tab: a front end written in C may log each row on its own, behind the log's time,
# level and thread.
_DUMP_LINE = re.compile(r"(?:^|(?<=[ \t]))[ \t]*[\[<]?([0-9A-Fa-f]{4,8})[\]>]?:?[ \t]+"
                        r"((?:[0-9A-Fa-f]{2}[ \t]{1,2}){1,63}[0-9A-Fa-f]{2})(?![0-9A-Za-z])")
_BYTE = re.compile(r"[0-9A-Fa-f]{2}")
# The same for the detector's screen, with eight bytes at least; behind a prefix, the offset with
# its colon and its last digit 0 or 8 (rows of 16 or 32 bytes, or 8: ``0010:``). Hyperscan's pass
# over 2 MB of the bench logs took 127.7 M instructions with rows at a line's start only, and the
# same with this; 132.2 M where any offset behind a space or tab was marked, 134.6 M where
# ``[0010]`` was too. Over the same logs as JSON lines, where ``": "`` is everywhere: 158.1 M, and
# the same with this; 180.9 M where any offset with its colon was (measured).
_DUMP_BYTES = rb"[ \t]+(?:[0-9A-Fa-f]{2}[ \t]{1,2}){7}[0-9A-Fa-f]{2}"
DUMP_MARK = (rb"(?m)^[ \t]*[\[<]?[0-9A-Fa-f]{4,8}[\]>]?:?" + _DUMP_BYTES
             + rb"|[ \t][\[<]?[0-9A-Fa-f]{3,7}[08]:" + _DUMP_BYTES)
_WIDEST_LINE = 32  # bytes on a dump line whose width its offsets do not tell (a one-line dump)


def dumped_fields(lines: list[tuple[int, str]]) -> list[tuple[int, str, list[int], list[int]]]:
    """Return ``(line index, value, starts, ends)`` of each card field (``card_fields``) in hex
    dumps, given the lines of a block that may be dump lines as ``(index, text)``: the bytes of
    consecutive dump lines joined, read as hex (packed BCD) and as characters (an ASCII message),
    each field on the line where it begins, where each of its characters starts and ends there
    (the characters past a line break the dump cut it at: over that line's last digit).

    >>> dump = ["0000: 60 00 03 00 00 00 02 00 70 20 04 80 00 C0 00 00  `.......p ......",
    ...         "0010: 16 62 22 02 12 34 56 78 94 00 00 00 00 00 00 01  .b\\"..4Vx........"]
    >>> [(index, value, starts[0], ends[-1]) for index, value, starts, ends in dumped_fields(list(enumerate(dump)))]
    [(1, '6222021234567894', 9, 32)]
    """
    found = []
    for block in _dump_blocks(lines):
        hex_digits = "".join(digits for _, digits, _ in block)
        firsts = list(itertools.accumulate((len(digits) for _, digits, _ in block), initial=0))
        as_text = bytes.fromhex(hex_digits).decode("latin-1")
        for text, width in ((hex_digits, 1), (as_text, 2)):
            for start, end in card_fields(text):
                number = bisect.bisect_right(firsts, start * width) - 1  # the line where it begins
                index, digits, match = block[number]
                columns, first, last = _columns(match, len(digits)), firsts[number], firsts[number + 1] - 1
                starts = [columns[min(k, last) - first] for k in range(start * width, end * width, width)]
                ends = [columns[min(k + width - 1, last) - first] + 1 for k in range(start * width, end * width, width)]
                found.append((index, text[start:end].upper(), starts, ends))
    return found


def _dump_blocks(lines: list[tuple[int, str]]) -> list[list[tuple[int, str, re.Match]]]:
    """Return the runs of consecutive dump lines, each line as ``(index, its bytes' hex digits,
    its match)``: as many bytes as the offsets say a line holds."""
    blocks: list[list[tuple[int, str, re.Match]]] = []
    parsed = [(index, _DUMP_LINE.search(text)) for index, text in lines]
    for number, (index, match) in enumerate(parsed):
        if match is None:
            continue
        width = _line_width(match, parsed[number + 1] if number + 1 < len(parsed) else None, index)
        digits = match.group(2).replace(" ", "").replace("\t", "")[:2 * width]
        previous = parsed[number - 1] if number else None
        if blocks and previous is not None and previous[0] == index - 1 and previous[1] is not None:
            blocks[-1].append((index, digits, match))
        else:
            blocks.append([(index, digits, match)])
    return blocks


def _columns(match: re.Match, count: int) -> list[int]:
    """Return the column of each of the first ``count`` hex digits of a dump line's bytes."""
    columns = []
    for byte in _BYTE.finditer(match.group(2)):
        columns += (match.start(2) + byte.start(), match.start(2) + byte.start() + 1)
        if len(columns) >= count:
            break
    return columns


def _line_width(match: re.Match, following: tuple[int, re.Match | None] | None, index: int) -> int:
    """Return how many bytes a dump line holds: the difference of its offset and the next line's,
    else ``_WIDEST_LINE`` (the next line is no dump line, or not the next)."""
    if following is None or following[1] is None or following[0] != index + 1:
        return _WIDEST_LINE
    width = int(following[1].group(1), 16) - int(match.group(1), 16)
    return width if 0 < width <= 64 else _WIDEST_LINE
