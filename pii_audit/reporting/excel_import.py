"""Apply the edits owners made in an exported ledger sheet: status, owner, department, due date, note.

Each row is checked on its own: a row naming an unknown item, changing a locked column, asking
for something the lifecycle forbids, or touching an item changed since the export is refused with
its row number and reason, and the other rows still apply. The ledger checks the lifecycle and
records every change in the item's history with who made it.
"""

from __future__ import annotations

import datetime
import os
import zipfile
from dataclasses import dataclass, field
from typing import Protocol

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from pii_audit.errors import ConfigError, LedgerConflict, LedgerError
from pii_audit.ledger import lifecycle
from pii_audit.reporting import labels, ledger_sheet
from pii_audit.views import ItemView

FIELDS = {"status": "status", "owner": "owner", "department": "department", "due": "due_date",
          "note": "note"}  # sheet column -> ItemView attribute


class LedgerEditor(Protocol):
    """The two ledger operations the import needs (``pii_audit.ledger.Ledger`` has them)."""

    def item(self, item_id: str) -> ItemView:
        """Return the item, or raise LedgerError if it is unknown."""

    def apply_edit(self, item_id: str, by: str, *, status: str | None = None, owner: str | None = None,
                   department: str | None = None, due: datetime.date | None = None,
                   note: str | None = None, expected_updated_at: datetime.datetime | None = None,
                   now: datetime.datetime | None = None) -> ItemView:
        """Change an item and record it in its history; raise LedgerConflict or LedgerError."""


@dataclass(frozen=True)
class RowEdit:
    """The changes one row asks for: column -> (current value, new value)."""

    row: int
    item_id: str
    changes: dict


@dataclass(frozen=True)
class RowRefusal:
    """A row that was not applied, and why (one line)."""

    row: int
    item_id: str | None
    reason: str


@dataclass
class ImportOutcome:
    """What an import applied (or, in a dry run, would apply), refused and found in conflict."""

    dry_run: bool
    applied: list[RowEdit] = field(default_factory=list)
    refused: list[RowRefusal] = field(default_factory=list)
    conflicts: list[RowRefusal] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        """True when no row was refused or in conflict."""
        return not self.refused and not self.conflicts

    def lines(self) -> list[str]:
        """Return the outcome as lines a person reads, one per row, then a summary."""
        verb = "would change" if self.dry_run else "changed"
        out = [f"row {e.row} {e.item_id}: {verb} " + "; ".join(
            f"{k} {_show(old)} -> {_show(new)}" for k, (old, new) in e.changes.items()) for e in self.applied]
        out += [f"row {r.row} {r.item_id or ''}: refused: {r.reason}" for r in self.refused]
        out += [f"row {r.row} {r.item_id}: conflict: {r.reason}" for r in self.conflicts]
        out.append(f"{len(self.applied)} {'to change' if self.dry_run else 'changed'}, "
                   f"{len(self.refused)} refused, {len(self.conflicts)} in conflict, "
                   f"{self.unchanged} unchanged" + (" (dry run: nothing applied)" if self.dry_run else ""))
        return out


def _show(value) -> str:
    return "(empty)" if value in (None, "") else str(value)


def _norm(value) -> str:
    """Return a cell value as comparable text (numbers, dates and text as the sheet shows them)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() else value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_due(value) -> datetime.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError:
        raise ValueError(f"due date {str(value)[:20]!r} is not a date (YYYY-MM-DD)") from None


def _parse_edits(cells: dict) -> dict:
    """Return the editable columns' values of a row, parsed; raise ValueError with the reason."""
    status_text = _norm(cells.get("status"))
    status = labels.status_from_label(status_text) if status_text else None
    if status is None:
        raise ValueError(f"unknown status {status_text[:20]!r}")
    edits = {"status": status, "due": _parse_due(cells.get("due"))}
    for key in ("owner", "department", "note"):
        text = ledger_sheet.clean_text(_norm(cells.get(key)))
        edits[key] = text or None
    return edits


def _changes(item: ItemView, edits: dict) -> dict:
    changes = {}
    for key, attribute in FIELDS.items():
        if key == "due" and edits[key] is None:
            continue  # an emptied due date keeps the ledger's: it follows from the risk level
        current = getattr(item, attribute)
        if _norm(current) != _norm(edits[key]):
            changes[key] = (current, edits[key])
    return changes


def _transition_refusal(item: ItemView, changes: dict, note: str | None) -> str | None:
    """Return why the ledger would refuse the row's status change, else None (a dry run says it too)."""
    if "status" not in changes:
        return None
    new = changes["status"][1]
    if not (note or "").strip():
        return f"a note is required to change the status {item.status} -> {new} (say why in the note)"
    try:
        lifecycle.check_manual(item.status, new, note)
    except LedgerError as error:
        return f"invalid transition {item.status} -> {new}: {error}"
    return None


def _locked_change(item: ItemView, cells: dict, lang: str) -> str | None:
    expected = ledger_sheet.ledger_values(item, lang)
    for key in ledger_sheet.LOCKED:
        if key in cells and _norm(cells[key]) != _norm(expected[key]):
            return f"locked column {labels.LEDGER_COLUMNS[lang][key]!r} was changed"
    return None


def _check_row(ledger: LedgerEditor, number: int, cells: dict, lang: str, outcome: ImportOutcome):
    """Return (item, changes, note) for a row to apply, or None after recording why it is not applied."""
    item_id = _norm(cells.get("id"))
    try:
        item = ledger.item(item_id)
    except LedgerError:
        outcome.refused.append(RowRefusal(number, item_id, f"unknown item {item_id[:20]!r}"))
        return None
    try:
        edits = _parse_edits(cells)
        changes = _changes(item, edits)
    except ValueError as error:
        outcome.refused.append(RowRefusal(number, item_id, str(error)))
        return None
    exported_at = _norm(cells.get("updated_at"))
    current_at = item.updated_at.isoformat() if item.updated_at else ""
    if exported_at != current_at:
        if changes:  # the ledger moved on since the export: never overwrite it
            outcome.conflicts.append(RowRefusal(number, item_id, "changed in the ledger after this "
                                                "sheet was exported; export again and redo the row"))
        else:
            outcome.unchanged += 1
        return None
    refusal = _locked_change(item, cells, lang) or _transition_refusal(item, changes, edits["note"])
    if refusal:
        outcome.refused.append(RowRefusal(number, item_id, refusal))
        return None
    if not changes:
        outcome.unchanged += 1
        return None
    return item, changes, edits["note"]


def _apply(ledger: LedgerEditor, by: str, number: int, item: ItemView, changes: dict, note: str | None,
           outcome: ImportOutcome, now: datetime.datetime | None) -> None:
    # An emptied text cell clears the field: "" (None would mean "leave it").
    arguments = {key: "" if new is None else new for key, (_, new) in changes.items()}
    if "status" in changes:  # the row's note, edited or not, is the reason the ledger requires
        arguments["note"] = note
    try:
        ledger.apply_edit(item.id, by, expected_updated_at=item.updated_at, now=now, **arguments)
    except LedgerConflict as error:
        outcome.conflicts.append(RowRefusal(number, item.id, str(error)))
    except LedgerError as error:
        outcome.refused.append(RowRefusal(number, item.id, str(error)))
    else:
        outcome.applied.append(RowEdit(number, item.id, changes))


def import_workbook(path: str | os.PathLike, ledger: LedgerEditor, by: str, dry_run: bool = False,
                    now: datetime.datetime | None = None) -> ImportOutcome:
    """Apply the ledger sheet of the workbook at ``path`` to ``ledger`` (nothing with ``dry_run``)."""
    outcome = ImportOutcome(dry_run=dry_run)
    for number, cells, lang in read_ledger_rows(path):
        checked = _check_row(ledger, number, cells, lang, outcome)
        if checked is None:
            continue
        item, changes, note = checked
        if dry_run:
            outcome.applied.append(RowEdit(number, item.id, changes))
        else:
            _apply(ledger, by, number, item, changes, note, outcome, now)
    return outcome


def read_ledger_rows(path: str | os.PathLike):
    """Yield ``(row number, {column: value}, language)`` for each non-empty row of the ledger sheet."""
    if not openpyxl.DEFUSEDXML:  # SECURITY.md item 6: never parse untrusted XML without defusedxml
        raise ConfigError("refusing to read a workbook: defusedxml is not installed or was disabled")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as error:
        raise ConfigError(f"cannot read {os.fspath(path)}: {type(error).__name__}: "
                          f"{str(error)[:120]}") from None
    try:
        yield from _sheet_rows(workbook, os.fspath(path))
    finally:
        workbook.close()


def _sheet_rows(workbook, path: str):
    for lang in labels.LANGUAGES:
        name = labels.SHEETS[lang]["ledger"]
        if name in workbook.sheetnames:
            break
    else:
        names = " or ".join(labels.SHEETS[lang]["ledger"] for lang in labels.LANGUAGES)
        raise ConfigError(f"{path} has no ledger sheet ({names})")
    rows = workbook[name].iter_rows(values_only=True)
    columns = [ledger_sheet.column_of_header(str(h or "")) for h in next(rows, ())]
    missing = [c for c in ("id", "updated_at", *ledger_sheet.EDITABLE) if c not in columns]
    if missing:
        raise ConfigError(f"{path}: the ledger sheet lacks the column(s) {', '.join(missing)}")
    for number, values in enumerate(rows, start=2):
        cells = {key: value for key, value in zip(columns, values) if key is not None}
        if _norm(cells.get("id")):
            yield number, cells, lang
