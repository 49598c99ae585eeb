"""Names found in a pg_dump where the workers share blocks: attached to an e-mail, compressed in an archive.

Usage:  .venv/bin/python bench/dumps.py [--rows 40000] [--jobs 1 2] [--baseline /path/to/other/checkout]
                                        [--cases eml msg eml-zip tar-gz]

Writes, under bench/out/dumps/ (synthetic values only), a pg_dump of --rows customers (about 75
bytes a row) and, from it: ``mail.eml`` with it attached as ``core.sql`` (eml), ``mail.eml`` with
it in an attached ``backup.zip`` (eml-zip), ``mail.msg`` with it attached (msg), and
``backup.tar`` holding it gzipped as ``core-20261102.gz``, a name that does not say "sql" (tar-gz).
Then, for each, ``python -m pii_audit scan -q --jobs N --jsonl ...`` in this checkout (and in
--baseline's, side by side): the names found (PERSON occurrences in the JSONL; each row holds
one), the wall seconds and the peak PSS of the process tree (polled every 20 ms).

A dump read in blocks that the workers share loses its COPY columns past the blocks of the
worker that read its COPY line: the names under ``cust_name`` then go unfound. Figures are noisy
when other work runs on the machine.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bench.logs import tree_memory  # noqa: E402
from test_dumps_routed import eml, msg, zipped  # noqa: E402
from test_sql_statements import customers, pg_dump  # noqa: E402

OUT = ROOT / "bench" / "out" / "dumps"


def write_cases(rows: int, wanted: list[str]) -> dict[str, Path]:
    """Write the dump of ``rows`` customers in each ``wanted`` case, once; return them by name.
    (The .msg writer, ``tests/ole2_helpers``, writes no file past 109 FAT sectors: about 7 MB.)"""
    folder = OUT / f"{rows}-rows"
    cases = {"eml": folder / "eml" / "mail.eml", "eml-zip": folder / "eml-zip" / "mail.eml",
             "msg": folder / "msg" / "mail.msg", "tar-gz": folder / "tar-gz" / "backup.tar"}
    missing = [case for case in wanted if not cases[case].exists()]
    if not missing:
        return cases
    text = pg_dump(customers(rows, seed=5)).encode()
    writers = {"eml": lambda: eml("core.sql", text), "msg": lambda: msg("core.sql", text),
               "eml-zip": lambda: eml("backup.zip", zipped("dump/core.sql", text))}
    for case in missing:
        cases[case].parent.mkdir(parents=True, exist_ok=True)
        if case == "tar-gz":
            with tarfile.open(cases[case], "w") as bundle:
                bundle.add(_written(folder / "core-20261102.gz", gzip.compress(text)), "backup/core-20261102.gz")
        else:
            cases[case].write_bytes(writers[case]())
    return cases


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def scan(checkout: Path, jobs: int, target: Path) -> tuple[int, float, int]:
    """Run the scan of ``checkout`` (its own ``pii_audit``, from its folder); return the names it
    found, its wall seconds and the peak PSS of its process tree in bytes."""
    jsonl = OUT / "found.jsonl"
    argv = [sys.executable, "-m", "pii_audit", "scan", "-q", "--jobs", str(jobs), "--jsonl", str(jsonl), str(target)]
    start = time.perf_counter()
    with open(OUT / "command.out", "wb") as sink:
        # From the checkout's folder, with no PYTHONPATH: ``-m pii_audit`` imports that checkout's.
        env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PII_AUDIT_KEY": "ab" * 32}
        process = subprocess.Popen(argv, stdout=sink, cwd=checkout, env=env)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_memory(process.pid)[1])
            time.sleep(0.02)
    seconds = time.perf_counter() - start
    with open(jsonl, "rb") as found:
        names = sum(b'"entity_type": "PERSON"' in line for line in found)
    return names, seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--baseline", type=Path, help="another checkout (main), run side by side")
    parser.add_argument("--cases", nargs="+", default=["eml", "eml-zip", "msg", "tar-gz"])
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    cases = write_cases(args.rows, args.cases)
    checkouts = {"this": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    print(f"pg_dump of {args.rows:,} customers ({args.rows:,} names)")
    for case in args.cases:
        for jobs in args.jobs:
            figures = []
            for label, checkout in checkouts.items():
                names, seconds, peak = scan(checkout, jobs, cases[case])
                figures.append(f"{label}: {names:>9,} names {seconds:6.1f} s {peak / 2**20:5.0f} MiB")
            print(f"{case:8} --jobs {jobs}  " + "   ".join(figures), flush=True)


if __name__ == "__main__":
    main()
