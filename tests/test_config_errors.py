"""A wrong audit.toml is refused before anything runs, with every problem on its own line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pii_audit.cli import cli
from pii_audit.config import AuditConfig, load_config
from pii_audit.config_lines import LineFinder
from pii_audit.config_load import ConfigInvalid, _config, check
from pii_audit.config_values import ValueReader
from pii_audit.errors import ConfigError

TARGET = """\
[[targets]]
name = "logs"
kind = "files"
owner = "张三"
paths = ["."]
schedule = "0 2 * * *"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "audit.toml"
    path.write_text(text, "utf-8")
    return path


def only_issue(tmp_path: Path, text: str):
    config, issues = check(write(tmp_path, text))
    assert config is None and len(issues) == 1, [str(i) for i in issues]
    return issues[0]


@pytest.mark.parametrize("text, line, key, message", [
    pytest.param("[defaults]\nmin_scor = 0.4\n", 2, "defaults.min_scor",
                 "unknown key 'min_scor' (did you mean 'min_score'?)", id="unknown-key"),
    pytest.param("colour = 1\n", 1, "colour", "unknown key", id="unknown-top-key"),
    pytest.param(TARGET.replace("0 2 * * *", "0 25 * * *"), 6, "targets[0].schedule",
                 "bad cron expression '0 25 * * *'", id="cron-out-of-range"),
    pytest.param(TARGET.replace("0 2 * * *", "0 2 * *"), 6, "targets[0].schedule",
                 "need 5 fields", id="cron-four-fields"),
    pytest.param(TARGET.replace("0 2 * * *", "0 2 31 2 *"), 6, "targets[0].schedule",
                 "bad cron expression", id="cron-never"),
    pytest.param(TARGET.replace('owner = "张三"\n', ""), 1, "targets[0].owner", "missing",
                 id="missing-owner"),
    pytest.param(TARGET.replace('owner = "张三"', 'owner = "  "'), 4, "targets[0].owner",
                 "must not be empty", id="blank-owner"),
    pytest.param(TARGET.replace('schedule = "0 2 * * *"\n', ""), 1, "targets[0].schedule",
                 "here or in [defaults]", id="missing-schedule"),
    pytest.param(TARGET.replace('["."]', '["no/such/dir"]'), 5, "targets[0].paths[0]",
                 "unreadable path", id="missing-path"),
    pytest.param(TARGET.replace('["."]', '["no/such/*.log"]'), 5, "targets[0].paths[0]",
                 "folder", id="glob-without-folder"),
    pytest.param(TARGET + 'entities = ["CN_RESIDENT_ID", "CN_SHOE_SIZE"]\n', 7,
                 "targets[0].entities[1]", "unknown entity 'CN_SHOE_SIZE'", id="unknown-entity"),
    pytest.param(TARGET.replace("files", "ftp"), 3, "targets[0].kind",
                 "must be one of database, files, spreadsheets", id="unknown-kind"),
    pytest.param(TARGET + 'url = "sqlite:///x.db"\n', 7, "targets[0].url", "unknown key 'url'",
                 id="key-of-another-kind"),
    pytest.param(TARGET + "min_score = 2\n", 7, "targets[0].min_score", "from 0 to 1",
                 id="score-range"),
    pytest.param(TARGET + 'sample_rows = "all"\n', 7, "targets[0].sample_rows", "whole number",
                 id="rows-type"),
    pytest.param(TARGET + "connect_timeout = true\n", 7, "targets[0].connect_timeout",
                 "whole number", id="bool-is-not-a-number"),
    pytest.param(TARGET + "due_days = { C3 = 0 }\n", 7, "targets[0].due_days.C3", "≥ 1",
                 id="due-days-zero"),
    pytest.param("[defaults]\nlang = \"fr\"\n", 2, "defaults.lang", "zh, en", id="lang"),
    pytest.param("[defaults]\ntimezone = \"Mars/Base\"\n", 2, "defaults.timezone",
                 "unknown time zone", id="timezone"),
    pytest.param('[reports]\nformats = ["html", "pdf"]\n', 2, "reports.formats[1]",
                 "unknown report format 'pdf'", id="report-format"),
    pytest.param('[key]\nfile = "k"\nenv = "K"\n', 3, "key.env", "not both", id="key-both"),
    pytest.param('[key]\nenv = "MY-KEY"\n', 2, "key.env", "not an environment variable name",
                 id="env-name"),
    pytest.param(TARGET + "[[targets]]\nname = \"logs\"\nkind = \"files\"\nowner = \"x\"\n"
                 'paths = ["."]\nschedule = "@daily"\n', 8, "targets[1].name", "duplicate target name 'logs'",
                 id="duplicate-name"),
    pytest.param("targets = 3\n", 1, "targets", "list of [[targets]]", id="targets-not-tables"),
    pytest.param(TARGET.replace('name = "logs"', 'name = ["a"]'), 2, "targets[0].name",
                 "must be a non-empty string", id="name-not-a-string"),
])
def test_one_problem(tmp_path, text, line, key, message):
    issue = only_issue(tmp_path, text)
    assert (issue.line, issue.key) == (line, key), str(issue)
    assert message in issue.message
    assert str(issue).startswith(f"{tmp_path / 'audit.toml'}:{line}: {key}: ")


DB = '[[targets]]\nname = "core"\nkind = "database"\nowner = "李四"\nschedule = "@daily"\n'


@pytest.mark.parametrize("url_line", [
    pytest.param('url = "postgresql+psycopg://audit:Hunter2-secret@db/core"', id="postgres"),
    pytest.param('url = "mysql+pymysql://root:Hunter2-secret@127.0.0.1/test"', id="mysql"),
])
def test_password_in_url_is_refused_without_echoing_it(tmp_path, url_line):
    issue = only_issue(tmp_path, DB + url_line + "\n")
    assert (issue.line, issue.key) == (6, "targets[0].url")
    assert "password_env" in issue.message and "url_env" in issue.message
    assert "Hunter2" not in str(issue)


def test_password_in_ledger_url_is_refused(tmp_path):
    issue = only_issue(tmp_path, '[ledger]\nurl = "postgresql://a:Hunter2@db/l"\n')
    assert issue.key == "ledger.url" and "Hunter2" not in str(issue)


def test_database_target_needs_a_url(tmp_path):
    issue = only_issue(tmp_path, DB)
    assert issue.key == "targets[0].url" and "url_env" in issue.message


def test_syntax_error_gives_toml_line(tmp_path):
    issue = only_issue(tmp_path, '[defaults]\nmin_score = 0.5\nschedule = "0 2 * * *\n')
    assert issue.line == 3 and "not valid TOML" in issue.message


def test_every_problem_is_reported_in_file_order(tmp_path):
    text = ("[defaults]\nbogus = 1\n" + TARGET.replace("0 2 * * *", "61 * * * *")
            + 'colour = "red"\n' + "[[targets]]\nname = \"b\"\nkind = \"files\"\npaths = [\".\"]\n"
            + 'schedule = "@hourly"\n')
    with pytest.raises(ConfigInvalid) as raised:
        load_config(write(tmp_path, text))
    found = [(i.line, i.key) for i in raised.value.issues]
    assert found == [(2, "defaults.bogus"), (8, "targets[0].schedule"),
                     (9, "targets[0].colour"), (10, "targets[1].owner")]
    assert str(raised.value).count("\n") == 4


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="does not exist; create one with: pii-audit init"):
        load_config(tmp_path / "audit.toml")


def test_config_check_exit_codes(tmp_path):
    runner = CliRunner()
    good = write(tmp_path, TARGET)
    result = runner.invoke(cli, ["config", "check", "--config", str(good)])
    assert result.exit_code == 0, result.output
    assert "valid, 1 target(s)" in result.output and "logs: files, owner 张三" in result.output
    bad = write(tmp_path, TARGET + "bogus = 1\nmin_score = -1\n")
    result = runner.invoke(cli, ["config", "check", "--config", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{bad}:7: targets[0].bogus: unknown key 'bogus'",
        f"{bad}:8: targets[0].min_score: must be from 0 to 1, not -1",
        f"{bad}: 2 problem(s)"]


def test_config_check_notes_unset_env_vars(tmp_path, monkeypatch):
    monkeypatch.delenv("CORE_PW", raising=False)
    path = write(tmp_path, DB.replace("@daily", "0 1 * * *") + 'url = "postgresql://a@db/c"\n'
                 'password_env = "CORE_PW"\n')
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(path)])
    assert result.exit_code == 0
    assert "CORE_PW is not set here" in result.output


@pytest.mark.parametrize("text, line, key", [
    pytest.param(TARGET + "[targets.due_days]\nC3 = 1\nC9 = 2\n", 9, "targets[0].due_days.C9",
                 id="sub-table-of-a-target"),
    pytest.param("[defaults.due_days]\nC2 = -3\n", 2, "defaults.due_days.C2", id="defaults-sub-table"),
    pytest.param('[defaults]\nentities = [\n  "CN_RESIDENT_ID",\n  "CN_X",\n]\n', 2,
                 "defaults.entities[1]", id="multi-line-array-gives-its-key-line"),
    pytest.param(TARGET + TARGET.replace('"logs"', '"b"').replace('kind = "files"', 'kind = "x"'),
                 9, "targets[1].kind", id="second-target"),
    pytest.param("[run]\n  # a comment\n  summary_file = 3\n", 3, "run.summary_file",
                 id="indented-key"),
])
def test_problem_lines(tmp_path, text, line, key):
    issue = only_issue(tmp_path, text)
    assert (issue.line, issue.key) == (line, key), str(issue)


KEYS = ("ledger", "key", "defaults", "targets", "run", "reports", "url", "url_env", "name",
        "kind", "owner", "paths", "schedule", "entities", "due_days", "C3", "min_score",
        "full_scan", "sample_rows", "formats", "file", "env", "password_env", "lang", "include")
LEAVES = (st.text(max_size=12) | st.sampled_from(["files", "database", "@daily", "sqlite:///x",
                                                   "CN_RESIDENT_ID", "0 2 * * *", "."])
          | st.integers(-3, 2000) | st.floats(allow_nan=False) | st.booleans())
TOML_DATA = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
                         max_leaves=15)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from(KEYS), TOML_DATA, max_size=6))
def test_any_structure_gives_a_config_or_problems_never_a_crash(tmp_path, data):
    values = ValueReader(tmp_path, LineFinder(""))
    config = _config(values, tmp_path / "audit.toml", data)
    assert values.problems or isinstance(config, AuditConfig)
    for line, key, message in values.problems:
        assert line is None and message and "\n" not in message


def test_key_file_readable_by_others_is_refused(tmp_path):
    key_file = tmp_path / "bank.key"
    key_file.write_text("ab" * 32)
    key_file.chmod(0o644)
    issue = only_issue(tmp_path, '[key]\nfile = "bank.key"\n')
    assert (issue.line, issue.key) == (2, "key.file") and "chmod 600" in issue.message
