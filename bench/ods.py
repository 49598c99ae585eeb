"""Speed and memory of the .ods reader (``ods_stream``) against python-calamine's bare iteration.

Usage: ``python bench/ods.py [--rows 200000] [--repeat N]``. Generates (once) a synthetic
10-column customer sheet in ``bench/out/``, its content.xml in LibreOffice's markup (a value
attribute and a displayed paragraph a cell, LibreOffice's repeated empty rows and cells at the
end), and measures each reader in its own subprocess: peak RSS (``ru_maxrss`` of that child
alone), and for ours also the peak of Python's allocations under tracemalloc (a second run: it
slows the reader down). ``rows`` reads the rows alone, ``reader`` runs ``read_spreadsheet``
(cells rendered into blocks, no detection), ``calamine`` iterates python-calamine's rows, which
first loads the whole sheet. Figures are noisy while other jobs share the machine: compare ratios.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Iterator
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench.spreadsheets import bare_calamine  # noqa: E402

HEADER = ["序号", "客户姓名", "证件号码", "手机号", "银行卡号", "交易金额", "交易日期", "开户网点", "状态", "备注"]
from bench.samples import NAMES  # noqa: E402
BRANCHES = ["北京分行营业部", "上海浦东支行", "深圳南山支行", "成都高新支行"]
NOTES = ["", "按时还款", "客户来电咨询", "订单号20240105123456", "复核通过", ""]


def workbook_path(rows: int) -> Path:
    """Return the bench workbook's path, generating it first when missing."""
    path = OUT / f"sheet-{rows}x10.ods"
    if not path.exists():
        from ods_helpers import write_ods

        OUT.mkdir(parents=True, exist_ok=True)
        write_ods(path, content(rows))
    return path


def content(rows: int) -> Iterator[str]:
    """Yield content.xml in pieces: one sheet, a header and ``rows`` customer rows."""
    from ods_helpers import HEAD, TAIL, empty_tail
    from tests_corpus import card, mobile, resident_id

    rng = random.Random(42)
    day = datetime.date(2024, 1, 1)
    yield HEAD + '<table:table table:name="交易明细">'
    yield _row([_text(h) for h in HEADER])
    for n in range(1, rows + 1):
        note = rng.choice(NOTES)
        yield _row([_float(n), _text(rng.choice(NAMES)), _text(resident_id(rng)), _float(int(mobile(rng))),
                    _text(card(rng)), _float(round(rng.uniform(1, 99999), 2)),
                    _date(day + datetime.timedelta(days=n % 365)), _text(rng.choice(BRANCHES)),
                    _text(rng.choice(["正常", "冻结", "销户"])), _text(note) if note else "<table:table-cell/>"])
    yield empty_tail() + "</table:table>" + TAIL


def _row(cells: list[str]) -> str:
    return f'<table:table-row table:style-name="ro1">{"".join(cells)}' \
           '<table:table-cell table:number-columns-repeated="16374"/></table:table-row>'


def _text(text: str) -> str:
    return (f'<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>{escape(text)}'
            '</text:p></table:table-cell>')


def _float(value: float) -> str:
    return (f'<table:table-cell office:value-type="float" office:value="{value}" calcext:value-type="float">'
            f'<text:p>{value}</text:p></table:table-cell>')


def _date(day: datetime.date) -> str:
    return (f'<table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="{day}" '
            f'calcext:value-type="date"><text:p>{day}</text:p></table:table-cell>')


def bare_rows(path: str) -> int:
    """Iterate every row of every sheet with ods_sheets; return the row count."""
    from pii_audit.sources.ods_stream import ods_sheets

    return sum(1 for _, rows in ods_sheets(path) for _ in rows)


def reader(path: str) -> int:
    """Run read_spreadsheet alone (cells rendered into blocks, no detection); return rows read."""
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.spreadsheets import read_spreadsheet

    coverage = TargetCoverage(path)
    for _ in read_spreadsheet(path, ScanOptions(sample_rows=None), coverage):
        pass
    assert not coverage.problems, coverage.problems
    return coverage.rows


MEASURES = {"calamine": bare_calamine, "rows": bare_rows, "reader": reader}


def child(name: str, path: str, traced: bool) -> None:
    """Run one measurement in this process and print its figures as JSON: the peak RSS and its
    growth past what the imports took (the detector's modules: some 160 MB), so that each reader's
    own memory shows; traced, the peak of Python's allocations while reading."""
    for module in ("python_calamine", "pii_audit.sources.spreadsheets"):  # before the baseline
        importlib.import_module(module)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if traced:
        tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    rows = MEASURES[name](path)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {"rows": rows, "seconds": seconds, "cpu": cpu, "peak_mb": peak, "growth_mb": peak - baseline}
    if traced:
        figures["traced_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    print(json.dumps(figures))


def measure(name: str, path: Path, traced: bool = False) -> dict:
    """Run one measurement in a fresh subprocess; return its figures."""
    command = [sys.executable, __file__, "--child", name, str(path)] + (["--traced"] if traced else [])
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Generate the workbook and print rows/s, CPU per row and peak memory per reader."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=1, help="rounds, readers interleaved; the fastest is shown")
    parser.add_argument("--child", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.traced)
        return
    path = workbook_path(args.rows)
    print(f"machine: {os.cpu_count()} cores, shared; best of {args.repeat}")
    print(f"{path.name}: {args.rows:,} rows x 10 columns, {path.stat().st_size / 2**20:.1f} MB")
    runs: dict[str, list[dict]] = {name: [] for name in MEASURES}
    for _ in range(args.repeat):
        for name in MEASURES:
            runs[name].append(measure(name, path))
    for name, found in runs.items():
        best = min(found, key=lambda r: r["seconds"])
        traced = f" | traced peak {measure(name, path, True)['traced_mb']:4.1f} MB" if name != "calamine" else ""
        print(f"  {name:9s} {best['rows'] / best['seconds']:9,.0f} rows/s {best['seconds']:6.2f} s | CPU "
              f"{best['cpu'] / best['rows'] * 1e6:5.1f} us/row | peak RSS {max(r['peak_mb'] for r in found):4.0f} MB, "
              f"{max(r['growth_mb'] for r in found):4.0f} MB past the imports" + traced)


if __name__ == "__main__":
    main()
