"""Instructions per log scan, this checkout against another: a comparison noise cannot blur.

Usage:  .venv/bin/python bench/instructions.py OTHER_CHECKOUT [--mb 5 [--json] | --sheet-rows 2000 | --log FILE]

Times on a shared machine move by 15% between runs, more than most changes to the detector. So
this counts instructions with ``valgrind --tool=callgrind``: each checkout's ``scan_unit`` runs
over the first MB of ``bench/logs.py``'s corpus once and then three times, in a child process
that imports that checkout; the difference between the two totals is two scans (the imports
cancel out), and it is the same from run to run. Prints millions of instructions per scan for
each checkout and their ratio. OTHER_CHECKOUT is a directory holding another version of the
project, for example ``git worktree add /tmp/old <commit>``. Takes a few minutes. With
``--sheet-rows N`` the scan is of a workbook of N rows like ``bench/spreadsheets.py``'s, with its
ID, mobile and card columns, read in full. With ``--json`` the log's lines are rewritten as a
Python service's JSON formatter writes them (``json.dumps``: every Chinese character a ``\\uXXXX``
escape). With ``--log FILE``, the scan is of that file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(checkout: str, scans: int, path: str) -> None:
    """Import the project from ``checkout`` and scan ``path`` ``scans`` times in this process."""
    sys.path.insert(0, checkout)
    from pii_audit.scan import Unit, make_detector, scan_unit
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.files import plan_file

    options = ScanOptions(jobs=1, sample_rows=None)
    detector = make_detector(b"k" * 32, options)
    size = os.path.getsize(path)
    parts = (path,) if path.endswith(".xlsx") else tuple(plan_file(path, size, TargetCoverage(path)))
    unit = Unit(0, parts, size)
    for _ in range(scans):
        scan_unit(unit, path, options, None, detector)


def instructions(checkout: Path, scans: int, path: Path) -> int:
    """Return the instructions callgrind counts for a child that scans ``path`` ``scans`` times."""
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={scratch}/out",
             sys.executable, __file__, "--child", str(checkout), str(scans), str(path)],
            capture_output=True, text=True,
            # A fixed hash seed: set and dict order, and so the instructions, the same every run;
            # one OpenBLAS thread: numpy (spaCy imports it) starts threads that spin, and callgrind
            # counted 4.5 to 9 million of their instructions, differently each run.
            # No compiled screen kept on disk (``screen_cache``): a checkout's first child compiled
            # it and the second loaded it, so the difference held a compile (6x a scan's count).
            env={**os.environ, "PII_AUDIT_KEY": "ab" * 32, "PYTHONHASHSEED": "0",
                 "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PII_AUDIT_CACHE_DIR": ""})
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"callgrind failed for {checkout}: {done.stderr.strip().splitlines()[-1:]}")
    return int(found.group(1).replace(",", ""))


def corpus(megabytes: int) -> Path:
    """Return the first ``megabytes`` MB (whole lines) of bench/logs.py's 200 MB corpus."""
    sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]
    import logs

    whole = logs.OUT / "app-200mb.log"
    logs.generate(whole, 200)
    part = logs.OUT / f"head-{megabytes}mb.log"
    if not part.exists():
        with open(whole, "rb") as handle:
            head = handle.read(megabytes * 10**6)
        part.write_bytes(head[:head.rfind(b"\n") + 1])
    return part


def as_json(path: Path) -> Path:
    """Return a copy of a log of ``bench/logs.py``'s lines, each as a JSON object of its time,
    thread, level, logger and message, written by ``json.dumps`` with its defaults."""
    out = path.with_name(path.stem + "-json.log")
    if not out.exists():
        with open(path, encoding="utf-8") as lines, open(out, "w", encoding="utf-8") as handle:
            for line in lines:
                head, message = line.rstrip("\n").split(" - ", 1)
                day, clock, thread, level, logger = head.split()
                handle.write(json.dumps({"time": f"{day} {clock}", "thread": thread.strip("[]"), "level": level,
                                         "logger": logger, "message": message}) + "\n")
    return out


def workbook(rows: int) -> Path:
    """Return a workbook of ``rows`` rows with ID, mobile and card columns (bench/spreadsheets.py)."""
    sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]
    import spreadsheets

    return spreadsheets.workbook_path(rows, 3)


def main() -> None:
    """Count both checkouts' instructions per scan and print them side by side."""
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="a directory holding another version of the project")
    parser.add_argument("--mb", type=int, default=5)
    parser.add_argument("--sheet-rows", type=int, help="scan a workbook of this many rows instead of logs")
    parser.add_argument("--json", action="store_true", help="the log's lines as JSON objects, Chinese escaped")
    parser.add_argument("--log", type=Path, help="scan this log file instead of the bench corpus")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    path = args.log.resolve() if args.log else workbook(args.sheet_rows) if args.sheet_rows else \
        as_json(corpus(args.mb)) if args.json else corpus(args.mb)
    print(f"corpus: {path} ({path.stat().st_size / 1e6:.1f} MB); instructions per scan_unit, jobs 1")
    per_scan = {}
    for checkout in (args.other.resolve(), ROOT):
        start = time.perf_counter()
        per_scan[checkout] = (instructions(checkout, 3, path) - instructions(checkout, 1, path)) / 2
        print(f"{str(checkout):<40} {per_scan[checkout] / 1e6:10.1f} M instructions a scan "
              f"({time.perf_counter() - start:.0f} s under callgrind)")
    print(f"this checkout / other: {per_scan[ROOT] / per_scan[args.other.resolve()]:.3f}")


if __name__ == "__main__":
    main()
