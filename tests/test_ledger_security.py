"""SECURITY.md items 1, 2, 4 and 5 for the ledger: no raw value stored or leaked, 0600 files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ledger_helpers import KEY, corpus_streams, detector, raw_values, scan_lines
from pii_audit.cli import main
from pii_audit.errors import LedgerError
from pii_audit.ledger import Ledger
from pii_audit.models import Chunk


def ledger_bytes(path: Path) -> bytes:
    """Return the bytes of a SQLite ledger and of its WAL, if any."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def assert_no_raw(data: bytes, raws: set[str]) -> None:
    leaked = sum(1 for raw in raws if raw.encode() in data)
    assert leaked == 0, f"{leaked} raw values found"  # never print the values themselves


def test_no_raw_value_in_the_ledger_file_wal_or_command_output(tmp_path, monkeypatch, capsys):
    streams = corpus_streams(21, 4, 250)
    raws = set().union(*(raw_values(lines) for lines in streams.values()))
    assert len(raws) > 300  # the corpus really holds values to leak
    path = tmp_path / "ledger.db"
    ledger = Ledger.open(f"sqlite:///{path}", KEY)
    scan_id = ledger.begin_scan("auditor", ["srv"], {})
    ledger.record_target(scan_id, scan_lines("srv", streams, owner="张三"))
    ledger.finish_scan(scan_id)
    first = ledger.items()[0]
    ledger.update([first.id], "in_progress", "masking the column", "张三")
    assert Path(f"{path}-wal").stat().st_size > 0  # the WAL holds data before the checkpoint
    assert_no_raw(ledger_bytes(path), raws)
    ledger.close()
    assert_no_raw(ledger_bytes(path), raws)
    monkeypatch.setenv("PII_AUDIT_KEY", KEY.hex())
    for argv in (["ledger", "list", "--format", "json"], ["ledger", "show", first.id],
                 ["ledger", "history", first.id], ["scans", "show", str(scan_id)]):
        main([*argv, "--ledger", f"sqlite:///{path}"])  # an error would exit non-zero
    out = capsys.readouterr()
    assert "*" in out.out
    assert_no_raw((out.out + out.err).encode(), raws)


def test_the_ledger_keeps_a_key_check_value_not_the_key(tmp_path):
    path = tmp_path / "ledger.db"
    Ledger.open(f"sqlite:///{path}", KEY).close()
    data = ledger_bytes(path)
    assert KEY not in data and KEY.hex().encode() not in data


def test_sqlite_ledger_and_its_wal_are_created_0600(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "ledger.db"
        with Ledger.open(f"sqlite:///{path}", KEY) as ledger:
            ledger.begin_scan("me", ["x"], {})
            files = [p for p in tmp_path.iterdir() if p.name.startswith("ledger.db")]
            assert {p.name for p in files} >= {"ledger.db", "ledger.db-wal"}
            for p in files:
                assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
    finally:
        os.umask(old)


def test_a_database_error_while_writing_findings_leaks_no_value(tmp_path, caplog):
    streams = corpus_streams(4, 1, 200)
    result = scan_lines("srv", streams)
    raws = raw_values(streams["logs/app0.log"])
    masked = {o.masked for f in result.findings.values() for o in f.samples}
    # Every occurrence's fingerprint, and the 16 bytes of it that findings count (as hex).
    occurrences = [o for n, line in enumerate(streams["logs/app0.log"], start=1)
                   for o in detector(KEY).detect_chunk(Chunk(line, {"path": "app0.log", "line": n}, "app0.log"))]
    fingerprints = {o.fingerprint for o in occurrences} | {o.fingerprint[:32] for o in occurrences}
    assert len(fingerprints) > 100
    path = tmp_path / "ledger.db"
    ledger = Ledger.open(f"sqlite:///{path}", KEY)
    assert ledger.engine.hide_parameters
    with ledger.engine.begin() as conn:  # the database refuses every new item
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON items "
                          "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"))
    scan_id = ledger.begin_scan("me", ["srv"], {})
    with pytest.raises(LedgerError) as failed:
        ledger.record_target(scan_id, result)
    message = str(failed.value)
    assert "disk quota exceeded" in message and "\n" not in message
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
    leaked = [v for v in raws | masked | fingerprints if v in message or v in caplog.text]
    assert not leaked
    # The engine itself never renders parameters into its errors.
    with pytest.raises(SQLAlchemyError) as raw_error:
        with ledger.engine.begin() as conn:
            conn.execute(text("INSERT INTO items (target) VALUES (:value)"), {"value": sorted(masked)[0]})
    assert "parameters hidden" in str(raw_error.value) and sorted(masked)[0] not in str(raw_error.value)
    assert ledger.scan(scan_id).occurrences == 0  # nothing of the failed target was kept
    ledger.close()


def test_samples_hold_masked_values_and_locations_only(tmp_path):
    streams = corpus_streams(8, 1, 120)
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}", KEY) as ledger:
        scan_id = ledger.begin_scan("me", ["srv"], {})
        ledger.record_target(scan_id, scan_lines("srv", streams))
        with ledger.engine.connect() as conn:
            samples = [json.loads(s) for s in conn.execute(text("SELECT samples FROM items")).scalars()]
    for sample in (s for group in samples for s in group):
        assert set(sample) == {"masked", "location"} and "*" in sample["masked"]
        assert set(sample["location"]) == {"path", "line", "start", "end"}
