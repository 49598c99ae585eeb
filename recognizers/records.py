"""Delimited records: a line of a batch or reconciliation file split into its fields.

A core system's batch files and headerless exports hold one customer or transaction a line, its
fields split by one delimiter (``20240601|0001|王建国|110105…|138…``): no key or header names a
field, so what a field is must be told from the record it stands in (``recognizers.person``).
"""

from __future__ import annotations

import re

# The delimiters a bank's batch files use, in the order a line's own is chosen: the first that
# stands in the line splits it, so a "|" file's amounts (1,000.00) keep their commas. A full-width
# one reads as its ASCII form (``base.to_halfwidth``).
DELIMITERS = ("|", "^", "\t", ",")
# Whether a line holds a delimiter at all: one search in C, where most log lines hold none.
DELIMITED = re.compile("[|^\t,]")
# What a field may be wrapped in (a CSV's quotes) and padded with, as fixed-width fields pad.
_PADDING = " \"'\r"


def record_fields(line: str) -> list[tuple[int, int]]:
    """Return where each field of a delimited line starts and ends, its spaces and quotes left
    out; no field when no delimiter stands in the line.

    >>> line = '0001|王建国| 138 |"x"'
    >>> [line[slice(*span)] for span in record_fields(line)]
    ['0001', '王建国', '138', 'x']
    >>> record_fields("客户王建国已办理")
    []
    """
    delimiter = next((d for d in DELIMITERS if d in line), None)
    if delimiter is None:
        return []
    fields, start = [], 0
    for piece in line.split(delimiter):
        first, end = field_span(piece)
        fields.append((start + first, start + end))
        start += len(piece) + 1
    return fields


def field_span(field: str) -> tuple[int, int]:
    """Return where a field's value starts and ends, its spaces and quotes left out.

    >>> field_span(' "王建国" ')
    (2, 5)
    """
    first = len(field) - len(field.lstrip(_PADDING))
    return first, max(first, len(field.rstrip(_PADDING)))
