"""Tell whether a database item's table or column was dropped: the remedy an owner chose.

No scan reads a dropped column, so its item stayed open for ever. A full scan without a problem
lists each database's tables and their columns (``TargetCoverage.databases``, before include and
exclude); an item whose column is missing from that list, in every database of its target, is
gone. False verification is the worst failure of an audit, so anything the list cannot prove
verifies nothing: a sampled or partial scan (no list, or a problem), a schema not listed in full
(not scanned this time, or on MariaDB possibly hidden from the account: ``dialects.lists_every_table``),
a table left out by include or exclude (its columns unread), a masked name (not comparable), a
name with a dot in it (``a.b.c`` may be table ``a.b`` or column ``b.c``), a column whose type is
no longer read (it is still there), an item whose samples do not say where in a database it was.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pii_audit.sources import NAMES_SEPARATOR
if TYPE_CHECKING:
    from pii_audit.sources import Listing, TargetCoverage


def dropped(coverage: TargetCoverage, container: str, samples: str) -> bool:
    """Tell whether an item's column (``container``, a ``table.column`` where its masked
    ``samples`` were found) is gone from every database of the target, as a full scan without a
    problem listed them: its column or its whole table dropped."""
    if coverage.problems or not coverage.databases or container in coverage.containers:
        return False
    places = _places(samples)
    if not places or any(f"{table}.{column}" != container for _, table, column in places):
        return False
    if not all(url in coverage.databases for url, _, _ in places):
        return False  # a database of the item no longer listed: left out of the target, or not read
    return all(_gone(listing, table, column)
               for listing in coverage.databases.values() for _, table, column in places)


def _places(samples: str) -> set[tuple[str, str, str]]:
    """Return the (url, table, column) of each sample's location; none unless every sample was
    found in a database (a log line's location has a path instead)."""
    places = set()
    for sample in json.loads(samples or "[]"):
        location = sample.get("location") or {}
        place = tuple(location.get(key) for key in ("url", "table", "column"))
        if not all(isinstance(part, str) for part in place):
            return set()
        places.add(place)
    return places


def _gone(listing: Listing, table: str, column: str) -> bool:
    """Tell whether a database's listing proves ``table.column`` (names as shown) is not there."""
    if "*" in table + column or "." in column or NAMES_SEPARATOR in column:
        return False
    if _prefix(table) not in listing.prefixes:
        return False  # its schema was not listed in full
    if table not in listing.tables:
        # The whole table dropped. Unless a masked name in the list is this table's, masked only
        # since it was found (a recognizer added or changed): then nothing is proved.
        return not any("*" in name for name in listing.tables)
    columns = listing.tables[table]
    if columns is None or "*" in columns:
        return False  # its columns not read (the table left out), or not comparable
    return column not in columns.split(NAMES_SEPARATOR)


def _prefix(table: str) -> str | None:
    """Return how a table's shown name starts with its schema: ``"app."`` for ``app.kh``, ``""``
    for SQLite's ``kh``; None where a dot in a name makes it ambiguous.

    >>> _prefix("app.kh"), _prefix("kh"), _prefix("app.kh.2024")
    ('app.', '', None)
    """
    dots = table.count(".")
    if dots > 1:
        return None
    return table.split(".")[0] + "." if dots else ""
