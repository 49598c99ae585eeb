"""Synthetic ledger views for report tests, built from a real ``Detector`` run on a synthetic corpus.

The items' samples are the detector's masked values and locations; ``raw_values`` are the
plaintext values the detector matched (kept in memory only, to prove reports never contain them).
Some container and target names carry markup and formula triggers, as hostile scanned data would.
"""

from __future__ import annotations

import datetime
import functools
import random
from dataclasses import dataclass

from pii_audit.detector import Detector
from pii_audit.models import Chunk
from pii_audit.results import TargetResult
from pii_audit.sources import TargetCoverage
from pii_audit.views import STATUSES, CoverageView, HistoryEntry, ItemView, ProblemView, Sample, ScanView
from recognizers import MASKED_KEY
from tests_corpus import corpus_lines

XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '"><img src=x onerror="window.__xss=2">'
FORMULAS = ['=HYPERLINK("http://evil.example/","点我")', "+1+2", "-3+4", "@SUM(1,2)", "\tcmd", "\rcr"]
TARGETS = ["logs/app.log", f"crm_{XSS_SCRIPT}.xlsx", "postgresql://audit@db/core"]
CONTAINERS = ["kh_jbxx.zjhm", f"客户!{XSS_IMG}", "app.log", *FORMULAS, "\x1b[31mred\x1b[0m.log"]
OWNERS = ["张伟", "李娜", "王芳", None]
T0 = datetime.datetime(2024, 5, 1, 9, 30)


@dataclass
class ReportData:
    """Items, scans and the raw values behind them."""

    items: list[ItemView]
    scans: list[ScanView]
    raw_values: set[str]


def _raw_values(detector: Detector, lines: list[str]) -> set[str]:
    raw = set()
    for line in lines:
        for result in detector.analyze(line):
            if not result.recognition_metadata.get(MASKED_KEY):
                value = line[result.start:result.end]
                raw.add(value)
                digits = "".join(c for c in value if c.isalnum())
                if len(digits) >= 11:
                    raw.add(digits)
    return raw


def _scan_targets(detector: Detector, rng: random.Random, lines_per: int) -> tuple[list[TargetResult], list[str]]:
    results, all_lines = [], []
    for t, target in enumerate(TARGETS):
        result = TargetResult(target, TargetCoverage(target), owner=OWNERS[t % len(OWNERS)])
        for c, container in enumerate(CONTAINERS):
            lines = corpus_lines(rng, lines_per)
            all_lines += lines
            chunks = [Chunk(text, {"path": target, "line": n + 1}, container) for n, text in enumerate(lines)]
            result.add_all(detector.detect(chunks))
            result.coverage.container(container, "lines", sampled=c % 2 == 1).units += lines_per
        results.append(result)
    return results, all_lines


def _history(n: int, status: str, scan_ids: list[int]) -> tuple[HistoryEntry, ...]:
    created = HistoryEntry(T0, "scanner", "created", None, "open", scan_id=scan_ids[n % 2])
    if status == "open":
        return (created,)
    last = scan_ids[-1] if status in ("reopened", "verified") else None
    return (created, HistoryEntry(T0 + datetime.timedelta(days=3), "李娜", "status", "open", status,
                                  note=f"处理 {CONTAINERS[n % len(CONTAINERS)]}", scan_id=last))


def _item(n: int, result: TargetResult, finding, scan_ids: list[int]) -> ItemView:
    status = STATUSES[n % len(STATUSES)]
    return ItemView(
        id=f"PI-{n + 1:06d}", target=result.target, container=finding.container,
        entity_type=finding.entity_type, risk_category=finding.risk.category,
        sensitive=finding.risk.sensitive, minor=finding.risk.minor, status=status,
        owner=OWNERS[n % len(OWNERS)], department="零售银行部" if n % 2 else None,
        due_date=datetime.date(2024, 6, 1) + datetime.timedelta(days=20 * (n % 5)),
        first_seen=T0, last_seen=T0 + datetime.timedelta(days=7),
        occurrences=finding.occurrences, distinct_values=finding.distinct_values,
        masked_occurrences=finding.masked_occurrences,
        samples=tuple(Sample(o.masked, o.location) for o in finding.samples),
        note=XSS_SCRIPT if n == 1 else None,
        updated_at=T0 + datetime.timedelta(days=3, microseconds=123456 + n),
        history=_history(n, status, scan_ids),
    )


def _scans(results: list[TargetResult]) -> list[ScanView]:
    coverage = tuple(CoverageView(r.target, c.container, c.unit, c.units, c.units * 80, c.sampled, True)
                     for r in results for c in r.coverage.containers.values())
    problem = ProblemView(TARGETS[1], f"{TARGETS[1]}!{XSS_IMG}", "工作表已损坏 (BadZipFile)")
    scans = []
    for n in range(1, 5):
        occurrences = {target: 300 - 50 * n + k for k, target in enumerate(TARGETS)}
        scans.append(ScanView(
            id=n, started_at=T0 + datetime.timedelta(days=7 * (n - 1)),
            finished_at=T0 + datetime.timedelta(days=7 * (n - 1), minutes=12), by="scanner",
            targets=tuple(TARGETS), complete=n != 4, occurrences=sum(occurrences.values()), new_items=10 // n,
            reopened_items=n % 2, verified_items=n, open_items=40 - 6 * n,
            occurrences_by_target=occurrences, coverage=coverage, problems=(problem,) if n == 4 else ()))
    return scans


def build_report_data(seed: int = 7, lines_per: int = 40, key: bytes = bytes(range(32))) -> ReportData:
    """Run the detector on a synthetic corpus and return ledger views of what it found."""
    cached = _build(seed, lines_per, key)  # views are frozen; only the lists need copying
    return ReportData(list(cached.items), list(cached.scans), set(cached.raw_values))


@functools.cache
def _build(seed: int, lines_per: int, key: bytes) -> ReportData:
    rng = random.Random(seed)
    detector = Detector(key)
    results, lines = _scan_targets(detector, rng, lines_per)
    scans = _scans(results)
    scan_ids = [s.id for s in scans][-2:]
    items = []
    for result in results:
        for finding in result.findings.values():
            if finding.occurrences:
                items.append(_item(len(items), result, finding, scan_ids))
    return ReportData(items, scans, _raw_values(detector, lines))
