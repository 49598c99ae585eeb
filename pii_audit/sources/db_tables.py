"""Read one database table as a stream of cells worth scanning, sampled or in full.

What is scanned: text-like columns (CHAR, VARCHAR, TEXT, ENUM, JSON, and SQLite columns with no
declared type), integer columns (INTEGER, BIGINT: phone numbers are stored as BIGINT) and
decimals with no fraction (NUMERIC(20,0): card numbers are stored so), but only integer values
of seven or more digits; PostgreSQL arrays of those (``phones text[]``, read as their JSON text)
and INET addresses (a customer's login address is an IP_ADDRESS); types SQLAlchemy does not know
(MariaDB's INET6 and INET4 among them) as their text; and binary columns (BLOB, BYTEA,
VARBINARY), whose values are often text a system stored as bytes (a request's JSON or XML, GBK
text kept out of a UTF-8 column): each value's first ``BINARY_PREFIX`` bytes are selected, and
read as a log file's are when they are text (``files.sniff``: UTF-8, GB18030, UTF-16); binary
values (a photo, a file) are counted and named in one notice a column, as is a value cut at the
prefix; but under a column whose name says it holds authentication data kept as bytes (an
encrypted CVN or track, a PIN block, a face or fingerprint template: ``detector.binary_as_hex``)
such a value is handed on as its hex, so the recognizers report it, masked, and its bytes go
nowhere else. A binary value that is a document (a PDF, an Office file, a saved e-mail) is read as the
file it is (``db_documents``), its findings located at its row and column; so is an image (a scan
of an ID card, told by its first bytes) with --ocr, by OCR (``images``), and without it is counted
among the target's images not read. Skipped: floats,
decimals with a fraction (amounts), SMALLINT, booleans, dates and times, UUIDs, CIDR networks,
and arrays of what is skipped.

The cells are handed on as ``Cells``, a block of ``YIELD_PER`` rows read column by column; the
detector screens each block in one pass and locations are built only for cells that hold a finding.
"""

from __future__ import annotations

import ipaddress
import json
import random
import warnings
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.sql.sqltypes import NullType, _Binary

from pii_audit.models import Cells, Chunk, Column
from pii_audit.sources import ScanOptions, TargetCoverage, dialects
from pii_audit.sources.db_documents import MAX_DEFERRED, MAX_DOCUMENT_BYTES, is_document, read_stored_document
from pii_audit.sources.images import NOT_ASKED, image_name, unread
from pii_audit.sources.files import sniff
from pii_audit.detector import binary_as_hex, holds_pi

YIELD_PER = 2000  # rows fetched per round trip
# Bytes of a binary value read, one more selected to tell a longer value; and the bytes of them a
# block of rows holds at most, so that a table of photos keeps memory bounded (2,000 rows of
# 64 KiB would be 128 MiB a column).
BINARY_PREFIX = 64 << 10
BINARY_BLOCK_BYTES = 8 << 20
# Characters of text a block of rows holds at most, as far as the blocks before it tell (``BlockSize``):
# a service bus's table of request messages, 144 KB each, was read 2,000 rows a block, 720 MB of
# memory (measured); 137 MB with blocks of 8 Mi characters, 82 MB with these (one worker; with
# two, 272 and 125 MB, and twice as fast: a block pickled for a worker is about 3 bytes a Chinese
# character, so fewer blocks fitted in the pool's window). The first block holds FIRST_BLOCK rows,
# each next one as many as fit. A table of short values reads YIELD_PER rows a block as before.
BLOCK_CHARS = 2 << 20
FIRST_BLOCK = 16
LONG_TEXT = 1000  # a text column declared longer than this many characters may hold long values
# Cells a block holds at most, its rows fewer where a table is wide: a data warehouse's table of
# 600 short text columns read 2,000 rows a block, 1.2 million cells, peaked at 289 MB (356 MB with
# two workers; measured).
BLOCK_CELLS = 200_000
MIN_INTEGER = 1_000_000  # integers of fewer than 7 digits are no identifier
TABLESAMPLE_OVERSAMPLE = 10  # SYSTEM picks whole pages: ask for ~10x, or a few pages make it short
TABLESAMPLE_MIN_TABLE = 10  # tables under this many times the sample size are read from the top
# What psycopg gives for INET: an address, or an interface where a prefix length is stored.
_ADDRESSES = (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Interface, ipaddress.IPv6Interface)

@dataclass(frozen=True)
class TableRef:
    """A table to scan: its schema (None for SQLite's main) and the name shown in locations."""

    schema: str | None
    name: str
    shown: str


def column_kind(type_: sa.types.TypeEngine) -> str | None:
    """Return ``"text"``, ``"integer"`` or ``"binary"`` for a column type worth scanning, else None."""
    if isinstance(type_, _Binary):
        return "binary"
    if isinstance(type_, (sa.Float, sa.SmallInteger, sa.Boolean)):
        return None
    if isinstance(type_, sa.ARRAY):  # its values come as a list: read as JSON text (cell_text)
        return "text" if column_kind(type_.item_type) else None
    if isinstance(type_, postgresql.INET):
        return "text"
    if isinstance(type_, (sa.String, sa.JSON, NullType)):
        return "text"
    if isinstance(type_, sa.Integer):
        return "integer"
    if isinstance(type_, sa.Numeric) and type_.scale in (0, None):
        return "integer"
    return None


def cell_text(value) -> str | None:
    """Return a cell's text as a person reads it, or None when it cannot hold an identifier.

    >>> cell_text(13812345678), cell_text(42), cell_text(Decimal("6222020000000000")), cell_text(1.5)
    ('13812345678', None, '6222020000000000', None)
    >>> cell_text([13812345678, Decimal("1.5")]), cell_text(ipaddress.ip_address("202.96.128.86"))
    ('[13812345678, "1.5"]', '202.96.128.86')
    """
    kind = type(value)
    if kind is str:
        return value
    if kind is int:
        return str(value) if value >= MIN_INTEGER or value <= -MIN_INTEGER else None
    if kind is Decimal:
        if value.is_finite() and value == value.to_integral_value() and abs(value) >= MIN_INTEGER:
            return str(int(value))
        return None
    if kind in (dict, list):  # JSON documents, arrays: Decimal (NUMERIC[]) and addresses as text
        return json.dumps(value, ensure_ascii=False, default=str)
    if kind in _ADDRESSES:  # INET, as the driver gives it
        return str(value)
    return None


def row_key(row, number: int, key_columns: list[tuple[int, str]]):
    """Return a row's key for its location: ``{pk: value}``, else its number in scan order.

    A key value that could itself be personal information (a resident ID as primary key) is
    never written out: the row number stands in for it.
    """
    if not key_columns:
        return number
    key = {}
    for index, name in key_columns:
        value = row[index]
        if type(value) is int and -MIN_INTEGER < value < MIN_INTEGER:
            key[name] = value  # too short to be any identifier: the usual serial key, kept cheap
            continue
        if isinstance(value, bytes):
            value = value.hex()
        elif value is not None and not isinstance(value, (int, str)):
            value = str(value)
        if value is not None and holds_pi(str(value)):
            return number
        key[name] = value
    return key


def scan_table(connection: Connection, table: TableRef, url: str, options: ScanOptions,
               coverage: TargetCoverage) -> Iterator[Cells | Chunk]:
    """Yield the candidate cells of one table, a block of rows at a time, and the text of the
    documents its binary columns hold; record rows read, sampling and completeness."""
    inspector = sa.inspect(connection)
    with warnings.catch_warnings():
        # A type SQLAlchemy does not know (MariaDB's INET6 and INET4, an extension's) is NullType,
        # read as text on purpose; its warning went to stderr for every such column, naming it.
        warnings.filterwarnings("ignore", "Did not recognize type", sa.exc.SAWarning)
        columns = inspector.get_columns(table.name, schema=table.schema)
    # Every column, read or not: only one missing from them was dropped (ledger.dropped).
    coverage.listed(url, table.shown, [c["name"] for c in columns])
    keys = inspector.get_pk_constraint(table.name, schema=table.schema).get("constrained_columns") or []
    types = {c["name"]: c["type"] for c in columns}
    kinds = {name: column_kind(type_) for name, type_ in types.items()}
    scanned = [name for name, kind in kinds.items() if kind is not None]
    if not scanned:
        return
    selected = scanned + [k for k in keys if k not in scanned]
    binary = {name for name in scanned if kinds[name] == "binary"}
    clause = sa.table(table.name, *[sa.column(n) for n in selected], schema=table.schema)
    statement, mode = _statement(connection, clause, options.sample_rows, binary)
    records = [coverage.container(f"{table.shown}.{name}", "rows") for name in scanned]
    plan = [(i, name, record.container, name in binary) for i, (name, record) in enumerate(zip(scanned, records))]
    key_columns = [(selected.index(k), k) for k in keys]
    base = {"url": url, "table": table.shown}
    read = {"rows": 0, "cells": 0, "more": False, "done": False, "binary": {}, "cut": {}, "documents": [],
            "images": {}, "ocr": options.ocr}
    most = max(16, BINARY_BLOCK_BYTES // (len(binary) * (BINARY_PREFIX + 1))) if binary else YIELD_PER
    most = min(most, max(16, BLOCK_CELLS // len(scanned)))
    size = BlockSize(most, [position for position, name in enumerate(scanned) if may_be_long(types[name])])
    documents = StoredDocuments(plan, key_columns, base, options, coverage)
    try:
        yield from _blocks(connection, statement, options.sample_rows, plan, key_columns, base, read, size,
                           documents)
        # Only now: MariaDB's streaming cursor allows no other query while it is open.
        yield from documents.fetched(connection, clause)
        read["done"] = True
    finally:
        _binary_notices(coverage, read)
        documents.notices()
        sampled = mode == "random" or (mode == "first" and read["more"])
        for record in records:
            record.units += read["rows"]
            record.sampled = record.sampled or sampled
            record.complete = record.complete and read["done"]
        coverage.rows += read["rows"]
        coverage.cells += read["cells"]


def _binary_notices(coverage: TargetCoverage, read: dict) -> None:
    """Name, once a column, its binary values not read and its values read in part; count the
    images not read (without --ocr), which the target names once."""
    for container, count in read["images"].items():  # said once for the target; the column read in part
        unread(coverage, NOT_ASKED, count, coverage.container(container, "rows"))
    for container, count in read["binary"].items():
        coverage.notice(container, f"{count:,} binary value(s) (an image, a file) not read")
    for container, count in read["cut"].items():
        coverage.notice(container, f"{count:,} value(s) longer than {BINARY_PREFIX:,} bytes read in their first "
                                   f"{BINARY_PREFIX:,}")


class BlockSize:
    """How many rows to fetch next: where a column may hold long values (``measured``, their
    positions among the scanned columns), ``FIRST_BLOCK``, then as many as hold ``BLOCK_CHARS``
    of their text at the length of the last block's (a table's values grow longer or shorter
    down it); ``most`` at most, and always where none may.

    >>> size = BlockSize(2000, [1])
    >>> size(), size.read([Column(["1"] * 16, "t.id"), Column(["x" * 150_000] * 16, "t.body")]), size()
    (16, None, 13)
    >>> size.read([Column(["1"] * 13, "t.id"), Column(["x" * 40] * 13, "t.body")]), size()
    (None, 2000)
    """

    def __init__(self, most: int, measured: list[int]):
        self.most, self.measured = most, measured
        self.rows = min(FIRST_BLOCK, most) if measured else most

    def __call__(self) -> int:
        return self.rows

    def read(self, columns: list[Column]) -> None:
        """Size the next block by the one just read, given as its scanned columns."""
        if self.measured:
            chars = sum(sum(map(len, columns[position].texts)) for position in self.measured)
            self.rows = max(1, min(self.most, BLOCK_CHARS * len(columns[0].texts) // max(chars, 1)))


def may_be_long(type_: sa.types.TypeEngine) -> bool:
    """Tell whether a scanned column's values may be long: text of no declared length or of more
    than ``LONG_TEXT`` characters (TEXT, CLOB, JSON, arrays, types SQLAlchemy does not know).
    SQLite keeps longer values than a column declares, but a system that declares a length
    writes within it; measuring every value of every column would cost a table's scan about 3%
    (16 ns a value, 30 ms of the 0.86 s the bench's 300,000 orders take).

    >>> may_be_long(sa.String(18)), may_be_long(sa.BigInteger()), may_be_long(sa.Text()), may_be_long(sa.JSON())
    (False, False, True, True)
    """
    if isinstance(type_, (sa.Integer, sa.Numeric, _Binary, postgresql.INET)):
        return False  # binary values are read in their first BINARY_PREFIX bytes
    return not (isinstance(type_, sa.String) and type_.length is not None and type_.length <= LONG_TEXT)


def _blocks(connection, statement, limit, plan, key_columns, base, read, size: BlockSize, documents
            ) -> Iterator[Cells | Chunk]:
    """Yield the rows as blocks of ``Cells``, a column of texts per scanned column, each followed
    by the text of the documents its binary values hold (``StoredDocuments``)."""
    blocks = dialects.stream_rows(connection, statement, size)
    try:
        number = 0  # rows before this block
        for rows in blocks:
            if limit is not None and number + len(rows) > limit:
                rows = rows[:limit - number]
                read["more"] = True
            if rows:
                read["rows"] = number + len(rows)
                columns = _columns(rows, plan, read)
                size.read(columns)
                yield Cells(columns, RowLocator(rows, number, plan, key_columns, base))
                if read["documents"]:
                    yield from documents.from_block(rows, number, read["documents"])
                    read["documents"] = []
                number += len(rows)
            if read["more"]:
                break
    finally:
        blocks.close()  # the cursor now, not when the generator is collected


def _columns(rows, plan, read) -> list[Column]:
    """Return the scanned columns of a block of rows; count their cells (NULLs are none) in ``read``.

    A text is "" for NULL and for a value that cannot hold an identifier (``cell_text``).
    """
    columns = []
    for position, (index, name, container, binary) in enumerate(plan):
        values = [row[index] for row in rows]
        read["cells"] += len(values) - values.count(None)
        if binary:
            documents: list[int] = []
            texts = _binary_texts(values, container, read, documents, binary_as_hex(name))
            read["documents"] += [(position, row) for row in documents]
        else:
            texts = _texts(values)
        columns.append(Column(texts, container, (name,)))
    return columns


def _binary_texts(values: list, container: str, read: dict, documents: list[int], as_hex: bool = False
                  ) -> list[str]:
    """Return the text of each binary value that holds text, "" for NULL and for binary data
    (its hex with ``as_hex``: a column named for authentication data kept as bytes);
    count in ``read`` the binary values, the images (not read without ``read["ocr"]``) and those
    cut at ``BINARY_PREFIX``; add to ``documents`` the index of each value that is a document
    (``db_documents.is_document``), or an image to read by OCR.

    >>> read, documents = {"binary": {}, "cut": {}, "images": {}, "ocr": False}, []
    >>> _binary_texts([b'{"sjhm":"1"}', "身份证".encode("gbk"), b"\\x89PNG\\r\\n\\x1a\\n\\x00", None,
    ...                b"%PDF-1.4\\n\\x00", b"\\x00\\x01"], "t.c", read, documents)
    ['{"sjhm":"1"}', '身份证', '', '', '', '']
    >>> read, documents
    ({'binary': {'t.c': 1}, 'cut': {}, 'images': {'t.c': 1}, 'ocr': False}, [4])
    >>> _binary_texts([b"\\x9f\\x3a\\x0c\\x7b", b"ENC(G6N7)"], "t.cvv2_enc", read, [], as_hex=True)
    ['9f3a0c7b', 'ENC(G6N7)']
    """
    texts = []
    for number, value in enumerate(values):
        if value is None:
            texts.append("")
            continue
        data = bytes(value)  # a memoryview from some drivers
        image = image_name(data) is not None
        if is_document(data) or (image and read["ocr"]):
            documents.append(number)
            texts.append("")
            continue
        if image:
            read["images"][container] = read["images"].get(container, 0) + 1
            texts.append("")
            continue
        if len(data) > BINARY_PREFIX:
            data = data[:BINARY_PREFIX]
            read["cut"][container] = read["cut"].get(container, 0) + 1
        if as_hex:  # a ciphertext's text form stored as bytes stays text: ENC(...), base64
            texts.append(data.decode("ascii") if data.isascii() and data.decode("ascii").isprintable() else data.hex())
            continue
        sniffed = sniff(data)
        if sniffed is None:
            read["binary"][container] = read["binary"].get(container, 0) + 1
            texts.append("")
        else:
            texts.append(data.decode(sniffed[0], "replace"))
    return texts


def _texts(values: list) -> list[str]:
    """Return ``cell_text`` of each value, "" for NULL and for values it skips.

    Strings and integers are decided inline: a call per value cost more than the fetch of it.
    """
    return [v if type(v) is str else "" if v is None else
            (str(v) if v >= MIN_INTEGER or v <= -MIN_INTEGER else "") if type(v) is int else
            cell_text(v) or "" for v in values]


class StoredDocuments:
    """The documents a table's binary columns hold (``db_documents``): read from a block's rows
    when the selected prefix holds them whole, else fetched again by the row's primary key once
    the table's rows are read."""

    def __init__(self, plan, key_columns: list[tuple[int, str]], base: dict, options: ScanOptions,
                 coverage: TargetCoverage):
        self.plan, self.key_columns, self.base = plan, key_columns, base
        self.options, self.coverage = options, coverage
        self.deferred: list[tuple[int, tuple, object]] = []  # (plan position, key values, row as shown)
        self.not_fetched: dict[str, int] = {}  # container -> long documents of a table without a key
        self.over: dict[str, int] = {}  # container -> long documents past MAX_DEFERRED

    def from_block(self, rows, number: int, found: list[tuple[int, int]]) -> Iterator[Chunk]:
        """Yield the text of the documents ``found`` (plan position, row in the block) that the
        block holds whole; keep the others' keys to fetch them (``fetched``)."""
        for position, row in found:
            index, _, container, _ = self.plan[position]
            data = bytes(rows[row][index])
            shown = row_key(rows[row], number + row + 1, self.key_columns)
            if len(data) <= BINARY_PREFIX:
                yield from self._read(data, position, shown)
            elif not self.key_columns:
                self.not_fetched[container] = self.not_fetched.get(container, 0) + 1
            elif len(self.deferred) >= MAX_DEFERRED:
                self.over[container] = self.over.get(container, 0) + 1
            else:
                self.deferred.append((position, tuple(rows[row][i] for i, _ in self.key_columns), shown))

    def fetched(self, connection: Connection, clause) -> Iterator[Chunk]:
        """Yield the text of each document kept to fetch, read by its key up to MAX_DOCUMENT_BYTES."""
        for position, values, shown in self.deferred:
            _, name, container, _ = self.plan[position]
            matches = [clause.c[key] == value for (_, key), value in zip(self.key_columns, values)]
            statement = sa.select(sa.func.substr(clause.c[name], 1, MAX_DOCUMENT_BYTES + 1)).where(*matches)
            data = connection.execute(statement).scalar()
            if data is None:  # the row went, or its value, since it was read
                continue
            data = bytes(data)
            if len(data) > MAX_DOCUMENT_BYTES:
                self.coverage.notice(_row_where(container, shown), f"a document larger than "
                                     f"{MAX_DOCUMENT_BYTES:,} bytes is not read", container)
                continue
            yield from self._read(data, position, shown)
        self.deferred = []

    def notices(self) -> None:
        """Name, once a column, the documents that could not be fetched."""
        for container, count in self.not_fetched.items():
            self.coverage.notice(container, f"{count:,} document(s) longer than {BINARY_PREFIX:,} bytes not read: "
                                            "the table has no primary key to fetch them by", container)
        for container, count in self.over.items():
            self.coverage.notice(container, f"{count:,} document(s) longer than {BINARY_PREFIX:,} bytes not read: "
                                            f"over {MAX_DEFERRED:,} in one table", container)

    def _read(self, data: bytes, position: int, shown) -> Iterator[Chunk]:
        _, name, container, _ = self.plan[position]
        place = {**self.base, "column": name, "row": shown}
        yield from read_stored_document(data, _row_where(container, shown), place, container, (name,),
                                        self.options, self.coverage)


def _row_where(container: str, shown) -> str:
    """Return how a problem names one value: its column, then its row's key or number."""
    return f"{container} row {json.dumps(shown, ensure_ascii=False, default=str)}"


class RowLocator:
    """``Cells.locate`` of a block whose first row is row ``number + 1``: a class, not a closure,
    so that a block can be sent to another process to be scanned (``pii_audit.scan``)."""

    def __init__(self, rows, number: int, plan, key_columns: list[tuple[int, str]], base: dict):
        self.rows, self.number, self.base = rows, number, base
        self.names = [name for _, name, _, _ in plan]
        self.key_columns = key_columns
        self.shown: dict[int, object] = {}  # row -> its key as shown: a row holds several findings

    def __call__(self, column: int, row: int) -> dict:
        key = self.shown.get(row)
        if key is None:
            key = self.shown[row] = row_key(self.rows[row], self.number + row + 1, self.key_columns)
        return {**self.base, "column": self.names[column], "row": key}

    def __getstate__(self) -> dict:
        # Sent to a worker: each row's key-column values, not the rows; only then, since taking
        # them costs 0.15 s a million rows with itemgetter (0.74 s with a tuple per row; measured).
        indexes = [index for index, _ in self.key_columns]
        if not indexes:
            rows = [()] * len(self.rows)
        elif len(indexes) == 1:
            rows = [(value,) for value in map(itemgetter(indexes[0]), self.rows)]
        else:
            rows = list(map(itemgetter(*indexes), self.rows))
        key_columns = [(position, name) for position, (_, name) in enumerate(self.key_columns)]
        return {**self.__dict__, "rows": rows, "key_columns": key_columns}


def _statement(connection: Connection, clause, sample_rows: int | None, binary: set[str]):
    """Return the SELECT to run and how it reads: ``"full"``, ``"random"`` or ``"first"`` rows.
    The ``binary`` columns are selected as their first bytes (``_selected``)."""
    if sample_rows is None:
        return sa.select(*_selected(clause.c, binary)), "full"
    if connection.dialect.name == "postgresql":
        sample = _postgresql_sample(connection, clause, sample_rows, binary)
        if sample is not None:
            return sample, "random"
    # One row more than asked tells whether the table held more (sampled) or not (read in full).
    return sa.select(*_selected(clause.c, binary)).limit(sample_rows + 1), "first"


def _selected(columns, binary: set[str]) -> list:
    """Return the columns to select, each of the ``binary`` ones as its first ``BINARY_PREFIX``
    bytes and one more (SUBSTR counts bytes in a BLOB, a BYTEA or a VARBINARY)."""
    return [sa.func.substr(column, 1, BINARY_PREFIX + 1).label(column.name) if column.name in binary else column
            for column in columns]


def _postgresql_sample(connection: Connection, clause, sample_rows: int, binary: set[str]):
    """Return a TABLESAMPLE SYSTEM query giving ``sample_rows`` rows, or None to read the first rows.

    SYSTEM reads a few random pages (SECURITY.md item 17); REPEATABLE makes the counting query
    and the reading query see the same pages, so a sample that comes out short falls back.
    """
    table = (clause.schema, clause.name)
    estimate = dialects.estimated_rows(connection, [table]).get(table)
    if not estimate or estimate < sample_rows * TABLESAMPLE_MIN_TABLE:
        return None  # small, or never analysed (-1): the first rows are as cheap and as good
    percent = min(100.0, 100.0 * sample_rows * TABLESAMPLE_OVERSAMPLE / estimate)
    sampled = sa.tablesample(clause, sa.func.system(percent),
                             seed=sa.literal(random.randrange(1 << 30)))
    statement = sa.select(*_selected(sampled.c, binary)).select_from(sampled).limit(sample_rows)
    count = connection.execute(sa.select(sa.func.count()).select_from(statement.subquery())).scalar()
    return statement if count >= sample_rows else None
