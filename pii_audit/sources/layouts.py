"""Layout-read files: headerless batch files (批量文件, 对账文件) read as tables under the column
names an ``audit.toml`` ``[[layouts]]`` gives them.

A bank's batch and reconciliation files hold one record a line, no header, each field a fixed
number of bytes (``widths``, in the file's encoding: a GBK character is two) or separated by a
``delimiter``. Read as log lines, a fixed-width record's abutting digit fields (``20240601``
``6222…`` ``1101…``) make one long run of digits, which the scan rejects as it rejects an order
number, and no key names a name or an address. Read with a layout, each field is a cell under its
column's name, as a CSV's cell is under its header: the recognizers' column rules apply.

* Location ``{"path", "line", "column"}``: the line in the file (1-based, skipped lines counted)
  and the layout's column name; ``start``/``end`` are offsets in the field, its padding stripped.
  A line number, not a cell reference (``C12``): a fixed-width file is opened in an editor, where
  a line is found by its number and a column by its name, never by a letter.
* Container ``path!column``: one ledger item per column, as a CSV column's.
* An archive's member a layout matches (``archives.member_layout``) is read the same way from its
  stream (``JYMX_20240601.zip!CUST_20240601.dat``), handed to one worker as a dump is.
* What a record holds beyond the layout (a longer record, a line longer than ``MAX_RECORD_BYTES``)
  is read as a log line's text is, located ``{"path", "line", "offset"}``, the container the file.
* Records of another shape (shorter or longer than the layout, a trailer ``TRL|000123``) are read
  as far as their fields go, bytes that do not decode are replaced: each counted, and said in one
  notice line a file, never one a record. Streamed, ``BLOCK_ROWS`` records at a time; read-only.
"""

from __future__ import annotations

import fnmatch
import io
import os
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

from pii_audit.models import Cells, Chunk, Column
from pii_audit.sources import ScanOptions, TargetCoverage
from pii_audit.sources.encodings import text_encoding
from pii_audit.sources.streams import (CORRUPT_ERRORS, DECOMPRESSORS, Capped, Decompressed, GzipBombError, Replayed,
                                       damage)

BLOCK_ROWS = 1000  # records handed to the detector together, as one block of Cells
MAX_RECORD_BYTES = 1 << 20  # a line longer than this is read in pieces: the rest as text
HEAD_BYTES = 64 << 10  # what the encoding is decided from when the layout names none (as for logs)
TEXT_TABLES = (".csv", ".tsv")  # spreadsheet names a layout may still read (a headerless export)


@dataclass(frozen=True)
class Layout:
    """The record layout of the files some globs match: fixed ``widths`` or a ``delimiter``."""

    files: tuple[str, ...]  # globs, matched as ``matches`` says
    columns: tuple[str, ...]
    widths: tuple[int, ...] = ()  # bytes of each field, in the file's encoding; or ...
    delimiter: str | None = None  # ... the text between two fields
    encoding: str | None = None  # None: UTF-8 or GB18030, decided from the file's first 64 KiB
    skip_lines: int = 0  # lines before the records (a line of totals)
    guessed: bool = False  # from the file's first records (``layout_guess``), not from audit.toml
    # A guessed layout of records of many lengths: "last", the last field holds what a record has
    # after the others (a tail trimmed of its padding, free text); "first", the first field holds
    # what comes before the others, which are counted from the record's end (a field before them
    # not padded to its width). ``widths`` are then those of the longest records the guess saw.
    varying: str | None = None

    def matches(self, path: str) -> bool:
        """Tell whether a glob matches the path, by any of its tails (``batch/a.dat``, ``a.dat``)
        as include globs do; ``**/`` matches no folder too.

        >>> layout = Layout(("**/CUST_*.dat", "batch/*.txt"), ("a",), delimiter="|")
        >>> [layout.matches(p) for p in ("/data/CUST_1.dat", "/d/batch/x.txt", "/d/x.txt")]
        [True, True, False]
        """
        parts = path.replace(os.sep, "/").split("/")
        tails = ["/".join(parts[i:]) for i in range(len(parts))]
        patterns = [p for glob in self.files for p in (glob, glob[3:] if glob.startswith("**/") else None) if p]
        return any(fnmatch.fnmatch(tail, pattern) for pattern in patterns for tail in tails)


def configured_layout(path: str, options: ScanOptions) -> Layout | None:
    """Return the first audit.toml layout whose globs match ``path`` (``Layout.matches``), or None."""
    return next((layout for layout in options.layouts if layout.matches(path)), None)


def layout_for(path: str, options: ScanOptions, kind: str | None = None) -> Layout | None:
    """Return the first layout that matches a file read as text, compressed or not (or a .csv,
    .tsv), else the layout guessed from a text file's first records (``layout_guess``), or None:
    a workbook, a document, a dump or an archive is read as it always is. ``kind`` is the file's
    ``files.file_kind`` when known."""
    from pii_audit.sources.files import file_kind, is_compressed_file
    from pii_audit.sources.layout_guess import guess_layout

    layout = configured_layout(path, options)
    text = (kind or file_kind(path)) == "text"  # a compressed text file too (not a dump: "database")
    if layout is not None:
        kind_ok = text or path.lower().endswith(TEXT_TABLES) and not is_compressed_file(path)
        return layout if kind_ok else None
    if not options.guess_layouts or not text:
        return None
    return guess_layout(path)


@dataclass
class _Tally:
    """What was read of one file, for its coverage and its one notice line."""

    records: int = 0
    cells: list[int] = field(default_factory=list)  # non-empty cells per column
    odd: int = 0  # records of another shape than the layout's
    first_odd: int = 0  # its line
    undecoded: int = 0  # records holding bytes that do not decode
    rest_lines: int = 0  # lines (or pieces) read as text beyond the layout
    lines: int = 0  # of the file, read so far


@dataclass(frozen=True)
class LayoutLocator:
    """``Cells.locate`` of a block of records: a class, so that a block can go to a worker."""

    path: str
    columns: tuple[str, ...]
    lines: list[int]  # of the block's records

    def __call__(self, column: int, row: int) -> dict:
        return {"path": self.path, "line": self.lines[row], "column": self.columns[column]}


def read_layout(path: str, layout: Layout, options: ScanOptions, coverage: TargetCoverage,
                source: BinaryIO | None = None, compression: str = "") -> Iterator[Cells | Chunk]:
    """Yield the records of a layout-read file as blocks of ``Cells``, each field a cell under its
    column's name; what lies beyond the layout as ``Chunk``s of text. ``source`` holds the file's
    bytes when it is no file of its own (an archive's member, ``archives.read_member``, capped):
    read as it comes, a line at a time, never seeking; a read broken off leaves it incomplete.
    A file compressed on disk (gzip, bzip2, xz, zstd) is read so, inflated as it goes, and so is
    a ``source`` that ``compression`` names (a member compressed inside its archive)."""
    try:
        handle = open(path, "rb") if source is None else None
    except OSError as error:
        coverage.problem(path, f"cannot read: {error.strerror or type(error).__name__}")
        return
    from pii_audit.sources.files import compression_of

    on_disk = None
    if source is not None and compression:
        source = Capped(Decompressed(DECOMPRESSORS[compression](source)), options.max_gzip_bytes)
    if handle is not None:
        compression = compression_of(handle.read(8))
        handle.seek(0)
        if compression:  # read as a member's stream is, the file closed at the end
            on_disk, handle = handle, None
            source = Capped(Decompressed(DECOMPRESSORS[compression](on_disk)), options.max_gzip_bytes)
    try:
        yield from _read_records(path, layout, options, coverage, handle, source, compression)
    finally:
        if on_disk is not None:
            on_disk.close()


def _read_records(path: str, layout: Layout, options: ScanOptions, coverage: TargetCoverage,
                  handle: BinaryIO | None, source: BinaryIO | None, compression: str) -> Iterator[Cells | Chunk]:
    """``read_layout`` from the file opened (``handle``) or from ``source``; a compressed file's
    truncation or damage is its problem line, the records before it read."""
    tally = _Tally(cells=[0] * len(layout.columns))
    try:
        head = (handle or source).read(HEAD_BYTES)
    except (EOFError, OSError, *CORRUPT_ERRORS) as error:
        if not compression or isinstance(error, GzipBombError):
            raise
        coverage.problem(path, damage(compression, error, 0))
        return
    encoding = layout.encoding or _encoding(head)
    if handle is not None:
        handle.seek(0)
    else:  # a member cannot seek back: its first bytes come again before the rest
        raw = _Reader(Replayed(head, source))
        handle = io.BufferedReader(raw, HEAD_BYTES)
    coverage.files += 1
    complete = False
    with handle:
        try:
            yield from _records(path, handle, layout, encoding, tally)
            complete = True
        except GzipBombError as error:
            coverage.problem(path, str(error))
        except EOFError:
            if not compression:
                raise
            coverage.problem(path, f"truncated {compression} file: read up to line {tally.lines}")
        except (OSError, *CORRUPT_ERRORS) as error:
            if not compression:  # an archive cut short: the archive's reader tells it
                raise
            coverage.problem(path, damage(compression, error, tally.lines))
        finally:
            coverage.bytes += os.fstat(handle.fileno()).st_size if source is None else raw.bytes
            _record(path, layout, encoding, tally, coverage, complete)


class _Reader(io.RawIOBase):
    """An archive member's bytes as a raw stream, for ``io.BufferedReader`` to read lines from;
    counts them (a member's size is known once it is read)."""

    def __init__(self, stream: BinaryIO):
        self.stream, self.bytes = stream, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        buffer[:len(data)] = data
        self.bytes += len(data)
        return len(data)


def _encoding(head: bytes) -> str:
    return "utf-8" if head.isascii() else text_encoding(head, final=False)


def _records(path: str, handle, layout: Layout, encoding: str, tally: _Tally) -> Iterator[Cells | Chunk]:
    """Yield the file's records block by block; the text of the lines' rests as it comes."""
    rows: list[list[str]] = []
    lines: list[int] = []
    number, continued, line_chars = 0, False, 0  # line_chars: of a long line, the pieces' so far
    try:
        while raw := handle.readline(MAX_RECORD_BYTES):
            piece_of_long_line = continued
            continued = not raw.endswith(b"\n")
            raw = raw.rstrip(b"\r\n")
            if piece_of_long_line:  # the rest of a record longer than MAX_RECORD_BYTES: text
                tally.rest_lines += 1
                text = raw.decode(encoding, "replace")
                yield _rest(path, number, text, line_chars)
                line_chars += len(text)
                continue
            line_chars = len(raw.decode(encoding, "replace")) if continued else 0
            number += 1
            tally.lines = number
            if number <= layout.skip_lines or not raw.strip():
                continue
            fields, rest, shaped, decoded = _fields(raw, layout, encoding)
            tally.records += 1
            if not shaped or continued:
                tally.odd += 1
                tally.first_odd = tally.first_odd or number
            tally.undecoded += not decoded
            rows.append(fields)
            lines.append(number)
            if rest:
                tally.rest_lines += 1
                yield _rest(path, number, rest[1], rest[0])
            if len(rows) >= BLOCK_ROWS:
                yield from _block(path, layout, rows, lines, tally)
                rows, lines = [], []
    except Exception:  # the stream broke off (an archive cut short in this member): the records
        if rows:  # read before the break are still scanned, then the break is told
            yield from _block(path, layout, rows, lines, tally)
        raise
    if rows:
        yield from _block(path, layout, rows, lines, tally)


def _fields(raw: bytes, layout: Layout, encoding: str
            ) -> tuple[list[str], tuple[int, str] | None, bool, bool]:
    """Return a record's fields (as many as the layout has, "" where the record ends first), what
    it holds beyond them (its offset in characters and its text), whether it has the layout's shape
    and whether its bytes decoded."""
    count = len(layout.columns)
    if layout.delimiter is None:
        widths, shaped = _record_widths(layout, len(raw))
        pieces, start = [], 0
        for width in widths:
            pieces.append(raw[start:start + width])
            start += width
        texts, decoded = zip(*(_decoded(piece, encoding) for piece in pieces + [raw[start:]]))
        fields, beyond = [text.strip() for text in texts[:count]], texts[count]
        rest = (sum(len(text) for text in texts[:count]), beyond) if beyond.strip() else None
        return fields, rest, shaped, all(decoded)
    text, decoded = _decoded(raw, encoding)
    fields = text.split(layout.delimiter)
    shaped = len(fields) == count or (len(fields) == count + 1 and not fields[-1].strip())  # `a|b|`
    rest = None
    if len(fields) > count and "".join(fields[count:]).strip():
        kept = layout.delimiter.join(fields[:count]) + layout.delimiter
        rest = (len(kept), text[len(kept):])
    fields = [f.strip() for f in fields[:count]] + [""] * max(0, count - len(fields))
    return fields, rest, shaped, decoded


def _record_widths(layout: Layout, size: int) -> tuple[tuple[int, ...], bool]:
    """Return the widths of the fields of a record of ``size`` bytes, and whether it has the
    layout's shape. A varying field takes what the others leave; a record trimmed into the fields
    before a varying last one is whole (its padding was cut), one too short for the fields after
    a varying first one is not (they are read from its start, as far as they go)."""
    if layout.varying is None:
        return layout.widths, size == sum(layout.widths)
    if layout.varying == "last":
        return (*layout.widths[:-1], max(0, size - sum(layout.widths[:-1]))), True
    spare = size - sum(layout.widths[1:])
    return ((spare, *layout.widths[1:]), True) if spare >= 0 else (layout.widths, False)


def _decoded(data: bytes, encoding: str) -> tuple[str, bool]:
    """Return bytes decoded, and False with replacement characters where they do not decode."""
    try:
        return data.decode(encoding), True
    except UnicodeDecodeError:
        return data.decode(encoding, "replace"), False


def _rest(path: str, line: int, text: str, offset: int) -> Chunk:
    """Return what a record holds beyond its layout, read as a log line's text is."""
    return Chunk(text, {"path": path, "line": line, "offset": offset}, path)


def _block(path: str, layout: Layout, rows: list[list[str]], lines: list[int], tally: _Tally
           ) -> Iterator[Cells]:
    """Yield a block of records as ``Cells``, a column per layout column holding a value."""
    columns, names = [], []
    for index, texts in enumerate(zip(*rows)):
        filled = sum(1 for text in texts if text)
        if filled:
            tally.cells[index] += filled
            name = layout.columns[index]
            columns.append(Column(texts, f"{path}!{name}", (name,)))
            names.append(name)
    if columns:
        yield Cells(columns, LayoutLocator(path, tuple(names), lines))


def _record(path: str, layout: Layout, encoding: str, tally: _Tally, coverage: TargetCoverage,
            complete: bool) -> None:
    """Add what was read of the file to ``coverage`` (its columns incomplete where the read broke
    off); say its odd records in one notice line."""
    coverage.rows += tally.records
    for name, cells in zip(layout.columns, tally.cells):
        record = coverage.container(f"{path}!{name}", "cells")
        record.units += cells
        record.complete = record.complete and complete
        coverage.cells += cells
    if tally.rest_lines or not complete:
        record = coverage.container(path, "lines")
        record.units += tally.rest_lines
        record.complete = record.complete and complete
    said = []
    if layout.guessed:
        said.append(_guessed_fields(layout))
    if tally.odd:
        shape = f"{sum(layout.widths)} bytes" if layout.delimiter is None else f"{len(layout.columns)} fields"
        if layout.varying == "first":
            shape = f"{sum(layout.widths[1:])} bytes at least"
        said.append(f"{tally.odd:,} of {tally.records:,} records not of the layout's {shape} "
                    f"(the first at line {tally.first_odd}); read as far as their fields go")
    if tally.undecoded:
        said.append(f"{tally.undecoded:,} records with bytes that do not decode as {encoding}, replaced")
    if said:
        coverage.notice(path, "; ".join(said))


def _guessed_fields(layout: Layout) -> str:
    """Say a guessed layout's fields by their bytes (1-based; counted back from the record's end,
    -1 its last byte, when the first field's width varies)."""
    said, start = [], 0
    for number, (name, width) in enumerate(zip(layout.columns, layout.widths)):
        first, last = start + 1, start + width
        if layout.varying == "first":
            first, last = first - sum(layout.widths) - 1, last - sum(layout.widths) - 1
            first = 1 if number == 0 else first
        elif layout.varying == "last" and number == len(layout.widths) - 1:
            last = "the record's end"
        said.append(f"{name} bytes {first} to {last}")
        start += width
    frame = " counted from each record's end" if layout.varying == "first" else ""
    return (f"read as fixed-width records{frame}, the layout guessed from the first ones: " + ", ".join(said)
            + " (an audit.toml [[layouts]] entry sets another)")
