"""What a scan does to the ledger: upsert one target's findings into items, in one transaction.

Found again: counts and samples refreshed, ``fixed``/``verified`` reopened. Not found in a
container the scan read completely (full, no error), or in a spreadsheet, folder or database read
completely that no longer has the container (its column, pivot table or link deleted; the log,
the batch file read with a layout or the file that held it deleted; the table or column dropped,
``ledger.dropped``): active and fixed items verified. A sampled,
partial or failed read verifies nothing. ``accepted_risk`` and ``false_positive`` items, owners,
due dates set by people and notes are never changed by a scan.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select, update

from pii_audit.ledger import lifecycle, schema
from pii_audit.ledger.dropped import dropped
from pii_audit.ledger.identity import item_identity, target_key
from pii_audit.ledger.rows import SYSTEM, add_history, due_from, expire_one, to_json
from pii_audit.sources import SPREADSHEET_SUFFIXES
from pii_audit.sources.files import stream_name
if TYPE_CHECKING:  # importing these at run time would load Presidio (seconds) for `ledger list`
    from pii_audit.results import Finding, TargetResult
    from pii_audit.sources import TargetCoverage


@dataclass
class RecordOutcome:
    """What recording one target changed in the ledger."""

    target: str
    new: int = 0
    reopened: int = 0
    verified: int = 0
    seen: int = 0  # items found again, status unchanged
    suppressed: int = 0  # findings on false_positive items, ignored
    expired: int = 0  # accepted risks that returned to open
    occurrences: int = 0
    already_recorded: bool = False  # this scan had recorded the target before (a resumed run)
    item_ids: list[int] = field(default_factory=list)  # items found in this target

    def to_json(self) -> str:
        """Return the outcome as JSON, kept with the scan's checkpoint."""
        return to_json(asdict(self))


@dataclass(frozen=True)
class Context:
    """What a target's recording needs besides the result."""

    scan_id: int
    now: datetime.datetime
    due_days: dict[str, int]
    entities: frozenset[str]  # entities the scan looked for; empty = all


def recorded_before(conn: Connection, scan_id: int, target: str) -> RecordOutcome | None:
    """Return the outcome of a target this scan recorded already, else None."""
    row = conn.execute(select(schema.scan_targets.c.outcome).where(
        schema.scan_targets.c.scan_id == scan_id,
        schema.scan_targets.c.target_key == target_key(target))).first()
    if row is None:
        return None
    outcome = RecordOutcome(**json.loads(row.outcome))
    outcome.already_recorded = True
    return outcome


def record(conn: Connection, result: TargetResult, ctx: Context) -> RecordOutcome:
    """Record one target's result; the caller owns the transaction."""
    outcome = RecordOutcome(result.target)
    existing = _expire(conn, _items_of(conn, result.target), ctx, outcome)
    plaintext = {key: f for key, f in result.findings.items() if f.occurrences}
    for key, finding in plaintext.items():
        row = existing.get(key)
        if row is None:
            outcome.item_ids.append(_create(conn, result, finding, ctx))
            outcome.new += 1
        else:
            _found(conn, row, finding, result, ctx, outcome)
        outcome.occurrences += finding.occurrences
    for key, row in existing.items():
        if key not in plaintext:
            _absent(conn, row, result, ctx, outcome)
    _save_coverage(conn, result.coverage, result.target, ctx.scan_id)
    _checkpoint(conn, result, ctx, outcome)
    return outcome


def _items_of(conn: Connection, target: str) -> dict:
    rows = conn.execute(select(schema.items).where(schema.items.c.target_key == target_key(target)))
    return {(row.container, row.entity_type): row for row in rows}


def _expire(conn: Connection, existing: dict, ctx: Context, outcome: RecordOutcome) -> dict:
    expired = [row for row in existing.values() if row.status == lifecycle.ACCEPTED_RISK
               and row.accepted_until is not None and row.accepted_until < ctx.now.date()]
    for row in expired:
        outcome.expired += expire_one(conn, row, ctx.now, ctx.due_days, ctx.scan_id)
    if not expired:
        return existing
    ids = [row.id for row in expired]
    fresh = conn.execute(select(schema.items).where(schema.items.c.id.in_(ids)))
    return existing | {(row.container, row.entity_type): row for row in fresh}


def _samples(finding: Finding) -> str:
    return to_json([{"masked": o.masked, "location": o.location} for o in finding.samples])


def _counts(finding: Finding) -> dict:
    return {"occurrences": finding.occurrences, "distinct_values": finding.distinct_values,
            "masked_occurrences": finding.masked_occurrences, "samples": _samples(finding)}


def _create(conn: Connection, result: TargetResult, finding: Finding, ctx: Context) -> int:
    risk = finding.risk
    item_id = conn.execute(insert(schema.items).values(
        target=result.target, container=finding.container, entity_type=finding.entity_type,
        identity=item_identity(result.target, finding.container, finding.entity_type),
        target_key=target_key(result.target),
        risk_category=risk.category, sensitive=risk.sensitive, minor=risk.minor,
        status=lifecycle.OPEN, owner=result.owner, department=result.department,
        due_date=due_from(ctx.now.date(), risk.category, ctx.due_days), due_manual=False,
        first_seen=ctx.now, last_seen=ctx.now, last_scan_id=ctx.scan_id, updated_at=ctx.now,
        **_counts(finding))).inserted_primary_key[0]
    add_history(conn, item_id, ctx.now, SYSTEM, "created", None, lifecycle.OPEN,
                f"found by scan {ctx.scan_id}", ctx.scan_id)
    return item_id


def _found(conn, row, finding: Finding, result: TargetResult, ctx: Context,
           outcome: RecordOutcome) -> None:
    if row.status == lifecycle.FALSE_POSITIVE:
        outcome.suppressed += 1
        return
    outcome.item_ids.append(row.id)
    values = {"last_seen": ctx.now, "last_scan_id": ctx.scan_id, **_counts(finding)}
    if finding.risk.minor and not row.minor:
        values["minor"] = True
    if row.owner is None and result.owner:
        values.update(owner=result.owner, department=row.department or result.department)
    status = lifecycle.after_found(row.status)
    if status != row.status:
        values.update(status=status, updated_at=ctx.now, verified_by_scan=None)
        if not row.due_manual:
            values["due_date"] = due_from(ctx.now.date(), row.risk_category, ctx.due_days)
        add_history(conn, row.id, ctx.now, SYSTEM, "status", row.status, status,
                    f"found again by scan {ctx.scan_id}", ctx.scan_id)
        outcome.reopened += 1
    else:
        outcome.seen += 1
    conn.execute(update(schema.items).where(schema.items.c.id == row.id).values(**values))


def fully_covered(coverage: TargetCoverage, container: str) -> bool:
    """Tell whether a scan read all of a container, without sampling and without an error, or
    read in full the spreadsheet or folder that held it, which holds it no more."""
    record = coverage.containers.get(container)
    if record is None:
        return (_gone_from_workbook(coverage, container) or _gone_from_folder(coverage, container)
                or _gone_with_its_file(coverage, container))
    if record.sampled or not record.complete:
        return False
    return not any(p.container == container for p in coverage.problems)


def _gone_from_folder(coverage: TargetCoverage, container: str) -> bool:
    """Tell whether a log stream (``logs/app.log``, its files' path without rotation suffixes) is
    gone from disk below a folder this scan walked without a problem (``_walked``): the log
    deleted, the remedy an owner chose. A file the config leaves out is still on disk."""
    if not _walked(coverage, container):
        return False
    directory = os.path.dirname(container)
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return True  # its folder was deleted with it
    except OSError:
        return False
    return not any(stream_name(os.path.join(directory, name)) == container for name in names)


def _walked(coverage: TargetCoverage, path: str) -> bool:
    """Tell whether ``path`` lies below a folder this scan walked (``TargetCoverage.folders``) and
    the scan had no problem. Not for a masked name (it held personal information: no such path), an
    archive's member, or a name with no folder in it (a table's ``kh.sfzh``: a file's path always
    has one, the walk joins it to its folder)."""
    if coverage.problems or "*" in path or "!" in path or not os.path.dirname(path):
        return False
    target = os.path.abspath(path)
    roots = [os.path.abspath(folder) for folder in coverage.folders if os.path.isdir(folder)]
    return any(os.path.commonpath([root, target]) == root for root in roots)


def _gone_with_its_file(coverage: TargetCoverage, container: str) -> bool:
    """Tell whether a container held by a file on disk (``file!…``: a batch file's column read
    with a layout, a workbook's, anything in an archive) went with that file, gone from a folder
    this scan walked without a problem and without sampling. The file still there verifies
    nothing: left out by the config, no longer matched by a layout or its column renamed in one,
    it still holds what it held (a layout's columns are the config's, not the file's)."""
    on_disk, inside, _ = container.partition("!")
    if not inside or any(r.sampled for r in coverage.containers.values()):
        return False
    return _walked(coverage, on_disk) and not os.path.lexists(on_disk)


def _gone_from_workbook(coverage: TargetCoverage, container: str) -> bool:
    """Tell whether a spreadsheet's container (``file!sheet!column``) is gone from the file, read
    in full by this scan (its column, sheet, pivot table or external link deleted, the remedy an
    owner chooses), or the file is gone from a folder walked (a workbook embedded in a document,
    a presentation or an archive: the file on disk that held it). A file sampled or read with a
    problem verifies nothing, nor one the config leaves out (it is still on disk)."""
    workbook, _, rest = container.partition("!")
    while "!" in rest and not workbook.lower().endswith(SPREADSHEET_SUFFIXES):  # inside an archive
        member, _, rest = rest.partition("!")
        workbook = f"{workbook}!{member}"
    if rest.count("!") != 1 or not workbook.lower().endswith(SPREADSHEET_SUFFIXES):
        return False
    prefix = workbook + "!"
    records = [r for name, r in coverage.containers.items() if name.startswith(prefix)]
    if not records:  # not read: deleted from a folder walked, or not read at all
        return _gone_with_its_file(coverage, container)
    if any(r.sampled or not r.complete for r in records):
        return False
    return not any(p.where == workbook or p.where.startswith(prefix) for p in coverage.problems)


def _absent(conn, row, result: TargetResult, ctx: Context, outcome: RecordOutcome) -> None:
    if row.status in lifecycle.DECIDED:
        return
    if fully_covered(result.coverage, row.container):
        why = "container read in full, nothing found"
    elif dropped(result.coverage, row.container, row.samples):
        why = "its table or column is no longer in the database, listed in full"
    else:
        return
    if ctx.entities and row.entity_type not in ctx.entities:
        return  # the scan did not look for this entity
    masked = result.findings.get((row.container, row.entity_type))
    values = {"occurrences": 0, "distinct_values": 0, "last_scan_id": ctx.scan_id,
              "masked_occurrences": masked.masked_occurrences if masked else 0}
    status = lifecycle.after_absent(row.status, fully_covered=True)
    if status != row.status:
        values.update(status=status, verified_by_scan=ctx.scan_id, updated_at=ctx.now)
        add_history(conn, row.id, ctx.now, SYSTEM, "status", row.status, status,
                    f"verified by scan {ctx.scan_id}: {why}", ctx.scan_id)
        outcome.verified += 1
    conn.execute(update(schema.items).where(schema.items.c.id == row.id).values(**values))


def _save_coverage(conn: Connection, coverage: TargetCoverage, target: str, scan_id: int) -> None:
    rows = [{"scan_id": scan_id, "target": target, "container": c.container, "unit": c.unit,
             "units": c.units, "bytes": c.bytes, "sampled": c.sampled, "complete": c.complete}
            for c in coverage.containers.values()]
    if rows:
        conn.execute(insert(schema.coverage), rows)
    problems = [{"scan_id": scan_id, "target": target, "location": p.where, "reason": p.reason,
                 "container": p.container} for p in coverage.problems]
    if problems:
        conn.execute(insert(schema.problems), problems)


def _checkpoint(conn: Connection, result: TargetResult, ctx: Context, outcome: RecordOutcome) -> None:
    conn.execute(insert(schema.scan_targets).values(
        scan_id=ctx.scan_id, target=result.target, target_key=target_key(result.target),
        recorded_at=ctx.now,
        kind=result.coverage.kind or "", complete=result.coverage.complete,
        occurrences=outcome.occurrences, outcome=outcome.to_json()))
    scans = schema.scans.c
    conn.execute(update(schema.scans).where(scans.id == ctx.scan_id).values(
        occurrences=scans.occurrences + outcome.occurrences,
        new_items=scans.new_items + outcome.new,
        reopened_items=scans.reopened_items + outcome.reopened,
        verified_items=scans.verified_items + outcome.verified))
