"""Read-only views of the ledger, as reports, exports and the command line see it.

The ledger (``pii_audit/ledger/``) builds these; reports (``pii_audit/reporting/``) only read
them. They hold masked values and fingerprints only, never a raw matched value.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

# The lifecycle's states, in the order a report lists them.
STATUSES = ("open", "in_progress", "fixed", "verified", "reopened", "accepted_risk", "false_positive")


@dataclass(frozen=True)
class Sample:
    """A masked value and where it was found (``location`` as in the scan's JSONL)."""

    masked: str
    location: dict


@dataclass(frozen=True)
class HistoryEntry:
    """One change of an item: who, when, what and why."""

    at: datetime.datetime
    by: str
    action: str  # "created", "status", "assign", "accept_risk", "seen", "import", ...
    from_status: str | None = None
    to_status: str | None = None
    note: str | None = None
    scan_id: int | None = None


@dataclass(frozen=True)
class ItemView:
    """One ledger item: an entity stored in plaintext in one container of one target."""

    id: str  # "PI-000123", short and stable
    target: str
    container: str
    entity_type: str
    risk_category: str  # JR/T 0171-2020: C3, C2, C1
    sensitive: bool  # PIPL Art. 28
    minor: bool  # holds a resident ID of someone under 14
    status: str  # one of STATUSES
    owner: str | None
    department: str | None
    due_date: datetime.date | None
    first_seen: datetime.datetime
    last_seen: datetime.datetime
    occurrences: int  # in the latest scan that covered it
    distinct_values: int  # by fingerprint, in that scan
    masked_occurrences: int
    samples: tuple[Sample, ...] = ()
    note: str | None = None
    approver: str | None = None  # for accepted_risk
    accepted_until: datetime.date | None = None
    updated_at: datetime.datetime | None = None  # last change, for conflict detection on import
    history: tuple[HistoryEntry, ...] = ()

    def overdue(self, today: datetime.date) -> bool:
        """True when the item is still to be fixed and its due date has passed."""
        active = self.status in ("open", "in_progress", "reopened")
        return active and self.due_date is not None and self.due_date < today


@dataclass(frozen=True)
class CoverageView:
    """What one scan read of one container."""

    target: str
    container: str
    unit: str
    units: int
    bytes: int
    sampled: bool
    complete: bool


@dataclass(frozen=True)
class ProblemView:
    """What one scan could not read, and why."""

    target: str
    where: str
    reason: str


@dataclass(frozen=True)
class ScanView:
    """One run of ``pii-audit scan``."""

    id: int
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    by: str
    targets: tuple[str, ...]
    complete: bool  # every target read without a problem
    occurrences: int
    new_items: int
    reopened_items: int
    verified_items: int
    open_items: int  # items of its targets open, in progress or reopened after this scan
    # What it recorded of each target (none when it failed first); the report's trend adds up the
    # latest of every target.
    occurrences_by_target: dict[str, int] = field(default_factory=dict)
    coverage: tuple[CoverageView, ...] = field(default=())
    problems: tuple[ProblemView, ...] = field(default=())
