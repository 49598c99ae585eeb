"""SECURITY.md items 20-22: a killed scan loses and duplicates nothing; concurrent scans both land.

Workers are forked processes (they inherit the already-imported detector, so no second start-up
cost) that open their own ledger connection, exactly as a second `pii-audit scan` would.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal

import pytest
from sqlalchemy import func, select, text

from ledger_helpers import KEY, backend_params, corpus_streams, ledger_url, scan_lines
from pii_audit.ledger import Ledger, schema

FORK = multiprocessing.get_context("fork")
TARGETS = 8


def results(seed: int, count: int = TARGETS, prefix: str = "host"):
    """Return the TargetResults of ``count`` targets of synthetic logs (real detector)."""
    return [scan_lines(f"{prefix}{n}:/var/log", corpus_streams(seed + n, 2, 60)) for n in range(count)]


def record_all(url: str, scan_id: int, target_results, progress=None) -> None:
    """Record targets one by one into a scan (the body of a worker process)."""
    with Ledger.open(url, KEY) as ledger:
        for n, result in enumerate(target_results):
            ledger.record_target(scan_id, result)
            if progress is not None:
                progress.put(n)


def scan_worker(url, by, target_results, barrier, errors):
    """Run a whole scan; report any error by its type and message."""
    try:
        with Ledger.open(url, KEY) as ledger:
            scan_id = ledger.begin_scan(by, [r.target for r in target_results], {})
            barrier.wait(timeout=60)
            for result in target_results:
                ledger.record_target(scan_id, result)
            ledger.finish_scan(scan_id)
    except Exception as error:  # reported to the parent, which fails the test
        errors.put(f"{type(error).__name__}: {error}")
        raise


def snapshot(ledger: Ledger) -> tuple:
    """Return what a scan leaves: items with their counts, and the scans' counters."""
    items = sorted((i.target, i.container, i.entity_type, i.status, i.occurrences, i.distinct_values,
                    i.masked_occurrences, len([h for h in i.history if h.action == "created"]))
                   for i in ledger.items(samples=False))
    scans = [(s.occurrences, s.new_items, s.reopened_items, s.verified_items) for s in ledger.scans()]
    return items, scans


@pytest.fixture(params=backend_params())
def url(request, tmp_path):
    if request.param == "sqlite":  # a real disk, not tmpfs: this is about durability
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    with ledger_url(request.param) as server_url:
        yield server_url


def test_sigkill_mid_scan_then_resume_loses_and_duplicates_nothing(url, tmp_path):
    target_results = results(100)
    with Ledger.open(f"sqlite:///{tmp_path / 'reference.db'}", KEY) as reference:
        scan_id = reference.begin_scan("me", [r.target for r in target_results], {})
        for result in target_results:
            reference.record_target(scan_id, result)
        expected = snapshot(reference)
    with Ledger.open(url, KEY) as ledger:
        scan_id = ledger.begin_scan("me", [r.target for r in target_results], {})
    rng = random.Random()
    kill_after = rng.randrange(1, TARGETS - 2)
    progress = FORK.Queue()
    worker = FORK.Process(target=record_all, args=(url, scan_id, target_results, progress))
    worker.start()
    for _ in range(kill_after):
        progress.get(timeout=60)
    os.kill(worker.pid, signal.SIGKILL)  # most likely inside the next target's transaction
    worker.join()
    assert worker.exitcode == -signal.SIGKILL
    with Ledger.open(url, KEY) as ledger:
        with ledger.engine.connect() as conn:
            recorded = conn.execute(select(func.count()).select_from(schema.scan_targets)).scalar()
        assert kill_after <= recorded < TARGETS  # what was committed survived; the rest did not
        record_all(url, scan_id, target_results)  # the rerun: resumes the same scan
        assert snapshot(ledger) == expected


def test_two_scans_at_once_both_land(url):
    # Overlapping targets: both scans race to create the same new items.
    first, second = results(300, 6), results(303, 6)
    errors, barrier = FORK.Queue(), FORK.Barrier(2)
    Ledger.open(url, KEY).close()  # the schema exists before both start, as after any first run
    workers = [FORK.Process(target=scan_worker, args=(url, by, rs, barrier, errors))
               for by, rs in (("alice", first), ("bob", second))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors.empty() and [w.exitcode for w in workers] == [0, 0]
    with Ledger.open(url, KEY) as ledger:
        scans = ledger.scans()
        assert sorted(s.by for s in scans) == ["alice", "bob"] and all(s.finished_at for s in scans)
        targets = {r.target for r in first + second}
        assert {i.target for i in ledger.items()} == targets
        keys = [(i.target, i.container, i.entity_type) for i in ledger.items()]
        assert len(keys) == len(set(keys))
        assert sum(s.new_items for s in scans) == len(keys)  # each item created exactly once


@pytest.mark.mariadb
def test_a_mariadb_scheme_url_takes_the_same_named_locks():
    """SQLAlchemy names the dialect of a mariadb:// URL "mariadb", not "mysql": recording a target
    must still hold its named lock, or two scans of one target race on REPEATABLE READ snapshots."""
    from conftest import server_url
    from ledger_helpers import mariadb_database
    from sqlalchemy.engine import make_url

    from pii_audit.ledger.db import lock_name
    from pii_audit.ledger.store import _target_transaction

    base = make_url(server_url("PII_AUDIT_TEST_MARIADB_URL")).set(drivername="mariadb+pymysql")
    with mariadb_database(base.render_as_string(hide_password=False)) as url, Ledger.open(url, KEY) as ledger:
        assert ledger.engine.dialect.name == "mariadb"
        name = lock_name(ledger.engine.url.database, "target\0host1:/var/log")
        with ledger.engine.connect() as conn, ledger.engine.connect() as other:
            with _target_transaction(conn, "host1:/var/log"):
                assert other.execute(text("SELECT IS_USED_LOCK(:n)"), {"n": name}).scalar() is not None
            assert other.execute(text("SELECT IS_USED_LOCK(:n)"), {"n": name}).scalar() is None
