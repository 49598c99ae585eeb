"""Audits: scan targets (named on the command line or in audit.toml) and record each in the ledger.

``pii-audit scan``, ``pii-audit run`` and the demo all go through here, so a target's owner and
department reach the ledger the same way whichever started the scan.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, replace
from typing import BinaryIO, Iterable, Iterator, Sequence

from pii_audit.results import TargetResult
from pii_audit.scan import Progress, Reading, display_name, merge_coverage, merge_finding, scan_targets
from pii_audit.sources import ScanOptions, TargetCoverage
from pii_audit.sources.images import record_unread
from pii_audit.views import ScanView


@dataclass(frozen=True)
class AuditTarget:
    """What to scan under one name: its locations, how to read them and who owns what is found."""

    name: str  # the ledger's target: a configured name, or a path/URL with its password hidden
    locations: tuple[str, ...]
    options: ScanOptions
    owner: str | None = None
    department: str | None = None
    due_days: dict[str, int] | None = None  # the target's own, from audit.toml


def targets_from_command_line(locations: Sequence[str], options: ScanOptions) -> list[AuditTarget]:
    """Return one target per location named on the command line."""
    return [AuditTarget(display_name(location), (location,), options) for location in locations]


def targets_from_config(config, names: Sequence[str] = (), env=None, jobs: int = 0) -> list[AuditTarget]:
    """Return the configured targets (those named, or all), owners and options resolved."""
    env = os.environ if env is None else env
    targets = []
    for target in config.select(list(names)):
        options = replace(target.scan_options(env), jobs=jobs)
        targets.append(AuditTarget(target.name, tuple(target.locations(env)), options,
                                   target.owner, target.department or None, target.due_days))
    return targets


def scan_audit_targets(targets: Sequence[AuditTarget], key: bytes, jsonl: BinaryIO | None = None,
                       on_progress: Progress | None = None, on_reading: Reading | None = None
                       ) -> Iterator[TargetResult]:
    """Scan each target and yield one result per target, owner and department attached.

    Targets that share options and have one location each (the command line's) are scanned in
    one pool, so small targets run side by side; a configured target's locations merge into one.
    """
    if all(len(t.locations) == 1 and t.options == targets[0].options for t in targets) and targets:
        results = scan_targets([t.locations[0] for t in targets], targets[0].options, key,
                               on_progress=on_progress, jsonl=jsonl, on_reading=on_reading)
        for target, result in zip(targets, results):
            yield _owned(target, result)
        return
    for target in targets:
        results = list(scan_targets(list(target.locations), target.options, key,
                                    on_progress=on_progress, jsonl=jsonl, on_reading=on_reading))
        yield _owned(target, _merged(target.name, results))


def _merged(name: str, results: Iterable[TargetResult]) -> TargetResult:
    merged = TargetResult(name, TargetCoverage(name))
    for result in results:
        merged.coverage.kind = merged.coverage.kind or result.coverage.kind
        merge_coverage(merged.coverage, result.coverage)
        for finding in result.findings.values():
            merge_finding(merged, finding)
    return merged


def _owned(target: AuditTarget, result: TargetResult) -> TargetResult:
    result.target = target.name
    result.coverage.target = target.name
    record_unread(result.coverage)  # one line a target, where a target's locations are merged
    result.owner, result.department, result.due_days = target.owner, target.department, target.due_days
    return result


def record_audit(ledger, targets: Sequence[AuditTarget], results: Iterable[TargetResult],
                 by: str | None = None) -> tuple[list[TargetResult], ScanView]:
    """Record a scan in the ledger: each target in its own transaction, as soon as it is scanned.

    A scan killed half-way keeps the targets recorded before; nothing is marked fixed by it.
    """
    options = {"entities": _common_entities(targets)}
    scan_id = ledger.begin_scan(by or getpass.getuser(), [t.name for t in targets], options)
    done = []
    for result in results:
        ledger.record_target(scan_id, result)
        done.append(result)
    return done, ledger.finish_scan(scan_id)


def _common_entities(targets: Sequence[AuditTarget]) -> list[str]:
    """Return the entities every target looked for ([] = all): a scan verifies only those."""
    from recognizers import ALL_RECOGNIZERS

    everything = {cls.ENTITY for cls in ALL_RECOGNIZERS}
    common = everything.copy()
    for target in targets:
        common &= set(target.options.entities) or everything
    return [] if common == everything else sorted(common)
