"""What a scan of one target produced: coverage plus occurrences aggregated per (container, entity).

This is the interface between the scan and the ledger: the ledger turns each ``Finding`` into
(or onto) one item, and uses ``coverage`` to decide what a scan may verify as fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from pii_audit.distinct import DistinctValues
from pii_audit.models import Occurrence
from pii_audit.sources import TargetCoverage
if TYPE_CHECKING:  # only a type here: importing recognizers loads Presidio (seconds)
    from recognizers.base import Risk

MAX_SAMPLES = 5  # masked samples kept per finding


@dataclass
class Finding:
    """All occurrences of one entity in one container of one target, in one scan."""

    container: str
    entity_type: str
    risk: Risk
    occurrences: int = 0  # plaintext occurrences
    masked_occurrences: int = 0  # values the source had already masked
    # Distinct plaintext values, by the first 16 bytes of their keyed fingerprint (a collision
    # needs about 2^64 values): exact up to distinct.EXACT_LIMIT, then estimated in 16 KB.
    distinct: DistinctValues = field(default_factory=DistinctValues)
    samples: list[Occurrence] = field(default_factory=list)  # first few plaintext occurrences

    @property
    def distinct_values(self) -> int:
        """Number of distinct plaintext values (by keyed fingerprint; see ``distinct``)."""
        return self.distinct.count

    def add(self, occurrence: Occurrence) -> None:
        """Count one occurrence; keep it as a sample while fewer than MAX_SAMPLES are kept."""
        if occurrence.already_masked:
            self.masked_occurrences += 1
            return
        self.occurrences += 1
        self.distinct.add(bytes.fromhex(occurrence.fingerprint[:32]))
        if occurrence.risk.minor and not self.risk.minor:
            self.risk = occurrence.risk
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(occurrence)


@dataclass
class TargetResult:
    """One target's scan: its name, what was covered, and its findings."""

    target: str  # as the user named it, a URL with its password hidden
    coverage: TargetCoverage
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)
    owner: str | None = None  # from the target's configuration (谁的系统谁负责)
    department: str | None = None
    due_days: dict[str, int] | None = None  # days to remediate per risk level, from the configuration

    def add(self, occurrence: Occurrence) -> None:
        """Aggregate one occurrence into its (container, entity) finding."""
        key = (occurrence.container, occurrence.entity_type)
        finding = self.findings.get(key)
        if finding is None:
            finding = self.findings[key] = Finding(occurrence.container, occurrence.entity_type,
                                                   occurrence.risk)
        finding.add(occurrence)

    def add_all(self, occurrences: Iterable[Occurrence]) -> None:
        """Aggregate many occurrences."""
        for occurrence in occurrences:
            self.add(occurrence)

    @property
    def plaintext_found(self) -> bool:
        """True when any finding holds a plaintext (unmasked) occurrence."""
        return any(f.occurrences for f in self.findings.values())
