"""Scheduled runs: scan each due target under its lock, record it in the ledger, write the reports.

``pii-audit run`` (from cron or ``--daemon``) and ``pii-audit demo`` call ``run_targets``.
Each target is recorded as its own ledger scan: the scan's counts are then that target's, a
target's verification uses that target's own entities, and a target finished before another
failed (or before a SIGTERM) is recorded whatever happens next.

A target that fails is recorded too, as a scan of nothing with the reason as its problem: the
ledger then shows the failure, nothing is verified by it, and the target waits for its next
slot instead of being retried every few minutes by cron.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from pii_audit.errors import ConfigError, PiiAuditError
from pii_audit.schedule import TargetBusy, due_targets, target_lock

COMPLETE, INCOMPLETE, FAILED = "complete", "incomplete", "failed"
BUSY, SKIPPED, INTERRUPTED = "busy", "skipped", "interrupted"  # not run: no scan recorded


@dataclass
class TargetRun:
    """What one target's turn in a run came to: its status and the ledger's counts after it."""

    target: str
    status: str  # COMPLETE, INCOMPLETE, FAILED, BUSY, SKIPPED or INTERRUPTED
    scan_id: int | None = None
    new: int = 0
    reopened: int = 0
    verified: int = 0
    open: int = 0  # active items of the target after the run
    overdue: int = 0
    occurrences: int = 0
    found: bool = False  # personal information found in plaintext
    problems: list[str] = field(default_factory=list)  # one line each, masked values only

    def line(self) -> str:
        """Return the one-line summary printed after a run."""
        counts = (f"{self.new} new, {self.reopened} reopened, {self.verified} verified, "
                  f"{self.open} open, {self.overdue} overdue")
        if self.status == COMPLETE:
            return f"{self.target}: {counts} (scan {self.scan_id})"
        if self.status in (BUSY, SKIPPED, INTERRUPTED):
            return f"{self.target}: {self.status}: {'; '.join(self.problems)}"
        shown = "; ".join(self.problems[:3]) + (f"; +{len(self.problems) - 3} more" if len(self.problems) > 3 else "")
        return f"{self.target}: {self.status.upper()}: {counts} (scan {self.scan_id}); {shown}"


def utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    """Return a ledger time (naive UTC) as an aware datetime, for the schedule."""
    return None if moment is None else moment.replace(tzinfo=datetime.timezone.utc)


def last_runs(ledger, config) -> dict[str, datetime.datetime | None]:
    """Return when each configured target last started a recorded scan (aware UTC), or None."""
    runs = {}
    for target in config.targets:
        scan = ledger.last_run(target.name)
        runs[target.name] = utc(scan.started_at) if scan else None
    return runs


def select_targets(config, ledger, names: Sequence[str] = (), now: datetime.datetime | None = None):
    """Return the targets to run now: those named (forced), else those whose schedule is due."""
    if names:
        return config.select(list(names))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return due_targets(config, last_runs(ledger, config), now)


def run_targets(config, ledger, key: bytes, targets, by: str | None = None,
                should_stop: Callable[[], bool] = lambda: False,
                on_done: Callable[[TargetRun], None] | None = None, forced: bool = False) -> list[TargetRun]:
    """Run each target in turn under its lock; stop between targets once ``should_stop()``.

    Unless ``forced``, a target is checked again once its lock is held: another process may
    have run it between the check and the lock, and it is then not due any more.
    """
    runs = []
    for target in targets:
        if should_stop():
            break
        run = run_locked(config, ledger, key, target.name, by, should_stop, recheck=not forced)
        runs.append(run)
        if on_done is not None:
            on_done(run)
    return runs


def run_locked(config, ledger, key: bytes, name: str, by: str | None,
               should_stop: Callable[[], bool] = lambda: False, recheck: bool = False) -> TargetRun:
    """Run one target under its lock; a target another process is scanning is skipped."""
    try:
        with target_lock(Path(config.run.state_dir), name):
            if recheck and name not in {t.name for t in select_targets(config, ledger)}:
                return TargetRun(name, SKIPPED, problems=["another process ran it since it was due"])
            return run_one(config, ledger, key, name, by, should_stop)
    except TargetBusy as busy:
        return TargetRun(name, BUSY, problems=[str(busy)])


def run_one(config, ledger, key: bytes, name: str, by: str | None,
            should_stop: Callable[[], bool] = lambda: False) -> TargetRun:
    """Scan one configured target and record it as one ledger scan, failure included."""
    from pii_audit.audit import record_audit, scan_audit_targets, targets_from_config

    audit_targets, failed = None, False
    try:
        audit_targets = targets_from_config(config, [name])
        results = list(scan_audit_targets(audit_targets, key))
    except Exception as error:  # noqa: BLE001 - one target's failure must not stop the others
        if should_stop():  # a worker killed by the same Ctrl-C: not a failure, run it next time
            return TargetRun(name, INTERRUPTED, problems=["stopped before it finished"])
        results, failed = [failed_result(config, name, error)], True
    try:
        _, scan = record_audit(ledger, audit_targets or _bare(config, name), results, by)
    except PiiAuditError as error:  # the ledger refused: nothing recorded, so due again next time
        return TargetRun(name, FAILED, problems=[f"not recorded in the ledger: {error}"])
    run = _outcome(ledger, name, results[0], scan)
    run.status = FAILED if failed else run.status
    return run


def failed_result(config, name: str, error: Exception):
    """Return an empty result whose only problem says why the target could not be scanned.

    Only pii-audit's own messages are shown: they never hold a raw value. Another exception's
    text might (a parser quoting its input), so only its type is.
    """
    from pii_audit.results import TargetResult
    from pii_audit.sources import TargetCoverage

    reason = str(error) if isinstance(error, PiiAuditError) else \
        f"scan failed ({type(error).__name__}); see `pii-audit scan --config {config.path} --target {name}`"
    target = config.target(name)
    result = TargetResult(name, TargetCoverage(name, kind=target.kind), owner=target.owner,
                          department=target.department or None)
    result.coverage.problem(name, reason.replace("\n", " "))
    return result


def _bare(config, name: str):
    from pii_audit.audit import AuditTarget
    from pii_audit.sources import ScanOptions

    target = config.target(name)
    return [AuditTarget(name, (), ScanOptions(entities=target.entities), target.owner,
                        target.department or None)]


def _outcome(ledger, name: str, result, scan) -> TargetRun:
    complete = result.coverage.complete
    overdue = len(ledger.items(target=name, overdue=True, samples=False))
    return TargetRun(name, COMPLETE if complete else INCOMPLETE, scan.id, scan.new_items,
                     scan.reopened_items, scan.verified_items, scan.open_items, overdue,
                     scan.occurrences, result.plaintext_found,
                     [f"{p.where}: {p.reason}" for p in result.coverage.problems])


def exit_code(runs: Sequence[TargetRun], forced: bool = False) -> int:
    """Return the run's exit code, as ``scan``'s: 3 if a target failed or is incomplete, else 1
    if personal information was found, else 0. A busy target counts only when it was forced."""
    from pii_audit.summary import EXIT_CLEAN, EXIT_FOUND, EXIT_INCOMPLETE

    bad = {INCOMPLETE, FAILED} | ({BUSY, INTERRUPTED} if forced else set())
    if any(run.status in bad for run in runs):
        return EXIT_INCOMPLETE
    return EXIT_FOUND if any(run.found for run in runs) else EXIT_CLEAN


def append_summary(path: Path, runs: Sequence[TargetRun], at: datetime.datetime) -> None:
    """Append one JSON line per target to ``path`` (created 0600), for other tools."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as error:
        raise ConfigError(f"cannot write the run summary {path}: {error.strerror}") from None
    os.fchmod(descriptor, 0o600)
    lines = [json.dumps({"at": at.isoformat(timespec="seconds"), **asdict(run)}, ensure_ascii=False)
             for run in runs]
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))
