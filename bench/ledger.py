"""Build a ledger of 100,000 items and 1,000 scans, and time `ledger list --overdue` on it.

Prints the figures with the indexes of revision 0002 and, side by side, a baseline run of the
same queries on a copy without them. The CLI figures are whole processes (start-up, imports,
query, output), `--format table` and `--format json`, listing what is overdue on the real today.
Usage: python bench/ledger.py [--items N] [--scans N]
Figures are wall-clock on a shared machine: read them as rough when others are busy.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from pii_audit.ledger import Ledger, schema  # noqa: E402
from pii_audit.ledger.identity import item_identity, target_key  # noqa: E402
from pii_audit.ledger.lifecycle import STATUSES  # noqa: E402

KEY = bytes(range(32))
ENTITIES = ["CN_RESIDENT_ID", "CN_BANK_CARD", "CN_MOBILE_PHONE"]
OWNERS = [None] + [f"owner{n}" for n in range(200)]
# Most items of a ledger in use have been remediated; about one in six still waits.
STATUS_WEIGHTS = [10, 5, 10, 60, 2, 8, 5]  # in the order of views.STATUSES
SAMPLES = '[{"location": {"end": 31, "line": 1207, "path": "logs/app.log", "start": 13}, "masked": "110105********002X"}]'


def build(url: str, n_items: int, n_scans: int, seed: int = 1) -> None:
    """Fill a new ledger with synthetic scans, items and history, in bulk."""
    rng = random.Random(seed)
    start = datetime.datetime(2023, 1, 1)
    with Ledger.open(url, KEY) as ledger, ledger.engine.begin() as conn:
        conn.execute(insert(schema.scans), [{
            "id": s + 1, "started_at": start + datetime.timedelta(hours=12 * s), "by": "bench",
            "finished_at": start + datetime.timedelta(hours=12 * s + 1), "targets": '["t"]',
            "options": "{}", "occurrences": 500, "new_items": 5, "reopened_items": 1,
            "verified_items": 1, "open_items": 50} for s in range(n_scans)])
        conn.execute(insert(schema.coverage), [{
            "scan_id": s + 1, "target": f"target{s % 500}", "container": f"t.c{c}", "unit": "rows",
            "units": 1000, "bytes": 50_000, "sampled": True, "complete": True}
            for s in range(n_scans) for c in range(20)])
        rows = [_item(rng, n, start, n_scans) for n in range(1, n_items + 1)]
        for chunk in range(0, n_items, 20_000):
            conn.execute(insert(schema.items), rows[chunk:chunk + 20_000])
            conn.execute(insert(schema.history), [{
                "item_id": r["id"], "at": r["first_seen"], "by": "pii-audit", "action": "created",
                "to_status": "open", "scan_id": r["last_scan_id"]} for r in rows[chunk:chunk + 20_000]])


def _item(rng: random.Random, n: int, start: datetime.datetime, n_scans: int) -> dict:
    seen = start + datetime.timedelta(days=rng.randrange(730))  # 2023-01-01 .. 2024-12-31
    target, container, entity = f"target{n % 2000}", f"schema.table{n // 6000}.col{n % 3000}", ENTITIES[n % 3]
    return {
        "id": n, "target": target, "container": container, "entity_type": entity,
        "identity": item_identity(target, container, entity), "target_key": target_key(target), "risk_category": "C2", "sensitive": True, "minor": False,
        "status": rng.choices(STATUSES, STATUS_WEIGHTS)[0], "owner": rng.choice(OWNERS), "department": None,
        "due_date": seen.date() + datetime.timedelta(days=30), "due_manual": False,
        "first_seen": seen, "last_seen": seen, "last_scan_id": rng.randrange(1, n_scans + 1),
        "occurrences": rng.randrange(1, 10_000), "distinct_values": rng.randrange(1, 5000),
        "masked_occurrences": 0, "samples": SAMPLES, "updated_at": seen}


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    """Return the best wall time of ``repeat`` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        begun = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - begun)
    return best, result


def measure(url: str, path: Path, today: datetime.date) -> dict:
    """Time the overdue listing through the API, and through the command line."""
    with Ledger.open(url, KEY) as ledger:
        api, overdue = timed(lambda: ledger.items(overdue=True, today=today))
        api_lean, _ = timed(lambda: ledger.items(overdue=True, today=today, samples=False))
        owner, _ = timed(lambda: ledger.items(owner="owner7"))
    figures = {"overdue items": len(overdue), "items(overdue) s": api,
               "items(overdue, no samples) s": api_lean, "items(owner) s": owner}
    list_overdue = ["ledger", "list", "--overdue", "--ledger", url, "--format"]
    table, printed = timed(lambda: run_cli(*list_overdue, "table"), repeat=5)
    figures |= {"CLI rows printed (today)": printed.count(b"\n") - 1, "CLI list --overdue s": table}
    figures["CLI list --overdue --format json s"], _ = timed(lambda: run_cli(*list_overdue, "json"),
                                                            repeat=5)
    figures["CLI start-up (--version) s"], _ = timed(lambda: run_cli("--version"), repeat=5)
    return figures


def run_cli(*args: str) -> bytes:
    """Run ``pii-audit ARGS`` in a new Python process, as a user would, and return its output."""
    # Bytecode cached as an installed package has it: with PYTHONDONTWRITEBYTECODE set (as in
    # some shells) every run compiled pii-audit's modules again, 0.05-0.1 s of the figure.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run([sys.executable, "-m", "pii_audit", *args], check=True,
                          stdout=subprocess.PIPE, env={**env, "PII_AUDIT_KEY": KEY.hex()}).stdout


def main() -> None:
    """Build, measure, drop the indexes, measure again, and print both side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=1_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pii-ledger-bench-"))
    try:
        path = workdir / "ledger.db"
        begun = time.perf_counter()
        build(f"sqlite:///{path}", args.items, args.scans)
        print(f"built {args.items:,} items, {args.scans:,} scans in {time.perf_counter() - begun:.1f} s"
              f" ({path.stat().st_size / 1e6:.0f} MB)")
        today = datetime.date(2025, 1, 1)
        run_cli("--version")  # compiles the modules once (see run_cli)
        indexed = measure(f"sqlite:///{path}", path, today)
        baseline_path = workdir / "baseline.db"
        shutil.copy(path, baseline_path)
        with Ledger.open(f"sqlite:///{baseline_path}", KEY) as ledger, ledger.engine.begin() as conn:
            for name in ("ix_items_status_due_date", "ix_items_due_date", "ix_items_owner",
                         "ix_items_status_accepted_until"):
                conn.execute(text(f"DROP INDEX {name}"))
        baseline = measure(f"sqlite:///{baseline_path}", baseline_path, today)
        print(f"{'figure (wall, best of 3; CLI of 5)':<36}{'indexed':>12}{'baseline (no index)':>22}{'ratio':>8}")
        for name, value in indexed.items():
            base = baseline[name]
            ratio = f"{base / value:.2f}" if isinstance(value, float) and value else ""
            shown = (f"{value:.3f}", f"{base:.3f}") if isinstance(value, float) else (value, base)
            print(f"{name:<36}{shown[0]:>12}{shown[1]:>22}{ratio:>8}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
