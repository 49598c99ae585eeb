"""The detector: a cheap screen over whole chunks, then only the recognizers that could report.

Presidio's ``AnalyzerEngine.analyze()`` per line runs about 1,200 lines/s here. So the detector
first screens a whole chunk in one pass (``pii_audit.screen``: each recognizer's needles, screens
and runs of digits, at hundreds of MB/s) and runs a recognizer only on the lines the screen names
for it; a column that names an entity runs that recognizer on every value. On the lines it runs,
the detector runs exactly what ``AnalyzerEngine`` runs: ``analyze``, ``enhance_using_context``,
the score threshold and ``remove_duplicates``; ``tests/test_detector.py`` proves the two return
the same occurrences.

Tables and sheets arrive as ``Cells``, blocks of rows read column by column: a block is screened
in one pass, one value per line, and a location is built only for a cell that holds an
occurrence; the occurrences come out as from one chunk per cell (tested too).

Raw matched values exist only between ``find`` and ``_emit``; what leaves is masked and fingerprinted.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from functools import lru_cache
from itertools import compress
from typing import Callable, Iterable, Iterator, Sequence

from pii_audit import iso8583, sql_stream
from pii_audit.escapes import (BASE64_MARK, BASE64_MARK_RE, decoded, has_escapes, placed_in, unescape,
                               unescaped_block, unescaped_texts)
from pii_audit.models import Cells, Chunk, Occurrence
from pii_audit.screen import Screen
from pii_audit.sql_dumps import copy_unescaped
from pii_audit.sql_statements import Value, unquoted
from pii_audit.sql_stream import SqlStream, with_block_lines
from recognizers import ALL_RECOGNIZERS, MIN_SCORE, ChineseRecognizer
from recognizers.base import fingerprint, halfwidth_utf8, to_halfwidth
from recognizers.person import RECORD_ENTITIES, RECORD_SCORE, name_in_field
from recognizers.records import DELIMITED
from recognizers.presidio_light import EntityRecognizer, RecognizerResult


# Cells screened together: large enough that one screen pass pays, small enough that a
# source's coverage counts stay current; and at most about this many characters, so that memory
# stays bounded where the values are pieces of a long line (LINE_LIMIT each: 2,048 of them held a
# 150 MB line whole, 1.5 GB of memory, measured).
VALUE_BATCH = 2048
VALUE_BATCH_CHARS = 1 << 20
# Cell texts in which nothing was found, remembered per context (``Detector._analyze_cell``): short
# ones only, and a bounded number of them.
CLEAN_TEXT_CHARS = 64
CLEAN_TEXTS = 16384

# Entities whose values never begin with 0 (a card's issuer, an ID's region, a mobile's 1): in a
# field a column names one of them, digits that begin with zeros are right-aligned padding (a
# fixed-width file's 22-byte card field, ``0006222…``), read past (``Detector._unpadded``). Not a
# landline, whose 0 is its trunk prefix, nor an account (an ICBC account begins with 0200).
UNPADDED_ENTITIES = frozenset({"CN_BANK_CARD", "CN_RESIDENT_ID", "CN_MOBILE_PHONE"})

# What ``Detector.find`` finds: (start, end, score, recognizer, value, already masked). The raw
# value lives only until ``Detector._emit`` has masked and fingerprinted it.
Found = tuple[int, int, float, ChineseRecognizer, str, bool]


def build_recognizers(entities: Sequence[str] = (), scan_date: datetime.date | None = None
                      ) -> list[ChineseRecognizer]:
    """Return an instance of each recognizer, limited to ``entities`` when given."""
    recognizers = []
    for cls in ALL_RECOGNIZERS:
        if entities and cls.ENTITY not in entities:
            continue
        recognizer = cls()
        if hasattr(recognizer, "scan_date"):
            recognizer.scan_date = scan_date
        recognizers.append(recognizer)
    return recognizers


class Detector:
    """Find occurrences of personal information in chunks of text, masked and fingerprinted."""

    def __init__(self, key: bytes, recognizers: Sequence[ChineseRecognizer] | None = None,
                 min_score: float = MIN_SCORE):
        self.key = key
        self.recognizers = list(recognizers) if recognizers is not None else build_recognizers()
        self.min_score = min_score
        self.by_entity = {r.ENTITY: r for r in self.recognizers}
        # The screen marks SQL, and SQL logged with its parameters, too (``_detect_lines``).
        self._screen = Screen(self.recognizers, marks=(sql_stream.MARK, BASE64_MARK, iso8583.MARK, iso8583.DUMP_MARK))
        # Below MIN_SCORE, a value with neither needle nor keyword may be reported: screen nothing.
        self._screening = min_score >= MIN_SCORE
        self._clean: set[tuple[str, tuple[str, ...]]] = set()  # see _analyze_cell
        self._no_names: set[str] = set()  # see _record_name_cells
        self._carried: tuple[tuple[str, str], int, SqlStream] | None = None  # see _sql_stream
        self._piece: tuple[tuple[str, str], int, int, SqlStream] | None = None  # see _sql_piece
        # A delimited record that holds a person's identifier names its name fields (``_record_names``).
        self._person = self.by_entity.get("PERSON") if RECORD_SCORE >= min_score else None
        self._identifying = frozenset(number for number, recognizer in enumerate(self.recognizers)
                                      if recognizer.ENTITY in RECORD_ENTITIES) if self._person else frozenset()

    def detect(self, chunks: Iterable[Chunk | Cells]) -> Iterator[Occurrence]:
        """Yield every occurrence in ``chunks``, in order; single values are screened in batches."""
        batch: list[Chunk] = []
        size = 0  # characters in the batch
        for chunk in chunks:
            if type(chunk) is Cells:
                yield from self._detect_values(batch)
                batch, size = [], 0
                yield from self._detect_cells(chunk)
                continue
            if chunk.multiline:
                yield from self._detect_values(batch)
                batch, size = [], 0
                yield from self.detect_chunk(chunk)
                continue
            piece = self._sql_piece(chunk) if "offset" in chunk.location else None
            if piece is not None:
                yield from self._detect_values(batch)
                batch, size = [], 0
                yield from piece
                continue
            batch.append(chunk)
            size += len(chunk.text)
            if len(batch) >= VALUE_BATCH or size >= VALUE_BATCH_CHARS:
                yield from self._detect_values(batch)
                batch, size = [], 0
        yield from self._detect_values(batch)

    def _detect_values(self, batch: list[Chunk]) -> Iterator[Occurrence]:
        """Screen many cells in one pass over their joined shapes, then analyze the cells hit."""
        if not batch:
            return
        texts, hits, origins = self._screen_values([chunk.text for chunk in batch])
        for index, chunk in enumerate(batch):
            chosen = hits.get(index, frozenset()) | self._named_by_context(chunk.context)
            if chosen:
                found = self._analyze_cell(texts[index], chunk.context, chosen)
                if found:
                    occurrences = self._emit(found, chunk.container, chunk.location)
                    yield from _relocated(occurrences, origins[index]) if index in origins else occurrences

    def _detect_cells(self, cells: Cells) -> Iterator[Occurrence]:
        """Screen a block of columns in one pass, then analyze the cells hit (and every cell of a
        column whose name names an entity); yield row by row, as one chunk per cell would."""
        columns = cells.columns
        if not columns:
            return
        rows = len(columns[0].texts)
        texts, hits, origins = self._screen_values([t for column in columns for t in column.texts])
        named = [self._named_by_context(column.context) for column in columns]
        candidates = set(hits)
        for number, always in enumerate(named):
            if always:
                first = number * rows
                candidates.update(compress(range(first, first + rows), texts[first:first + rows]))
        # Line k of the screen is row k % rows of column k // rows: visit by row, then column
        # (sorting these int keys took 0.4 µs a cell where a (row, k) tuple key took 0.6).
        width = len(columns)
        # A row holding a name in a column whose header names no field: its names are emitted after
        # its other cells, once one of them holds a person's identifier (``_record_name_cells``).
        shaped = self._record_name_cells(columns, texts) if self._identifying else {}
        row_at, identified, taken = -1, False, set()
        for key in sorted([k % rows * width + k // rows for k in candidates]):
            row, number = divmod(key, width)
            if row != row_at:
                if identified:
                    yield from self._row_names(cells, texts, origins, shaped[row_at], taken)
                row_at, identified = row, False
            index = number * rows + row
            hit, always = hits.get(index), named[number]
            chosen = always if hit is None else (hit | always if always else hit)
            if chosen:
                column, text = columns[number], texts[index]
                found = self._analyze_cell(text, column.context, chosen)
                if found:
                    if shaped and row in shaped:
                        identified = identified or _identifies(found)
                        taken.update(index for item in found if item[3] is self._person)
                    occurrences = self._emit(found, column.container, cells.locate(number, row))
                    yield from _relocated(occurrences, origins[index]) if index in origins else occurrences
        if identified:
            yield from self._row_names(cells, texts, origins, shaped[row_at], taken)

    def _record_name_cells(self, columns: list, texts: list[str]) -> dict[int, list[tuple[int, int, int, int, bool]]]:
        """Return {row: [(column, cell index, start, end, masked)]} of the cells holding a name
        (``person.name_in_field``) in the columns whose header names no field: a headerless
        export's row is a delimited record, its names reported where one of its cells holds a
        person's identifier, as ``_record_names`` reads a line.

        A header that names no field may be a value: a headerless export's first row is kept as
        its columns' headers unless the values below look like it (``sources.spreadsheets``)."""
        rows = len(columns[0].texts)
        shaped: dict[int, list[tuple[int, int, int, int]]] = {}
        for number, column in enumerate(columns):
            if not any(recognizer.context_verdict(column.context) for recognizer in self.recognizers):
                first = number * rows
                for row, text in enumerate(texts[first:first + rows]):
                    # A name is Chinese: numbers, dates and amounts cost no call. A column repeats
                    # its statuses and branches: what holds no name is remembered, as in _clean.
                    if text and not text.isascii() and text not in self._no_names:
                        span = name_in_field(text)
                        if span:
                            shaped.setdefault(row, []).append((number, first + row, *span))
                        elif len(text) <= CLEAN_TEXT_CHARS:
                            if len(self._no_names) >= CLEAN_TEXTS:
                                self._no_names.clear()
                            self._no_names.add(text)
        return shaped

    def _row_names(self, cells: Cells, texts: list[str], origins: dict, names: list[tuple[int, int, int, int, bool]],
                   taken: set[int]) -> Iterator[Occurrence]:
        """Yield the names of a row that holds a person's identifier, but where PERSON was found already."""
        rows = len(texts) // len(cells.columns)
        for number, index, start, end, masked in names:
            if index not in taken:
                found = [(start, end, RECORD_SCORE, self._person, texts[index][start:end], masked)]
                occurrences = self._emit(found, cells.columns[number].container, cells.locate(number, index - number * rows))
                yield from _relocated(occurrences, origins[index]) if index in origins else occurrences
        taken.clear()

    def _analyze_cell(self, text: str, context: tuple[str, ...], chosen) -> list[Found]:
        """``find`` in one value, skipping a text already analyzed in this context with no result.

        The recognizers a value runs depend only on its text and context, so what found nothing
        finds nothing again; columns repeat such values (a status, a branch, 已脱敏), and in a
        column that names an entity each of them ran a recognizer. Only texts in which nothing
        was found are remembered, so no personal value is kept.
        """
        key = (text, context)
        if key in self._clean:
            return []
        found = self.find(text, context, chosen)
        if not found and text[:1] == "0" and text.isascii() and text.isdigit():
            found = self._unpadded(text, context)
        if not found and len(text) <= CLEAN_TEXT_CHARS:
            if len(self._clean) >= CLEAN_TEXTS:
                self._clean.clear()
            self._clean.add(key)
        return found

    def _screen_values(self, texts: list[str]) -> tuple[list[str], dict[int, set[int] | frozenset[int]],
                                                       dict[int, tuple[Sequence[int], Sequence[int]]]]:
        """Return the values through ``to_halfwidth``, {value index: recognizers to run} for the
        values the screen hits (every non-empty value when nothing is screened), and for each value
        that held JSON \\u escapes, colour codes or percent-encoding (or an ISO 8583 message,
        ``_read_messages``), now replaced, where its characters were (``escapes.unescape``; for
        values with escapes, worked out for those asked for only: ``_Places``)."""
        if not texts:
            return texts, {}, {}
        stored = texts
        joined = "\n".join(texts)
        origins: dict[int, tuple[Sequence[int], Sequence[int]]] = {}
        if has_escapes(joined):
            texts = list(texts)
            escaped = [index for index, text in enumerate(texts) if has_escapes(text)]
            for index, text in zip(escaped, unescaped_texts([texts[index] for index in escaped])):
                texts[index] = text
            origins = _Places(stored, escaped)
            joined = "\n".join(texts)
        if joined.count("\n") != len(texts) - 1:
            # One line per value: a newline inside a value becomes a space in the screen's copy.
            joined = "\n".join(t.replace("\n", " ") for t in texts)
        # One pass over the joined values: the half-width mapping goes character for character,
        # so it changes the joined text exactly where it changes a value.
        raw = joined.encode("utf-8", "surrogatepass")
        halfwidth = halfwidth_utf8(raw)
        if halfwidth is not raw:
            texts = [to_halfwidth(t) for t in texts]
        if not self._screening:
            every = frozenset(range(len(self.recognizers)))
            return texts, {index: every for index, text in enumerate(texts) if text}, origins
        messages: set[int] = set()
        hits = {index: chosen for index, _, _, chosen in self._screen.candidates(halfwidth, (set(), set(), messages))}
        if messages:
            texts = self._read_messages(stored, list(texts), hits, messages, origins)
        return texts, hits, origins

    def _read_messages(self, stored: list[str], texts: list[str], hits: dict[int, set[int]], messages: set[int],
                       origins: dict[int, tuple[list[int], list[int]]]) -> list[str]:
        """Read the values the screen marks as holding ISO 8583 messages (``messages``) with their
        card fields spaced (``escapes.unescape``): return ``texts`` with them replaced, put where
        each character is in ``stored`` in ``origins``, add to ``hits`` what the screen finds in them."""
        order = sorted(messages)
        for index in order:
            text, starts, ends = unescape(stored[index], messages=True)
            texts[index], origins[index] = to_halfwidth(text), (starts, ends)
        joined = "\n".join(texts[index].replace("\n", " ") for index in order).encode("utf-8", "surrogatepass")
        for line, _, _, chosen in self._screen.candidates(halfwidth_utf8(joined)):
            hits[order[line]] = hits.get(order[line], set()) | chosen
        return texts

    def detect_chunk(self, chunk: Chunk) -> Iterator[Occurrence]:
        """Yield the occurrences in one chunk."""
        always = self._named_by_context(chunk.context)
        if not chunk.multiline:
            if has_escapes(chunk.text):
                yield from self._escaped_occurrences(chunk.text, chunk, chunk.location, always)
                return
            text = to_halfwidth(chunk.text)
            chosen = self._chosen(text, always)
            if chosen:
                yield from self._occurrences(text, chunk, chunk.location, chosen)
            return
        yield from self._detect_lines(chunk, always)

    def _detect_lines(self, chunk: Chunk, always: frozenset[int]) -> Iterator[Occurrence]:
        # Only the candidate lines are decoded: splitting a 1 MiB block into str lines cost more
        # than screening it (measured).
        utf8 = chunk.utf8 if chunk.utf8 is not None else chunk.text.encode("utf-8", "surrogatepass")
        raw = halfwidth_utf8(utf8)
        first_line = chunk.location.get("line", 1)
        # Coloured, escaped and percent-encoded lines: the block is screened without its colour
        # codes and with its \\u escapes and percent-encoding decoded (line by line, a coloured
        # log took ten times as long as the plain one, a JSON log with escapes twenty times,
        # measured); each line hit is read so and located in it as stored.
        stored = None
        unescaped = unescaped_block(raw)
        if unescaped is not raw:  # what was encoded may be full-width
            stored, raw = raw.split(b"\n"), halfwidth_utf8(unescaped)
        sql_lines: set[int] = set()  # lines of SQL: read with the names of their columns
        encoded: set[int] = set()  # lines that may hold base64 or ISO 8583 messages: read decoded
        messages: set[int] = set()  # lines that may hold ISO 8583 messages (``iso8583.MARK``)
        dumped: set[int] = set()  # lines of a hex dump: read joined (``_dumped_occurrences``)
        if always or not self._screening:
            everything = frozenset(range(len(self.recognizers)))
            lines = raw.split(b"\n")
            candidates = [(index, line, everything) for index, line in enumerate(lines)]
            sql_lines = {index for index, line in enumerate(lines) if sql_stream.MARK_RE.search(line)}
            messages = {index for index, line in enumerate(lines) if _MESSAGE_MARK_RE.search(line)}
            encoded = messages | {index for index, line in enumerate(lines) if BASE64_MARK_RE.search(line)}
            dumped = {index for index, line in enumerate(lines) if _DUMP_MARK_RE.search(line)}
        else:
            candidates = [(index, raw[start:end], chosen) for index, start, end, chosen
                          in self._screen.candidates(raw, (sql_lines, encoded, messages, dumped))]
            encoded |= messages
            if encoded:
                candidates = self._screened_decoded(candidates, encoded, messages, sql_lines | dumped)
        names = self._sql_stream(chunk, raw, bool(sql_lines))
        if names is not None:
            candidates = with_block_lines(candidates, raw, names)
        in_dumps = self._dumped_occurrences(candidates, dumped, chunk, always) if dumped else {}
        for index, line, chosen in candidates:
            if in_dumps:
                yield from in_dumps.pop(index, ())
            rewritten = stored is not None and stored[index] != line
            text = (stored[index] if rewritten else line).decode("utf-8", "surrogatepass")
            if text.endswith("\r"):
                text = text[:-1]
            location = {**chunk.location, "line": first_line + index}
            if names is not None and (index in sql_lines or names.in_block):
                yield from self._sql_occurrences(text, chunk, location, always, chosen, names)
            elif index in encoded:  # read decoded, by the recognizers its decoded text wakes
                yield from self._escaped_occurrences(text, chunk, location, always, chosen, index in messages)
            elif rewritten:
                yield from self._escaped_occurrences(text, chunk, location, always, chosen)
            else:
                yield from self._occurrences(text, chunk, location, chosen)

    def _dumped_occurrences(self, candidates: list[tuple[int, bytes, set[int] | frozenset[int]]], dumped: set[int],
                            chunk: Chunk, always: frozenset[int]) -> dict[int, list[Occurrence]]:
        """Return {line index: occurrences} of the card fields of ISO 8583 messages in the hex
        dumps of a block (``iso8583.dumped_fields``), each at the line where it begins."""
        lines = [(index, line.decode("utf-8", "surrogatepass")) for index, line, _ in candidates if index in dumped]
        found: dict[int, list[Occurrence]] = {}
        first_line = chunk.location.get("line", 1)
        for index, value, starts, ends in iso8583.dumped_fields(lines):
            location = {**chunk.location, "line": first_line + index}
            found.setdefault(index, []).extend(self._read_as(value, (starts, ends), chunk, location, always))
        return found

    def _screened_decoded(self, candidates: list[tuple[int, bytes, set[int] | frozenset[int]]], encoded: set[int],
                          messages: set[int], kept: set[int]) -> list[tuple[int, bytes, set[int] | frozenset[int]]]:
        """Screen the lines marked as holding base64 or an ISO 8583 message (``encoded``; those
        of ``messages`` the latter) decoded (``escapes.decoded``), in one pass; add the
        recognizers each wakes to its own. A line whose runs decode to nothing the screen wakes
        for (a JWT of a user id and roles on every line of a gateway's log) is read as the screen
        left it, and left out where that is nothing: a 32 MB log of such lines took 8.0 s where
        it took 0.7 s before base64 was read (``bench/README.md``). ``encoded`` keeps the lines
        to read decoded; the lines in ``kept`` (SQL, hex dumps) are kept whatever they wake."""
        readable = []  # (position in candidates, the line decoded)
        for position, (index, line, _) in enumerate(candidates):
            if index in encoded:
                text = decoded(line, index in messages)
                if text is None:
                    encoded.discard(index)
                else:
                    readable.append((position, text))
        hits = {n: chosen for n, _, _, chosen in
                self._screen.candidates(halfwidth_utf8(b"\n".join(text for _, text in readable)))} if readable else {}
        screened = list(candidates)
        for n, (position, text) in enumerate(readable):
            index, line, chosen = candidates[position]
            if n in hits:
                screened[position] = (index, line, chosen | hits[n])
            else:
                encoded.discard(index)
        return [(index, line, chosen) for index, line, chosen in screened
                if chosen or index in encoded or index in kept]

    def _sql_stream(self, chunk: Chunk, raw: bytes, marked: bool) -> SqlStream | None:
        """Return what the SQL before this block of lines showed: that of the blocks just before
        it in the same file, when this detector read them (a Parameters line may begin the block
        after its Preparing line's, a COPY block's rows run on over many blocks), else nothing
        (None when this block holds no SQL either); carry it on.

        Blocks of one file that go to different workers (a file's 8 MiB ranges, a compressed
        log's blocks) start with nothing: a Parameters or Row line just after such a cut is read
        without its columns' names, as it was before names were given (its ID numbers, mobile
        numbers and cards are still found), at most a statement or two per cut; so are the
        rows of a COPY block cut so, up to its end, which is why a dump (``.sql``) is never cut
        (``sources.files.plan_file``)."""
        where, first = (chunk.container, chunk.location.get("path", "")), chunk.location.get("line", 1)
        carried = self._carried
        stream = carried[2] if carried is not None and carried[:2] == (where, first) else None
        if stream is None and marked:
            stream = SqlStream()
        self._carried = None if stream is None else \
            (where, first + raw.count(b"\n") + (not raw.endswith(b"\n")), stream)
        return stream

    def _sql_piece(self, chunk: Chunk) -> Iterator[Occurrence] | None:
        """Return the occurrences in a piece of a line too long to be read whole, when the line
        is SQL (a dump's extended INSERT of many MB): the first piece read as a line of the
        stream of the lines before it, each next one as more rows of its last INSERT; None for a
        piece of any other line, which is read as a value is."""
        where = (chunk.container, chunk.location.get("path", ""))
        line, offset = chunk.location["line"], chunk.location["offset"]
        piece, carried = self._piece, self._carried
        if offset and piece is not None and piece[:3] == (where, line, offset):
            stream, read = piece[3], piece[3].next_piece
        elif not offset and sql_stream.MARK_TEXT_RE.search(chunk.text):
            stream = carried[2] if carried is not None and carried[:2] == (where, line) else SqlStream()
            read = stream.first_piece
        else:
            return None
        self._piece = (where, line, offset + len(chunk.text), stream)
        self._carried = (where, line + 1, stream)  # the lines after this one, once it ends
        always = self._named_by_context(chunk.context)
        return self._sql_occurrences(to_halfwidth(chunk.text), chunk, chunk.location, always, None, stream, read)

    def _escaped_occurrences(self, text: str, chunk: Chunk, location: dict, always: frozenset[int],
                             chosen: set[int] | frozenset[int] | None = None, messages: bool = False
                             ) -> Iterator[Occurrence]:
        """Yield the occurrences in a line or value with JSON \\uXXXX escapes, colour codes,
        percent-encoding or character references (or ISO 8583 messages, where ``messages``
        says so): found in it unescaped (by the ``chosen`` recognizers, or those its screen
        picks), located in it as stored (``pii_audit.escapes``)."""
        unescaped, starts, ends = unescape(text, messages)
        yield from self._read_as(unescaped, (starts, ends), chunk, location, always, chosen)

    def _sql_occurrences(self, text: str, chunk: Chunk, location: dict, always: frozenset[int],
                         chosen: set[int] | frozenset[int] | None, names: SqlStream,
                         read: Callable[[str], object] | None = None) -> Iterator[Occurrence]:
        """Yield the occurrences in a line of SQL (or of a block of a dump): a MyBatis Parameters
        or Row line read with its values named (its recognizers picked again by the screen), a
        line whose values a column names with each value read under its column's name
        (``_sql_values``), any other as it is (by the ``chosen`` recognizers, or those its screen
        picks: None); unescaped first when it holds escapes, located as stored. ``read`` reads
        the line (``names.read`` unless given)."""
        escaped = has_escapes(text)
        readable, starts, ends = unescape(text) if escaped else (text, None, None)
        read = (names.read if read is None else read)(readable)
        origin = None if starts is None else (starts, ends)
        if type(read) is tuple:  # MyBatis' line, rewritten
            named = read
            origin = named[1:] if starts is None else placed_in((starts, ends), named[1], named[2])
            yield from self._read_as(named[0], origin, chunk, location, always)
        elif read:
            yield from self._sql_values(readable, read, origin, chunk, location, always)
        elif escaped:
            yield from self._read_as(readable, (starts, ends), chunk, location, always, chosen)
        else:
            chosen = self._chosen(text, always) if chosen is None else chosen
            if chosen:
                yield from self._occurrences(text, chunk, location, chosen)

    def _sql_values(self, line: str, values: list[Value], origin: tuple[list[int], list[int]] | None,
                    chunk: Chunk, location: dict, always: frozenset[int]) -> Iterator[Occurrence]:
        """Yield the occurrences in a line of SQL: each value a column names read as a table's
        cell under that column (screened together, as a block of cells is), then the rest of the
        line as it is, its values blanked; located where ``origin`` (None: as read) places the line."""
        texts, places = [], []
        for start, end, _, escaping in values:
            stored = line[start:end]
            text, place = unquoted(stored) if escaping == "'" else \
                copy_unescaped(stored) if escaping == "copy" else (stored, None)
            texts.append(text)
            places.append(place)
        screened, hits, escapes = self._screen_values(texts)
        for index, (start, end, column, _) in enumerate(values):
            context = (column,)
            chosen = hits.get(index, frozenset()) | self._named_by_context(context) | always
            found = self._analyze_cell(screened[index], context, chosen) if chosen else None
            if found:
                placed = _value_placed(start, end, places[index], escapes.get(index), origin)
                yield from _relocated(self._emit(found, chunk.container, location), placed)
        rest = _blanked(line, values)
        chosen = self._chosen(to_halfwidth(rest), always)
        if chosen and origin is None:
            yield from self._occurrences(rest, chunk, location, chosen)
        elif chosen:
            yield from self._read_as(rest, origin, chunk, location, always, chosen)

    def _read_as(self, readable: str, origin: tuple[list[int], list[int]], chunk: Chunk, location: dict,
                 always: frozenset[int], chosen: set[int] | frozenset[int] | None = None) -> Iterator[Occurrence]:
        """Yield the occurrences in ``readable``, a line or value rewritten to be read, found by
        the ``chosen`` recognizers (or those its screen picks), located where ``origin`` places
        its characters in the text as stored."""
        readable = to_halfwidth(readable)
        chosen = self._chosen(readable, always) if chosen is None else chosen
        if chosen:
            yield from _relocated(self._occurrences(readable, chunk, location, chosen), origin)

    def screen(self, text: str) -> dict[int, set[int]]:
        """Return {line index: recognizers to run} for a text (``to_halfwidth`` done): the lines
        where a recognizer may report something without column context, and only those."""
        return self._screen_utf8(text.encode("utf-8", "surrogatepass"))

    def _screen_utf8(self, raw: bytes) -> dict[int, set[int]]:
        """``screen`` for the UTF-8 bytes of a text (``halfwidth_utf8`` done)."""
        return {index: chosen for index, _, _, chosen in self._screen.candidates(raw)}

    def _chosen(self, text: str, always: frozenset[int]) -> set[int] | frozenset[int]:
        """Return the recognizers the screen picks for one value (``to_halfwidth`` done), plus ``always``."""
        if not self._screening:
            return frozenset(range(len(self.recognizers)))
        chosen = set(always)
        for picked in self.screen(text).values():
            chosen.update(picked)
        return chosen

    def _unpadded(self, text: str, context: tuple[str, ...]) -> list[Found]:
        """Return what the recognizers of ``UNPADDED_ENTITIES`` that a column names find in a field
        of digits past its leading zeros (padding), at their place in the field; else nothing."""
        chosen = self._padded_by_context(context)
        digits = text.lstrip("0")
        if not chosen or not digits:
            return []
        pad = len(text) - len(digits)
        return [(start + pad, end + pad, *rest) for start, end, *rest in self.find(digits, context, chosen)]

    @lru_cache(maxsize=4096)
    def _padded_by_context(self, context: tuple[str, ...]) -> frozenset[int]:
        """Return the recognizers of ``UNPADDED_ENTITIES`` that a column name or header names."""
        return frozenset(n for n in self._named_by_context(context)
                         if self.recognizers[n].ENTITY in UNPADDED_ENTITIES)

    @lru_cache(maxsize=4096)
    def _named_by_context(self, context: tuple[str, ...]) -> frozenset[int]:
        """Return the recognizers that a column name or header names: they run on every value."""
        if not context:
            return frozenset()
        return frozenset(n for n, r in enumerate(self.recognizers) if r.context_verdict(context) > 0)

    def analyze(self, text: str, context: Sequence[str] = (), chosen: Iterable[int] | None = None
                ) -> list[RecognizerResult]:
        """Return what ``AnalyzerEngine.analyze(text, "zh", context=..., score_threshold=min_score)``
        returns with these recognizers (or the ``chosen`` ones), without Presidio's per-call cost.

        ``text`` must already have gone through ``recognizers.base.to_halfwidth``.
        """
        results = [recognizer.presidio_result(start, end, score, value, masked)
                   for start, end, score, recognizer, value, masked in self.find(text, context, chosen)]
        return sorted(results, key=_presidio_order) if len(results) > 1 else results

    def find(self, text: str, context: Sequence[str] = (), chosen: Iterable[int] | None = None
             ) -> list[Found]:
        """Return what ``analyze`` finds, as ``Found`` tuples in the order of their positions
        (start, then entity): the detector's own path, which builds no Presidio result.

        ``text`` must already have gone through ``recognizers.base.to_halfwidth``.
        """
        context = tuple(context)  # the recognizers' verdict caches are keyed by a tuple
        numbers = range(len(self.recognizers)) if chosen is None else chosen
        found: list[Found] = []
        for number in numbers:
            recognizer = self.recognizers[number]
            for start, end, score, value, masked in recognizer.found_halfwidth(text, context):
                if score >= self.min_score:
                    found.append((start, end, score, recognizer, value, masked))
        # A name is Chinese and a record delimited: two tests in C spare most lines a call.
        if found and self._person is not None and not text.isascii() and DELIMITED.search(text):
            found += self._record_names(text, found)
        if len(found) > 1:
            found = _without_duplicates(found)
        return found

    def _record_names(self, text: str, found: list[Found]) -> list[Found]:
        """Return the names of the delimited records in ``text`` that hold a person's identifier
        ``found`` reports (``PersonRecognizer.record_found``), as ``enhance_using_context`` adds
        them in Presidio's AnalyzerEngine (``find`` asks only about a line where it found
        something, that holds Chinese and a delimiter)."""
        if not _identifies(found):
            return []
        identifiers = [(start, end) for start, end, score, recognizer, _, _ in found
                       if score >= MIN_SCORE and recognizer.ENTITY in RECORD_ENTITIES]
        return [(start, end, score, self._person, value, masked)
                for start, end, score, value, masked in self._person.record_found(text, identifiers)]

    def _occurrences(self, text: str, chunk: Chunk, location: dict, chosen) -> Iterator[Occurrence]:
        found = self.find(text, chunk.context, chosen)
        return self._emit(found, chunk.container, location) if found else iter(())

    def _emit(self, found: list[Found], container: str, location: dict) -> Iterator[Occurrence]:
        """Turn what ``find`` found into masked, fingerprinted occurrences, in its order."""
        for start, end, score, recognizer, value, masked in found:
            # Normalised once for both the mask check and the fingerprint (it was done twice).
            normalized = recognizer.normalize(value)
            yield Occurrence(
                entity_type=recognizer.ENTITY,
                score=score,
                masked=value if masked else _safe_mask(recognizer, value, normalized),
                fingerprint=fingerprint(recognizer.ENTITY, normalized, self.key),
                risk=recognizer.risk_of_found(value, masked),
                location=_shown_location(location, start, end),
                container=mask_pi(container),
                already_masked=masked,
            )


class _Places(dict):
    """{value index: where each character of its text as read was in the value as stored}, for
    the values of a batch rewritten to be read (``escaped``: their escapes replaced): worked out
    (``escapes.unescape``) when a value's occurrences are placed, not for every such value: a
    table's column of JSON bodies with escapes took 33-34 µs a row to detect, 29-30 so, the same
    bodies plain 21 (measured)."""

    def __init__(self, stored: list[str], escaped: list[int]):
        super().__init__()
        self.stored, self.escaped = stored, set(escaped)

    def __contains__(self, index: object) -> bool:
        return index in self.escaped or super().__contains__(index)

    def __missing__(self, index: int) -> tuple[Sequence[int], Sequence[int]]:
        if index not in self.escaped:
            raise KeyError(index)
        _, starts, ends = unescape(self.stored[index])
        self[index] = (starts, ends)
        return starts, ends

    def get(self, index: int, default=None):
        """Return the places of value ``index``, or ``default`` where it was not rewritten."""
        return self[index] if index in self else default


_MESSAGE_MARK_RE = re.compile(iso8583.MARK)
_DUMP_MARK_RE = re.compile(iso8583.DUMP_MARK)


def _identifies(found: list[Found]) -> bool:
    """Tell whether ``found`` holds a person's identifier (``person.RECORD_ENTITIES``), reported."""
    return any(score >= MIN_SCORE and recognizer.ENTITY in RECORD_ENTITIES for _, _, score, recognizer, _, _ in found)


def _value_placed(start: int, end: int, place: list[int] | None, escapes: tuple[list[int], list[int]] | None,
                  origin: tuple[list[int], list[int]] | None) -> tuple[list[int], list[int]]:
    """Return where each character of a value read from a line starts and ends in the line as
    stored: the value is at ``start``-``end`` of the line as read, ``place`` says where each of
    its characters begins there once its quoting is undone, ``escapes`` where each character of
    it unescaped is (``escapes.unescape``), ``origin`` where the line read is in the line stored."""
    if place is None:
        starts, ends = list(range(start, end)), list(range(start + 1, end + 1))
    else:
        starts = [start + offset for offset in place]
        ends = starts[1:] + [end]
    if escapes is not None:
        starts, ends = placed_in((starts, ends), *escapes)
    if origin is not None:
        starts, ends = placed_in(origin, starts, ends)
    return starts, ends


def _blanked(line: str, values: list[Value]) -> str:
    """Return ``line`` with each of ``values`` replaced by as many spaces (read once, as a cell)."""
    pieces, done = [], 0
    for start, end, _, _ in sorted(values):
        pieces += [line[done:start], " " * (end - start)]
        done = end
    pieces.append(line[done:])
    return "".join(pieces)


def _relocated(occurrences: Iterable[Occurrence], origin: tuple[list[int], list[int]]) -> Iterator[Occurrence]:
    """Move occurrences found in an unescaped text to their offsets in the text as stored, where
    ``origin`` holds where each of its characters starts and ends (``escapes.unescape``)."""
    starts, ends = origin
    for occurrence in occurrences:
        start, end = occurrence.location["start"], occurrence.location["end"]
        yield dataclasses.replace(occurrence, location={**occurrence.location, "start": starts[start],
                                                        "end": ends[end - 1]})


# The names in a location that its source took from the scanned data: a file, a sheet (a workbook
# with a sheet per customer, named by ID number), a table or a column; a part of a document (a
# zip member's name, an attachment's, which the file chose) and a custom property's name.
_NAMED = ("path", "sheet", "table", "column", "part", "property")


def _shown_location(location: dict, start: int, end: int) -> dict:
    """Return an occurrence's location, with personal information in its names masked."""
    shown = {**location, "start": start, "end": end}
    for name in _NAMED:
        if name in shown:
            shown[name] = mask_pi(shown[name])
    return shown


def _without_duplicates(found: list[Found]) -> list[Found]:
    """Return ``found`` less what ``EntityRecognizer.remove_duplicates`` drops, by position.

    It drops values scoring 0, equal values and values inside another of the same entity that
    scores as much. When no two values of one entity overlap or touch and none scores 0 it drops
    nothing: then this only sorts them, without building Presidio's results (measured: 2.5 µs
    where its sorting and grouping took 7.2 µs for three values).
    """
    ordered = sorted(found, key=_entity_span)
    for previous, item in zip(ordered, ordered[1:]):
        if item[3].ENTITY == previous[3].ENTITY and item[0] <= previous[1]:
            return _presidio_removed(found)
    if any(item[2] == 0 for item in found):
        return _presidio_removed(found)
    return sorted(found, key=_position)


def _presidio_removed(found: list[Found]) -> list[Found]:
    """``_without_duplicates`` by Presidio's own ``remove_duplicates``: what it keeps, in its order, then by position."""
    results, items = [], {}
    for item in found:
        start, end, score, recognizer, value, masked = item
        result = recognizer.presidio_result(start, end, score, value, masked)
        results.append(result)
        items[id(result)] = item
    # remove_duplicates returns some of the result objects it is given (of equal ones, one).
    return sorted((items[id(result)] for result in EntityRecognizer.remove_duplicates(results)),
                  key=_position)


def _entity_span(item: Found) -> tuple[str, int, int]:
    return item[3].ENTITY, item[0], item[1]


def _position(item: Found) -> tuple[int, str]:
    return item[0], item[3].ENTITY


def _presidio_order(result: RecognizerResult) -> tuple[float, int, int]:
    return -result.score, result.start, result.start - result.end


def _safe_mask(recognizer: ChineseRecognizer, value: str, normalized: str) -> str:
    """Return the recognizer's mask, or all stars should that mask still show the whole value."""
    masked = recognizer.mask(value)
    if value in masked or normalized in masked:
        return "*" * len(value)
    return masked


@lru_cache(maxsize=1)
def _plain_detector() -> Detector:
    return Detector(key=b"")


def holds_pi(text: str) -> bool:
    """Tell whether the recognizers report anything in ``text`` on its own, with no context.

    Sources ask it before they write a value into a location or a container name (a resident ID
    used as a primary key, a headerless sheet whose first row is data).

    >>> holds_pi("KH00000001"), holds_pi("身份证号码"), holds_pi("11010519491231002X")
    (False, False, True)
    """
    detector = _plain_detector()
    text = to_halfwidth(text)
    chosen = detector._chosen(text, frozenset())
    return bool(chosen) and bool(detector.find(text, (), chosen))


def unscored_entities(text: str) -> frozenset[str]:
    """Return the entities the recognizers find in ``text`` before any score is applied: a bare
    name or address counts, which PERSON and CN_ADDRESS report only in context.

    >>> sorted(unscored_entities("王建国")), sorted(unscored_entities("身份证号码"))
    (['PERSON'], [])
    """
    halfwidth = to_halfwidth(text)
    return frozenset(r.ENTITY for r in _plain_detector().recognizers if r.analyze_halfwidth(halfwidth))


@lru_cache(maxsize=4096)
def binary_as_hex(column: str) -> bool:
    """Tell whether a recognizer may find its entity in the bytes of a binary value under this
    column, read as hex (``ChineseRecognizer.holds_binary``: an encrypted CVN, a face template).

    >>> binary_as_hex("cvv2_enc"), binary_as_hex("face_feature"), binary_as_hex("photo")
    (True, True, False)
    """
    return any(r.holds_binary(column) for r in _plain_detector().recognizers)


def names_a_field(text: str) -> bool:
    """Tell whether a recognizer takes ``text`` as a column's name, for it (姓名) or against it.

    >>> names_a_field("姓名"), names_a_field("余额"), names_a_field("王建国")
    (True, True, False)
    """
    return any(r.context_verdict((text,)) for r in _plain_detector().recognizers)


@lru_cache(maxsize=4096)
def mask_pi(text: str) -> str:
    """Return ``text`` with every value the recognizers report in it on their own shown masked.

    Sources record paths and names (a log file named after a customer's ID number, a folder named
    after a phone number) in locations, containers and problems; those go to the ledger and the
    reports, so they pass through here first.

    >>> mask_pi("/logs/客户11010519491231002X/app.log")
    '/logs/客户110105********002X/app.log'
    """
    detector = _plain_detector()
    halfwidth = to_halfwidth(text)
    chosen = detector._chosen(halfwidth, frozenset())
    found = detector.find(halfwidth, (), chosen) if chosen else []
    if not found:
        return text
    pieces, done = [], 0
    for start, end, _, recognizer, value, masked in found:
        if start < done:
            continue
        shown = value if masked else _safe_mask(recognizer, value, recognizer.normalize(value))
        pieces += [text[done:start], shown]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)
