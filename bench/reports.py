"""Time and peak memory of the Excel report on large ledgers: streamed from the ledger, beside the
in-memory view model (every item with its samples and history built before the workbook).

Builds a real SQLite ledger per size (3 masked samples and 2 history entries per item, 30 scans),
then writes its workbook in a fresh process per mode (peak RSS is per process):

    floor      import the report's modules, open the ledger, read its scans: the cost before items
    streaming  `pii-audit report --format xlsx`: items read a page at a time (reporting/streamed.py)
    in-memory  the baseline: ledger.items(history=True) -> build_report -> write_workbook

and checks that both workbooks are identical, part for part. Usage:

    .venv/bin/python bench/reports.py                 # 100,000 and 200,000 items
    .venv/bin/python bench/reports.py 20000 --only streaming
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KEY = bytes(range(32))
NOW = datetime.datetime(2025, 1, 1, 9, 0)  # the reports' "now": both modes write the same workbook
T0 = datetime.datetime(2024, 1, 1)
SCANS = 30
ENTITIES = [("CN_RESIDENT_ID", "C2"), ("CN_BANK_CARD", "C2"), ("CN_MOBILE_PHONE", "C2"), ("IP_ADDRESS", "C1")]
OWNERS = [None] + [f"负责人{n}" for n in range(200)]
STATUS_WEIGHTS = [10, 5, 10, 60, 2, 8, 5]  # views.STATUSES: most items of a ledger in use are done
MODES = ("floor", "streaming", "in-memory")


def build(url: str, count: int, seed: int = 1) -> None:
    """Fill a new ledger with ``count`` synthetic items (masked samples only), in bulk."""
    from sqlalchemy import insert

    from pii_audit.ledger import Ledger, schema
    from pii_audit.views import STATUSES

    rng = random.Random(seed)
    with Ledger.open(url, KEY) as ledger, ledger.engine.begin() as conn:
        conn.execute(insert(schema.scans), [_scan(s) for s in range(1, SCANS + 1)])
        conn.execute(insert(schema.coverage), [{
            "scan_id": s, "target": f"postgresql://audit@db{c % 7}/core", "container": f"t{c}.c{c}",
            "unit": "rows", "units": 1000, "bytes": 80_000, "sampled": c % 2 == 0, "complete": True}
            for s in range(1, SCANS + 1) for c in range(20)])
        for start in range(1, count + 1, 20_000):
            numbers = range(start, min(start + 20_000, count + 1))
            rows = [_item(rng, n, rng.choices(STATUSES, STATUS_WEIGHTS)[0]) for n in numbers]
            conn.execute(insert(schema.items), rows)
            conn.execute(insert(schema.history), [entry for row in rows for entry in _history(row)])


def _scan(number: int) -> dict:
    started = T0 + datetime.timedelta(days=7 * number)
    return {"id": number, "started_at": started, "finished_at": started + datetime.timedelta(hours=1),
            "by": "bench", "targets": '["postgresql://audit@db0/core"]', "options": "{}",
            "occurrences": 5000 + number, "new_items": 100, "reopened_items": 3, "verified_items": 20,
            "open_items": 3000 - number}


def _item(rng: random.Random, n: int, status: str) -> dict:
    from pii_audit.ledger.identity import item_identity, target_key
    from pii_audit.ledger.rows import to_json

    target, container = f"postgresql://audit@db{n % 7}/core", f"schema{n % 13}.table{n // 50}.col{n % 50}"
    entity, category = ENTITIES[n % len(ENTITIES)]
    seen = T0 + datetime.timedelta(days=rng.randrange(360))
    samples = [{"masked": f"138****{(n * 3 + k) % 10000:04d}", "location": {
        "url": target, "table": container.rsplit(".", 1)[0], "column": container.rsplit(".", 1)[1],
        "row": {"id": n * 10 + k}, "start": 0, "end": 11}} for k in range(3)]
    return {
        "id": n, "target": target, "container": container, "entity_type": entity,
        "identity": item_identity(target, container, entity), "target_key": target_key(target),
        "risk_category": category, "sensitive": category == "C2", "minor": False, "status": status,
        "owner": rng.choice(OWNERS), "department": "零售银行部" if n % 3 else None,
        "due_date": seen.date() + datetime.timedelta(days=30 + rng.randrange(300)), "due_manual": False,
        "first_seen": seen, "last_seen": seen + datetime.timedelta(days=7),
        "last_scan_id": rng.randrange(1, SCANS + 1), "occurrences": rng.randrange(1, 10_000),
        "distinct_values": rng.randrange(1, 5000), "masked_occurrences": rng.randrange(3),
        "samples": to_json(samples), "note": "已联系系统负责人" if n % 5 == 0 else None,
        "updated_at": seen + datetime.timedelta(days=8)}


def _history(row: dict) -> list[dict]:
    created = {"item_id": row["id"], "at": row["first_seen"], "by": "pii-audit", "action": "created",
               "from_status": None, "to_status": "open", "note": None, "scan_id": row["last_scan_id"]}
    moved = row["status"] != "open"
    changed = {"item_id": row["id"], "at": row["updated_at"], "by": "李娜",
               "action": "status" if moved else "assign", "from_status": "open" if moved else None,
               "to_status": row["status"] if moved else None, "note": "整改", "scan_id":
               row["last_scan_id"] if row["status"] in ("verified", "reopened") else None}
    return [created, changed]


def run(mode: str, url: str, out: str) -> dict:
    """Write the workbook of the ledger at ``url`` in ``mode`` (in this process) and measure."""
    from pii_audit.ledger import Ledger

    started = time.perf_counter()
    with Ledger.open(url, KEY, create=False) as ledger:
        if mode == "floor":
            import pii_audit.reporting.streamed  # noqa: F401  (openpyxl, lxml and the view model)

            ledger.scans(details=True)
            count = 0
        elif mode == "streaming":
            from pii_audit.reporting.streamed import write_ledger_workbook

            count = write_ledger_workbook(ledger, out, now=NOW)[1].items
        else:
            from pii_audit.reporting.excel import write_workbook
            from pii_audit.reporting.viewmodel import build_report, select_items

            items = select_items(ledger.items(history=True))
            write_workbook(build_report(items, ledger.scans(details=True), now=NOW), out)
            count = len(items)
    seconds = time.perf_counter() - started
    return {"mode": mode, "items": count, "seconds": round(seconds, 1), "peak_rss_mb": round(peak_rss_mb(), 1)}


def peak_rss_mb() -> float:
    """Return this process's peak RSS in MB.

    VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a child started by a
    parent that had just built a 100,000-item ledger reported the parent's 165 MB (measured).
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def same_workbooks(first: str, second: str) -> bool:
    """Tell whether two workbooks have the same parts (but their creation time)."""
    def parts(path):
        with zipfile.ZipFile(path) as archive:
            return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}
    return parts(first) == parts(second)


def measure(count: int, modes: list[str], workdir: Path) -> dict:
    """Build a ledger of ``count`` items, run every mode on it in its own process; return results."""
    url = f"sqlite:///{workdir}/ledger-{count}.db"
    begun = time.perf_counter()
    build(url, count)
    print(f"built a ledger of {count:,} items in {time.perf_counter() - begun:.0f} s", flush=True)
    results = {}
    for mode in modes:
        out = str(workdir / f"{mode}-{count}.xlsx")
        line = subprocess.run([sys.executable, __file__, "--run", mode, url, out], check=True,
                              capture_output=True, text=True).stdout
        result = results[mode] = json.loads(line)
        size = f", file {os.path.getsize(out) / 1e6:.1f} MB" if mode != "floor" else ""
        print(f"{mode:>10} {count:>8,} items: {result['seconds']:6.1f} s, peak RSS "
              f"{result['peak_rss_mb']:6.1f} MB{size}", flush=True)
    if {"streaming", "in-memory"} <= set(modes):
        identical = same_workbooks(workdir / f"streaming-{count}.xlsx", workdir / f"in-memory-{count}.xlsx")
        print(f"{count:,} items: streamed and in-memory workbooks identical: {identical}; peak RSS "
              f"in-memory / streaming x{results['in-memory']['peak_rss_mb'] / results['streaming']['peak_rss_mb']:.1f}")
    for path in workdir.glob(f"*-{count}.*"):
        path.unlink()
    return results


def main() -> None:
    """Measure every size and mode; print figures, ratios and the growth with size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[100_000, 200_000])
    parser.add_argument("--only", choices=MODES, action="append", help="modes to run (default: all)")
    args = parser.parse_args()
    modes = args.only or list(MODES)
    workdir = Path(tempfile.mkdtemp(prefix="pii-report-bench-"))
    try:
        results = {count: measure(count, modes, workdir) for count in args.sizes}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for mode in modes:
        peaks = ", ".join(f"{count:,}: {results[count][mode]['peak_rss_mb']:.0f} MB" for count in args.sizes)
        print(f"peak RSS {mode:>10}  {peaks}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run"]:
        print(json.dumps(run(*sys.argv[2:5])))
    else:
        main()
