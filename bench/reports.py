"""Time and peak memory of the Excel report for large ledgers: streaming vs openpyxl's in-memory mode.

Each run is a fresh process (peak RSS is per process). Prints one line per run and ratios.

    /tmp/v/bin/python bench/reports.py            # 10,000 and 100,000 items
    /tmp/v/bin/python bench/reports.py 20000      # other sizes
"""

from __future__ import annotations

import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]

T0 = datetime.datetime(2024, 5, 1, 9, 30)


def synthetic_items(count: int):
    """Return ``count`` ledger items with masked samples only (synthetic, no detector needed)."""
    from pii_audit.views import STATUSES, HistoryEntry, ItemView, Sample

    items = []
    for n in range(count):
        samples = tuple(Sample(f"138****{(n + k) % 10000:04d}", {"path": f"logs/app{n % 50}.log",
                                                                 "line": n + k, "start": 5, "end": 16})
                        for k in range(3))
        items.append(ItemView(
            id=f"PI-{n + 1:06d}", target=f"postgresql://audit@db{n % 7}/core", container=f"t{n % 997}.c{n}",
            entity_type="CN_MOBILE_PHONE", risk_category="C3", sensitive=True, minor=False,
            status=STATUSES[n % 7], owner=f"负责人{n % 40}", department="零售银行部",
            due_date=datetime.date(2024, 6, 1) + datetime.timedelta(days=n % 90), first_seen=T0,
            last_seen=T0, occurrences=n % 300 + 1, distinct_values=n % 200 + 1, masked_occurrences=0,
            samples=samples, updated_at=T0, history=(HistoryEntry(T0, "scanner", "created", None, "open", 1),)))
    return items


def in_memory_workbook(write_only: bool = False):
    """Return a normal (in-memory) openpyxl workbook with no default sheet: the baseline."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def run(mode: str, count: int) -> dict:
    """Build ``count`` items, the view model and (unless ``mode`` is build) the workbook; measure."""
    from pii_audit.reporting import excel
    from pii_audit.reporting.viewmodel import build_report

    started = time.perf_counter()
    items = synthetic_items(count)
    report = build_report(items, [], now=T0)
    built = time.perf_counter()
    if mode == "in-memory":
        excel.Workbook = in_memory_workbook
    if mode != "build":
        with tempfile.TemporaryDirectory() as directory:
            path = excel.write_workbook(report, os.path.join(directory, "r.xlsx"))
            size = path.stat().st_size
    else:
        size = 0
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "items": count, "build_s": round(built - started, 2),
            "write_s": round(done - built, 2), "peak_rss_mb": round(peak_mb, 1), "xlsx_mb": round(size / 1e6, 1)}


def main(sizes: list[int]) -> None:
    """Run every mode at every size in its own process and print figures and ratios."""
    results = {}
    for count in sizes:
        for mode in ("build", "streaming", "in-memory"):
            out = subprocess.run([sys.executable, __file__, "--run", mode, str(count)],
                                 capture_output=True, text=True, check=True).stdout
            result = results[(mode, count)] = json.loads(out)
            print(f"{mode:>10} {count:>7} items: view model {result['build_s']:6.2f} s, xlsx write "
                  f"{result['write_s']:6.2f} s, peak RSS {result['peak_rss_mb']:7.1f} MB, "
                  f"file {result['xlsx_mb']} MB")
    for count in sizes:
        base = results[("build", count)]["peak_rss_mb"]
        stream = results[("streaming", count)]["peak_rss_mb"] - base
        memory = results[("in-memory", count)]["peak_rss_mb"] - base
        print(f"{count} items: workbook adds {stream:.1f} MB streaming vs {memory:.1f} MB in memory "
              f"(x{memory / max(stream, 0.1):.1f}); write time streaming/in-memory "
              f"{results[('streaming', count)]['write_s'] / results[('in-memory', count)]['write_s']:.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run"]:
        print(json.dumps(run(sys.argv[2], int(sys.argv[3]))))
    else:
        main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
