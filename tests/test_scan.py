"""The scan engine: units in a process pool give the same results as one process; the detector's
screen is selective."""

from __future__ import annotations

import json
import os
import random

import pytest

from pii_audit.detector import Detector
from pii_audit.scan import _with_blocks, display_name, plan_target, scan_targets
from pii_audit.sources import ScanOptions, TargetCoverage
from pii_audit.sources import files
from pii_audit.summary import EXIT_CLEAN, EXIT_FOUND, EXIT_INCOMPLETE, exit_code, render_target
from tests_corpus import resident_id


def test_screen_is_selective_on_ordinary_lines(key):
    lines = ["2024-03-09 16:00:00.567 [exec-48] INFO c.b.Job - 心跳检测正常 node=1481 耗时=12.5ms"] * 100
    assert Detector(key).screen("\n".join(lines)) == {}


def test_look_alike_digit_runs_wake_no_recognizer(key):
    """Order numbers, serials and hex ids hold long runs of digits; their runs are checked once
    (area, check digits, issuer) and wake nothing, while a real value on the next line does."""
    lines = ["订单号202492973358832402已提交, 渠道=MOBILE", "交易流水号=202400000000123456 状态=SUCCESS",
             "sessionId=4662432673238123 traceId=99912345678901234567", "批次 12345678901",
             f"客户 {resident_id(random.Random(3))} 开户"]
    detector = Detector(key)
    (index, chosen), = detector.screen("\n".join(lines)).items()
    assert index == 4 and "CN_RESIDENT_ID" in {detector.recognizers[n].ENTITY for n in chosen}


def test_screen_picks_only_the_recognizers_a_line_needs(key):
    detector = Detector(key)
    text = "普通日志\n客户邮箱 a.b@example.com\n普通日志"
    (index, chosen), = detector.screen(text).items()
    assert index == 1 and {detector.recognizers[n].ENTITY for n in chosen} == {"EMAIL_ADDRESS"}


def write_log(path, rng, count):
    lines = []
    for i in range(count):
        if i % 7 == 0:
            lines.append(f"{i} 客户身份证号{resident_id(rng)} 手机138{rng.randrange(10**8):08d}")
        else:
            lines.append(f"{i} 2024-01-01 10:00:00 INFO 普通日志 耗时{rng.randrange(999)}ms")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def run(targets, key, tmp_path, jobs, name):
    out = tmp_path / name
    with open(out, "wb") as jsonl:
        results = list(scan_targets([str(t) for t in targets], ScanOptions(jobs=jobs), key, jsonl=jsonl))
    return results, out.read_bytes()


def test_split_file_in_a_pool_gives_the_same_results_as_one_process(tmp_path, key, monkeypatch):
    monkeypatch.setattr(files, "SPLIT_BYTES", 4096)  # cut a ~60 KB log into ranges
    log = tmp_path / "big.log"
    lines = write_log(log, random.Random(1), 1000)
    one, one_jsonl = run([log, tmp_path / "missing"], key, tmp_path, 1, "one.jsonl")
    two, two_jsonl = run([log, tmp_path / "missing"], key, tmp_path, 2, "two.jsonl")
    assert one_jsonl == two_jsonl and one_jsonl
    summary = [{k: (f.occurrences, f.distinct_values) for k, f in r.findings.items()} for r in one]
    assert summary == [{k: (f.occurrences, f.distinct_values) for k, f in r.findings.items()} for r in two]
    assert [r.coverage.problems for r in one] == [r.coverage.problems for r in two]
    records = [json.loads(line) for line in one_jsonl.splitlines()]
    assert len(records) == 2 * len(range(0, 1000, 7))
    for record in records:  # every line number and offset points at the value's line
        assert lines[record["location"]["line"] - 1].startswith(f"{record['location']['line'] - 1} ")
    assert one[0].coverage.containers[str(log)].units == 1000
    assert sorted(tmp_path.iterdir()) == sorted([log, tmp_path / "one.jsonl", tmp_path / "two.jsonl"])


def test_results_come_one_per_target_in_order(tmp_path, key):
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.log").write_text(f"手机1381234567{ord(name) % 10}\n", encoding="utf-8")
    targets = [str(tmp_path / f"{n}.log") for n in ("c", "a", "b")]
    results = list(scan_targets(targets, ScanOptions(jobs=2), key))
    assert [r.target for r in results] == targets


@pytest.mark.parametrize("url,shown", [
    pytest.param("postgresql+psycopg://u:pw@h/db", "postgresql+psycopg://u:***@h/db", id="password"),
    pytest.param("sqlite:///x.db", "sqlite:///x.db", id="no-password"),
    pytest.param("logs/app.log", "logs/app.log", id="path"),
])
def test_display_name_hides_passwords(url, shown):
    assert display_name(url) == shown


def test_exit_code_precedence(tmp_path, key):
    (tmp_path / "pi.log").write_text("手机13812345678\n", encoding="utf-8")
    (tmp_path / "clean.log").write_text("nothing\n", encoding="utf-8")
    scan = lambda *names: list(scan_targets([str(tmp_path / n) for n in names], ScanOptions(jobs=1), key))
    assert exit_code(scan("clean.log")) == EXIT_CLEAN
    assert exit_code(scan("pi.log")) == EXIT_FOUND
    assert exit_code(scan("pi.log", "missing.log")) == EXIT_INCOMPLETE


def test_a_database_line_counts_rows_and_cells_not_bytes(tmp_path, key):
    """A database's bytes are not counted; its summary line said "0 B" before its rows."""
    import sqlite3

    with sqlite3.connect(tmp_path / "core.db") as db:
        db.execute("CREATE TABLE kh (id INTEGER PRIMARY KEY, bz TEXT)")
        db.executemany("INSERT INTO kh (bz) VALUES (?)", [("正常",)] * 3)
    db.close()
    url = f"sqlite:///{tmp_path / 'core.db'}"
    (result,) = scan_targets([url], ScanOptions(sample_rows=None), key)
    assert render_target(result)[0] == f"{url}: 3 row(s), 6 cell(s), read in full"


def test_units_of_a_cut_file_add_up_to_its_size(tmp_path, monkeypatch):
    """Progress counts bytes by unit: the ranges of a file cut for the pool add up to the file."""
    monkeypatch.setattr(files, "SPLIT_BYTES", 4096)
    monkeypatch.setattr("pii_audit.scan.BATCH_BYTES", 1)
    log = tmp_path / "app.log"
    log.write_text("".join(f"{i} 普通日志 耗时{i % 999}ms\n" for i in range(5000)), encoding="utf-8")
    units = list(plan_target(0, str(log), ScanOptions(), TargetCoverage(str(log))))
    assert len(units) > 3 and sum(u.size for u in units) == log.stat().st_size


def test_distinct_values_past_the_exact_limit_merge_across_units(tmp_path, key, monkeypatch):
    """Each range's worker counts its own values; the parent's union is the count of the whole
    file, the same with one process as with two, and within 3% of the truth once estimated."""
    from pii_audit.distinct import EXACT_LIMIT

    monkeypatch.setattr(files, "SPLIT_BYTES", 16384)
    monkeypatch.setattr("pii_audit.scan.BATCH_BYTES", 1)  # each range its own unit
    log = tmp_path / "calls.log"
    mobiles = [f"1380{n:07d}" for n in range(3 * EXACT_LIMIT)]
    log.write_text("".join(f"来电 手机{m}\n" for m in mobiles + mobiles[:500]), encoding="utf-8")
    assert len(list(plan_target(0, str(log), ScanOptions(), TargetCoverage(str(log))))) > 3
    counts = []
    for jobs in (1, 2):
        (result,) = list(scan_targets([str(log)], ScanOptions(jobs=jobs), key))
        (finding,) = result.findings.values()
        assert finding.occurrences == len(mobiles) + 500 and finding.distinct.estimated
        assert f"about {finding.distinct_values:,} distinct" in "\n".join(render_target(result))
        counts.append(finding.distinct_values)
    assert counts[0] == counts[1]
    assert abs(counts[0] - len(mobiles)) <= 0.03 * len(mobiles)


def test_a_killed_worker_leaves_its_units_as_problems_and_the_scan_finishes(tmp_path, key, monkeypatch):
    """A worker killed mid-scan (the OOM killer, say) breaks the pool: every unit not yet done is
    recorded as not scanned, units submitted later included, and what was done is kept."""
    import multiprocessing
    import os
    import signal

    monkeypatch.setattr(files, "SPLIT_BYTES", 4096)
    monkeypatch.setattr("pii_audit.scan.BATCH_BYTES", 1)
    monkeypatch.setattr("pii_audit.scan.UNITS_AHEAD", 1)  # units left to submit after the kill
    log = tmp_path / "big.log"
    write_log(log, random.Random(2), 3000)
    units = len(list(plan_target(0, str(log), ScanOptions(), TargetCoverage(str(log)))))
    assert units > 10
    killed = []
    # A child another test left running is no worker of this scan's pool: killing it broke nothing.
    others = {child.pid for child in multiprocessing.active_children()}

    def kill_a_worker(done, total):
        if not killed:
            victim = next(c for c in multiprocessing.active_children() if c.pid not in others)
            os.kill(victim.pid, signal.SIGKILL)
            killed.append(victim.pid)

    (result,) = list(scan_targets([str(log)], ScanOptions(jobs=2), key, on_progress=kill_a_worker))
    reasons = [p.reason for p in result.coverage.problems]
    assert killed and reasons and not result.coverage.complete
    assert set(reasons) == {"worker process failed (BrokenProcessPool); not scanned"}
    assert result.coverage.containers[str(log)].units < 3000  # the lines of the units not scanned


def test_unit_results_are_let_go_once_merged_and_at_most_a_window_runs_ahead():
    """The parent held every unit's result to the end of the scan: its memory grew with the
    input's size (18 MB more for 1 GB of logs than for 200 MB)."""
    import weakref
    from concurrent.futures import Future

    from pii_audit.scan import Unit, _in_order

    class Outcome:  # stands for a UnitResult: weakly referable
        pass

    units = [Unit(0, (), 1) for _ in range(50)]
    submitted, alive = [], []

    def submit(unit):
        future, outcome = Future(), Outcome()
        future.set_result(outcome)
        submitted.append(unit)
        alive.append(weakref.ref(outcome))
        return future

    progress = []
    for index, (unit, outcome) in enumerate(_in_order(units, submit, 4, lambda d, t: progress.append(d), 50)):
        assert unit is units[index]
        assert len(submitted) <= index + 4
        del outcome
        assert not any(ref() for ref in alive[:max(0, index - 4)])
    assert progress[-1] == 50 and progress == sorted(progress)


def test_pickled_blocks_in_flight_are_bounded_in_bytes_whatever_the_workers(monkeypatch):
    """Blocks the parent read wait pickled in the window, 16 units a worker: 1 MiB blocks of an
    archive's text took 200 MB of logs in a tar.gz to 410 MiB peak PSS with 6 workers. The
    parent now reads no further while BLOCKS_AHEAD_BYTES of blocks are in flight."""
    from concurrent.futures import Future

    from pii_audit import scan

    monkeypatch.setattr(scan, "BLOCKS_AHEAD_BYTES", 10_000)
    read = []

    def units():  # as _block_units: a block is read when the window asks for the next unit
        for number in range(40):
            read.append(number)
            yield scan.Unit(0, (scan.Blocks("t", b"x" * 3000),), 1)

    def submit(unit):
        future = Future()
        future.set_result(None)
        return future

    for merged, _ in enumerate(scan._in_order(units(), submit, 96, None, 40)):
        assert len(read) - merged <= 4  # read ahead of the merging: the budget's four blocks
    assert len(read) == 40


def test_chunks_the_parent_reads_go_to_a_worker_together_and_blocks_of_rows_alone():
    """An archive's members come a chunk each: a zip of 20,000 small logs was 20,000 tasks for
    the pool, slower with two workers (17.7 s) than with one (13.0 s). Chunks now go together up
    to GROUP_BYTES, in order; a block of rows still goes alone."""
    from pii_audit import scan
    from pii_audit.models import Cells, Chunk, Column

    def chunk(n):
        text = f"{n:04d} " + "x" * 995 + "\n"
        return Chunk(text, {"path": f"a.zip!{n}.log", "line": 1}, f"a.zip!{n}.log", multiline=True,
                     utf8=text.encode())

    rows = Cells([Column(["a", "b"], "t.c")], lambda column, row: {"row": row})
    items = [chunk(n) for n in range(2500)] + [rows] + [chunk(n) for n in range(2500, 2600)]
    groups = list(scan._grouped(items))
    per = -(-scan.GROUP_BYTES // 1001)  # chunks of 1,001 bytes to a group: 1,048
    assert [len(group) for group in groups] == [per, per, 2500 - 2 * per, 1, 100]
    assert [item for group in groups for item in group] == items  # nothing lost, nothing reordered
    assert groups[3] == (rows,)


def test_a_folder_of_many_files_is_planned_as_the_scan_goes_not_held(tmp_path, key):
    """Units were planned into a list before the scan: 421 bytes more peak memory a file (421 MB
    for a million rotated logs). Planned lazily, a file costs what the walk must remember (its
    device and inode, against links read twice): about 116 bytes, measured the same way."""
    import datetime
    import tracemalloc

    def peak_for(files: int) -> int:
        root = tmp_path / f"archive{files}"
        for day in range(files):
            date = datetime.date(2000, 1, 1) + datetime.timedelta(days=day)
            folder = root / str(date.year)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"app.log.{date.isoformat()}").write_text("心跳检测正常\n", encoding="utf-8")
        tracemalloc.start()
        try:
            (result,) = list(scan_targets([str(root)], ScanOptions(jobs=1), key))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert result.coverage.files == files and result.coverage.complete
        return peak

    few, many = peak_for(1000), peak_for(4000)
    assert (many - few) / 3000 < 250


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_counts_every_byte_planned_once_whatever_the_jobs(tmp_path, key, monkeypatch, jobs):
    """The progress bar's length comes from a walk that keeps nothing; each unit adds its bytes
    as it completes, so the last report is (total, total) with every file's size in it."""
    import gzip

    monkeypatch.setattr(files, "SPLIT_BYTES", 4096)
    monkeypatch.setattr("pii_audit.scan.BATCH_BYTES", 1)
    logs = tmp_path / "logs"
    logs.mkdir()
    write_log(logs / "big.log", random.Random(4), 800)  # cut into ranges
    write_log(logs / "small.log", random.Random(5), 20)
    (logs / "old.log.1.gz").write_bytes(gzip.compress((logs / "small.log").read_bytes()))
    # Read in blocks by the main process with a pool (BLOCKS_FROM_BYTES): its size counts once too.
    rng = random.Random(6)
    (logs / "export.csv").write_text("手机号\n" + "".join(f"138{rng.randrange(10**8):08d}\n" for _ in range(300)),
                                     encoding="utf-8")
    monkeypatch.setattr("pii_audit.scan.BLOCKS_FROM_BYTES", 1000)
    monkeypatch.setattr("pii_audit.sources.spreadsheets.BLOCK_ROWS", 50)
    reports = []
    results = list(scan_targets([str(logs), str(tmp_path / "missing")], ScanOptions(jobs=jobs), key,
                                on_progress=lambda done, total: reports.append((done, total))))
    size = sum(path.stat().st_size for path in logs.iterdir())
    assert reports[-1] == (size, size) and [d for d, _ in reports] == sorted(d for d, _ in reports)
    # One report per unit in one process; a pool reports the units that completed since its last
    # report together, as few as one batch when they all finish at once (seen on CI).
    assert len(reports) > 3 if jobs == 1 else reports
    assert results[0].coverage.complete and not results[1].coverage.complete


def write_workbook(path, rng, rows):
    """A customer export of two sheets: IDs, mobile numbers (as numbers) and remarks."""
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    first.title = "客户"
    first.append(["序号", "证件号码", "手机号", "备注"])
    for n in range(rows):
        first.append([n, resident_id(rng), int(f"138{rng.randrange(10**8):08d}"), f"订单号2024{n:014d}"])
    second = book.create_sheet("联系人")
    second.append(["姓名", "联系电话"])
    for n in range(rows // 3):
        second.append(["张伟", f"139{rng.randrange(10**8):08d}"])
    book.save(path)


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_spreadsheet_read_in_the_parent_and_detected_in_a_pool_gives_what_one_process_gives(
        tmp_path, key, monkeypatch, suffix):
    """With a pool, the parent reads a spreadsheet and each block of rows is a unit of its own:
    the occurrences, their order in the JSONL, the counts and the coverage are one process's."""
    monkeypatch.setattr("pii_audit.sources.spreadsheets.BLOCK_ROWS", 50)
    book = tmp_path / f"export.{suffix}"
    if suffix == "xlsx":
        write_workbook(book, random.Random(7), 400)
    else:
        rng = random.Random(8)
        book.write_text("证件号码,手机号\n" + "".join(f"{resident_id(rng)},138{rng.randrange(10**8):08d}\n"
                                                 for _ in range(400)), encoding="utf-8")
    options = ScanOptions(jobs=2, sample_rows=None)
    (planned,) = plan_target(0, str(book), options, TargetCoverage(str(book)))
    assert type(planned.parts[0]).__name__ == "ReadHere"  # planning reads nothing
    units = list(_with_blocks([planned], options))
    assert len(units) >= 8 and all(type(part).__name__ == "Blocks" for unit in units for part in unit.parts)
    one, one_jsonl = run_with(book, key, tmp_path, 1, "one.jsonl")
    two, two_jsonl = run_with(book, key, tmp_path, 2, "two.jsonl")
    assert one_jsonl == two_jsonl and len(one_jsonl.splitlines()) >= 800
    summary = lambda r: {k: (f.occurrences, f.distinct_values, [s.location for s in f.samples])
                         for k, f in r.findings.items()}
    assert summary(one) == summary(two)
    assert (one.coverage.rows, one.coverage.cells, one.coverage.files, one.coverage.bytes) == \
        (two.coverage.rows, two.coverage.cells, two.coverage.files, two.coverage.bytes)
    assert {k: v.units for k, v in one.coverage.containers.items()} == \
        {k: v.units for k, v in two.coverage.containers.items()}


def test_a_gzip_file_named_as_a_target_is_read_in_the_parent_for_a_pool(tmp_path, key, monkeypatch,
                                                                      workers_at_reads):
    """A gzip file cannot be cut into ranges: named alone, one worker read it while the others
    idled. With a pool the main process now reads it in blocks that the workers detect side by
    side, and the scan gives what one process gives."""
    import gzip

    monkeypatch.setattr(files, "BLOCK", 4096)
    log = tmp_path / "app.log"
    write_log(log, random.Random(4), 2000)
    gzipped = tmp_path / "app.log.1.gz"
    gzipped.write_bytes(gzip.compress(log.read_bytes()))
    (one,), one_jsonl = run([gzipped], key, tmp_path, 1, "one.jsonl")
    (two,), two_jsonl = run([gzipped], key, tmp_path, 2, "two.jsonl")
    assert workers_at_reads == [0, 2]  # the one process read it; then the parent, the pool forked
    assert one_jsonl == two_jsonl and len(one_jsonl.splitlines()) > 500
    assert (one.coverage.files, one.coverage.bytes) == (two.coverage.files, two.coverage.bytes) == (1, log.stat().st_size)


def test_a_spreadsheet_that_fails_in_the_parent_is_one_problem_line_and_the_scan_goes_on(tmp_path, key):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is no workbook")
    good = tmp_path / "a.log"
    good.write_text("手机13812345678\n", encoding="utf-8")
    for jobs in (1, 2):
        first, second = list(scan_targets([str(bad), str(good)], ScanOptions(jobs=jobs), key))
        assert len(first.coverage.problems) == 1 and not first.findings
        assert second.coverage.complete and second.findings


def run_with(target, key, tmp_path, jobs, name):
    out = tmp_path / name
    with open(out, "wb") as jsonl:
        (result,) = list(scan_targets([str(target)], ScanOptions(jobs=jobs, sample_rows=None), key, jsonl=jsonl))
    return result, out.read_bytes()


def write_folder_of_exports(root, rng):
    """A folder as compliance officers get it: logs, a small csv, a large csv and a SQLite file."""
    import sqlite3

    root.mkdir()
    write_log(root / "app.log", rng, 300)
    (root / "small.csv").write_text(f"手机号\n138{rng.randrange(10**8):08d}\n", encoding="utf-8")
    (root / "customers.csv").write_text(
        "证件号码,手机号,备注\n" + "".join(f"{resident_id(rng)},139{rng.randrange(10**8):08d},订单号2024{n:014d}\n"
                                       for n in range(600)), encoding="utf-8")
    with sqlite3.connect(root / "core.db") as db:
        db.execute("CREATE TABLE kh (id INTEGER PRIMARY KEY, sfzh TEXT, sjh TEXT)")
        db.executemany("INSERT INTO kh (sfzh, sjh) VALUES (?, ?)",
                       [(resident_id(rng), f"137{rng.randrange(10**8):08d}") for _ in range(500)])
    db.close()


def test_a_large_spreadsheet_or_sqlite_file_in_a_folder_is_read_in_blocks_by_the_parent(
        tmp_path, key, monkeypatch, workers_at_reads):
    """A folder's large exports were each read and detected by one worker while the others idled.
    With a pool the parent now reads them in blocks once the pool has forked, and the scan gives
    what one process gives: the same JSONL bytes, counts, samples and coverage."""
    from pii_audit import scan

    monkeypatch.setattr(scan, "BLOCKS_FROM_BYTES", 8000)
    monkeypatch.setattr("pii_audit.sources.spreadsheets.BLOCK_ROWS", 50)
    monkeypatch.setattr("pii_audit.sources.db_tables.YIELD_PER", 40)
    root = tmp_path / "exports"
    write_folder_of_exports(root, random.Random(11))

    plans = {jobs: list(plan_target(0, str(root), ScanOptions(jobs=jobs), TargetCoverage(str(root))))
             for jobs in (1, 2)}
    assert [u.size for u in plans[1]] == [u.size for u in plans[2]]  # the same units either way
    read_here = sorted(p.path for u in plans[2] for p in u.parts if type(p).__name__ == "ReadHere")
    assert read_here == [str(root / "core.db"), str(root / "customers.csv")]

    (one,), one_jsonl = run([root], key, tmp_path, 1, "one.jsonl")
    assert workers_at_reads and not any(workers_at_reads)  # one process: nothing forked
    workers_at_reads.clear()
    (two,), two_jsonl = run([root], key, tmp_path, 2, "two.jsonl")
    assert workers_at_reads == [2, 2]  # the parent read both, with the workers already forked

    assert one_jsonl == two_jsonl and len(one_jsonl.splitlines()) > 2000
    summary = lambda r: {k: (f.occurrences, f.distinct_values, [s.location for s in f.samples])
                         for k, f in r.findings.items()}
    assert summary(one) == summary(two)
    coverage = lambda c: (c.kind, c.files, c.bytes, c.rows, c.cells, c.problems,
                          [(k, v.units, v.complete) for k, v in c.containers.items()])
    assert coverage(one.coverage) == coverage(two.coverage)
    assert one.coverage.kind == "files" and one.coverage.rows >= 1100


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux's")
def test_the_default_jobs_count_the_cores_the_scan_may_run_on_not_the_machines(
        tmp_path, key, workers_at_reads):
    """``--jobs 0`` counted the machine's cores (``os.cpu_count``): a scan pinned to one core by
    taskset or a container's cpuset still forked a pool of workers to take turns on it."""
    export = tmp_path / "customers.csv"
    export.write_text("身份证号\n" + resident_id(random.Random(3)) + "\n", encoding="utf-8")
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        (result,) = scan_targets([str(export)], ScanOptions(jobs=0), key)
    finally:
        os.sched_setaffinity(0, allowed)
    assert workers_at_reads == [0]  # read and scanned in this process: no pool
    assert [f.occurrences for f in result.findings.values()] == [1]


def test_a_broken_spreadsheet_in_a_folder_read_in_the_parent_is_one_problem_line(tmp_path, key, monkeypatch):
    """Read in the parent (a pool, a file past BLOCKS_FROM_BYTES), a corrupt workbook in a folder is
    the one problem line a worker would have recorded, and the folder's other files are scanned."""
    from pii_audit import scan

    monkeypatch.setattr(scan, "BLOCKS_FROM_BYTES", 100)
    root = tmp_path / "exports"
    root.mkdir()
    (root / "broken.xlsx").write_bytes(b"PK\x03\x04" + b" this is no workbook" * 20)
    (root / "app.log").write_text("手机13812345678\n", encoding="utf-8")
    results = {jobs: list(scan_targets([str(root)], ScanOptions(jobs=jobs), key)) for jobs in (1, 2)}
    (one,), (two,) = results[1], results[2]
    assert len(one.coverage.problems) == 1 and "broken.xlsx" in str(one.coverage.problems[0])
    assert one.coverage.problems == two.coverage.problems
    assert [k[1] for k in one.findings] == [k[1] for k in two.findings] == ["CN_MOBILE_PHONE"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_databases_that_cannot_be_read_are_one_problem_line_each_and_the_scan_goes_on(tmp_path, key, jobs):
    """Read in the main process with a pool, a wrong URL and a server that refuses the connection
    are each the one problem line one process records, and the next target is still scanned."""
    log = tmp_path / "a.log"
    log.write_text("手机13812345678\n", encoding="utf-8")
    targets = ["nosuchdialect://audit:Secret99@db/core", "postgresql+psycopg://audit@127.0.0.1:1/core", str(log)]
    wrong, refused, scanned = scan_targets(targets, ScanOptions(jobs=jobs), key)
    for result, reason in ((wrong, "cannot use this database URL"), (refused, "cannot connect")):
        (problem,) = result.coverage.problems
        assert reason in str(problem) and "Secret99" not in str(problem) and not result.findings
        assert problem.reason.startswith(reason)  # the URL is the problem's place, not its reason too
        assert "nothing read" in render_target(result)[0] and "read in full" not in render_target(result)[0]
    assert scanned.coverage.complete and scanned.findings


def test_a_block_that_cannot_be_sent_to_a_worker_is_one_problem_line_and_the_scan_goes_on(
        tmp_path, key, monkeypatch):
    """The main process pickles each block it reads for the workers: should a value refuse (a
    driver's type pickle cannot take), the file's blocks read so far are still scanned, the rest
    is one problem line, and the next target is scanned."""
    import pickle

    from pii_audit import scan

    monkeypatch.setattr("pii_audit.sources.spreadsheets.BLOCK_ROWS", 50)
    book = tmp_path / "export.csv"
    rng = random.Random(9)
    book.write_text("手机号\n" + "".join(f"138{rng.randrange(10**8):08d}\n" for _ in range(200)), encoding="utf-8")
    log = tmp_path / "a.log"
    log.write_text("手机13912345678\n", encoding="utf-8")
    real_packed, sent = scan._packed, []

    def refusing_the_third_block(items):
        if items and len(sent) == 2:
            raise pickle.PicklingError("cannot pickle 'Connection' object")
        if items:
            sent.extend(items)
        return real_packed(items)

    monkeypatch.setattr(scan, "_packed", refusing_the_third_block)
    sheet, scanned = scan_targets([str(book), str(log)], ScanOptions(jobs=2, sample_rows=None), key)
    (problem,) = sheet.coverage.problems
    assert "PicklingError" in str(problem) and not sheet.coverage.complete
    (finding,) = sheet.findings.values()
    values_sent = [t for cells in sent for column in cells.columns for t in column.texts if t.startswith("138")]
    assert 0 < finding.occurrences == len(values_sent) < 200  # the blocks sent before the one refused
    assert scanned.coverage.complete and scanned.findings


@pytest.mark.parametrize("jobs", [1, 2])
def test_how_far_a_table_or_gzip_file_has_been_read_is_reported_as_it_goes(tmp_path, key, monkeypatch, jobs):
    """A table, a workbook or a gzip file is one step of the progress bar (a database has no
    bytes to count at all), so the main process reports how far it has read one: rows of a table
    as its blocks pass (read here with a pool, or by the one process), MiB of a gzip file named as
    a target, likewise; None once it is done. A database's rows are shown out of its own estimate."""
    import gzip
    import sqlite3

    from pii_audit import scan
    from pii_audit.sources import db_tables

    monkeypatch.setattr(scan, "READING_EVERY_S", 0)
    monkeypatch.setattr(db_tables, "YIELD_PER", 100)
    with sqlite3.connect(tmp_path / "core.db") as db:
        # VARCHAR: a table with a TEXT column is read 16 rows first (db_tables.BlockSize)
        db.execute("CREATE TABLE kh (id INTEGER PRIMARY KEY, sjh VARCHAR(11))")
        db.executemany("INSERT INTO kh (sjh) VALUES (?)", [(f"137{n:08d}",) for n in range(350)])
    db.close()
    write_log(tmp_path / "app.log", random.Random(8), 200)
    (tmp_path / "app.log.1.gz").write_bytes(gzip.compress((tmp_path / "app.log").read_bytes()))
    url = f"sqlite:///{tmp_path / 'core.db'}"
    statuses = []
    list(scan_targets([url, str(tmp_path / "app.log.1.gz")], ScanOptions(jobs=jobs, sample_rows=None), key,
                      on_reading=statuses.append))
    table = [s for s in statuses if s is not None and s.startswith(url)]
    # out of SQLite's estimate, its largest rowid (the servers' own: test_sources_databases_servers)
    assert table == [f"{url}: {rows} of ~350 rows" for rows in ("100", "200", "300", "350")]
    assert statuses[len(table)] is None  # the table is done before the gzip file starts
    gzipped = [s for s in statuses[len(table) + 1:] if s is not None]
    assert gzipped == [f"{tmp_path / 'app.log.1.gz'}: 0 MiB"]  # read here, whole or in blocks for the pool
    assert statuses[-1] is None
