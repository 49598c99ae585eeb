"""Speed and memory of the .xlsb reader: the streaming reader against python-calamine, and against
the xlsx reader on the same rows saved as .xlsx.

Usage: ``python bench/xlsb.py [--rows 200000] [--repeat 1] [--only ...]``. Generates (once, into
``bench/out/``) a customer export of ``--rows`` rows x 10 columns as .xlsb (``tests/xlsb_helpers``,
as Excel stores each kind of value: shared strings, a mobile as a real, a balance and an age as
RKs, the opening date as an RK under a date format, a boolean) and the same rows as .xlsx
(openpyxl, write-only). Each reader runs in its own subprocess, after its modules are imported:
its time starts then, the process's peak RSS is reset then (``/proc/self/clear_refs``), and its
growth is the peak RSS of the read (``VmHWM``) less the RSS before it. Readers:

* ``calamine``: python-calamine opening the .xlsb and iterating its rows (no rendering);
* ``calamine-rows``: the same rows rendered as text, as ``sheet_rows`` renders python-calamine's values;
* ``xlsb-rows``: the rows ``xlsb_stream.xlsb_sheets`` gives the spreadsheet source;
* ``xlsx-rows``: the rows ``sheet_rows.xlsx_sheets`` gives it from the .xlsx (the reference speed);
* ``xlsb-scan`` / ``xlsx-scan``: the spreadsheet source and the detector, end to end.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench.subprocess_measure import child, measure  # noqa: E402

from bench.samples import NAMES, PLACES  # noqa: E402
HEADER = ["客户姓名", "证件号码", "手机号", "银行卡号", "余额", "开户日期", "年龄", "已核实", "地址", "客户编号"]


def customer_rows(rows: int):
    """Yield the header and ``rows - 1`` rows of synthetic customers (Python values)."""
    from tests_corpus import card, mobile, resident_id

    rng = random.Random(42)
    yield HEADER
    for number in range(1, rows):
        yield [rng.choice(NAMES), resident_id(rng), int(mobile(rng)), card(rng), round(rng.uniform(1, 99999), 2),
               datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(3000)), rng.randint(18, 90),
               rng.random() < 0.5, rng.choice(PLACES), f"KH{number:08d}"]


def workbook_path(suffix: str, rows: int) -> Path:
    """Return a bench workbook's path, generating it first when missing."""
    path = OUT / f"customers-{rows}{suffix}"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        (write_xlsb if suffix == ".xlsb" else write_xlsx)(path, rows)
    return path


def write_xlsb(path: Path, rows: int) -> None:
    """Write the rows as .xlsb; a date as the serial Excel stores, under a date format."""
    from xlsb_helpers import DATE_STYLE, Cell, Styled, xlsb_book

    epoch = datetime.date(1899, 12, 30)
    cells = [Cell(r, c, Styled((value - epoch).days, DATE_STYLE) if isinstance(value, datetime.date)
                  else float(value) if c == 2 and r else value)
             for r, values in enumerate(customer_rows(rows)) for c, value in enumerate(values)]
    path.write_bytes(xlsb_book({"客户": cells}, rich=False))


def write_xlsx(path: Path, rows: int) -> None:
    """Write the same rows as .xlsx with openpyxl, write-only."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    for values in customer_rows(rows):
        sheet.append(values)
    book.save(path)


def imports() -> None:
    """Import what the readers import (the detector builds its recognizers when first made)."""
    from pii_audit.scan import make_detector
    from pii_audit.sources import ScanOptions

    for module in ("python_calamine", "pii_audit.sources.sheet_rows", "pii_audit.sources.spreadsheets",
                   "pii_audit.sources.xlsb_stream"):
        importlib.import_module(module)
    make_detector(b"k" * 32, ScanOptions(sample_rows=None))


def calamine(path: str, rendered: bool) -> int:
    """Open the workbook with python-calamine and iterate its rows; return the row count."""
    from python_calamine import CalamineWorkbook

    from pii_audit.sources import sheet_rows

    book = CalamineWorkbook.from_path(path)
    if rendered:
        rows = sum(1 for name in book.sheet_names for _ in sheet_rows._calamine_rows(book, name))
    else:
        rows = sum(1 for name in book.sheet_names for _ in book.get_sheet_by_name(name).iter_rows())
    book.close()
    return rows


def rows_of(path: str) -> int:
    """Iterate the rows the spreadsheet source gets from the workbook; return the row count."""
    from pii_audit.sources import sheet_rows, xlsb_stream

    sheets = xlsb_stream.xlsb_sheets(path) if path.endswith(".xlsb") else sheet_rows.xlsx_sheets(path)
    return sum(1 for _, rows in sheets for _ in rows)


def scan(path: str) -> int:
    """Run read_spreadsheet and the detector (as ``pii-audit scan`` builds it); return the rows read."""
    from pii_audit.scan import make_detector
    from pii_audit.sources import ScanOptions, TargetCoverage, spreadsheets

    coverage = TargetCoverage(path)
    options = ScanOptions(sample_rows=None)
    sum(1 for _ in make_detector(b"k" * 32, options).detect(spreadsheets.read_spreadsheet(path, options, coverage)))
    assert not coverage.problems, coverage.problems
    return coverage.rows


MEASURES = {  # name: (workbook suffix, measure)
    "calamine": (".xlsb", lambda path: calamine(path, False)),
    "calamine-rows": (".xlsb", lambda path: calamine(path, True)),
    "xlsb-rows": (".xlsb", rows_of), "xlsx-rows": (".xlsx", rows_of),
    "xlsb-scan": (".xlsb", scan), "xlsx-scan": (".xlsx", scan),
}


def main() -> None:
    """Generate the workbooks and print rows/s and peak RSS per reader."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the workbooks, the header one of them")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each; the fastest time and the highest peak are shown")
    parser.add_argument("--only", nargs="*", choices=list(MEASURES), default=list(MEASURES))
    parser.add_argument("--child", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, path = args.child
        child(imports, MEASURES[name][1], path)
        return
    paths = {suffix: workbook_path(suffix, args.rows) for suffix in (".xlsb", ".xlsx")}
    for suffix, path in paths.items():
        print(f"{path.name}: {path.stat().st_size / 2**20:.1f} MiB, {args.rows:,} rows x {len(HEADER)} columns")
    for name in args.only:
        found = [measure(__file__, name, paths[MEASURES[name][0]]) for _ in range(args.repeat)]
        seconds, cpu = min(r["seconds"] for r in found), min(r["cpu"] for r in found)
        peak, growth = max(r["peak_mb"] for r in found), max(r["peak_mb"] - r["base_mb"] for r in found)
        print(f"  {name:14s}{found[0]['count'] / seconds:9,.0f} rows/s {seconds:6.2f} s (CPU {cpu:5.2f} s)"
              f" | peak RSS {peak:4.0f} MB, {growth:+4.0f} MB over the process before the read")


if __name__ == "__main__":
    main()
