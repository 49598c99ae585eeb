"""Helpers for the ledger tests: TargetResults from a synthetic corpus run through the real
detector, the raw values they contain (to search the ledger for), and a PostgreSQL or MariaDB
database of our own."""

from __future__ import annotations

import datetime
import os
import random
import uuid
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pii_audit.detector import Detector
from pii_audit.models import Chunk
from pii_audit.results import TargetResult
from pii_audit.sources import TargetCoverage
from recognizers.base import to_halfwidth
from tests_corpus import corpus_lines, mobile, resident_id

KEY = bytes(range(32))  # the same key as conftest's fixture
_DETECTORS: dict[bytes, Detector] = {}


def detector(key: bytes = KEY) -> Detector:
    """Return a shared detector for ``key`` (building one costs a little)."""
    if key not in _DETECTORS:
        _DETECTORS[key] = Detector(key)
    return _DETECTORS[key]


def scan_lines(target: str, streams: dict[str, list[str]], key: bytes = KEY, sampled=False,
               complete=True, owner=None, department=None) -> TargetResult:
    """Run the detector over log streams (container -> lines) and aggregate a TargetResult."""
    coverage = TargetCoverage(target, kind="files")
    result = TargetResult(target, coverage, owner=owner, department=department)
    for container, lines in streams.items():
        record = coverage.container(container, "lines", sampled=sampled)
        record.complete = complete
        for number, line in enumerate(lines, start=1):
            record.units += 1
            record.bytes += len(line.encode()) + 1
            chunk = Chunk(line, {"path": container, "line": number}, container)
            result.add_all(detector(key).detect_chunk(chunk))
    return result


def raw_values(lines: list[str], key: bytes = KEY) -> set[str]:
    """Return every plaintext value the detector matches in ``lines``, as written and normalised."""
    found = set()
    det = detector(key)
    for line in lines:
        text_ = to_halfwidth(line)
        for result in det.analyze(text_):
            if result.recognition_metadata.get("masked"):
                continue
            value = text_[result.start:result.end]
            found.update({value, line[result.start:result.end],
                          det.by_entity[result.entity_type].normalize(value)})
    return {v for v in found if len(v) >= 8}


def corpus_streams(seed: int, streams: int, lines: int) -> dict[str, list[str]]:
    """Return ``streams`` log streams of ``lines`` synthetic corpus lines each."""
    rng = random.Random(seed)
    return {f"logs/app{n}.log": corpus_lines(rng, lines) for n in range(streams)}


def id_line(seed: int = 1) -> str:
    """Return one log line holding a synthetic resident ID and a mobile number in context."""
    rng = random.Random(seed)
    return f"开户 身份证号：{resident_id(rng)} 手机：{mobile(rng)[:3]}12345678"


@contextmanager
def postgres_database(base_url: str):
    """Create a PostgreSQL database with a random name, yield its URL, and drop it."""
    name = f"pii_ledger_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def mariadb_database(base_url: str):
    """Create a MariaDB/MySQL database (utf8mb4) with a random name, yield its URL, and drop it."""
    name = f"pii_ledger_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


SERVERS = {"postgres": ("PII_AUDIT_TEST_POSTGRES_URL", postgres_database),
           "mariadb": ("PII_AUDIT_TEST_MARIADB_URL", mariadb_database)}


@contextmanager
def ledger_url(kind: str):
    """Yield the URL of an empty ledger database: SQLite (tmpfs), PostgreSQL or MariaDB.

    A server's URL comes from its environment variable; the test skips when it is unset.
    """
    from conftest import server_url

    if kind == "sqlite":
        with fast_dir() as path:
            yield f"sqlite:///{path}/ledger.db"
        return
    variable, database = SERVERS[kind]
    with database(server_url(variable)) as url:
        yield url


def backend_params() -> list:
    """Return the pytest params of the three ledger databases, each marked for its server."""
    import pytest

    return [pytest.param("sqlite", id="sqlite"),
            pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
            pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb)]


def postgres_base_url() -> str | None:
    """Return the test PostgreSQL URL from the environment, or None."""
    return os.environ.get("PII_AUDIT_TEST_POSTGRES_URL")


@contextmanager
def fast_dir():
    """Yield a temporary directory on tmpfs when there is one: a real SQLite file and WAL, but
    commits need no disk flush, so tests of many small transactions stay quick."""
    import shutil
    import tempfile

    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    path = tempfile.mkdtemp(prefix="pii-ledger-", dir=base)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


T0 = datetime.datetime(2024, 5, 1, 9, 30)
PROGRESS_NOTE = "已联系系统负责人"


def record_scan(ledger, results: list[TargetResult], now: datetime.datetime, by: str = "scanner") -> int:
    """Record ``results`` as one finished scan at ``now``; return its ID."""
    scan_id = ledger.begin_scan(by, [r.target for r in results], options={}, now=now)
    for result in results:
        ledger.record_target(scan_id, result, now=now)
    ledger.finish_scan(scan_id, now=now)
    return scan_id


_TEMPLATES: dict[bytes, str] = {}


def populated_ledger(directory, key: bytes = KEY):
    """Return ``(url, Ledger)`` of a SQLite ledger in ``directory`` that three real scans filled.

    The scans run once per test session; each call gets its own copy of the database file.

    Scan 1 finds items in two targets (one owned by 王芳), a person then moves some to
    in_progress, scan 2 finds ``logs/core`` again, and scan 3 reads ``logs/crm`` with one log
    emptied, which verifies that log's items. Every item's history names its scans.
    """
    import atexit
    import shutil
    import tempfile

    from pii_audit.ledger import Ledger

    if key not in _TEMPLATES:
        template = tempfile.mkdtemp(prefix="pii-ledger-template-")
        atexit.register(shutil.rmtree, template, True)
        _fill(Ledger.open(f"sqlite:///{template}/ledger.db", key), key).close()
        _TEMPLATES[key] = template
    shutil.copy(f"{_TEMPLATES[key]}/ledger.db", f"{directory}/ledger.db")
    url = f"sqlite:///{directory}/ledger.db"
    return url, Ledger.open(url, key)


def _fill(ledger, key: bytes):
    core, crm = corpus_streams(11, 2, 12), corpus_streams(12, 2, 12)
    record_scan(ledger, [scan_lines("logs/core", core, key, owner="王芳", department="零售银行部"),
                         scan_lines("logs/crm", crm, key)], T0)
    started = [i.id for i in ledger.items()][1::3]
    ledger.update(started, "in_progress", PROGRESS_NOTE, by="李娜", now=T0 + datetime.timedelta(days=1))
    record_scan(ledger, [scan_lines("logs/core", core, key)], T0 + datetime.timedelta(days=7))
    emptied = {**crm, "logs/app1.log": []}
    record_scan(ledger, [scan_lines("logs/crm", emptied, key)], T0 + datetime.timedelta(days=14))
    return ledger


def statuses_by_file(ledger: str) -> dict[str, set[str]]:
    """Return {file name of each item's container: its items' statuses}, as ``ledger list`` prints them."""
    import json

    from click.testing import CliRunner

    from pii_audit.cli import cli

    listed = CliRunner().invoke(cli, ["ledger", "list", "--format", "json", "--ledger", ledger])
    found: dict[str, set[str]] = {}
    for item in json.loads(listed.output):
        found.setdefault(item["container"].rsplit("/", 1)[1], set()).add(item["status"])
    return found
