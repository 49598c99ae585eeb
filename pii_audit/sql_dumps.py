"""What a database dump says about its tables' columns, and the rows of pg_dump's COPY blocks.

mysqldump writes ``INSERT INTO `customer` VALUES (…),(…);`` with no column list (unless run with
``--complete-insert``): the columns are those of the ``CREATE TABLE `customer` (…)`` it wrote
before, one definition a line. pg_dump writes each table's rows as a COPY block::

    COPY public.customer (id, cust_name, addr) FROM stdin;
    1	王建国	北京市朝阳区建国路88号
    2	\\N	上海市…
    \\.

a row a line, its fields separated by tabs, ``\\N`` for NULL and backslash escapes inside a field
(PostgreSQL's COPY text format). ``CreateTable`` reads a CREATE TABLE's lines up to its closing
bracket; ``copy_columns`` a COPY line; ``copy_fields`` where each field of a row is.
"""

from __future__ import annotations

import re

from pii_audit.sql_statements import column_names, table_key

_CREATE = re.compile(r"\bcreate\s+(?:(?:global\s+|local\s+)?(?:temporary|temp|unlogged)\s+)?table\s+"
                     r"(?:if\s+not\s+exists\s+)?([\w.`\"$]+)\s*\(", re.IGNORECASE)
_COPY = re.compile(r"\s*copy\s+([\w.\"$]+)\s*(?:\(([^()]*)\)\s*)?from\s+stdin\b", re.IGNORECASE)
# A CREATE TABLE's text, tokens that change the bracket depth or quote a bracket away.
_DEFINITION_TOKEN = re.compile(r"'(?:[^'\\]|''|\\.)*'|\"[^\"]*\"|`[^`]*`|[(),]", re.DOTALL)
# What begins a table's definition that is no column.
_CONSTRAINTS = frozenset("primary key unique index constraint foreign check fulltext spatial exclude "
                         "like period".split())
DEFINITION_CHARS = 256 << 10  # a CREATE TABLE longer than this is not read (memory stays bounded)
COPY_END = "\\."


class CreateTable:
    """A CREATE TABLE being read a line at a time, up to the bracket that closes its columns."""

    def __init__(self, table: str, text: str):
        self.table, self._pieces, self._chars = table, [text], len(text)

    @classmethod
    def begun(cls, line: str) -> "CreateTable | None":
        """Return the CREATE TABLE a line begins, or None."""
        match = _CREATE.search(line)
        return None if match is None else cls(table_key(match.group(1)), line[match.end():])

    def add(self, line: str) -> None:
        """Add the next line of the definition."""
        self._pieces.append(line)
        self._chars += len(line)

    def columns(self) -> list[str] | None:
        """Return the table's columns once its definition is complete (None before; [] when it
        is too long to read, or names none)."""
        if self._chars > DEFINITION_CHARS:
            return []
        text = "\n".join(self._pieces)
        depth, start, items = 0, 0, []
        for token in _DEFINITION_TOKEN.finditer(text):
            character = token.group()
            if character == "(":
                depth += 1
            elif character == ")" and depth:
                depth -= 1
            elif character == ")":
                items.append(text[start:token.start()])
                return [name for name in map(_column_of, items) if name]
            elif character == "," and not depth:
                items.append(text[start:token.start()])
                start = token.end()
        return None


def _column_of(definition: str) -> str | None:
    """Return the column a definition of a CREATE TABLE defines, None for a constraint.

    >>> _column_of("  `cust_name` varchar(50) DEFAULT NULL"), _column_of(" PRIMARY KEY (`id`)")
    ('cust_name', None)
    """
    words = definition.split()
    if not words or words[0].lower() in _CONSTRAINTS:
        return None
    return column_names(words[0])[0] or None


def copy_columns(line: str, tables: dict[str, list[str]]) -> list[str] | None:
    """Return the columns of the rows a ``COPY … FROM stdin`` line begins, None for any other
    line ([] when they are not known: a COPY with no column list of a table not defined before).

    >>> copy_columns("COPY public.customer (id, cust_name, addr) FROM stdin;", {})
    ['id', 'cust_name', 'addr']
    """
    match = _COPY.match(line)
    if match is None:
        return None
    listed = match.group(2)
    return column_names(listed) if listed is not None else tables.get(table_key(match.group(1)), [])


def copy_fields(line: str) -> list[tuple[int, int] | None]:
    """Return where each tab-separated field of a COPY row is, None for a NULL (``\\N``).

    >>> copy_fields("1\\t\\\\N\\t王建国")
    [(0, 1), None, (5, 8)]
    """
    fields: list[tuple[int, int] | None] = []
    start = 0
    while True:
        end = line.find("\t", start)
        stop = len(line) if end < 0 else end
        fields.append(None if line[start:stop] == "\\N" else (start, stop))
        if end < 0:
            return fields
        start = end + 1


_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_COPY_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))", re.DOTALL)


def copy_unescaped(text: str) -> tuple[str, list[int] | None]:
    """Return a COPY field's value (its backslash escapes undone) and where each character
    begins in ``text``; None for the places when there was no escape.

    >>> copy_unescaped("a\\\\tb\\\\101")
    ('a\\tbA', [0, 1, 3, 4])
    """
    if "\\" not in text:
        return text, None
    characters, places, done = [], [], 0
    for escape in _COPY_ESCAPE.finditer(text):
        characters.extend(text[done:escape.start()])
        places.extend(range(done, escape.start()))
        octal, hexadecimal, other = escape.groups()
        characters.append(chr(int(octal, 8)) if octal else chr(int(hexadecimal, 16)) if hexadecimal
                          else _COPY_ESCAPES.get(other, other))
        places.append(escape.start())
        done = escape.end()
    characters.extend(text[done:])
    places.extend(range(done, len(text)))
    return "".join(characters), places
