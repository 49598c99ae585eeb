"""``pii-audit schedule`` (table and crontab line) and ``pii-audit run --daemon`` as a real
process stopped by SIGTERM."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from conftest import REPO
from pii_audit.cli import cli, main
from pii_audit.config import load_config
from pii_audit.ledger import Ledger
from run_helpers import estate


def schedule(*args):
    return CliRunner().invoke(cli, ["schedule", *map(str, args)])


def test_schedule_shows_never_then_the_last_run_result_and_next_slot(tmp_path):
    config_path, _ = estate(tmp_path)
    config = load_config(config_path)
    Ledger.open(config.ledger.resolve_url(), config.key.load({})).close()
    before = schedule("--config", config_path)
    assert before.exit_code == 0, before.output
    rows = before.output.splitlines()
    assert rows[0].split() == ["target", "schedule", "last", "run", "result", "next", "due"]
    assert all("never" in row and row.endswith("(due now)") for row in rows[1:]) and len(rows) == 4
    assert CliRunner().invoke(cli, ["run", "--config", str(config_path), "--target", "core"]).exit_code == 1
    after = {row.split()[0]: row for row in schedule("--config", config_path).output.splitlines()[1:]}
    assert "scan 1: complete, 1 new, 0 verified, 1 open" in after["core"]
    assert not after["core"].endswith("(due now)") and "*/30 * * * *" in after["core"]
    assert "never" in after["app"] and after["app"].endswith("(due now)")


def test_crontab_line_uses_absolute_paths_every_five_minutes_and_a_log(tmp_path, monkeypatch):
    config_path, _ = estate(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = schedule("--config", "audit.toml", "--crontab")
    assert result.exit_code == 0, result.output
    comments, line = result.output.splitlines()[:-1], result.output.splitlines()[-1]
    assert all(c.startswith("# ") for c in comments)
    words = shlex.split(line)
    assert words[:5] == ["*/5", "*", "*", "*", "*"]
    assert os.path.isabs(words[5])
    run_at = words.index("run")
    assert words[run_at:run_at + 3] == ["run", "--config", str(config_path.resolve())]
    assert words[-3:] == [">>", str(tmp_path / "state" / "run.log"), "2>&1"]


def test_a_percent_in_a_path_is_escaped_for_cron(tmp_path):
    folder = tmp_path / "100%"
    config_path, _ = estate(folder)
    # Without the SQLite target: a relative sqlite:/// URL under a "%" folder is mis-resolved
    # by the config loader (100%25), which is another matter.
    text = config_path.read_text("utf-8")
    config_path.write_text(text[:text.index('[[targets]]\nname = "core"')], "utf-8")
    line = schedule("--config", config_path, "--crontab").output.splitlines()[-1]
    assert "100\\%" in line and "100%" not in line.replace("100\\%", "")


def wait_for(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("stop", [pytest.param(signal.SIGTERM, id="sigterm"),
                                  pytest.param(signal.SIGINT, id="sigint")])
def test_daemon_runs_what_is_due_and_stops_cleanly_on_a_signal(tmp_path, stop):
    config_path, _ = estate(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    log = open(tmp_path / "daemon.log", "w+", encoding="utf-8")
    daemon = subprocess.Popen([sys.executable, "-m", "pii_audit", "run", "--daemon", "--interval", "1",
                               "--config", str(config_path)], cwd=tmp_path, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        # Signal as soon as the first target is recorded: the daemon finishes the target it is
        # on, writes the reports of what ran, and stops.
        first = lambda: "\napp: " in (tmp_path / "daemon.log").read_text("utf-8")  # noqa: E731
        assert wait_for(lambda: first() or daemon.poll() is not None, 60), "no run"
        daemon.send_signal(stop)
        assert daemon.wait(timeout=20) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    output = (tmp_path / "daemon.log").read_text("utf-8")
    assert f"{signal.Signals(stop).name}: stopping after the current target" in output
    assert output.rstrip().endswith("pii-audit run --daemon: stopped")
    assert "reports: " in output
    config = load_config(config_path)
    with Ledger.open(config.ledger.resolve_url(), config.key.load({}), create=False) as ledger:
        scans = ledger.scans()
        assert scans and all(s.finished_at is not None and s.complete for s in scans)
        assert len(ledger.items(target="app")) == 2


def test_daemon_refuses_a_broken_config_at_start(tmp_path, capsys):
    (tmp_path / "audit.toml").write_text("[defaults]\nschedule = 'daily'\n", "utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["run", "--daemon", "--config", str(tmp_path / "audit.toml")])
    assert exited.value.code == 2 and capsys.readouterr().err.startswith("pii-audit: error: ")


def test_daemon_and_target_cannot_be_combined(tmp_path):
    config_path, _ = estate(tmp_path)
    result = CliRunner().invoke(cli, ["run", "--daemon", "--target", "app", "--config", str(config_path)])
    assert result.exit_code == 2 and "cannot be used with --daemon" in result.output
