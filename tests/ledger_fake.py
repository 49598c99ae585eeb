"""An in-memory FAKE of the ledger's edit operations, for the Excel import's parsing and validation
tests only. The lead switches those tests to the real ``pii_audit.ledger.Ledger`` when it lands.

Its lifecycle rule is a stand-in: a person may not set ``verified`` (only a full rescan does).
"""

from __future__ import annotations

import dataclasses
import datetime

from pii_audit.errors import LedgerConflict, LedgerError
from pii_audit.views import HistoryEntry, ItemView, ScanView


class FakeLedgerForImportTests:
    """Items in a dict; ``apply_edit`` checks the expected ``updated_at`` and one transition rule."""

    def __init__(self, items: list[ItemView], scans: list[ScanView] = ()):
        self._items = {i.id: i for i in items}
        self._scans = list(scans)
        self.edits: list[tuple[str, str, dict]] = []

    def items(self) -> list[ItemView]:
        """Return every item."""
        return list(self._items.values())

    def scans(self) -> list[ScanView]:
        """Return every scan."""
        return list(self._scans)

    def item(self, item_id: str) -> ItemView:
        """Return an item or raise LedgerError."""
        try:
            return self._items[item_id]
        except KeyError:
            raise LedgerError(f"unknown item {item_id}") from None

    def touch(self, item_id: str, **changes) -> ItemView:
        """Change an item as another user would, moving its ``updated_at`` on."""
        item = self.item(item_id)
        moved = (item.updated_at or datetime.datetime(2024, 1, 1)) + datetime.timedelta(seconds=1)
        self._items[item_id] = dataclasses.replace(item, updated_at=moved, **changes)
        return self._items[item_id]

    def apply_edit(self, item_id, by, *, status=None, owner=None, department=None, due=None,
                   note=None, expected_updated_at=None, now=None) -> ItemView:
        """Apply an edit the way the ledger promises to, recording it in the item's history."""
        item = self.item(item_id)
        if expected_updated_at is not None and item.updated_at != expected_updated_at:
            raise LedgerConflict(f"{item_id} changed at {item.updated_at:%Y-%m-%d %H:%M:%S}")
        if status == "verified":
            raise LedgerError(f"invalid transition {item.status} -> verified: only a full rescan verifies")
        now = now or datetime.datetime.now()
        changes = {k: v for k, v in (("status", status), ("owner", owner), ("department", department),
                                     ("due_date", due), ("note", note)) if v is not None}
        changes = {k: (v or None) for k, v in changes.items()}
        entry = HistoryEntry(now, by, "import", item.status, changes.get("status", item.status))
        self._items[item_id] = dataclasses.replace(item, updated_at=now, history=item.history + (entry,),
                                                   **changes)
        self.edits.append((item_id, by, changes))
        return self._items[item_id]
