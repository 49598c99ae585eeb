"""Speed and memory of the legacy .xls reader: the streaming BIFF8 reader against python-calamine.

Usage: ``python bench/xls.py [--rows 65536] [--repeat 2] [--only ...]``. Generates (once, with
xlwt, into ``bench/out/``) two workbooks of synthetic data: ``customers`` (name, resident ID and
card as text, mobile and balance as numbers; one unique string per ID and card, as a customer
export has) and ``numbers`` (10 columns of fractional numbers, each a NUMBER record), plus ``customers`` cut to about 4 MiB, the
size python-calamine was allowed to read. Each reader runs in its own subprocess, after the modules
are imported and the detector built: its time starts then, the process's peak RSS is reset then
(``/proc/self/clear_refs``), and its growth is the peak RSS of the read (``VmHWM``) less the RSS
before it. Readers:

* ``calamine``: python-calamine opening the workbook and iterating its rows (no rendering);
* ``calamine-rows`` / ``stream-rows``: the rows ``sheet_rows`` gives the spreadsheet source, the
  cells rendered as text, by python-calamine (the reader before) and by ``xls_stream``;
* ``calamine-scan`` / ``stream-scan``: the spreadsheet source and the detector, end to end;
* ``command``: ``pii-audit scan -q --full --jobs 2`` on the workbook, fresh ledger: its wall time
  and the peak PSS of its process tree (``bench/logs.py``'s polling), start-up included.
"""

from __future__ import annotations

import argparse
import random
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench.subprocess_measure import child, measure  # noqa: E402

from bench.samples import NAMES  # noqa: E402
FOUR_MIB_ROWS = 29_000  # customers rows that xlwt writes in about 4 MiB


def workbook_path(kind: str, rows: int) -> Path:
    """Return a bench workbook's path, generating it first when missing."""
    path = OUT / f"{kind}-{rows}.xls"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        generate(path, kind, rows)
    return path


def generate(path: Path, kind: str, rows: int) -> None:
    """Write a workbook of ``rows`` rows (the header one of them) with xlwt."""
    import xlwt
    from tests_corpus import card, mobile, resident_id

    rng = random.Random(42)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("客户" if kind == "customers" else "余额")
    if kind == "customers":
        header = ["客户姓名", "证件号码", "手机号", "银行卡号", "余额"]
        row = lambda: [rng.choice(NAMES), resident_id(rng), int(mobile(rng)), card(rng),  # noqa: E731
                       round(rng.uniform(1, 99999), 2)]
    else:
        header = [f"指标{n}" for n in range(10)]
        row = lambda: [rng.uniform(-1e6, 1e6) for _ in range(10)]  # noqa: E731 (NUMBER records, 18 bytes)
    for column, text in enumerate(header):
        sheet.write(0, column, text)
    for number in range(1, rows):
        for column, value in enumerate(row()):
            sheet.write(number, column, value)
    book.save(str(path))


def imports() -> None:
    """Import what the readers import (the detector builds its recognizers when first made)."""
    import python_calamine  # noqa: F401

    from pii_audit.scan import make_detector
    from pii_audit.sources import ScanOptions, spreadsheets, xls_stream  # noqa: F401

    make_detector(b"k" * 32, ScanOptions(sample_rows=None))


def calamine(path: str) -> int:
    """Open the workbook with python-calamine and iterate its rows; return the row count."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    rows = sum(1 for name in book.sheet_names for _ in book.get_sheet_by_name(name).iter_rows())
    book.close()
    return rows


def rows_of(path: str, streamed: bool) -> int:
    """Iterate the rows ``sheet_rows`` gives the spreadsheet source; return the row count."""
    from pii_audit.sources import sheet_rows

    sheets = sheet_rows.xls_sheets(path) if streamed else _calamine_sheets(path)
    return sum(1 for _, rows in sheets for _ in rows)


def _calamine_sheets(path: str):
    """The reader before: python-calamine for every .xls, with no size cap."""
    from pii_audit.sources import sheet_rows

    sheet_rows.XLS_MAX_BYTES = 1 << 40
    return sheet_rows._biff5_sheets(path)


def scan(path: str, streamed: bool) -> int:
    """Run read_spreadsheet and the detector (as ``pii-audit scan`` builds it) over the workbook;
    return the rows read."""
    from pii_audit.scan import make_detector
    from pii_audit.sources import ScanOptions, TargetCoverage, spreadsheets

    if not streamed:
        spreadsheets.xls_sheets = _calamine_sheets
    coverage = TargetCoverage(path)
    options = ScanOptions(sample_rows=None)
    sum(1 for _ in make_detector(b"k" * 32, options).detect(spreadsheets.read_spreadsheet(path, options, coverage)))
    assert not coverage.problems, coverage.problems
    return coverage.rows


MEASURES = {
    "calamine": calamine,
    "calamine-rows": lambda path: rows_of(path, False), "stream-rows": lambda path: rows_of(path, True),
    "calamine-scan": lambda path: scan(path, False), "stream-scan": lambda path: scan(path, True),
}


def measure_command(path: Path) -> dict:
    """Run ``pii-audit scan -q --full --jobs 2`` on the workbook with a fresh ledger; return its
    wall time and the peak PSS of its process tree."""
    from logs import run_measured

    env = {**os.environ, "PII_AUDIT_KEY": "ab" * 32, "PYTHONPATH": str(HERE.parent)}
    with tempfile.TemporaryDirectory() as folder:
        seconds, _, pss, code = run_measured([sys.executable, "-m", "pii_audit", "scan", "-q", "--full", "--jobs", "2",
                                              "--ledger", f"sqlite:///{folder}/ledger.db", str(path)], env=env)
    if code not in (0, 1):
        raise SystemExit(f"pii-audit scan exited {code}")
    return {"seconds": seconds, "pss_mb": pss / 2**20}


def main() -> None:
    """Generate the workbooks and print rows/s and peak RSS per reader."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=65_536, help="rows of the large workbooks (xls: 65,536 at most)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest time and the highest peak are shown")
    parser.add_argument("--only", nargs="*", choices=[*MEASURES, "command"], default=[*MEASURES, "command"])
    parser.add_argument("--child", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, path = args.child
        child(imports, MEASURES[name], path)
        return
    names = [name for name in MEASURES if name in args.only]
    for kind, rows in (("customers", FOUR_MIB_ROWS), ("customers", args.rows), ("numbers", args.rows)):
        path = workbook_path(kind, rows)
        print(f"\n{path.name}: {path.stat().st_size / 2**20:.1f} MiB, {rows:,} rows")
        runs = {name: [measure(__file__, name, path) for _ in range(args.repeat)] for name in names}
        for name, found in runs.items():
            seconds, cpu = min(r["seconds"] for r in found), min(r["cpu"] for r in found)
            peak, growth = max(r["peak_mb"] for r in found), max(r["peak_mb"] - r["base_mb"] for r in found)
            print(f"  {name:14s}{found[0]['count'] / seconds:9,.0f} rows/s {seconds:6.2f} s (CPU {cpu:5.2f} s)"
                  f" | peak RSS {peak:4.0f} MB, {growth:+4.0f} MB over the process before the read")
        if "command" in args.only:
            found = [measure_command(path) for _ in range(args.repeat)]
            print(f"  {'command':14s}{rows / min(r['seconds'] for r in found):9,.0f} rows/s "
                  f"{min(r['seconds'] for r in found):6.2f} s wall, start-up included | peak PSS of the "
                  f"process tree {max(r['pss_mb'] for r in found):4.0f} MB")


if __name__ == "__main__":
    main()
