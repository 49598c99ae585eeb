"""Item IDs as people see them: ``PI-000123``, short and stable (the row's primary key)."""

from __future__ import annotations

import re

from pii_audit.errors import LedgerError

PREFIX = "PI-"
_ID_RE = re.compile(r"(?:PI-?)?0*(\d{1,12})", re.IGNORECASE)


def format_id(number: int) -> str:
    """Return the display ID of an item number.

    >>> format_id(123)
    'PI-000123'
    """
    return f"{PREFIX}{number:06d}"


def parse_id(text: str) -> int:
    """Return the item number of ``PI-000123``, ``pi-123`` or ``123``; LedgerError otherwise.

    >>> parse_id("PI-000123"), parse_id("pi-7"), parse_id("42")
    (123, 7, 42)
    """
    match = _ID_RE.fullmatch(str(text).strip())
    if match is None or int(match.group(1)) == 0:
        raise LedgerError(f"not an item ID: {text!r} (expected e.g. PI-000123)")
    return int(match.group(1))
