"""``pii-audit run``: due targets scanned under their locks, one ledger scan each, failures
recorded and not retried before their next slot, reports and the JSON-lines summary written."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from pii_audit.cli import main
from pii_audit.config import load_config
from pii_audit.ledger import Ledger
from pii_audit.reporting.labels import TEXT
from pii_audit.runner import select_targets
from run_helpers import estate


def run(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(["run", *map(str, args)])
    out = capsys.readouterr()
    return exited.value.code, out.out, out.err


def ledger_of(config_path: Path) -> Ledger:
    config = load_config(config_path)
    return Ledger.open(config.ledger.resolve_url(), config.key.load({}), create=False)


def test_first_run_scans_every_target_once_records_each_and_writes_reports(tmp_path, capsys):
    config_path, raw = estate(tmp_path)
    code, out, _ = run(capsys, "--config", config_path, "--by", "ops")
    assert code == 1  # personal information found, every target read
    lines = out.splitlines()
    assert lines[0].startswith("app: 2 new, 0 reopened, 0 verified, 2 open, 0 overdue (scan 1)")
    assert lines[1] == "clean: 0 new, 0 reopened, 0 verified, 0 open, 0 overdue (scan 2)"
    assert lines[2] == "core: 1 new, 0 reopened, 0 verified, 1 open, 0 overdue (scan 3)"
    with ledger_of(config_path) as ledger:
        scans = sorted(ledger.scans(), key=lambda s: s.id)
        assert [(s.targets, s.by, s.complete) for s in scans] == [
            (("app",), "ops", True), (("clean",), "ops", True), (("core",), "ops", True)]
        assert {i.owner for i in ledger.items(target="app")} == {"张伟"}
    reports = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert reports == ["pii-audit-items.jsonl", "pii-audit-report.html", "pii-audit-report.xlsx"]
    assert all((tmp_path / "out" / name).stat().st_mode & 0o777 == 0o600 for name in reports)
    page = (tmp_path / "out" / "pii-audit-report.html").read_text("utf-8")
    history = [TEXT[lang]["history"] for lang in TEXT if TEXT[lang]["history"] in page][0]
    assert f"{history} (1)" in page and f"{history} (0)" not in page  # items carry their history
    summary = tmp_path / "runs.jsonl"
    assert summary.stat().st_mode & 0o777 == 0o600
    records = [json.loads(line) for line in summary.read_text("utf-8").splitlines()]
    assert [(r["target"], r["status"], r["new"], r["open"]) for r in records] == [
        ("app", "complete", 2, 2), ("clean", "complete", 0, 0), ("core", "complete", 1, 1)]
    written = out.encode() + summary.read_bytes() + b"".join(
        (tmp_path / "out" / n).read_bytes() for n in reports if not n.endswith("xlsx"))
    assert not [value for value in raw if value.encode() in written], "a raw value was written"


def test_nothing_is_due_again_until_the_next_slot_and_a_missed_slot_runs_once(tmp_path, capsys):
    config_path, _ = estate(tmp_path)
    assert run(capsys, "--config", config_path)[0] == 1
    code, out, err = run(capsys, "--config", config_path)
    assert (code, out, err) == (0, "", "")  # cron every 5 minutes: quiet, nothing rescanned
    config = load_config(config_path)
    with ledger_of(config_path) as ledger:
        assert len(ledger.scans()) == 3
        week_later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=7)
        assert [t.name for t in select_targets(config, ledger, now=week_later)] == ["app", "clean", "core"]
        ran = datetime.datetime.now().astimezone()
        half_hour = ran + datetime.timedelta(minutes=31)
        # The daily targets ("0 2 * * *", local time) are due again too when 02:00 falls within
        # that half hour: CI ran this at 01:31 and failed.
        two = ran.replace(hour=2, minute=0, second=0, microsecond=0)
        two += datetime.timedelta(days=1) if two <= ran else datetime.timedelta(0)
        expected = ["app", "clean", "core"] if two <= half_hour else ["core"]
        assert [t.name for t in select_targets(config, ledger, now=half_hour)] == expected


def test_forced_targets_run_now_and_the_summary_file_is_appended(tmp_path, capsys):
    config_path, _ = estate(tmp_path)
    run(capsys, "--config", config_path)
    code, out, _ = run(capsys, "--config", config_path, "--target", "clean")
    assert code == 0  # the only target run found nothing
    assert out.splitlines()[0] == "clean: 0 new, 0 reopened, 0 verified, 0 open, 0 overdue (scan 4)"
    records = (tmp_path / "runs.jsonl").read_text("utf-8").splitlines()
    assert len(records) == 4 and json.loads(records[-1])["target"] == "clean"


FAILING = '''
[[targets]]
name = "from-env"
kind = "database"
url_env = "PII_AUDIT_TEST_UNSET_URL"
owner = "赵六"

[[targets]]
name = "junk-db"
kind = "database"
url = "sqlite:///junk.db"
owner = "赵六"
'''


def test_failed_and_incomplete_targets_are_recorded_reported_and_wait_for_their_slot(tmp_path, capsys,
                                                                                     monkeypatch):
    monkeypatch.delenv("PII_AUDIT_TEST_UNSET_URL", raising=False)
    config_path, _ = estate(tmp_path, extra=FAILING)
    (tmp_path / "junk.db").write_bytes(b"this is not a database\n" * 100)
    code, out, _ = run(capsys, "--config", config_path)
    assert code == 3
    lines = dict(line.split(": ", 1) for line in out.splitlines() if not line.startswith("reports"))
    assert lines["from-env"].startswith("FAILED: 0 new")
    assert "environment variable PII_AUDIT_TEST_UNSET_URL is not set" in lines["from-env"]
    assert lines["junk-db"].startswith("INCOMPLETE: ")
    assert lines["core"].startswith("1 new")  # the targets after the failures still ran
    with ledger_of(config_path) as ledger:
        failed = ledger.last_run("from-env")
        assert failed is not None and not failed.complete
        assert "PII_AUDIT_TEST_UNSET_URL" in failed.problems[0].reason
    assert run(capsys, "--config", config_path)[:2] == (0, "")  # not retried before its next slot



def test_a_target_running_elsewhere_is_skipped_and_stays_due(tmp_path, capsys, holder):
    config_path, _ = estate(tmp_path)
    holder("app")
    code, out, _ = run(capsys, "--config", config_path)
    assert code == 1  # core found PI; a busy target is normal under cron, not a failure (3)
    lines = out.splitlines()
    assert lines[0].startswith("app: busy: target 'app' is being scanned by another process (pid ")
    assert lines[1].startswith("clean: 0 new") and lines[2].startswith("core: 1 new")
    with ledger_of(config_path) as ledger:
        assert ledger.last_run("app") is None
    code, out, _ = run(capsys, "--config", config_path, "--target", "app")
    assert code == 3 and out.startswith("app: busy: ")  # forced and not run: the operator must know


def test_a_broken_config_is_exit_2_and_runs_nothing(tmp_path, capsys):
    (tmp_path / "audit.toml").write_text("[defaults]\nschedule = 'every day'\n", "utf-8")
    code, out, err = run(capsys, "--config", tmp_path / "audit.toml")
    assert code == 2 and out == "" and err.startswith("pii-audit: error: ")
    assert len(err.splitlines()) >= 1 and not (tmp_path / "pii-audit-ledger.db").exists()


def test_a_target_run_by_another_process_after_the_check_is_not_run_twice(tmp_path, capsys):
    """Two cron runs both see "clean" due; the first runs it; the second, once it holds the
    lock, finds it no longer due."""
    from pii_audit.runner import SKIPPED, run_targets

    config_path, _ = estate(tmp_path)
    config = load_config(config_path)
    with Ledger.open(config.ledger.resolve_url(), config.key.load({})) as ledger:
        stale = select_targets(config, ledger)  # the second process's check: everything due
    assert run(capsys, "--config", config_path, "--target", "clean")[0] == 0  # the first process
    with ledger_of(config_path) as ledger:
        runs = run_targets(config, ledger, config.key.load({}), [t for t in stale if t.name == "clean"])
        assert [(r.target, r.status, r.scan_id) for r in runs] == [("clean", SKIPPED, None)]
        assert len(ledger.scans()) == 1


def test_a_deleted_log_of_a_configured_target_is_verified_on_its_next_run(tmp_path, capsys):
    """A configured target's results are named after it ("app"), not its folder, so the ledger
    learns the folders walked from the coverage: the owner deletes the log that held the IDs, and
    the next run verifies its items."""
    config_path, _ = estate(tmp_path)
    (tmp_path / "app" / "keep.log").write_text("心跳检测正常\n", "utf-8")  # the folder stays, a clean log in it
    run(capsys, "--config", config_path, "--target", "app")
    with ledger_of(config_path) as ledger:
        assert {i.status for i in ledger.items(target="app")} == {"open"}
    (tmp_path / "app" / "app.log").unlink()
    code, out, _ = run(capsys, "--config", config_path, "--target", "app")
    assert code == 0 and out.splitlines()[0].startswith("app: 0 new, 0 reopened, 2 verified, 0 open")
    with ledger_of(config_path) as ledger:
        assert {i.status for i in ledger.items(target="app")} == {"verified"}


def test_a_dropped_column_of_a_configured_database_is_verified_on_its_next_run(tmp_path, capsys):
    """The owner of "core" drops the column that held the IDs: no scan reads it any more, and its
    item stayed open for ever. The next full run lists the table without it and verifies it."""
    import sqlite3

    config_path, _ = estate(tmp_path)
    run(capsys, "--config", config_path, "--target", "core")
    with ledger_of(config_path) as ledger:
        assert [(i.container, i.status) for i in ledger.items(target="core")] == [("kh.sfzh", "open")]
    with sqlite3.connect(tmp_path / "core.db") as db:
        db.execute("ALTER TABLE kh DROP COLUMN sfzh")
    db.close()
    code, out, _ = run(capsys, "--config", config_path, "--target", "core")
    assert code == 0 and out.splitlines()[0].startswith("core: 0 new, 0 reopened, 1 verified, 0 open")
    with ledger_of(config_path) as ledger:
        assert {i.status for i in ledger.items(target="core")} == {"verified"}
