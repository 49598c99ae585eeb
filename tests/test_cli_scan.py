"""``pii-audit scan`` end to end: exit codes, the JSONL file, the summary, and no raw value anywhere."""

from __future__ import annotations

import functools
import gzip
import json
import os
import random
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import REPO
from ledger_helpers import statuses_by_file
from pii_audit.cli import cli, main
from tests_corpus import card, resident_id

KEY_HEX = "ab" * 32


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("PII_AUDIT_KEY", KEY_HEX)


def invoke(*args):
    return CliRunner().invoke(cli, ["scan", *map(str, args)])


def seeded_logs(tmp_path):
    """Write logs with synthetic values; return the folder and every raw value in it."""
    rng = random.Random(9)
    ids = [resident_id(rng) for _ in range(20)]
    cards = [card(rng) for _ in range(20)]
    mobiles = [f"139{rng.randrange(10**8):08d}" for _ in range(20)]
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = [f"2024-01-01 开户 身份证号{i} 手机{m} 卡号{c}" for i, m, c in zip(ids, mobiles, cards)]
    (logs / "app.log").write_text("\n".join(lines[:10]) + "\n", encoding="utf-8")
    with gzip.open(logs / "app.log.1.gz", "wt", encoding="gb18030") as handle:
        handle.write("\n".join(lines[10:]) + "\n")
    return logs, ids + cards + mobiles


def test_found_writes_jsonl_0600_without_raw_values(tmp_path, env):
    logs, raw_values = seeded_logs(tmp_path)
    out = tmp_path / "found.jsonl"
    out.write_text("old")
    out.chmod(0o644)  # an existing file keeps no wider mode
    result = invoke(logs, "--jsonl", out, "--jobs", 2)
    assert result.exit_code == 1, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) >= 40
    assert set(records[0]) >= {"entity_type", "score", "masked", "fingerprint", "risk", "location"}
    assert set(records[0]["location"]) == {"path", "line", "start", "end"}
    written = out.read_bytes() + result.output.encode()
    for value in raw_values:
        assert value.encode() not in written, "a raw value was written"
    assert "CN_RESIDENT_ID in " + str(logs / "app.log") in result.output


def test_cross_border_and_military_ids_reach_the_jsonl_masked(tmp_path, env):
    """Hong Kong, Macau and Taiwan ID card numbers and a military ID in a KYC log and a sheet with
    headers: each a JSONL record of its own entity, masked, and no raw value in the file or output."""
    import openpyxl

    kyc = tmp_path / "kyc"
    kyc.mkdir()
    (kyc / "kyc.log").write_text(
        "2026-11-28 10:00:01 INFO 开户 客户证件 A123456(3) 已核验\n"
        "2026-11-28 10:00:02 INFO 开户 澳门居民身份证：5123456(7)\n"
        "2026-11-28 10:00:03 INFO 开户 台湾居民身份证号=M115187864\n"
        "2026-11-28 10:00:04 INFO 开户 证件类型:军官证 证件号码:南字第12345678号\n", encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append(["客户姓名", "香港身份证号", "台湾身份证号"])
    book.active.append(["陈大文", "AB9876543", "Z256783650"])
    book.save(kyc / "kyc.xlsx")
    out = tmp_path / "found.jsonl"
    result = invoke(kyc, "--jsonl", out)
    assert result.exit_code == 1, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    new = {"HK_ID_CARD", "MO_ID_CARD", "TW_ID_CARD", "CN_MILITARY_ID"}
    assert sorted((r["entity_type"], r["masked"]) for r in records if r["entity_type"] in new) == [
        ("CN_MILITARY_ID", "南字第******78号"), ("HK_ID_CARD", "A*****63"), ("HK_ID_CARD", "AB*****43"),
        ("MO_ID_CARD", "5*****67"), ("TW_ID_CARD", "M******864"), ("TW_ID_CARD", "Z******650")]
    written = out.read_bytes() + result.output.encode()
    for raw in ("A123456", "A1234563", "AB9876543", "5123456", "M115187864", "Z256783650", "12345678"):
        assert raw.encode() not in written, raw


def test_nothing_found_is_exit_0(tmp_path, env):
    (tmp_path / "clean.log").write_text("2024-01-01 心跳正常\n", encoding="utf-8")
    result = invoke(tmp_path / "clean.log")
    assert result.exit_code == 0 and "0 plaintext occurrence(s)" in result.output


def test_unscannable_target_is_exit_3_even_with_findings(tmp_path, env):
    logs, _ = seeded_logs(tmp_path)
    result = invoke(logs, tmp_path / "missing.log")
    assert result.exit_code == 3
    assert f"NOT SCANNED {tmp_path / 'missing.log'}: no such file or directory" in result.output
    assert "1 target(s) not fully scanned" in result.output


@pytest.mark.parametrize("args", [
    pytest.param(["--sample", "5", "--full", "x"], id="sample-and-full"),
    pytest.param([], id="no-target"),
    pytest.param(["--jobs", "-1", "x"], id="negative-jobs"),
])
def test_usage_errors_are_exit_2(args, env):
    assert invoke(*args).exit_code == 2


def test_a_short_key_is_exit_2_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PII_AUDIT_KEY", "short")
    (tmp_path / "a.log").write_text("x\n")
    with pytest.raises(SystemExit) as done:
        main(["scan", str(tmp_path / "a.log")])
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.count("\n") == 1 and "shorter than 32 bytes" in err


def test_real_process_exit_code_and_no_progress_when_not_a_terminal(tmp_path):
    logs, raw_values = seeded_logs(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pii_audit", "scan", str(logs), "--jobs", "2"],
                          capture_output=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO), "PII_AUDIT_KEY": KEY_HEX})
    assert done.returncode == 1, done.stderr
    assert done.stderr == b""  # no progress bar: stderr is not a terminal
    for value in raw_values:
        assert value.encode() not in done.stdout


def test_quiet_prints_only_the_total(tmp_path, env):
    logs, _ = seeded_logs(tmp_path)
    result = invoke(logs, "--quiet")
    assert result.exit_code == 1 and result.output.count("\n") == 1 and result.output.startswith("Total:")


def test_help_documents_exit_codes():
    text = CliRunner().invoke(cli, ["scan", "--help"]).output
    for line in ("0  every target read", "1  personal information found", "2  usage", "3  some target", "4  internal error"):
        assert line in text


def test_personal_information_in_file_names_is_recorded_masked(tmp_path, env):
    """A folder or log file named after a customer's ID or phone number puts neither into the JSONL,
    the summary, the ledger or a problem line: the names are recorded masked."""
    rng = random.Random(11)
    id_number, mobile = resident_id(rng), f"139{rng.randrange(10**8):08d}"
    folder = tmp_path / f"客户{id_number}"
    folder.mkdir()
    (folder / f"app-{mobile}.log").write_text(f"开户 卡号{card(rng)}\n", encoding="utf-8")
    (folder / f"loop-{mobile}").symlink_to(folder)  # a problem line names this path
    out, ledger = tmp_path / "found.jsonl", tmp_path / "ledger.db"
    result = invoke(folder, "--jsonl", out, "--ledger", f"sqlite:///{ledger}")
    assert result.exit_code in (1, 3), result.output
    location = json.loads(out.read_text(encoding="utf-8").splitlines()[0])["location"]
    assert location["path"].endswith(f"客户{id_number[:6]}********{id_number[-4:]}/app-{mobile[:3]}****{mobile[-4:]}.log")
    written = out.read_bytes() + result.output.encode() + b"".join(
        p.read_bytes() for p in tmp_path.glob("ledger.db*"))
    for value in (id_number, mobile):
        assert value.encode() not in written


def _terminal_output(argv: list[str]) -> tuple[int, str]:
    """Run a command with stderr on a pseudo-terminal; return its exit code and what it drew there."""
    master, slave = os.openpty()
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=slave, cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO), "PII_AUDIT_KEY": KEY_HEX})
    finally:
        os.close(slave)
    drawn = b""
    while True:
        try:
            piece = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other end is closed and everything was read
            break
        if not piece:
            break
        drawn += piece
    os.close(master)
    return done.returncode, drawn.decode("utf-8", "replace")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_progress_bar_of_a_database_alone_ends_at_100_percent(tmp_path, jobs):
    """A database has no bytes for the bar to count: it stood at 0% to the end of the scan."""
    import sqlite3

    with sqlite3.connect(tmp_path / "core.db") as db:
        db.execute("CREATE TABLE kh (id INTEGER PRIMARY KEY, sjh TEXT)")
        db.execute("INSERT INTO kh (sjh) VALUES ('13712345678')")
    db.close()
    code, drawn = _terminal_output([sys.executable, "-m", "pii_audit", "scan", f"sqlite:///{tmp_path / 'core.db'}",
                                    "--jobs", jobs, "--full"])
    assert code == 1 and "100%" in drawn and "13712345678" not in drawn


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_progress_bar_is_drawn_on_a_terminal_to_the_end_and_not_with_quiet(tmp_path, jobs):
    logs, raw_values = seeded_logs(tmp_path)
    code, drawn = _terminal_output([sys.executable, "-m", "pii_audit", "scan", str(logs), "--jobs", jobs])
    assert code == 1 and "scanning" in drawn and "100%" in drawn
    assert not any(value in drawn for value in raw_values)
    code, drawn = _terminal_output([sys.executable, "-m", "pii_audit", "scan", str(logs), "--jobs", jobs, "-q"])
    assert code == 1 and drawn == ""


def test_include_and_exclude_globs_on_the_command_line(tmp_path, env):
    """audit.toml's include and exclude globs were the only way to leave a file out: an ad-hoc
    scan of a share read its every file. --include and --exclude do it on the command line (and
    add to audit.toml's)."""
    logs, _ = seeded_logs(tmp_path)
    (logs / "debug").mkdir()
    (logs / "debug" / "trace.log").write_text(f"手机{13812345678}\n", encoding="utf-8")

    def streams(*options):
        out = tmp_path / "found.jsonl"
        result = invoke(logs, "--jsonl", out, *options)
        assert result.exit_code == 1, result.output
        return sorted({json.loads(line)["location"]["path"].rsplit("/", 1)[1] for line in out.read_text().splitlines()})

    assert streams() == ["app.log", "app.log.1.gz", "trace.log"]
    assert streams("--exclude", "debug/*") == ["app.log", "app.log.1.gz"]
    assert streams("--exclude", "*.gz", "--exclude", "trace.log") == ["app.log"]
    assert streams("--include", "*.gz") == ["app.log.1.gz"]


def test_deleting_a_log_verifies_its_item_and_leaving_it_out_does_not(tmp_path, env):
    """The remedy for a debug log full of IDs is often to delete it; its stream is then gone, and
    an item whose container no scan reads was never verified. A stream gone from disk below a
    folder read without a problem is verified; one the command line leaves out is still on disk,
    and is not."""
    logs, _ = seeded_logs(tmp_path)
    (logs / "debug").mkdir()
    (logs / "debug" / "trace.log").write_text(f"身份证号{resident_id(random.Random(4))}\n", encoding="utf-8")
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    statuses = functools.partial(statuses_by_file, ledger)

    assert invoke(logs, "--ledger", ledger).exit_code == 1
    assert statuses() == {"app.log": {"open"}, "trace.log": {"open"}}
    assert invoke(logs, "--ledger", ledger, "--exclude", "debug/*").exit_code == 1  # left out, still there
    assert statuses() == {"app.log": {"open"}, "trace.log": {"open"}}
    (logs / "debug" / "trace.log").unlink()
    assert invoke(logs, "--ledger", ledger).exit_code == 1
    assert statuses() == {"app.log": {"open"}, "trace.log": {"verified"}}


def test_deleting_a_workbook_verifies_its_items_and_leaving_it_out_does_not(tmp_path, env):
    """An export emailed around and then deleted: its columns are gone with it. A workbook gone
    from a folder walked without a problem verifies its items; one left out is still on disk."""
    import openpyxl

    exports = tmp_path / "exports"
    exports.mkdir()
    book = openpyxl.Workbook()
    book.active.append(["证件号码"])
    book.active.append([resident_id(random.Random(5))])
    book.save(exports / "名单.xlsx")
    (exports / "说明.txt").write_text("月度导出\n", encoding="utf-8")
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"

    def statuses() -> set[str]:
        listed = CliRunner().invoke(cli, ["ledger", "list", "--format", "json", "--ledger", ledger])
        return {item["status"] for item in json.loads(listed.output)}

    assert invoke(exports, "--full", "--ledger", ledger).exit_code == 1 and statuses() == {"open"}
    assert invoke(exports, "--full", "--ledger", ledger, "--exclude", "*.xlsx").exit_code == 0
    assert statuses() == {"open"}  # left out, still there
    (exports / "名单.xlsx").unlink()
    assert invoke(exports, "--full", "--ledger", ledger).exit_code == 0 and statuses() == {"verified"}


def _sqlite_core(path) -> str:
    """Write a SQLite database whose kh.sfzh and jl.zjhm hold resident IDs, dd.sjhm mobiles and a
    table named after a customer's ID number; return that number."""
    import sqlite3

    rng = random.Random(21)
    named = resident_id(rng)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE kh (id INTEGER PRIMARY KEY, sfzh TEXT, xm TEXT)")
        db.execute("CREATE TABLE jl (id INTEGER PRIMARY KEY, zjhm TEXT)")
        db.execute("CREATE TABLE dd (id INTEGER PRIMARY KEY, sjhm TEXT)")
        db.execute(f'CREATE TABLE "kh_{named}" (id INTEGER PRIMARY KEY, zjhm TEXT)')
        for n in range(3):
            db.execute("INSERT INTO kh VALUES (?, ?, '客户')", (n, resident_id(rng)))
            db.execute("INSERT INTO jl VALUES (?, ?)", (n, resident_id(rng)))
            db.execute("INSERT INTO dd VALUES (?, ?)", (n, f"139{rng.randrange(10**8):08d}"))
            db.execute(f'INSERT INTO "kh_{named}" VALUES (?, ?)', (n, resident_id(rng)))
    return named


def _sqlite_admin(path, *statements: str) -> None:
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("PRAGMA writable_schema = ON")  # for the unreadable table below
        for statement in statements:
            db.execute(statement)
    db.close()


# A virtual table of a module no one has: listed, but reading it fails ("no such module").
UNREADABLE = "INSERT INTO sqlite_master VALUES ('table', 'vt', 'vt', 0, 'CREATE VIRTUAL TABLE vt USING gone(a)')"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_dropping_a_column_or_a_table_verifies_its_item_only_after_a_full_scan_without_a_problem(
        tmp_path, env, jobs):
    """Dropping the plaintext column, or the whole table, is a remedy a system owner chooses; no
    scan reads the container any more, so its item stayed open for ever. A full scan without a
    problem that lists the database without it verifies it; a table left out is still there, a
    sampled scan or one with a problem proves nothing, a name masked cannot be compared."""
    core = tmp_path / "core.db"
    named = _sqlite_core(core)
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    masked = f"kh_{named[:6]}********{named[-4:]}.zjhm"

    def scan(*options) -> int:
        return invoke(core, "--ledger", ledger, "--jobs", jobs, "--quiet", *options).exit_code

    def items() -> list[dict]:
        listed = CliRunner().invoke(cli, ["ledger", "list", "--format", "json", "--ledger", ledger])
        return json.loads(listed.output)

    def statuses() -> dict[str, str]:
        return {item["container"]: item["status"] for item in items()}

    assert scan("--full") == 1
    every = {"kh.sfzh": "open", "jl.zjhm": "open", "dd.sjhm": "open", masked: "open"}
    assert statuses() == every
    assert scan("--full", "--exclude", "jl") == 1 and statuses() == every  # left out: still there
    _sqlite_admin(core, "ALTER TABLE kh DROP COLUMN sfzh", "DROP TABLE jl", f'DROP TABLE "kh_{named}"')
    assert scan() == 1 and statuses() == every  # sampled: --sample 1000 by default
    _sqlite_admin(core, UNREADABLE)
    assert scan("--full") == 3 and statuses() == every  # a table could not be read
    _sqlite_admin(core, "DELETE FROM sqlite_master WHERE name = 'vt'")
    assert scan("--full", "--exclude", "kh") == 1  # kh left out: its columns were not read
    assert statuses() == {**every, "jl.zjhm": "verified"}
    assert scan("--full") == 1
    assert statuses() == {**every, "kh.sfzh": "verified", "jl.zjhm": "verified"}
    (dropped,) = [item["id"] for item in items() if item["container"] == "kh.sfzh"]
    history = CliRunner().invoke(cli, ["ledger", "show", dropped, "--ledger", ledger]).output
    assert "no longer in the database" in history
    assert named.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("ledger.db*"))


def test_summary_names_a_database_row_by_its_key(tmp_path, env):
    """A sample's row reads ``row id=0`` in the summary, not a Python dict (``row {'id': 0}``);
    a table without a primary key gives the row's number."""
    import sqlite3

    rng = random.Random(5)
    with sqlite3.connect(tmp_path / "core.db") as db:
        db.execute("CREATE TABLE kh (id INTEGER PRIMARY KEY, sfzh TEXT)")
        db.execute("CREATE TABLE rz (nr TEXT)")
        db.execute("INSERT INTO kh VALUES (0, ?)", (resident_id(rng),))
        db.execute("INSERT INTO rz VALUES (?)", (f"身份证号 {resident_id(rng)}",))
    result = invoke(tmp_path / "core.db")
    assert result.exit_code == 1, result.output
    assert "(row id=0)" in result.output and "(row 1)" in result.output and "{'" not in result.output
