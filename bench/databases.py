"""Benchmark the database source: rows/s and peak memory against a plain SQLAlchemy Core fetch.

Usage (from the repository root)::

    .venv/bin/python bench/databases.py                   # SQLite, and PostgreSQL if its URL is set
    .venv/bin/python bench/databases.py --rows 200000 --only sqlite --table orders

Modes: ``fetch`` is a plain SQLAlchemy Core fetch of every column of every row (the baseline);
``read`` is ``read_database`` with every row (cells only, no detection); ``scan`` adds the
``Detector`` as ``pii-audit scan`` builds it.

Two tables of 8 columns, each built once (SQLite under ``bench/out/``, PostgreSQL in the schema
``pii_bench`` of $PII_AUDIT_TEST_POSTGRES_URL):

* ``customers`` (id, name, sfzh, sjhm, address, amount, created_at, remark): every row holds
  about four personal values, the worst case; ``scan`` reads its first ``--scan-rows`` rows
  (a random sample of that size on PostgreSQL), since it runs far slower than the fetch.
* ``orders`` (id, order_no, product, branch, amount, created_at, status, remark): no personal
  data but a mobile number in one remark in a hundred, the common case; ``scan`` reads it all.

Each measurement runs in its own subprocess, so its peak RSS is its own. Synthetic data only.

``--command`` also runs the whole ``pii-audit scan --full`` on the orders table (an ``audit.toml``
naming it, a fresh ledger) with ``--jobs 1`` and ``--jobs 2``: wall seconds (best of ``--repeat``
unpolled runs) and the peak PSS of its process tree (one more run, polled; ``logs.py``'s sampler).
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
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "bench")]

import sqlalchemy as sa  # noqa: E402

OUT = REPO / "bench" / "out"
SCHEMA = "pii_bench"
MODES = ("fetch", "read", "scan")
TABLES = ("customers", "orders")
PRODUCTS = ["活期储蓄", "定期存款三个月", "大额存单", "理财产品R2", "信用卡分期", "个人住房贷款"]
BRANCHES = ["上海浦东支行", "北京分行营业部", "深圳南山支行", "成都高新支行", "杭州西湖支行"]
SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
STREETS = ["建国路", "人民大道", "中山路", "解放路", "长安街", "南京东路"]


def columns(table: str) -> list[sa.Column]:
    """Return a benchmark table's columns: ``customers`` with PI in four, ``orders`` with none."""
    if table == "orders":
        return [sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                sa.Column("order_no", sa.String(24)), sa.Column("product", sa.Unicode(20)),
                sa.Column("branch", sa.Unicode(20)), sa.Column("amount", sa.Numeric(12, 2)),
                sa.Column("created_at", sa.DateTime), sa.Column("status", sa.Unicode(10)),
                sa.Column("remark", sa.UnicodeText)]
    return [sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("name", sa.Unicode(20)), sa.Column("sfzh", sa.String(18)),
            sa.Column("sjhm", sa.BigInteger), sa.Column("address", sa.Unicode(100)),
            sa.Column("amount", sa.Numeric(12, 2)), sa.Column("created_at", sa.DateTime),
            sa.Column("remark", sa.UnicodeText)]


def rows(table: str, count: int):
    """Yield the synthetic rows of a benchmark table."""
    return order_rows(count) if table == "orders" else customer_rows(count)


def order_rows(count: int, seed: int = 7):
    """Yield synthetic orders: order numbers, products, amounts; a mobile number in 1% of remarks."""
    rng = random.Random(seed)
    start = 1_700_000_000
    for i in range(1, count + 1):
        stamp = datetime.datetime.fromtimestamp(start + i)
        remark = rng.choice(["", "", "正常", "客户来电咨询", "复核通过", "柜面办理"])
        if rng.random() < 0.01:
            remark = f"联系人手机{rng.choice(['138', '139', '186', '150'])}{rng.randint(0, 99999999):08d}"
        yield (i, f"DD{stamp:%Y%m%d}{i:08d}", rng.choice(PRODUCTS), rng.choice(BRANCHES),
               round(rng.uniform(0, 100000), 2), stamp, rng.choice(["已完成", "处理中", "已撤销"]),
               remark or None)


def customer_rows(count: int, seed: int = 5):
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


def build(url: str, name: str, count: int) -> None:
    """Create and fill the table unless it already holds ``count`` rows."""
    engine = sa.create_engine(url, hide_parameters=True)
    schema = None if engine.dialect.name == "sqlite" else SCHEMA
    table = sa.Table(name, sa.MetaData(schema=schema), *columns(name))
    with engine.begin() as connection:
        if schema:
            connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        if sa.inspect(connection).has_table(name, schema=schema):
            if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar() == count:
                return
            table.drop(connection)
        table.create(connection)
        names = [c.name for c in table.columns]
        batch = []
        for row in rows(name, count):
            batch.append(dict(zip(names, row)))
            if len(batch) == 20000:
                connection.execute(table.insert(), batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)
    engine.dispose()


def measure(url: str, table: str, mode: str, scan_rows: int) -> None:
    """Run one mode in this process and print ``rows seconds peak_rss_mb cells occurrences``."""
    from pii_audit.scan import make_detector
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.databases import read_database

    begin = time.perf_counter()
    cells = occurrences = count = 0
    if mode == "fetch":
        engine = sa.create_engine(url)
        schema = None if engine.dialect.name == "sqlite" else SCHEMA
        fetched = sa.Table(table, sa.MetaData(schema=schema), *columns(table))
        with engine.connect() as connection:
            streamed = connection.execution_options(stream_results=True, yield_per=2000)
            result = streamed.execute(sa.select(fetched))
            for row in result:
                count += 1
                for value in row:
                    pass
    else:
        coverage = TargetCoverage(url)
        # The detector runs at a fraction of the fetch's speed on the PI-dense table: fewer rows.
        sample = scan_rows if mode == "scan" and table == "customers" else None
        options = ScanOptions(sample_rows=sample, include=(table, f"{SCHEMA}.{table}"),
                              schemas=() if url.startswith("sqlite") else (SCHEMA,))
        stream = read_database(url, options, coverage)
        if mode == "read":
            sum(1 for _ in stream)
        else:
            occurrences = sum(1 for _ in make_detector(b"b" * 32, options).detect(stream))
        count, cells = coverage.rows, coverage.cells
    seconds = time.perf_counter() - begin
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{count} {seconds:.3f} {peak:.1f} {cells} {occurrences}")


def run(url: str, table: str, mode: str, scan_rows: int) -> tuple[int, float, float, int, int]:
    """Measure one mode in a fresh subprocess and return its figures."""
    output = subprocess.run([sys.executable, __file__, "--measure", mode, "--url", url,
                             "--table", table, "--scan-rows", str(scan_rows)],
                            check=True, capture_output=True, text=True).stdout.split()
    count, seconds, peak, cells, occurrences = output
    return int(count), float(seconds), float(peak), int(cells), int(occurrences)


def report(label: str, url: str, table: str, scan_rows: int, repeat: int) -> None:
    """Print each mode's rows/s (best of ``repeat`` runs) and peak RSS beside the plain fetch
    (x fetch: time per row against the fetch's)."""
    figures = {}
    for mode in MODES:
        runs = [run(url, table, mode, scan_rows) for _ in range(repeat)]
        figures[mode] = min(runs, key=lambda r: r[1] / r[0])
    base = figures["fetch"][0] / figures["fetch"][1]
    print(f"\n{label} {table} (best of {repeat})")
    print(f"{'mode':6} {'rows':>9} {'rows/s':>10} {'seconds':>8} {'x fetch':>8} {'peak MB':>8} "
          f"{'cells':>9} {'found':>9}")
    for mode, (count, seconds, peak, cells, found) in figures.items():
        rate = count / seconds
        print(f"{mode:6} {count:>9,} {rate:>10,.0f} {seconds:>8.2f} {base / rate:>8.2f} {peak:>8.1f} "
              f"{cells:>9,} {found:>9,}")


def command_report(label: str, url: str, repeat: int) -> None:
    """Print the whole scan command's seconds and peak PSS on the orders table, 1 and 2 workers."""
    from logs import run_measured, run_timed

    config = OUT / "orders-audit.toml"
    schemas = "" if url.startswith("sqlite") else f'schemas = ["{SCHEMA}"]\n'
    config.write_text(f'[[targets]]\nname = "orders"\nkind = "database"\nowner = "bench"\n'
                      f'schedule = "0 3 * * *"\nurl = "{url}"\n{schemas}'
                      f'include = ["orders", "{SCHEMA}.orders"]\n', "utf-8")
    env = {**os.environ, "PII_AUDIT_KEY": "ab" * 32, "PYTHONPATH": str(REPO)}  # a bench key, not a secret
    print(f"\n{label} orders, the whole `pii-audit scan --full` (best of {repeat}; PSS from one more run)")
    for jobs in (1, 2):
        ledger = OUT / "orders-ledger.db"

        def argv() -> list[str]:
            ledger.unlink(missing_ok=True)
            return [sys.executable, "-m", "pii_audit", "scan", "-q", "--full", "--jobs", str(jobs),
                    "--config", str(config), "--ledger", f"sqlite:///{ledger}"]

        seconds = min(run_timed(argv(), env=env)[0] for _ in range(repeat))
        _, _, pss, code = run_measured(argv(), env=env)
        if code not in (0, 1):
            raise SystemExit(f"pii-audit scan exited {code}: see {OUT / 'command.out'} and the errors above")
        print(f"--jobs {jobs}: {seconds:6.2f} s  {1_000_000 / seconds:>9,.0f} rows/s (1,000,000 rows)  "
              f"peak PSS {pss / 2**20:4.0f} MiB  exit {code}")


def main() -> None:
    """Build the tables once, then measure every mode on every database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--table", choices=TABLES, nargs="*", default=list(TABLES))
    parser.add_argument("--scan-rows", type=int, default=50_000, help="rows of customers scanned")
    parser.add_argument("--repeat", type=int, default=1, help="runs per mode; the best is shown")
    parser.add_argument("--command", action="store_true",
                        help="also time the whole scan command on the orders table, 1 and 2 workers")
    parser.add_argument("--measure", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.url, args.table[0] if isinstance(args.table, list) else args.table,
                args.measure, args.scan_rows)
        return
    print("Timings are noisy while other developers use the machine (2 cores).")
    targets = []
    if args.only in (None, "sqlite"):
        OUT.mkdir(parents=True, exist_ok=True)
        targets.append(("SQLite", f"sqlite:///{OUT / f'bench-{args.rows}.db'}"))
    pg = os.environ.get("PII_AUDIT_TEST_POSTGRES_URL")
    if args.only in (None, "postgresql") and pg:
        targets.append(("PostgreSQL", pg))
    for label, url in targets:
        for table in args.table:
            started = time.perf_counter()
            build(url, table, args.rows)
            print(f"{label}: {table} ready in {time.perf_counter() - started:.1f} s")
            report(label, url, table, args.scan_rows, args.repeat)
            if args.command and table == "orders":
                command_report(label, url, args.repeat)


if __name__ == "__main__":
    main()
