"""Benchmark the database source: rows/s and peak memory against a plain SQLAlchemy Core fetch.

Usage (from the repository root)::

    /tmp/v/bin/python bench/databases.py                   # SQLite, and PostgreSQL if its URL is set
    /tmp/v/bin/python bench/databases.py --rows 200000 --only sqlite --scan-rows 20000

Modes: ``fetch`` is a plain SQLAlchemy Core fetch of every column of every row (the baseline);
``read`` is ``read_database`` with every row (chunks only, no detection); ``scan`` adds the
``Detector`` on the first ``--scan-rows`` rows, since it runs far slower than the reader.

The table (id, name, sfzh, sjhm, address, amount, created_at, remark) is built once: SQLite under
``bench/out/``, PostgreSQL in the schema ``pii_bench`` of $PII_AUDIT_TEST_POSTGRES_URL. Each
measurement runs in its own subprocess, so its peak RSS is its own. Synthetic data only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import sqlalchemy as sa  # noqa: E402

OUT = REPO / "bench" / "out"
SCHEMA = "pii_bench"
TABLE = "customers"
MODES = ("fetch", "read", "scan")
SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
STREETS = ["建国路", "人民大道", "中山路", "解放路", "长安街", "南京东路"]


def columns() -> list[sa.Column]:
    """Return the benchmark table's columns: realistic, with PI in four of them."""
    return [sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("name", sa.Unicode(20)), sa.Column("sfzh", sa.String(18)),
            sa.Column("sjhm", sa.BigInteger), sa.Column("address", sa.Unicode(100)),
            sa.Column("amount", sa.Numeric(12, 2)), sa.Column("created_at", sa.DateTime),
            sa.Column("remark", sa.UnicodeText)]


def rows(count: int, seed: int = 5):
    """Yield synthetic rows; IDs come from a pool so building a million takes seconds."""
    from tests_corpus import resident_id

    rng = random.Random(seed)
    ids = [resident_id(rng) for _ in range(20000)]
    start = 1_700_000_000
    for i in range(1, count + 1):
        remark = rng.choice(["", "正常", "客户来电咨询", f"联系人手机{rng.randint(13000000000, 13999999999)}"])
        yield (i, rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), ids[i % len(ids)],
               rng.randint(13000000000, 19999999999) if i % 10 else None,
               f"上海市浦东新区{rng.choice(STREETS)}{rng.randint(1, 999)}号{rng.randint(1, 30)}01室",
               round(rng.uniform(0, 100000), 2), datetime.datetime.fromtimestamp(start + i),
               remark or None)


def build(url: str, count: int) -> None:
    """Create and fill the table unless it already holds ``count`` rows."""
    engine = sa.create_engine(url, hide_parameters=True)
    schema = None if engine.dialect.name == "sqlite" else SCHEMA
    table = sa.Table(TABLE, sa.MetaData(schema=schema), *columns())
    with engine.begin() as connection:
        if schema:
            connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        if sa.inspect(connection).has_table(TABLE, schema=schema):
            if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar() == count:
                return
            table.drop(connection)
        table.create(connection)
        names = [c.name for c in table.columns]
        batch = []
        for row in rows(count):
            batch.append(dict(zip(names, row)))
            if len(batch) == 20000:
                connection.execute(table.insert(), batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)
    engine.dispose()


def measure(url: str, mode: str, scan_rows: int) -> None:
    """Run one mode in this process and print ``rows seconds peak_rss_mb chunks occurrences``."""
    from pii_audit.detector import Detector
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.databases import read_database

    begin = time.perf_counter()
    chunks = occurrences = count = 0
    if mode == "fetch":
        engine = sa.create_engine(url)
        schema = None if engine.dialect.name == "sqlite" else SCHEMA
        table = sa.Table(TABLE, sa.MetaData(schema=schema), *columns())
        with engine.connect() as connection:
            result = connection.execution_options(stream_results=True, yield_per=2000).execute(sa.select(table))
            for row in result:
                count += 1
                for value in row:
                    pass
    else:
        coverage = TargetCoverage(url)
        # The detector runs at a small fraction of the reader's speed: time it on fewer rows.
        sample = None if mode == "read" else scan_rows
        options = ScanOptions(sample_rows=sample, schemas=() if url.startswith("sqlite") else (SCHEMA,))
        stream = read_database(url, options, coverage)
        if mode == "read":
            chunks = sum(1 for _ in stream)
        else:
            occurrences = sum(1 for _ in Detector(b"b" * 32).detect(stream))
        count = coverage.rows
    seconds = time.perf_counter() - begin
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{count} {seconds:.3f} {peak:.1f} {chunks} {occurrences}")


def run(url: str, mode: str, scan_rows: int) -> tuple[int, float, float, int, int]:
    """Measure one mode in a fresh subprocess and return its figures."""
    output = subprocess.run([sys.executable, __file__, "--measure", mode, "--url", url,
                             "--scan-rows", str(scan_rows)],
                            check=True, capture_output=True, text=True).stdout.split()
    count, seconds, peak, chunks, occurrences = output
    return int(count), float(seconds), float(peak), int(chunks), int(occurrences)


def report(label: str, url: str, scan_rows: int) -> None:
    """Print each mode's rows/s and peak RSS beside the plain fetch (x fetch: time per row)."""
    figures = {mode: run(url, mode, scan_rows) for mode in MODES}
    base = figures["fetch"][0] / figures["fetch"][1]
    print(f"\n{label}")
    print(f"{'mode':6} {'rows':>9} {'rows/s':>10} {'seconds':>8} {'x fetch':>8} {'peak MB':>8} "
          f"{'chunks':>9} {'found':>9}")
    for mode, (count, seconds, peak, chunks, found) in figures.items():
        rate = count / seconds
        print(f"{mode:6} {count:>9,} {rate:>10,.0f} {seconds:>8.2f} {base / rate:>8.2f} {peak:>8.1f} "
              f"{chunks:>9,} {found:>9,}")


def main() -> None:
    """Build the tables once, then measure every mode on every database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--scan-rows", type=int, default=50_000, help="rows read through the detector")
    parser.add_argument("--measure", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.url, args.measure, args.scan_rows)
        return
    print("Timings are noisy while other developers use the machine (2 cores).")
    targets = []
    if args.only in (None, "sqlite"):
        OUT.mkdir(parents=True, exist_ok=True)
        targets.append(("SQLite", f"sqlite:///{OUT / f'customers-{args.rows}.db'}"))
    pg = os.environ.get("PII_AUDIT_TEST_POSTGRES_URL")
    if args.only in (None, "postgresql") and pg:
        targets.append(("PostgreSQL", pg))
    for label, url in targets:
        started = time.perf_counter()
        build(url, args.rows)
        print(f"{label}: table ready in {time.perf_counter() - started:.1f} s")
        report(label, url, args.scan_rows)


if __name__ == "__main__":
    main()
