"""The scan engine: cut targets into independent units, detect in a process pool, one result per target.

A unit is a batch of parts: byte ranges of text files (``TextUnit``), or a spreadsheet, a SQLite
file or a database URL read through ``read_target``. With a pool, a database and a spreadsheet or
SQLite file named as a target or of at least ``BLOCKS_FROM_BYTES`` in a folder are read here, in
the parent (``ReadHere``), and each block of rows is a unit (``Blocks``), so that the workers
detect one workbook's or table's blocks side by side; so is each image, and each document a
table's binary column holds, that the parent finds (``images.Deferred``). Each unit is scanned by one worker,
which returns its coverage and its findings already aggregated, and writes its occurrences to a
private JSON-lines part file; the parent merges units in order, so results and the JSONL are the
same whatever ``--jobs`` is. ``scan_targets`` yields one ``TargetResult`` per target, in order,
so that the ledger can record each target in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import json
import os
import pickle
import shutil
import tempfile
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain, islice
from typing import BinaryIO, Callable, Iterable, Iterator, Sequence, Union

from pii_audit.detector import Detector, build_recognizers
from pii_audit.errors import SourceError
from pii_audit.models import Cells, Chunk, Occurrence
from pii_audit.results import MAX_SAMPLES, Finding, TargetResult
from pii_audit.sources import Listing, ScanOptions, TargetCoverage, images, is_database_url, read_target, shown
from pii_audit.sources import damage
from pii_audit.sources.files import TextUnit, file_kind, holds_dump, is_compressed_file, plan_file, read_unit
from pii_audit.sources.layouts import layout_for
from pii_audit.sources.walk import walk_target

BATCH_BYTES = 8 << 20  # small files are batched into units of about this many bytes
BATCH_PARTS = 256  # ... or this many files
# The reading status (rows or MiB read from a table, workbook or gzip file) is reported at most
# this often: a table's blocks come hundreds a second.
READING_EVERY_S = 0.2
# What ``--jobs 0`` starts at most: each worker adds 20-35 MiB of peak PSS. Session 9 measured
# 6 workers at 261 MiB on 150 MB of logs, 289-319 MiB on the same in a tar.gz and 305-319 MiB
# with it in a zip inside a tar (the zip held in memory); 4 workers at 224, 252-268 and 270-287
# (bench/README.md). Session 8 had measured 274-279 MiB with 6 on a tar.gz.
DEFAULT_MAX_WORKERS = 4
# Units submitted per worker past the oldest unit not yet merged. Results are merged in unit order,
# so one slow unit (a large gzip file) keeps the others' results waiting; this bounds them, at the
# cost of idle workers once that many have finished behind it. A unit of blocks the parent read
# waits with its rows, pickled: the orders table's peak PSS, --jobs 2, 162 MiB with 8 a worker,
# 165 with 16 (measured).
UNITS_AHEAD = 16
# Bytes of pickled blocks (``Blocks``) in that window at most, whatever the workers: a block of
# table rows is about 180 KiB, one of an archive's text 1 MiB, and 16 of those a worker took 200 MB
# of logs in a tar.gz to 410 MiB peak PSS with 6 workers (measured). 32 MiB, then 16: 150 MB of
# logs in a tar.gz, 2 workers, 237 -> 214-216 MiB in 4.74-4.84 against 4.54-4.90 s (measured).
BLOCKS_AHEAD_BYTES = 16 << 20
# Chunks of text the parent read (an archive's members, a compressed log's blocks) sent to a worker
# together, up to about this many bytes (``_grouped``).
GROUP_BYTES = 1 << 20
# A spreadsheet or SQLite file in a folder at least this large is a unit of its own and, with a
# pool, read here in blocks; smaller ones are batched and read whole by a worker. A 1 MiB xlsx
# holds about 13,000 rows, a second or two of one worker's time with personal data in each row.
BLOCKS_FROM_BYTES = 1 << 20


@dataclass(frozen=True)
class ReadHere:
    """A spreadsheet, SQLite file or database URL that the parent reads once the pool has forked,
    each block of rows becoming a unit (``_block_units``); planned only when there is a pool."""

    path: str


@dataclass(frozen=True)
class Blocks:
    """Blocks of rows (``Cells``) or chunks of text (an archive's, a compressed log's) the parent
    read, for a worker to detect in."""

    where: str  # the target, as shown in problem lines
    # The tuple of Cells or Chunks (``_grouped``), pickled by the parent as it reads (``_packed``).
    # Left to the pool, they were pickled by its feeder thread, which contended with the reading
    # for the GIL, and waited in the window as objects (about 3 MiB a block of 2,000 table rows,
    # 180 KiB pickled). The 1,000,000-row orders table, whole command with --jobs 2: 5.58-6.03 ->
    # 4.31-4.48 s and 206 -> 172 MiB peak PSS, where one worker takes 5.2-5.5 s
    # (bench/databases.py --command); workbooks unchanged.
    items: bytes
    # What the parent's reader counted (rows, cells, problems), carried by the file's last block so
    # that it is merged in unit order, as a worker's own reading would be.
    read: TargetCoverage | None = None


# A text range, a path or URL that read_target reads in a worker, one the parent reads, or blocks
# the parent read.
Part = Union[TextUnit, str, ReadHere, Blocks]


@dataclass(frozen=True)
class Unit:
    """Parts of one target scanned together by one worker."""

    target: int  # index of the target in the scan
    parts: tuple[Part, ...]
    size: int  # bytes on disk, for progress
    last: bool = False  # the target's last unit: once it is merged, the target is done


@dataclass
class UnitResult:
    """What a worker returns for a unit: coverage, aggregated findings and its JSONL part."""

    coverage: TargetCoverage
    result: TargetResult
    jsonl_part: str | None = None


def display_name(target: str) -> str:
    """Return a target as it may be shown: a database URL with its password hidden, a path with
    any personal information in it masked.

    >>> display_name("postgresql://audit:s3cret@db/crm"), display_name("exports/13812345678.csv")
    ('postgresql://audit:***@db/crm', 'exports/138****5678.csv')
    """
    if not is_database_url(target):
        return shown(target)
    # Imported here: SQLAlchemy takes 0.2 s to import, a tenth of a log scan's start (measured).
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(target).render_as_string(hide_password=True)
    except ArgumentError:
        return target.split("://", 1)[0] + "://(unparsable URL)"


def plan_target(index: int, target: str, options: ScanOptions, coverage: TargetCoverage) -> Iterator[Unit]:
    """Cut one target into units, yielded as the walk goes; record in ``coverage`` what cannot
    even be planned. Lazily: a folder of a million log files is never held as a list of units.

    Nothing is read here: a file or database the parent reads in blocks is planned as ``ReadHere``
    and read only once the pool has forked (``_unit_results``). The units are the same whatever
    the number of workers, so that results and the JSONL are too."""
    if _read_whole(target):
        yield Unit(index, (_read_part(target, options),), _size(target))
        return
    coverage.kind = "files"
    batch, batch_size = [], 0
    for path, info in walk_target(target, options, coverage):
        # A batch file an audit.toml layout matches, or whose layout is guessed, is read whole by
        # one worker, record by record (``layouts``): a range cut in a record would shift every
        # field after the cut.
        kind = file_kind(path)
        kind = "layout" if layout_for(path, options, kind) else kind
        parts = [path] if kind != "text" else plan_file(path, info.st_size, coverage)
        # A PDF costs its reader far more than the detector (pypdf's text extraction), an RTF about
        # as much (its tokens): each is read by a worker, as a log's range is, not by the parent in blocks.
        # An image read by OCR takes a second or more whatever its bytes (a 100 KB scan of a form):
        # batched by bytes, a folder of them went to one worker. Not read, it costs nothing. So may
        # a Word document or a presentation, for its pictures (``pictures``): each is read by a worker.
        alone = options.ocr and kind in ("image", "document", "presentation")
        by_worker = kind in ("text", "layout", "pdf", "rtf", "image") or alone
        for part in parts:
            # A file's last range (and a compressed file) runs to the end: its size is what is left
            # (nothing, when a live log grew past its size on disk while it was cut).
            size = (part.size or max(0, info.st_size - part.start)) if isinstance(part, TextUnit) else info.st_size
            if alone or size >= (BATCH_BYTES if by_worker else BLOCKS_FROM_BYTES):
                yield Unit(index, (part if by_worker else _read_part(part, options),), size)
                continue
            batch.append(part)
            batch_size += size
            if batch_size >= BATCH_BYTES or len(batch) >= BATCH_PARTS:
                yield Unit(index, tuple(batch), batch_size)
                batch, batch_size = [], 0
    if batch:
        yield Unit(index, tuple(batch), batch_size)


def _read_part(path: str, options: ScanOptions) -> str | ReadHere:
    """Return the part that reads a spreadsheet, SQLite file or database: in blocks by the parent
    when there is a pool, else whole by the one process."""
    return ReadHere(path) if _workers(options) > 1 else path


def _block_units(unit: Unit, options: ScanOptions, on_reading: Reading | None = None) -> Iterator[Unit]:
    """Read a ``ReadHere`` unit's spreadsheet or database here and yield a unit per block of rows:
    the pool's workers detect one workbook's or table's blocks side by side (a 200,000-row workbook
    with ID, mobile and card columns, the whole command: 21.3-23.5 s with one worker, 12.9-14.5 s
    with two). The last unit keeps the planned one's size (for the progress bar) and ``last``, and
    carries what the reader counted. The pool has forked before this runs (``_unit_results``): no
    database connection crosses a fork."""
    (part,) = unit.parts
    where = display_name(part.path)
    read = TargetCoverage(where)
    previous = _packed(())
    # The images and pictures it holds, and the documents a table's binary column holds, are read
    # by the workers, each a unit of its own (``_grouped``).
    deferring = dataclasses.replace(options, defer_pictures=options.ocr, defer_dumps=True, defer_documents=True)
    items = _reading(read_target(part.path, deferring, read), where, read)
    if on_reading is not None:
        items = _reported(items, where, on_reading, read)
    for number, group in enumerate(_grouped(items)):
        try:
            packed = _packed(group)
        except Exception as error:  # noqa: BLE001 -- a value that cannot be sent must not end the audit
            _record_failure(error, where, read)
            break
        if number:
            yield Unit(unit.target, (Blocks(where, previous),), 0)
        previous = packed
    yield dataclasses.replace(unit, parts=(Blocks(where, previous, read),))


def _grouped(items: Iterable[Cells | Chunk]) -> Iterator[tuple[Cells | Chunk, ...]]:
    """Yield what a reader gives in the groups a worker takes at once: a block of rows alone
    (``Cells``: 2,000 table rows, 1,000 sheet rows), an image to read by OCR, a document a table
    holds or a dump to read in order alone (``Deferred``),
    chunks of text together up to GROUP_BYTES.

    An archive's members come a chunk each: a zip of 20,000 small logs was 20,000 tasks for the
    pool, and took 17.7 s with two workers where one took 13.0 (its folder: 8.4 s; measured).
    """
    group: list[Chunk] = []
    size = 0
    for item in items:
        if type(item) is Cells or type(item) is images.Deferred:
            if group:
                yield tuple(group)
                group, size = [], 0
            yield (item,)
            continue
        group.append(item)
        size += len(item.utf8) if item.utf8 is not None else len(item.text)
        if size >= GROUP_BYTES:
            yield tuple(group)
            group, size = [], 0
    if group:
        yield tuple(group)


def _packed(items: tuple[Cells | Chunk, ...]) -> bytes:
    """Return blocks of rows or chunks of text pickled for a worker (``Blocks.items``)."""
    return pickle.dumps(items, pickle.HIGHEST_PROTOCOL)


def _workers(options: ScanOptions) -> int:
    """Return the number of worker processes ``options.jobs`` asks for (0: ``default_workers``)."""
    return options.jobs or default_workers(_usable_cores())


def default_workers(cores: int) -> int:
    """Return the workers ``--jobs 0`` starts where the process may run on ``cores`` cores: one a
    core, at most ``DEFAULT_MAX_WORKERS``, so that the default keeps the scan under 300 MB.

    >>> [default_workers(n) for n in (1, 2, 6, 64)]
    [1, 2, 4, 4]
    """
    return max(1, min(cores, DEFAULT_MAX_WORKERS))


def _usable_cores() -> int:
    """Return the cores this process may run on: those ``taskset`` or a container's cpuset give
    it, where ``os.cpu_count()`` tells the machine's (a 64-core host would start 64 workers)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # macOS and Windows have no affinity to ask


def planned_bytes(target: str, options: ScanOptions) -> int:
    """Return the bytes on disk a target's units will cover: the progress bar's length, from a walk
    that keeps nothing (what it cannot walk is recorded by the scan's own walk)."""
    if _read_whole(target):
        return _size(target)
    return sum(info.st_size for _, info in walk_target(target, options, TargetCoverage(target)))


def _read_whole(target: str) -> bool:
    """Tell whether a target is read by ``read_target``, in blocks by the parent when there is a
    pool: a database, a spreadsheet, an archive, a SQLite file, or one compressed log (gzip, bzip2,
    xz). Such a log cannot be cut into ranges, so named alone it was read by one worker while the others idled
    (200 MB of logs gzipped, --jobs 2: 6.9 s, where the same in a tar.gz read in blocks took 4.8-5.1).
    In a folder each compressed log is still read by a worker: there they share the workers."""
    if is_database_url(target):
        return True
    # A compressed dump is read in order by one worker, as a plain one is: told by its name or
    # its header (``files.holds_dump``).
    return os.path.isfile(target) and (file_kind(target) != "text"
                                       or is_compressed_file(target) and not holds_dump(target))


def _size(target: str) -> int:
    return os.path.getsize(target) if os.path.isfile(target) else 0


# -- workers --------------------------------------------------------------------------------------

_detector: Detector | None = None


def make_detector(key: bytes, options: ScanOptions) -> Detector:
    """Return the detector for these options: their entities and minimum score."""
    # The scan date is fixed once: a minor is "under 14 on the scan date", and asking the clock
    # for every ID number cost 3% of a scan (measured).
    return Detector(key, build_recognizers(options.entities, datetime.date.today()), options.min_score)


def _init_worker(key: bytes, options: ScanOptions, ocr_budget: images.OcrBudget | None = None) -> None:
    global _detector  # one detector per process: recognizers are compiled once, not per unit
    if _detector is None:  # forked, a worker has the one _unit_results built; spawned, it builds its own
        _detector = make_detector(key, options)
    images.share_budget(ocr_budget)


def scan_unit(unit: Unit, target: str, options: ScanOptions, jsonl_dir: str | None,
              detector: Detector | None = None, on_reading: Reading | None = None) -> UnitResult:
    """Scan one unit; return its coverage, its findings and the path of its JSONL part.

    ``on_reading`` (in the main process only) hears how far a unit of one table, workbook or gzip
    file has been read, as it goes: such a unit is one step of the progress bar."""
    detector = detector or _detector
    coverage = TargetCoverage(target)
    result = TargetResult(target, coverage)
    sink, part_path = None, None
    if jsonl_dir is not None:
        descriptor, part_path = tempfile.mkstemp(prefix=".pii-audit-part-", suffix=".jsonl", dir=jsonl_dir)
        sink = os.fdopen(descriptor, "wb")
    try:
        reported = on_reading if len(unit.parts) == 1 else None
        for part in unit.parts:
            _scan_part(part, options, coverage, detector, result, sink, reported)
    finally:
        if sink is not None:
            sink.close()
    return UnitResult(coverage, result, part_path)


def _scan_part(part: Part, options: ScanOptions, coverage: TargetCoverage, detector: Detector,
               result: TargetResult, sink: BinaryIO | None, on_reading: Reading | None = None) -> None:
    if isinstance(part, Blocks):
        if part.read is not None:
            merge_coverage(coverage, part.read)
        chunks: Iterable = images.read_deferred(pickle.loads(part.items), options, coverage)
    else:
        chunks = read_unit(part, options, coverage) if isinstance(part, TextUnit) else \
            read_target(part, options, coverage)
        # A range of a plain file is a step of its own; a whole gzip file, table or workbook is not.
        if on_reading is not None and not (isinstance(part, TextUnit) and not part.compression):
            chunks = _reported(chunks, display_name(part.path) if isinstance(part, TextUnit) else _where(part),
                               on_reading, coverage)
    try:
        for occurrence in detector.detect(chunks):
            occurrence = _in_line(occurrence)
            result.add(occurrence)
            if sink is not None:
                sink.write(json.dumps(occurrence.to_json(), ensure_ascii=False).encode("utf-8") + b"\n")
    except Exception as error:  # noqa: BLE001 -- one broken reader must not end the audit
        _record_failure(error, _where(part), coverage)


def _reading(items: Iterable, where: str, coverage: TargetCoverage) -> Iterator:
    """Yield what a reader yields (in the parent: ``_block_units``); should it fail, record one
    problem line and stop, as ``_scan_part`` does in a worker."""
    try:
        yield from items
    except Exception as error:  # noqa: BLE001 -- one broken reader must not end the audit
        _record_failure(error, where, coverage)


def _reported(items: Iterable, where: str, on_reading: Reading, coverage: TargetCoverage) -> Iterator:
    """Yield ``items`` (``Cells`` or ``Chunk``), telling ``on_reading`` now and then how much of
    ``where`` they have held so far (rows of a table or workbook, out of the database's estimate
    when its reader found one in ``coverage``; MiB of text), and None at the end.

    Counted here, from what passes: the readers add their rows and bytes to the coverage only
    once a table, sheet or file is done."""
    rows = size = 0
    last = time.monotonic()
    try:
        for item in items:
            yield item
            if type(item) is Cells:
                rows += len(item.columns[0].texts) if item.columns else 0
            else:
                size += len(item.utf8) if item.utf8 is not None else len(item.text)
            if time.monotonic() - last >= READING_EVERY_S:
                last = time.monotonic()
                on_reading(_reading_status(where, rows, size, coverage.rows_expected))
    finally:
        on_reading(None)


def _reading_status(where: str, rows: int, size: int, expected: int | None) -> str:
    """Return the status line of a part being read: rows (of about ``expected``) or MiB.

    >>> _reading_status("core", 2000, 0, 1_500_000), _reading_status("core", 2000, 0, 1000)
    ('core: 2,000 of ~1,500,000 rows', 'core: 2,000 rows')
    """
    if not rows:
        return f"{where}: {size / 2**20:,.0f} MiB"
    if expected and rows <= expected:  # an estimate can fall short: then the count alone
        return f"{where}: {rows:,} of ~{expected:,} rows"
    return f"{where}: {rows:,} rows"


def _record_failure(error: Exception, where: str, coverage: TargetCoverage) -> None:
    """Record in one line why a part could not be read further."""
    if isinstance(error, SourceError):
        coverage.problem(where, str(error))
    elif isinstance(error, ImportError):
        coverage.problem(where, f"no reader available ({error.name or 'module'} is not installed)")
    else:
        # The message is left out on purpose: a driver's message may quote the data it choked on.
        found, name = damage.reason(error), damage.error_name(error)
        coverage.problem(where, f"unreadable: {found} ({name}); not scanned further" if found else
                         f"unexpected {name} while reading; not scanned further")


def _where(part: Part) -> str:
    """Return a part as its problem lines name it."""
    if isinstance(part, (TextUnit, ReadHere)):
        return part.path if isinstance(part, TextUnit) else display_name(part.path)
    return part.where if isinstance(part, Blocks) else display_name(part)


def _in_line(occurrence: Occurrence) -> Occurrence:
    """Make offsets of a piece of a long line relative to the line's start."""
    offset = occurrence.location.get("offset")
    if offset is None:
        return occurrence
    location = {k: v for k, v in occurrence.location.items() if k != "offset"}
    location["start"] += offset
    location["end"] += offset
    return dataclasses.replace(occurrence, location=location)


# -- the parent -----------------------------------------------------------------------------------

Progress = Callable[[int, int], None]  # (bytes done, bytes planned)
Reading = Callable[[Union[str, None]], None]  # what is being read and how far, None when done


def scan_targets(targets: Sequence[str], options: ScanOptions, key: bytes,
                 on_progress: Progress | None = None, jsonl: BinaryIO | None = None,
                 on_reading: Reading | None = None) -> Iterator[TargetResult]:
    """Scan targets in a process pool; yield one ``TargetResult`` per target, in order.

    Occurrences go to ``jsonl`` (an open binary file) when given; nothing else is written.
    ``on_progress`` hears the bytes of the units done; ``on_reading`` how far the main process has
    read a table, workbook or gzip file that is one unit or read in blocks (such a unit's bytes
    count only once it is done).
    """
    names = [display_name(t) for t in targets]
    coverages = [TargetCoverage(name) for name in names]
    units = _planned(targets, options, coverages)
    total = sum(planned_bytes(t, options) for t in targets) if on_progress else 0
    merged = [TargetResult(name, coverage) for name, coverage in zip(names, coverages)]
    finished = 0  # targets yielded so far
    for unit, outcome in _unit_results(units, targets, options, key, _jsonl_dir(jsonl), on_progress, total,
                                       on_reading):
        # Units come in target order, each target planned whole before the next: targets before
        # this unit's that are not yielded yet had no unit at all.
        while finished < unit.target:
            yield merged[finished]
            finished += 1
        _merge(merged[unit.target], unit, outcome, jsonl)
        if unit.last:  # yielded at once: the ledger records a target as soon as it is done
            yield merged[finished]
            finished += 1
    yield from merged[finished:]


def _planned(targets: Sequence[str], options: ScanOptions, coverages: list[TargetCoverage]) -> Iterator[Unit]:
    """Yield every target's units in order, each target's last one marked ``last``."""
    for index, target in enumerate(targets):
        yield from _last_changed(plan_target(index, target, options, coverages[index]), last=True)


def _last_changed(units: Iterable[Unit], **changes) -> Iterator[Unit]:
    """Yield ``units`` as they come, the last one with ``changes`` made (``dataclasses.replace``)."""
    previous = None
    for unit in units:
        if previous is not None:
            yield previous
        previous = unit
    if previous is not None:
        yield dataclasses.replace(previous, **changes)


def _jsonl_dir(jsonl: BinaryIO | None) -> str | None:
    if jsonl is None:
        return None
    name = getattr(jsonl, "name", None)
    return os.path.dirname(os.path.abspath(name)) if isinstance(name, str) else tempfile.gettempdir()


def _unit_results(units: Iterator[Unit], targets: Sequence[str], options: ScanOptions, key: bytes,
                  jsonl_dir: str | None, on_progress: Progress | None, total: int,
                  on_reading: Reading | None = None) -> Iterator[tuple[Unit, UnitResult | BaseException]]:
    """Yield each unit with its result (or the exception that killed its worker), in unit order."""
    global _detector
    jobs = _workers(options)
    first = list(islice(units, jobs))  # planning reads nothing: ReadHere parts are read below
    reads_here = any(isinstance(part, ReadHere) for unit in first for part in unit.parts)
    units = chain(first, units)
    if jobs == 1 or (len(first) <= 1 and not reads_here):  # no pool for one unit
        detector = make_detector(key, options)
        done = 0
        for unit in units:
            outcome = scan_unit(unit, display_name(targets[unit.target]), options, jsonl_dir, detector, on_reading)
            done += unit.size
            if on_progress:
                on_progress(done, total)
            yield unit, outcome
        return
    workers = jobs if reads_here else len(first)  # a full first batch: len(first) == jobs
    # Forked workers share the parent's pages until something writes to them, and a collection in
    # a worker writes to every object it walks: frozen, the parent's objects are walked by no one.
    # A workbook scanned by a pool, 200,000 rows: 290 -> 212 MiB peak PSS of the process tree
    # (measured; a 200 MB log scan unchanged at about 148).
    # Built once, here: forked workers share it. Each had built its own, 3 MiB of private memory:
    # 200 MB of logs with 8 workers peaked at 274 MiB PSS, now 265 (measured).
    _detector = make_detector(key, options)
    # The processes reading images by OCR (the workers, and the parent reading an archive or a
    # database) share the memory the images being read may hold (images.OCR_BUDGET_MIB).
    budget = images.budget_for(workers) if options.ocr else None
    images.share_budget(budget)
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                 initargs=(key, options, budget)) as pool:
            def submit(unit: Unit) -> Future:
                try:
                    return pool.submit(scan_unit, unit, display_name(targets[unit.target]), options, jsonl_dir)
                except BrokenProcessPool as broken:  # a worker was killed: this unit fails as the others
                    failed: Future = Future()
                    failed.set_exception(broken)
                    return failed

            # The pool forks all its workers at its first task: now, before the parent reads a
            # workbook or opens a database (_block_units), so that no connection crosses a fork.
            pool.submit(int).result()
            yield from _in_order(_with_blocks(units, options, on_reading), submit, workers * UNITS_AHEAD,
                                 on_progress, total)
    finally:
        gc.unfreeze()
        _detector = None
        images.share_budget(None)


def _with_blocks(units: Iterable[Unit], options: ScanOptions, on_reading: Reading | None = None
                 ) -> Iterator[Unit]:
    """Yield ``units``, each ``ReadHere`` unit replaced by the units of the blocks read from it."""
    for unit in units:
        if isinstance(unit.parts[0], ReadHere):
            yield from _block_units(unit, options, on_reading)
        else:
            yield unit


def _in_order(units: Iterable[Unit], submit: Callable[[Unit], Future], window: int,
              on_progress: Progress | None, total: int
              ) -> Iterator[tuple[Unit, UnitResult | BaseException]]:
    """Run units through ``submit``, at most ``window`` of them (and ``BLOCKS_AHEAD_BYTES`` of
    pickled blocks) past the oldest not yet yielded; report progress as they complete, and yield
    their results in unit order.

    A result is let go once yielded, and a result that completes early waits in the window: the
    parent's memory is bounded by the window, not by the number of units (every result was held
    to the end before, 18 MB more peak memory for 1 GB of logs than for 200 MB).
    """
    queued = iter(units)
    in_flight: deque[tuple[Unit, Future]] = deque()
    counted: set[Future] = set()  # completed futures whose bytes the progress has counted
    done = blocks_bytes = 0  # blocks_bytes: of the pickled blocks in flight (BLOCKS_AHEAD_BYTES)
    while True:
        while (len(in_flight) < window and blocks_bytes < BLOCKS_AHEAD_BYTES
               and (unit := next(queued, None)) is not None):
            in_flight.append((unit, submit(unit)))
            blocks_bytes += _blocks_bytes(unit)
        if not in_flight:
            return
        if not in_flight[0][1].done():  # wait for any to finish (only those running: no spinning)
            wait([future for _, future in in_flight if not future.done()], return_when=FIRST_COMPLETED)
        fresh = [(unit, future) for unit, future in in_flight if future.done() and future not in counted]
        if fresh:
            done += sum(unit.size for unit, _ in fresh)
            counted.update(future for _, future in fresh)
            if on_progress:
                on_progress(done, total)
        while in_flight and in_flight[0][1] in counted:  # not done(): one may finish meanwhile
            unit, future = in_flight.popleft()
            counted.discard(future)
            blocks_bytes -= _blocks_bytes(unit)
            yield unit, future.exception() or future.result()


def _blocks_bytes(unit: Unit) -> int:
    """Return the bytes of the pickled blocks a unit carries (0 for a unit a worker reads)."""
    return sum(len(part.items) for part in unit.parts if isinstance(part, Blocks))


def _merge(into: TargetResult, unit: Unit, outcome: UnitResult | BaseException,
           jsonl: BinaryIO | None) -> None:
    """Merge one unit's result into its target's result, and its JSONL part into the output."""
    if isinstance(outcome, BaseException):
        reason = f"worker process failed ({type(outcome).__name__}); not scanned"
        for part in unit.parts:
            into.coverage.problem(_where(part), reason, part.stream if isinstance(part, TextUnit) else None)
        return
    merge_coverage(into.coverage, outcome.coverage)
    for finding in outcome.result.findings.values():
        merge_finding(into, finding)
    if outcome.jsonl_part is not None:
        with open(outcome.jsonl_part, "rb") as part:
            if jsonl is not None:
                shutil.copyfileobj(part, jsonl)
        os.unlink(outcome.jsonl_part)


def merge_coverage(into: TargetCoverage, part: TargetCoverage) -> None:
    """Add what one unit read (and could not read) to its target's coverage."""
    into.kind = into.kind or part.kind
    into.files += part.files
    into.bytes += part.bytes
    into.rows += part.rows
    into.cells += part.cells
    for name, record in part.containers.items():
        mine = into.container(name, record.unit, record.sampled)
        mine.units += record.units
        mine.bytes += record.bytes
        mine.sampled = mine.sampled or record.sampled
        mine.complete = mine.complete and record.complete
    into.problems.extend(part.problems)
    for notice in part.notices:
        into.add_notice(notice)
    for reason, count in part.notices_over.items():
        into.notices_over[reason] = into.notices_over.get(reason, 0) + count
    for reason, count in part.images_unread.items():
        images.unread(into, reason, count)
    into.folders.extend(folder for folder in part.folders if folder not in into.folders)
    for url, listing in part.databases.items():
        into.databases.setdefault(url, Listing()).merge(listing)


def merge_finding(into: TargetResult, finding: Finding) -> None:
    """Add one unit's finding for a (container, entity) to its target's result."""
    key = (finding.container, finding.entity_type)
    mine = into.findings.get(key)
    if mine is None:
        into.findings[key] = finding
        return
    mine.occurrences += finding.occurrences
    mine.masked_occurrences += finding.masked_occurrences
    mine.distinct.merge(finding.distinct)
    if finding.risk.minor and not mine.risk.minor:
        mine.risk = finding.risk
    mine.samples.extend(finding.samples[:MAX_SAMPLES - len(mine.samples)])
