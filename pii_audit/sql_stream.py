"""SQL in a stream of lines (a log, a dump), read so that each value it holds has its column's name.

``SqlStream`` remembers, line after line, what a person reading the stream remembers:

* MyBatis' statements and result sets (``sql_logs.SqlNames``);
* statements with their values inline, anywhere in a line (p6spy's last field, JdbcTemplate's
  ``Executing SQL update [...]``, a dump's INSERT lines): each literal a column names
  (``sql_statements``);
* the columns of each table a ``CREATE TABLE`` defined, for a later ``INSERT INTO t VALUES``;
  and a ``COPY … FROM stdin`` block's rows, up to ``\\.`` (``sql_dumps``);
* the placeholders of the last prepared statement of each thread, for the lines that bind them
  one at a time: Hibernate 5's ``binding parameter [1] as [VARCHAR] - [王建国]``, Hibernate 6's
  ``binding parameter (1:VARCHAR) <- [王建国]`` (``org.hibernate.orm.jdbc.bind``), and Spring
  JdbcTemplate's ``Setting SQL statement parameter value: column index 1, parameter value
  [王建国], value class [java.lang.String], SQL type 12`` after its ``Executing prepared SQL
  statement [insert ...]``. Those come from two loggers (``org.hibernate.SQL`` and the binder),
  so a bind takes the statement of the same thread: the words in square brackets before the
  message but the time and the level (the words a layout writes there are the thread's name
  and, with Spring Boot, the application's). A statement Hibernate formats
  (``hibernate.format_sql``) is read from the indented lines after its logger's line.

``MARK`` finds the lines that begin all of that in the detector's screen, at no cost of its own;
a line of a CREATE TABLE or a COPY block the stream is in (``in_block``) is read too, marked or not.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from pii_audit import sql_logs
from pii_audit.sql_dumps import COPY_END, CreateTable, copy_columns, copy_fields
from pii_audit.sql_logs import Named, SqlNames, remember
from pii_audit.sql_statements import (Value, continued_values, last_insert_columns, literal_values,
                                      placeholder_columns, statement_start)

# In Hyperscan's syntax, one expression: MyBatis' lines, the statements that hold values or
# prepare them, a CREATE TABLE and a COPY, and the lines that bind a prepared statement's values.
MARK = (rb"(?:" + sql_logs.MARK + rb")|(?i:\binsert\s+(?:ignore\s+)?into\s|\breplace\s+into\s"
        rb"|\bupdate\s+\S+\s+set\s|\bwhere\s+[\w.`\x22]+\s*(?:[=<>]|\s(?:not\s+)?(?:in|like)\s)[\s(]*'"
        rb"|\bcreate\s+(?:\w+\s+)?table\s|(?:^|\n)[ \t]*copy\s+\S+[^\n]*\sfrom\s+stdin)"
        rb"|hibernate\.SQL|Hibernate: |binding parameter [\[(]|Executing prepared SQL statement \["
        rb"|Setting SQL statement parameter value: ")
MARK_RE = re.compile(MARK, re.MULTILINE)
MARK_TEXT_RE = re.compile(MARK.decode("ascii"), re.MULTILINE)  # the same, for a text
_HIBERNATE_BIND = re.compile(r"binding parameter (?:\[(\d+)\] as \[[^\]]*\] - \[|\((\d+):[^)]*\) <- \[)(.*)\]\s*$")
_SPRING_BIND = re.compile(r"Setting SQL statement parameter value: column index (\d+), parameter value \[(.*)\], "
                          r"value class \[")
# A statement logged by org.hibernate.SQL with hibernate.format_sql: the logger's line holds none,
# the next lines, indented, hold it.
_FORMATTED = re.compile(r"hibernate\.SQL\s*[-:]?\s*$")
FORMATTED_LINES = 200  # lines of a formatted statement read at most
_BRACKETED = re.compile(r"\[([^\]\[]*)\]")
_LEVELS = frozenset("TRACE DEBUG INFO WARN WARNING ERROR FATAL".split())


class SqlStream:
    """What the SQL of a stream of lines has shown so far, to name the values of its next lines."""

    def __init__(self) -> None:
        self.names = SqlNames()  # MyBatis'
        self._tables: dict[str, list[str]] = {}  # the columns a CREATE TABLE defined, by table_key
        self._prepared: dict[tuple[str, ...], list[str | None]] = {}  # by thread: placeholders' columns
        # The columns of the COPY block being read ("" each where the COPY line did not say).
        self._copy: list[str] | None = None
        self._create: CreateTable | None = None  # the CREATE TABLE being read
        self._continued: list[str] | None = None  # the columns of the rows a line's next piece continues
        # A statement org.hibernate.SQL writes over several lines (hibernate.format_sql): its
        # thread and the lines read so far.
        self._formatted: tuple[tuple[str, ...], list[str]] | None = None

    @property
    def in_block(self) -> bool:
        """Tell whether the next line belongs to a COPY block or a CREATE TABLE: read it, marked or not."""
        return self._copy is not None or self._create is not None or self._formatted is not None

    def read(self, line: str) -> Named | list[Value] | None:
        """Read one line: return a MyBatis Parameters or Row line with its values named
        (``SqlNames.read``), else the values a column names (``values``), else None."""
        if not self.in_block:
            named = self.names.read(line)
            if named is not None:
                return named
        return self.values(line)

    def first_piece(self, text: str) -> list[Value] | None:
        """Read the first piece of a line too long to be read whole (``sources.files``) as a
        line, and remember the columns of its last INSERT, whose rows the next piece continues."""
        values = self.values(text)
        self._continued = last_insert_columns(text, self._tables)
        return values

    def next_piece(self, text: str) -> list[Value] | None:
        """Read a later piece of a line too long to be read whole: the rows of values it
        continues (``files._safe_cut`` cuts between two rows), named as the first piece's."""
        return continued_values(text, self._continued) or None if self._continued else None

    def values(self, line: str) -> list[Value] | None:
        """Read one line: return each of its values a column names (``sql_statements.Value``);
        None when it names none."""
        if self._copy is not None:
            return self._copy_row(line)
        if self._create is not None:
            self._create.add(line)
            return self._created()
        if self._formatted is not None:
            if line[:1].isspace() and line.strip() and len(self._formatted[1]) < FORMATTED_LINES:
                self._formatted[1].append(line)
                return None
            self._prepare(*self._formatted)  # the statement ended with the line before this one
        bound = _HIBERNATE_BIND.search(line) or _SPRING_BIND.search(line)
        if bound is not None:
            return self._bound(line, bound)
        copied = copy_columns(line, self._tables)
        if copied is not None:
            self._copy = copied
            return None
        self._create = CreateTable.begun(line)
        if self._create is not None:
            return self._created()
        start = statement_start(line)
        if start < 0:
            if _FORMATTED.search(line):  # the statement is on the lines after this one
                self._formatted = (_thread(line), [])
            return None
        if "?" in line:  # a prepared statement, whose values later lines bind
            remember(self._prepared, _thread(line[:start]), placeholder_columns(line[start:]))
        return literal_values(line, start, self._tables) or None

    def _prepare(self, thread: tuple[str, ...], lines: list[str]) -> None:
        """Remember the placeholders of a statement written over several lines."""
        self._formatted = None
        remember(self._prepared, thread, placeholder_columns(" ".join(lines)))

    def _copy_row(self, line: str) -> list[Value] | None:
        """Return the fields of a row of the COPY block being read (none, at its end).

        pg_dump writes every row with one field a column, so a line with another number of
        fields ends the block as ``\\.`` does, and is read as any other: a COPY line with no
        rows after it (a script echoed into an application log) would otherwise hold the rest
        of the file in row mode, its statements unread. Where the columns are unknown, the
        block's first row sets its width.
        """
        if line == COPY_END:
            self._copy = None
            return None
        fields = copy_fields(line)
        if not self._copy:
            self._copy = [""] * len(fields)
        if len(fields) != len(self._copy):
            self._copy = None
            return self.values(line)
        return [(field[0], field[1], column, "copy") for field, column in zip(fields, self._copy)
                if field and column]

    def _created(self) -> None:
        """Remember the columns of the CREATE TABLE being read, once it is complete."""
        columns = self._create.columns()
        if columns is not None:
            if columns:
                remember(self._tables, self._create.table, columns)
            self._create = None
        return None

    def _bound(self, line: str, bound: re.Match) -> list[Value] | None:
        """Return the value a bind line binds, named by its thread's last prepared statement."""
        columns = self._prepared.get(_thread(line[:bound.start()]))
        position = int(bound.group(1) or bound.group(2))
        value = bound.lastindex  # the value's group: the last
        if columns is None or not 0 < position <= len(columns) or columns[position - 1] is None:
            return None
        start, end = bound.start(value), bound.end(value)
        if line[start:end] in ("null", "<null>", ""):
            return None
        return [(start, end, columns[position - 1], "")]


def _thread(prefix: str) -> tuple[str, ...]:
    """Return what names the thread of a line, from what precedes its message: the words in
    square brackets but a time and a level.

    >>> _thread("2023-04-08T09:31:54.232+01:00 TRACE 164224 --- [           main] org.hibernate.orm.jdbc.bind : ")
    ('main',)
    >>> _thread("[2026-11-02 10:00:00] [DEBUG] [exec-3] o.h.SQL - ")
    ('exec-3',)
    """
    words = (word.strip() for word in _BRACKETED.findall(prefix))
    return tuple(word for word in words if word and not word[0].isdigit() and word.upper() not in _LEVELS)


def with_block_lines(candidates: Iterable[tuple[int, bytes, set[int] | None]], raw: bytes, names: SqlStream
                      ) -> Iterator[tuple[int, bytes, set[int] | None]]:
    """Yield ``candidates`` and, between them, each line of ``raw`` read while ``names`` is in a
    COPY block or a CREATE TABLE (``SqlStream.in_block``), its recognizers left to choose (None).
    Lazily: whether the next line is in a block depends on the lines read before it."""
    lines: list[bytes] | None = None
    done = 0  # the index of the first line not yielded
    for index, line, chosen in candidates:
        if names.in_block and index > done:
            lines = raw.split(b"\n") if lines is None else lines
            yield from _block_lines(lines, done, index, names)
        yield index, line, chosen
        done = index + 1
    if names.in_block:
        lines = raw.split(b"\n") if lines is None else lines
        yield from _block_lines(lines, done, len(lines) - raw.endswith(b"\n"), names)


def _block_lines(lines: list[bytes], start: int, stop: int, names: SqlStream) -> Iterator[tuple[int, bytes, None]]:
    """Yield lines ``start`` to ``stop`` while ``names`` stays in a block."""
    for index in range(start, stop):
        if not names.in_block:
            return
        yield index, lines[index], None
