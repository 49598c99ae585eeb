"""What the source tests share: scanning one target in-process, one detector per key, and a
reader's sheets as cells."""

from __future__ import annotations

import functools

from pii_audit.detector import Detector
from pii_audit.scan import scan_targets
from pii_audit.sources import ScanOptions


def scan_one(target, key, jobs: int = 1, **options):
    """Scan one target in-process with ``jobs`` workers (``options`` for the rest of
    ``ScanOptions``) and return its TargetResult."""
    (result,) = scan_targets([str(target)], ScanOptions(jobs=jobs, **options), key)
    return result


def cells_of(sheets) -> dict[str, dict[tuple[int, int], str]]:
    """Return ``{sheet: {(row number, column): text}}`` of the non-empty cells of ``sheets``."""
    found = {}
    for name, rows in sheets:
        cells = found.setdefault(name, {})
        for number, first, values in rows:
            cells.update({(number, column): value for column, value in enumerate(values, first) if value})
    return found


@functools.lru_cache(maxsize=2)
def detector_for(key: bytes) -> Detector:
    """Return one detector per key, for tests that detect in many texts or files: building one
    (its Hyperscan database) takes about 0.2 s, and a test of 240 fuzzed files took 54 s, most
    of it building detectors."""
    return Detector(key)
