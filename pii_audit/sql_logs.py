"""SQL logged with its parameters, read as a person reads it: each value under its column's name.

MyBatis logs a statement and then its parameters on a logger named after the mapper statement,
and at TRACE a result set's column names and then its rows::

    … [exec-3] c.b.m.CustMapper.insert - ==>  Preparing: INSERT INTO t_cust (cust_name, id_no) VALUES (?, ?)
    … [exec-3] c.b.m.CustMapper.insert - ==> Parameters: 张伟(String), 11010519491231002X(String)
    … [exec-4] c.b.m.CustMapper.select - <==    Columns: cust_id, cust_name
    … [exec-4] c.b.m.CustMapper.select - <==        Row: 1001, 王芳

A name or an address is reported only beside a keyword or a field's key (``custName=张伟``), so
张伟 and 王芳 went unreported though the statement names their column. ``SqlNames`` remembers each
statement's and each result set's column names and returns a Parameters or Row line rewritten as
``cust_name=张伟, id_no=1101…`` (each value's Java type left out), with where each character of it
is in the line as stored, as ``escapes.unescape`` does; the recognizers then give the values the
context a field's key gives (``recognizers.context``).

A Parameters line takes the names of the last Preparing line whose text before the arrow is the
same but for its time (``_key``): the logger, which MyBatis names after the mapper statement, is
in nearly every layout, and a thread, where the layout prints it, tells apart two requests that run
one statement at once (a dynamic statement's columns differ from one call to the next).
"""

from __future__ import annotations

import re

from pii_audit.sql_statements import placeholder_columns

# MyBatis' prefix: "==> " for what it sends, "<== " for what it reads, with one "=" more for each
# nested query ("====> "); then what the line holds. MARK, in Hyperscan's syntax, finds such lines
# in the detector's screen at no cost of its own (a part of ``sql_stream.MARK``).
_LINE = re.compile(r"(?:==+> +(Preparing|Parameters)|<==+ +(Columns|Row)): ?")
MARK = rb"==> +P(?:reparing|arameters): |<==+ +(?:Columns|Row): "
# A parameter as MyBatis writes it: its value, then its Java type (a class's simple name) or null,
# before the next parameter's ", " or the line's end. The type, not the comma, ends a value: a
# value may hold ", ".
_PARAMETER = re.compile(r"(?:null|(.*?)\([A-Z][\w$.]*\))(?:, |\s*$)")
# Statements and result sets remembered at most: a service logs a few hundred of them.
_REMEMBERED = 4096

# A line rewritten, and where each of its characters starts and ends in the line it was read from.
Named = tuple[str, list[int], list[int]]


def _key(prefix: str) -> str:
    """Return what ties a line to its statement: the words before MyBatis' arrow but those that
    say when (a date, a time, an ISO timestamp: the words that begin with a digit).

    >>> _key("2026-11-02 10:12:01.124 DEBUG [exec-3] c.b.m.CustMapper.insert - ")
    'DEBUG [exec-3] c.b.m.CustMapper.insert -'
    """
    return " ".join([word for word in prefix.split() if not word.lstrip("[(")[:1].isdigit()])


class SqlNames:
    """The column names of the statements and result sets a log has shown so far, by ``_key``."""

    def __init__(self) -> None:
        self._columns: dict[tuple[str, str], list[str | None]] = {}
        # Statements read, by their text's hash (a statement may hold a literal value: none is
        # kept): a service runs the same few hundred again and again, and reading one for its
        # placeholders' columns took 50 us (measured).
        self._statements: dict[int, list[str | None]] = {}

    def read(self, line: str) -> Named | None:
        """Read one line: remember the columns of a Preparing or Columns line (and return None);
        return a Parameters or Row line with each value named (``name=value``), and where each
        character of that is in ``line``; None for a line whose values cannot all be told apart
        and named (so it is read as it is).

        >>> names = SqlNames()
        >>> names.read("10:12:01.123 Mapper.f - ==>  Preparing: SELECT * FROM t WHERE xm = ? AND n = ?")
        >>> names.read("10:12:01.124 Mapper.f - ==> Parameters: 张三(String), 3(Integer)")[0]
        '10:12:01.124 Mapper.f - ==> Parameters: xm=张三, n=3'
        """
        match = _LINE.search(line)
        if match is None:
            return None
        kind = match.group(1) or match.group(2)
        statement = kind in ("Preparing", "Parameters")
        key = ("sql" if statement else "rows", _key(line[:match.start()]))
        rest = line[match.end():]
        if kind == "Preparing" or kind == "Columns":
            names = self._placeholder_columns(rest) if statement else [n.strip() for n in rest.split(", ")]
            remember(self._columns, key, names)
            return None
        names = self._columns.get(key)
        if names is None or not any(names):
            return None
        values = _parameters(rest, match.end()) if statement else _row(rest, match.end())
        if values is None or len(values) != len(names):
            return None
        return _named(line, match.end(), values, names)

    def _placeholder_columns(self, sql: str) -> list[str | None]:
        """``placeholder_columns``, remembered for the statements read last."""
        key = hash(sql)
        columns = self._statements.get(key)
        if columns is None:
            columns = placeholder_columns(sql)
            remember(self._statements, key, columns)
        return columns


def remember(remembered: dict, key, value) -> None:
    """Remember ``value`` under ``key``, forgetting the entry set least recently beyond
    ``_REMEMBERED`` of them."""
    remembered.pop(key, None)
    if len(remembered) >= _REMEMBERED:
        del remembered[next(iter(remembered))]
    remembered[key] = value


def _parameters(text: str, offset: int) -> list[tuple[int, int] | None] | None:
    """Return where each parameter's value is in a Parameters line's list (``text``, at ``offset``
    in its line), None for a null; None when the list cannot be read so."""
    values: list[tuple[int, int] | None] = []
    position = 0
    while position < len(text):
        parameter = _PARAMETER.match(text, position)
        if parameter is None:
            return None
        values.append(None if parameter.group(1) is None else
                      (offset + parameter.start(1), offset + parameter.end(1)))
        position = parameter.end()
    return values


def _row(text: str, offset: int) -> list[tuple[int, int] | None]:
    """Return where each value of a Row line's list is (``text``, at ``offset`` in its line)."""
    values: list[tuple[int, int] | None] = []
    start = 0
    for value in text.split(", "):
        values.append((offset + start, offset + start + len(value)))
        start += len(value) + 2
    return values


def _named(line: str, start: int, values: list[tuple[int, int] | None], names: list[str | None]) -> Named:
    """Return ``line`` up to ``start``, then each value with its name before it, ", " between
    them; and where each character is in ``line`` (a name's and a comma's: before its value)."""
    pieces, starts, ends = [line[:start]], list(range(start)), list(range(1, start + 1))
    for place, name in zip(values, names):
        if place is None:
            continue
        value_start, value_end = place
        added = (", " if len(pieces) > 1 else "") + (f"{name}=" if name else "")
        pieces += [added, line[value_start:value_end]]
        starts += [value_start] * len(added) + list(range(value_start, value_end))
        ends += [value_start] * len(added) + list(range(value_start + 1, value_end + 1))
    return "".join(pieces), starts, ends
