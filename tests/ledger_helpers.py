"""Helpers for the ledger tests: TargetResults from a synthetic corpus run through the real
detector, the raw values they contain (to search the ledger for), and a PostgreSQL database of
our own."""

from __future__ import annotations

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
