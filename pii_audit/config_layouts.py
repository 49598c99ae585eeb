"""Read the ``[[layouts]]`` of an ``audit.toml``: the record layouts of headerless batch files.

Each layout names the files it reads by globs and its fields by ``columns``, either by
``widths`` (bytes of the file's encoding) or by a ``delimiter``; ``sources.layouts`` reads them.
"""

from __future__ import annotations

import codecs

from pii_audit.config_values import ValueReader
from pii_audit.sources.layouts import Layout

LAYOUT_KEYS = ("files", "columns", "widths", "delimiter", "encoding", "skip_lines")


def read_layouts(values: ValueReader, value) -> tuple[Layout, ...]:
    """Return every well-formed layout; record the problems of the others."""
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        values.problem(("layouts",), "must be a list of [[layouts]] tables")
        return ()
    layouts = [read_layout(values, table, ("layouts", i)) for i, table in enumerate(value)]
    return tuple(layout for layout in layouts if layout is not None)


def read_layout(values: ValueReader, table: dict, where: tuple) -> Layout | None:
    """Return one layout, or None when it has a problem (recorded)."""
    count = len(values.problems)
    values.known_keys(table, where, LAYOUT_KEYS)
    files = _globs(values, table, where)
    columns = _columns(values, table, where)
    widths = _widths(values, table, where)
    delimiter = _delimiter(values, table, where)
    if ("widths" in table) == ("delimiter" in table):
        values.problem(where + ("widths",), "give widths (a fixed-width file) or delimiter, not both "
                       "and not neither")
    elif widths and columns and len(widths) != len(columns):
        values.problem(where + ("widths",), f"{len(widths)} widths for {len(columns)} columns; "
                       "give one width a column")
    encoding = _encoding(values, table, where)
    skip_lines = values.integer(table, "skip_lines", where, minimum=0)
    if len(values.problems) > count:
        return None
    return Layout(files=files, columns=columns, widths=widths or (), delimiter=delimiter,
                  encoding=encoding, skip_lines=skip_lines or 0)


def _globs(values: ValueReader, table: dict, where: tuple) -> tuple[str, ...] | None:
    globs = values.strings(table, "files", where)
    if globs is None and "files" not in table:
        values.problem(where + ("files",), "missing; give the globs of the files this layout reads, "
                       "e.g. [\"**/CUST_*.dat\"]")
    for i, glob in enumerate(globs or ()):
        if glob.endswith("/"):
            values.problem(where + ("files", i), f"{glob!r} names a folder; end it with the files' "
                           "names, e.g. \"batch/*.dat\"")
        elif glob.count("[") != glob.count("]"):
            values.problem(where + ("files", i), f"{glob!r} has an unclosed [ ]")
    return globs


def _columns(values: ValueReader, table: dict, where: tuple) -> tuple[str, ...] | None:
    columns = values.strings(table, "columns", where)
    if columns is None and "columns" not in table:
        values.problem(where + ("columns",), "missing; give the name of each field, in order")
    elif columns is not None and not columns:
        values.problem(where + ("columns",), "must name at least one field")
    for i, name in enumerate(columns or ()):
        if name in columns[:i]:
            values.problem(where + ("columns", i), f"duplicate column name {name!r}")
    return columns


def _widths(values: ValueReader, table: dict, where: tuple) -> tuple[int, ...] | None:
    widths = values.value(table, "widths", where, list, "a list of whole numbers ≥ 1 (bytes)")
    if widths is None:
        return None
    if not widths or not all(isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in widths):
        values.problem(where + ("widths",), "must be a list of whole numbers ≥ 1 (bytes)")
        return None
    return tuple(widths)


def _delimiter(values: ValueReader, table: dict, where: tuple) -> str | None:
    delimiter = values.value(table, "delimiter", where, str, "a string, e.g. \"|\" or \"\\t\"")
    if delimiter is not None and (not delimiter or "\n" in delimiter or "\r" in delimiter):
        values.problem(where + ("delimiter",), "must be a non-empty string without a line break")
        return None
    return delimiter


def _encoding(values: ValueReader, table: dict, where: tuple) -> str | None:
    """Return an encoding Python knows that writes a line break as one "\\n" byte (records are
    lines of bytes): gb18030, gbk, utf-8; not UTF-16."""
    name = values.text(table, "encoding", where)
    if name is None:
        return None
    try:
        codecs.lookup(name)
        newline = "\n".encode(name)
    except (LookupError, UnicodeError):
        values.problem(where + ("encoding",), f"unknown encoding {name!r} (e.g. \"gb18030\", \"utf-8\")")
        return None
    if newline != b"\n":
        values.problem(where + ("encoding",), f"{name!r} is not read by layouts: records are read as lines "
                       "of bytes (use gb18030, gbk or utf-8)")
        return None
    return name
