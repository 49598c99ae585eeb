"""SQL statements read for the column each of their values stands for: placeholders and literals.

``INSERT INTO t (name, id_no) VALUES ('王建国', '1101…')`` says that 王建国 is a ``name``, as
``UPDATE t SET addr = '北京市…' WHERE mobile IN ('138…', '139…')`` says what its literals are. A
value is named by an INSERT's column list at its position in its row (or, for an INSERT with no
column list, ``INSERT INTO t VALUES (…)`` as a dump writes it, by the columns of the table's
``CREATE TABLE`` read before: ``tables``), else by the column it is compared with or set to
(``col = ?``, ``col <> 'x'``, ``SET col = 'x'``, ``col LIKE '%x%'``, ``col IN ('x', 'y')``).

A literal is a string (``'…'``: ``''`` and, as MySQL writes them, backslash escapes inside) or a
number; NULL and expressions name nothing. A row value that holds more than one placeholder or
literal (``to_date('2024', 'yyyy')``) is not named, nor a row of another length than its columns.
"""

from __future__ import annotations

import re
from typing import Iterator

# A string literal (MySQL's backslash escapes, and SQL's doubled quote), a quoted identifier (its
# letters no literal), a number no identifier holds, a hex literal (mysqldump --hex-blob writes a
# BLOB so: an encrypted CVN, a template), a placeholder or a bracket, comma, semicolon.
_TOKEN = re.compile(r"""'(?:[^'\\]++|''|\\.)*+'?|"(?:[^"]|"")*"|`[^`]*`"""
                    r"|(?<![\w$.])-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?(?![\w$.])"
                    r"|(?<![\w$.])0x[0-9A-Fa-f]+(?![\w$.])|[(),?;]", re.DOTALL)
# The column a value is compared with, read back from it: "cust_name = ?", "t.id_no<>'x'",
# "SET mobile = ?", "name LIKE ?", "name LIKE CONCAT('%', ?", "id_no IN (?" (group 2: a list,
# whose next values, after a comma, stand for the same column).
_COMPARED = re.compile(
    r"([A-Za-z_][\w$]*)[`\"\]]?\s*(?:!=|<>|>=|<=|[=<>]|\s(?:not\s+)?like(?:\s+concat\s*\(\s*'[^']*'\s*,)?"
    r"|\s(?:not\s+)?in\s*(\())\s*$", re.IGNORECASE)
_COMPARED_WINDOW = 160  # characters read back from a value: a column and an operator
# An INSERT's head: its table and, when given, its column list (names in one of SQL's quotes).
_INSERT = re.compile(r"\b(?:insert|replace)\s+(?:ignore\s+)?into\s+([\w.`\"\[\]$]+)\s*(?:\(([^()]*)\)\s*)?values\s*",
                     re.IGNORECASE)
# Where a statement begins in a line of a log: what precedes it (a time, a logger) holds no value.
_STATEMENT = re.compile(r"\b(?:insert|replace|update|delete|select|with)\s", re.IGNORECASE)
_BACKSLASHED = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}

# A placeholder or a literal of a statement: where it is (a string's characters without its
# quotes) and its kind: "?" a placeholder, "'" a string, "0" a number.
Slot = tuple[int, int, str]
# A value a column names: where it is in its line, the column, and how it is escaped: "'" a
# string literal's escapes, "copy" a COPY field's, "" none.
Value = tuple[int, int, str, str]


def table_key(name: str) -> str:
    """Return how a table is remembered: its name without quotes or schema, in lower case.

    >>> table_key('`core`.`Customer`'), table_key('public.t_cust'), table_key('"T_CUST"')
    ('customer', 't_cust', 't_cust')
    """
    return name.rsplit(".", 1)[-1].strip('`"[]').lower()


def column_names(text: str) -> list[str]:
    """Return the names of a column list, ``a, `b`, "C"``, without their quotes."""
    return [name.strip().strip('`"[]') for name in text.split(",")]


def statement_start(line: str) -> int:
    """Return where the first SQL statement in a line begins, or -1."""
    match = _STATEMENT.search(line)
    return -1 if match is None else match.start()


def slots(sql: str, start: int = 0) -> list[Slot]:
    """Return the placeholders and literals of ``sql`` from ``start``, in order.

    >>> slots("WHERE a = 'it''s' AND b = ? AND c = 12")
    [(11, 16, "'"), (26, 27, '?'), (36, 38, '0')]
    """
    found: list[Slot] = []
    for match in _TOKEN.finditer(sql, start):
        first = match.group()[0]
        if first == "'":  # its characters, without its quotes (a cut line's last may have none)
            closed = len(match.group()) > 1 and match.group().endswith("'")
            found.append((match.start() + 1, match.end() - closed, "'"))
        elif first == "?":
            found.append((match.start(), match.end(), "?"))
        elif first.isdigit() or first == "-":
            found.append((match.start(), match.end(), "0"))
    return found


def placeholder_columns(sql: str) -> list[str | None]:
    """Return the column each placeholder of a statement stands for, in order (None where it names
    none): an INSERT's column list by position, else the column a placeholder is compared with.

    >>> placeholder_columns("INSERT INTO t (name, id_no, ts) VALUES (?, ?, now()), (?, ?, now())")
    ['name', 'id_no', 'name', 'id_no']
    >>> placeholder_columns("UPDATE t SET mobile = ?, note = '?' WHERE t.id_no IN (?, ?) AND n LIKE ? LIMIT ?")
    ['mobile', 'id_no', 'id_no', 'n', None]
    """
    found = slots(sql)
    named = dict(_named(sql, found, {}))
    return [named.get(position) for position, _, kind in found if kind == "?"]


def literal_values(sql: str, start: int = 0, tables: dict[str, list[str]] | None = None) -> list[Value]:
    """Return the literals of the statements in ``sql`` from ``start`` that a column names.

    >>> sql = "UPDATE t SET addr = 'a''b', n = 3 WHERE mobile IN ('138', NULL, '139')"
    >>> [(sql[s:e], column) for s, e, column, _ in literal_values(sql)]
    [("a''b", 'addr'), ('3', 'n'), ('138', 'mobile'), ('139', 'mobile')]
    >>> dump = "INSERT INTO `t` VALUES (1,'x',0x9F3A)"
    >>> [(dump[s:e], column) for s, e, column, _ in literal_values(dump, 0, {"t": ["id", "nm", "cvv2_enc"]})]
    [('1', 'id'), ('x', 'nm'), ('0x9F3A', 'cvv2_enc')]
    """
    found = slots(sql, start)
    by_start = {position: (end, kind) for position, end, kind in found}
    return [(position, by_start[position][0], column, "'" if by_start[position][1] == "'" else "")
            for position, column in _named(sql, found, tables or {}) if by_start[position][1] != "?"]


def last_insert_columns(sql: str, tables: dict[str, list[str]]) -> list[str] | None:
    """Return the columns the rows of the last INSERT in ``sql`` take (None when it holds none),
    for the rest of its rows in the next piece of a line cut in pieces."""
    last = None
    for last in _INSERT.finditer(sql):
        pass
    if last is None:
        return None
    listed = last.group(2)
    return column_names(listed) if listed is not None else tables.get(table_key(last.group(1)))


def continued_values(sql: str, names: list[str]) -> list[Value]:
    """Return the literals of the rows of values that a piece of a line continues, from its
    first whole row on, named by ``names``.

    >>> continued_values("x', 1),('王建国', 2)", ["nm", "n"])
    [(9, 12, 'nm', "'"), (15, 16, 'n', '')]
    """
    start = 0 if sql.startswith("(") else sql.find("),(") + 2
    if start == 1:  # no whole row begins in it
        return []
    found = {position: (end, kind) for position, end, kind in slots(sql, start)}
    return [(position, found[position][0], column, "'" if found[position][1] == "'" else "")
            for position, column in row_columns(sql, start, names) if found.get(position, ("", "?"))[1] != "?"]


def _named(sql: str, found: list[Slot], tables: dict[str, list[str]]) -> Iterator[tuple[int, str]]:
    """Yield ``(start, column)`` of each slot of ``found`` that a column names, in order."""
    inserted, covered = _inserted_columns(sql, tables) if _INSERT.search(sql) else ({}, [])
    listed, done = None, 0  # the column of an IN list the last slot was in, and where it ended
    for position, end, kind in found:
        # A string's slot starts after its quote: what precedes it is read from the quote.
        opening = position - (kind == "'")
        column = inserted.get(position)
        if column is None and any(first <= position < last for first, last in covered):
            pass  # a value of an INSERT's rows that no column names: no comparison either
        elif column is None and listed is not None and _next_in_list(sql[done:opening]):
            column = listed
        elif column is None:
            compared = _COMPARED.search(sql, max(0, opening - _COMPARED_WINDOW), opening)
            column = compared.group(1) if compared else None
            listed = column if compared and compared.group(2) else None
        if column is not None:
            yield position, column
        done = end + (kind == "'")


def _next_in_list(between: str) -> bool:
    """Tell whether what lies between two values makes the second the next of one list: a comma,
    or NULLs between commas."""
    return "," in between and not between.upper().replace("NULL", "").replace(",", "").strip()


def _inserted_columns(sql: str, tables: dict[str, list[str]]) -> tuple[dict[int, str], list[tuple[int, int]]]:
    """Return {slot's offset: column} for the rows of values of each INSERT in ``sql``, each
    value taking the column at its position (none for a row of another length), and where each
    INSERT's rows are; an INSERT with no column list takes its table's columns from ``tables``."""
    found: dict[int, str] = {}
    covered: list[tuple[int, int]] = []
    for insert in _INSERT.finditer(sql):
        listed = insert.group(2)
        names = column_names(listed) if listed is not None else tables.get(table_key(insert.group(1)))
        if names:
            stop = [len(sql)]
            found.update(row_columns(sql, insert.end(), names, stop))
            covered.append((insert.end(), stop[0]))
    return found, covered


def row_columns(sql: str, start: int, names: list[str], stop: list[int] | None = None
                ) -> Iterator[tuple[int, str]]:
    """Yield ``(slot's offset, column)`` for the rows of values ``(…), (…)`` from ``start``: a
    value's one placeholder, else its one literal; set ``stop[0]`` to where the rows end."""
    for row in rows(sql, start, stop):
        if len(row) != len(names):
            continue
        for row_value, name in zip(row, names):
            placeholders = [position for position, kind in row_value if kind == "?"]
            if len(placeholders) == 1:
                yield placeholders[0], name
            elif not placeholders and len(row_value) == 1:
                yield row_value[0][0], name


def rows(sql: str, start: int, stop: list[int] | None = None) -> Iterator[list[list[tuple[int, str]]]]:
    """Yield the rows of values from ``start``, ``(?, 'x'), (3, NULL)``: for each row, for each
    value, the offsets (a string's after its quote) and kinds of its slots; set ``stop[0]`` to
    where the rows end."""
    row: list[list[tuple[int, str]]] = [[]]
    depth = 0
    for match in _TOKEN.finditer(sql, start):
        first = match.group()[0]
        if first == "(":
            depth += 1
            if depth == 1:
                row = [[]]
        elif first == ")":
            depth -= 1
            if depth < 0:
                break
            if depth == 0:
                yield row
        elif first == "," and depth == 1:
            row.append([])
        elif depth >= 1 and first in "?'-0123456789":
            kind = first if first in "?'" else "0"
            row[-1].append((match.start() + (kind == "'"), kind))
        elif depth == 0 and first != ",":
            break  # past the rows: ON DUPLICATE KEY UPDATE ..., or the statement's end
        if stop is not None:
            stop[0] = match.end()


def unquoted(text: str) -> tuple[str, list[int] | None]:
    """Return a string literal's characters as stored in the database (``''`` and backslash
    escapes undone) and where each begins in ``text``; None for the places when none was undone.

    >>> unquoted("O''Brien\\\\n")
    ("O'Brien\\n", [0, 1, 3, 4, 5, 6, 7, 8])
    """
    if "'" not in text and "\\" not in text:
        return text, None
    characters, places, index = [], [], 0
    while index < len(text):
        character, width = text[index], 1
        if character in "'\\" and index + 1 < len(text):
            width = 2
            following = text[index + 1]
            character = following if character == "'" else _BACKSLASHED.get(following, following)
        characters.append(character)
        places.append(index)
        index += width
    return "".join(characters), places
