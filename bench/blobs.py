"""Speed and memory of `pii-audit scan --full` on a table whose BLOB column holds documents.

Usage:  .venv/bin/python bench/blobs.py [--rows 300] [--images 0] [--jobs 1 2] [--repeat 1]
                                        [--only sqlite|postgresql] [--baseline OTHER_CHECKOUT]

Builds once (SQLite under bench/out/, PostgreSQL in the schema ``pii_bench`` of
$PII_AUDIT_TEST_POSTGRES_URL when it is set) the table ``blob_contracts`` (id, contract_no, body):
``--rows`` contracts kept as their files, a loan contract as a PDF of 3 pages (the parties' names,
ID numbers, mobiles, cards and addresses, then clauses) and a credit application as a .docx (a
table of the applicant's details) in turn; with ``--images N``, also ``blob_scans`` (id, body):
N scanned account-opening forms (``images.py``'s, 1.6 MP), a JPEG and a grey PNG in turn, which
the scans then read with ``--ocr``. Synthetic values only.

For this checkout, and for ``--baseline`` (another checkout: ``git worktree add --detach
/tmp/old main``) side by side, runs ``pii-audit scan -q --full`` of those tables with each
``--jobs``: wall seconds and the CPU seconds of the whole process tree (workers and tesseract
processes; best of ``--repeat`` unpolled runs, the checkouts' and jobs' runs interleaved); then,
in one more run polled every 20 ms, the peak PSS of the process tree (``logs.py``'s sampler) and
the CPU seconds of the main process and of the rest of the tree (who read the documents: this
split moves little when other work loads the machine, the wall seconds a lot), and the
occurrences its JSONL holds (the same in both checkouts).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import docx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from images import application_form  # noqa: E402
from image_helpers import cjk_font_file  # noqa: E402
from logs import tree_memory  # noqa: E402
from test_sources_pdfs import statement  # noqa: E402
from tests_corpus import card, mobile, resident_id  # noqa: E402

OUT = ROOT / "bench" / "out"
SCHEMA = "pii_bench"
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "赵磊", "孙丽", "周强"]
ADDRESSES = ["北京市海淀区中关村大街1号", "上海市浦东新区世纪大道100号", "深圳市南山区科技园南路8号"]
CLAUSE = "借款人应按本合同约定的期限和方式归还借款本息，逾期未还的，贷款人有权按约定计收罚息。"


def contract_pdf(rng: random.Random, number: int) -> bytes:
    """Return a loan contract of 3 pages: the parties with their details, then clauses."""
    borrower, guarantor = rng.sample(NAMES, 2)
    parties = ["个人借款合同", f"合同编号：JK{number:08d}", f"借款人：{borrower}", f"身份证号码：{resident_id(rng)}",
               f"联系电话：{mobile(rng)}", f"还款账户：{card(rng)}", f"住址：{rng.choice(ADDRESSES)}",
               f"保证人：{guarantor}", f"保证人身份证号码：{resident_id(rng)}", f"保证人电话：{mobile(rng)}"]
    clauses = [f"第{n}条 {CLAUSE[:28]}" for n in range(1, 36)]
    return statement([parties + clauses[:25], clauses[:36], clauses[:20] + [f"借款人签字：{borrower}"]])


def application_docx(rng: random.Random, number: int) -> bytes:
    """Return a credit application: a heading, a table of the applicant's details, a declaration."""
    document = docx.Document()
    document.add_heading("个人信用贷款申请表", level=1)
    document.add_paragraph(f"申请编号：SQ{number:08d}")
    details = [("姓名", rng.choice(NAMES)), ("证件号码", resident_id(rng)), ("手机号码", mobile(rng)),
               ("收款卡号", card(rng)), ("居住地址", rng.choice(ADDRESSES)), ("单位电话", "010-65529988")]
    table = document.add_table(rows=len(details), cols=2)
    for row, (label, value) in zip(table.rows, details):
        row.cells[0].text, row.cells[1].text = label, value
    for _ in range(12):
        document.add_paragraph("本人承诺所填信息真实、完整、有效，并授权贷款人查询本人征信报告。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def form_image(rng: random.Random, number: int, font_file: str) -> bytes:
    """Return a scanned account-opening form, a JPEG (a phone's photo) and a grey PNG in turn."""
    image, out = application_form(rng, font_file), io.BytesIO()
    if number % 2:
        image.convert("L").save(out, "PNG")
    else:
        image.save(out, "JPEG", quality=85)
    return out.getvalue()


def build(url: str, rows: int, images: int) -> None:
    """Create ``blob_contracts`` (and ``blob_scans``) with these many rows, unless they hold them."""
    engine = sa.create_engine(url)
    schema = None if url.startswith("sqlite") else SCHEMA
    meta = sa.MetaData(schema=schema)
    contracts = sa.Table("blob_contracts", meta, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("contract_no", sa.String(20)), sa.Column("body", sa.LargeBinary))
    scans = sa.Table("blob_scans", meta, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("body", sa.LargeBinary))
    with engine.begin() as connection:
        if schema:
            connection.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        if _holds(connection, contracts, rows) and _holds(connection, scans, images):
            return
        meta.drop_all(connection)
        meta.create_all(connection)
        rng = random.Random(20241128)
        for start in range(0, rows, 50):
            connection.execute(contracts.insert(), [
                {"id": n, "contract_no": f"JK{n:08d}",
                 "body": contract_pdf(rng, n) if n % 2 else application_docx(rng, n)}
                for n in range(start + 1, min(rows, start + 50) + 1)])
        font_file = cjk_font_file() if images else ""
        for n in range(1, images + 1):
            connection.execute(scans.insert(), {"id": n, "body": form_image(rng, n, font_file)})
    engine.dispose()


def _holds(connection, table: sa.Table, rows: int) -> bool:
    if not sa.inspect(connection).has_table(table.name, schema=table.schema):
        return rows == 0
    return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar() == rows


def command(checkout: Path, url: str, jobs: int, ocr: bool, jsonl: Path) -> list[str]:
    """Return the scan of the bench's tables with ``checkout``'s code (it runs in that folder)."""
    include = "blob_*" if url.startswith("sqlite") else f"{SCHEMA}.blob_*"
    return [sys.executable, "-m", "pii_audit", "scan", "-q", "--full", "--jobs", str(jobs), "--include", include,
            "--jsonl", str(jsonl), *(["--ocr"] if ocr else []), url]


def timed(argv: list[str], checkout: Path) -> tuple[float, float]:
    """Run a command unpolled; return its wall seconds and the CPU seconds of its process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, cwd=checkout, env=_env(checkout), check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def polled(argv: list[str], checkout: Path) -> tuple[int, float, float, int]:
    """Run a command polled every 20 ms; return the peak PSS of its process tree, the CPU seconds
    of its main process and of the rest of the tree (workers, tesseract) as last seen, and its
    exit code. The split shows who reads the documents, whatever else loads the machine."""
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, cwd=checkout, env=_env(checkout))
    peak, cpu = 0, {}
    while process.poll() is None:
        peak = max(peak, tree_memory(process.pid)[1])
        cpu.update(_tree_cpu(process.pid))
        time.sleep(0.02)
    main = cpu.pop(process.pid, 0.0)
    return peak, main, sum(cpu.values()), process.returncode


def _tree_cpu(pid: int) -> dict[int, float]:
    """Return the CPU seconds (user and system) of a process and of each of its descendants."""
    seconds, todo = {}, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        seconds[current] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        todo.extend(int(child) for child in children)
    return seconds


def _env(checkout: Path) -> dict:
    # ``python -m pii_audit`` imports from its working folder first: each checkout runs in its own.
    return {**os.environ, "PII_AUDIT_KEY": "ab" * 32, "PYTHONPATH": str(checkout)}  # a bench key, not a secret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--images", type=int, default=0, help="scanned forms in blob_scans, read with --ocr")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--baseline", type=Path, help="another checkout, measured beside this one")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    urls = []
    if args.only in (None, "sqlite"):
        urls.append(("SQLite", f"sqlite:///{OUT / f'blobs-{args.rows}-{args.images}.db'}"))
    if args.only in (None, "postgresql") and os.environ.get("PII_AUDIT_TEST_POSTGRES_URL"):
        urls.append(("PostgreSQL", os.environ["PII_AUDIT_TEST_POSTGRES_URL"]))
    checkouts = [("this", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    print("Timings are noisy while other work shares the machine (2 cores).")
    for label, url in urls:
        started = time.perf_counter()
        build(url, args.rows, args.images)
        print(f"\n{label}: {args.rows} contracts (PDF, .docx) and {args.images} scanned forms, ready in "
              f"{time.perf_counter() - started:.1f} s; `pii-audit scan --full{' --ocr' if args.images else ''}`, "
              f"best of {args.repeat} (PSS from one more run)")
        runs = [(name, checkout, jobs) for jobs in args.jobs for name, checkout in checkouts]
        best: dict[tuple[str, int], tuple[float, float]] = {}
        for _ in range(args.repeat):  # interleaved: a burst of other work hits every run alike
            for name, checkout, jobs in runs:
                argv = command(checkout, url, jobs, args.images > 0, OUT / f"blobs-{name}.jsonl")
                best[name, jobs] = min(best.get((name, jobs), (float("inf"), 0.0)), timed(argv, checkout))
        for name, checkout, jobs in runs:
            jsonl = OUT / f"blobs-{name}.jsonl"
            pss, main_cpu, others_cpu, code = polled(command(checkout, url, jobs, args.images > 0, jsonl), checkout)
            seconds, cpu = best[name, jobs]
            print(f"  {name:8} --jobs {jobs}: {seconds:6.2f} s ({cpu:6.2f} s CPU)  polled run: peak PSS "
                  f"{pss / 2**20:4.0f} MiB, CPU main {main_cpu:5.2f} s + workers {others_cpu:5.2f} s  "
                  f"{len(jsonl.read_bytes().splitlines()):,} occurrences  exit {code}")
        for jobs in args.jobs if args.baseline else ():
            print(f"  --jobs {jobs}: this / baseline {best['this', jobs][0] / best['baseline', jobs][0]:.2f} (seconds)")

if __name__ == "__main__":
    main()
