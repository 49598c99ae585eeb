"""Speed and memory of the spreadsheet source: openpyxl and calamine bare iteration vs ours end to end.

Usage: ``python bench/spreadsheets.py [--rows 200000]``. Generates (once) a synthetic 10-column
workbook in ``bench/out/`` and measures each reader in its own subprocess, so each peak RSS
(``ru_maxrss`` of that child alone) is that reader's own; ``scan`` and ``scan2`` run
``pii-audit scan --jobs 1`` and ``--jobs 2`` on it with a fresh ledger (their "peak RSS" is the
peak PSS of the process tree, polled in a second run). Figures are noisy while other developers'
jobs share the machine's two cores: compare the ratios, run twice.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

HEADER = ["序号", "客户姓名", "证件号码", "手机号", "银行卡号", "交易金额", "交易日期", "开户网点", "状态", "备注"]
from bench.samples import NAMES  # noqa: E402
BRANCHES = ["北京分行营业部", "上海浦东支行", "深圳南山支行", "成都高新支行"]
NOTES = ["", "按时还款", "客户来电咨询", "订单号20240105123456", "复核通过", ""]


def workbook_path(rows: int, pii_columns: int) -> Path:
    """Return the bench workbook's path, generating it first when missing."""
    path = OUT / f"sheet-{rows}x10-pii{pii_columns}.xlsx"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        generate(path, rows, pii_columns)
    return path


def generate(path: Path, rows: int, pii_columns: int) -> None:
    """Write a synthetic customer-transaction workbook; ``pii_columns`` of ID, mobile, card hold values."""
    import openpyxl
    from tests_corpus import card, mobile, resident_id

    rng = random.Random(42)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("交易明细")
    sheet.append(HEADER)
    day = datetime.date(2024, 1, 1)
    for n in range(1, rows + 1):
        pii = [resident_id(rng), int(mobile(rng)), card(rng)]
        pii = [v if i < pii_columns else "已脱敏" for i, v in enumerate(pii)]
        sheet.append([n, rng.choice(NAMES), pii[0], pii[1], pii[2], round(rng.uniform(1, 99999), 2),
                      day + datetime.timedelta(days=n % 365), rng.choice(BRANCHES),
                      rng.choice(["正常", "冻结", "销户"]), rng.choice(NOTES)])
    book.save(path)


def bare_openpyxl(path: str) -> int:
    """Iterate every row with openpyxl's read-only mode; return the row count."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = sum(1 for sheet in book.worksheets for _ in sheet.iter_rows(values_only=True))
    book.close()
    return rows


def bare_calamine(path: str) -> int:
    """Iterate every row with python-calamine's row iterator; return the row count."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    rows = sum(1 for name in book.sheet_names for _ in book.get_sheet_by_name(name).iter_rows())
    book.close()
    return rows


def reader(path: str) -> int:
    """Run read_spreadsheet alone (cells rendered, no detection); return rows read."""
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.spreadsheets import read_spreadsheet

    coverage = TargetCoverage(path)
    for _ in read_spreadsheet(path, ScanOptions(sample_rows=None), coverage):
        pass
    assert not coverage.problems, coverage.problems
    return coverage.rows


def ours(path: str) -> int:
    """Run read_spreadsheet and the detector (as ``pii-audit scan`` builds it) over the whole
    workbook; return rows read."""
    from pii_audit.scan import make_detector
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.spreadsheets import read_spreadsheet

    coverage = TargetCoverage(path)
    options = ScanOptions(sample_rows=None)
    sum(1 for _ in make_detector(b"k" * 32, options).detect(read_spreadsheet(path, options, coverage)))
    assert not coverage.problems, coverage.problems
    return coverage.rows


MEASURES = {"openpyxl": bare_openpyxl, "calamine": bare_calamine, "reader": reader, "ours": ours,
            "scan": None, "scan2": None}  # the scan command with --jobs 1 and --jobs 2


def child(name: str, path: str) -> None:
    """Run one measurement in this process and print its figures as JSON."""
    start, cpu = time.perf_counter(), time.process_time()
    rows = MEASURES[name](path)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb}))


def measure(name: str, path: Path) -> dict:
    """Run one measurement in a fresh subprocess; return its figures."""
    if name.startswith("scan"):
        return measure_scan(path, 2 if name == "scan2" else 1)
    done = subprocess.run([sys.executable, __file__, "--child", name, str(path)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_scan(path: Path, jobs: int) -> dict:
    """Run ``pii-audit scan -q --full --jobs N`` on the workbook, fresh ledger; return its figures:
    time and CPU (of every process) from a run that nothing watches, the peak PSS of its process
    tree from a second run, polled (bench/logs.py: RSS would count pages the workers share once
    per process)."""
    from logs import run_measured, run_timed

    def command(folder: str) -> list[str]:
        return [sys.executable, "-m", "pii_audit", "scan", "-q", "--full", "--jobs", str(jobs), "--ledger",
                f"sqlite:///{folder}/ledger.db", str(path)]

    env = {**os.environ, "PII_AUDIT_KEY": "ab" * 32, "PYTHONPATH": str(HERE.parent)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as folder:
        seconds, code = run_timed(command(folder), env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as folder:
        _, _, pss, _ = run_measured(command(folder), env=env)
    if code not in (0, 1):
        raise SystemExit(f"pii-audit scan exited {code}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    rows = int(path.stem.split("-")[1].split("x")[0]) + 1  # the header is a row, as in coverage
    return {"rows": rows, "seconds": seconds, "cpu": cpu, "peak_mb": pss / 2**20}


def main() -> None:
    """Generate the workbooks and print rows/s, ratios and peak RSS per reader."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--pii-columns", type=int, nargs="*", default=[0, 1, 3],
                        help="columns holding values (0: the reader and prefilter cost alone)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds (each measures every reader once, in turn); the fastest is shown")
    parser.add_argument("--only", nargs="*", choices=list(MEASURES), default=list(MEASURES),
                        help="readers to measure (openpyxl, the baseline, is always measured)")
    parser.add_argument("--child", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"machine: {os.cpu_count()} cores; shared with other jobs, so figures are noisy "
          f"(best of {args.repeat}, readers interleaved; CPU time is steadier than wall time)")
    for pii in args.pii_columns:
        path = workbook_path(args.rows, pii)
        print(f"\n{path.name}: {args.rows:,} rows x 10 columns, {pii} column(s) of ID/mobile/card values")
        names = ["openpyxl"] + [n for n in MEASURES if n in args.only and n != "openpyxl"]
        runs: dict[str, list[dict]] = {name: [] for name in names}
        for _ in range(args.repeat):
            for name in names:
                runs[name].append(measure(name, path))
        best = {name: {"rows": found[0]["rows"], "peak_mb": max(r["peak_mb"] for r in found),
                       "seconds": min(r["seconds"] for r in found), "cpu": min(r["cpu"] for r in found)}
                for name, found in runs.items()}
        base, base_cpu = best["openpyxl"]["seconds"], best["openpyxl"]["cpu"]
        for name, r in best.items():
            print(f"  {name:9s} {r['rows'] / r['seconds']:8,.0f} rows/s {base / r['seconds']:5.2f}x openpyxl"
                  f" {r['seconds']:6.2f} s | CPU {r['cpu'] / r['rows'] * 1e6:6.1f} us/row "
                  f"{base_cpu / r['cpu']:5.2f}x | peak RSS {r['peak_mb']:4.0f} MB")


if __name__ == "__main__":
    main()
