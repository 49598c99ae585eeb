"""The audit.toml model: a valid file becomes targets, settings and scan options."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pii_audit.commands.init import render_template
from pii_audit.config import DueDays, Settings, load_config
from pii_audit.errors import ConfigError
from pii_audit.keys import create_key_file
from pii_audit.sources import ScanOptions

_EXAMPLE_LINE_RE = re.compile(r"^# (\[\[(targets|layouts)\]\]|[a-z_]+ *=)")


def uncommented_template() -> str:
    """Return the init template with its example targets and layouts uncommented."""
    head, marker, examples = render_template(False).partition("# ---- Targets")
    lines = [line[2:] if _EXAMPLE_LINE_RE.match(line) else line for line in examples.splitlines()]
    return head + marker + "\n".join(lines) + "\n"


@pytest.fixture
def example(tmp_path) -> Path:
    """A folder holding the template with its examples live, and the paths they name."""
    (tmp_path / "logs" / "app").mkdir(parents=True)
    (tmp_path / "exports").mkdir()
    path = tmp_path / "audit.toml"
    path.write_text(uncommented_template(), "utf-8")
    return path


def test_template_examples_load(example):
    config = load_config(example)
    assert [t.name for t in config.targets] == ["core-banking", "app-logs", "customer-exports"]
    assert [t.kind for t in config.targets] == ["database", "files", "spreadsheets"]
    assert config.lang == "zh"
    assert config.reports.formats == ("html", "xlsx")
    assert config.reports.output_dir == example.parent / "reports"
    assert config.run.state_dir == example.parent / ".pii-audit"
    assert config.ledger.url == f"sqlite:///{example.parent / 'pii-audit-ledger.db'}"
    assert [layout.delimiter for layout in config.layouts] == [None, "|"]
    assert len(config.layouts[0].widths) == len(config.layouts[0].columns) == 7
    assert [target.layouts for target in config.targets] == [(), config.layouts, config.layouts]


def test_target_overrides_merge_over_defaults(example):
    core, logs, sheets = load_config(example).targets
    assert core.due_days == {"C3": 3, "C2": 30, "C1": 90}
    assert core.schedule == "30 1 * * *" and logs.schedule == "0 2 * * 6"
    assert logs.entities == ("CN_RESIDENT_ID", "CN_MOBILE_PHONE") and core.entities == ()
    assert sheets.min_score == 0.6 and core.min_score == Settings().min_score
    assert (core.owner, core.department) == ("张伟", "信息科技部")


def test_database_scan_options_take_password_from_env(example):
    core = load_config(example).targets[0]
    options = core.scan_options({"CORE_DB_PASSWORD": "pw-from-env"})
    assert options == ScanOptions(
        sample_rows=None, connect_timeout=10, statement_timeout=300, schemas=("public",),
        include=("public.kh_*",), exclude=("public.*_bak", "audit_tmp.*"), password="pw-from-env")
    assert core.location == ["postgresql+psycopg://pii_audit_ro@db.example.internal:5432/core"]


def test_missing_password_env_names_the_variable(example):
    core = load_config(example).targets[0]
    with pytest.raises(ConfigError, match="CORE_DB_PASSWORD is not set"):
        core.scan_options({})


def test_file_targets_resolve_paths_from_the_config_folder(example):
    logs = load_config(example).targets[1]
    assert logs.location == [str(example.parent / "logs/app/*.log*")]
    options = logs.scan_options({})
    assert options.sample_rows == Settings().sample_rows and options.exclude == ("*.tmp",)
    assert options.password is None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "audit.toml"
    path.write_text(text, "utf-8")
    return path


DB_TARGET = """
[[targets]]
name = "crm"
kind = "database"
owner = "王芳"
schedule = "0 3 * * *"
"""


def test_url_env_target_resolves_its_url_from_env(tmp_path):
    target = load_config(write(tmp_path, DB_TARGET + 'url_env = "CRM_URL"\n')).targets[0]
    assert target.location == []
    assert target.locations({"CRM_URL": "mysql+pymysql://u:p@h/crm"}) == ["mysql+pymysql://u:p@h/crm"]
    with pytest.raises(ConfigError, match="CRM_URL"):
        target.locations({})


def test_relative_sqlite_target_becomes_absolute(tmp_path):
    (tmp_path / "core.db").write_bytes(b"")
    target = load_config(write(tmp_path, DB_TARGET + 'url = "sqlite:///core.db"\n')).targets[0]
    assert target.url == f"sqlite:///{tmp_path / 'core.db'}"


def test_ledger_password_is_added_from_env_only_when_resolved(tmp_path):
    text = '[ledger]\nurl = "postgresql+psycopg://audit@db/ledger"\npassword_env = "LEDGER_PW"\n'
    ledger = load_config(write(tmp_path, text)).ledger
    assert ledger.url == "postgresql+psycopg://audit@db/ledger"
    assert ledger.resolve_url({"LEDGER_PW": "s"}) == "postgresql+psycopg://audit:s@db/ledger"


def test_key_from_file_and_from_env(tmp_path):
    key = create_key_file(tmp_path / "pii-audit.key")
    assert load_config(write(tmp_path, "")).key.load({}) == key
    source = load_config(write(tmp_path, '[key]\nenv = "BANK_PII_KEY"\n')).key
    assert source.load({"BANK_PII_KEY": "ab" * 32}) == bytes.fromhex("ab" * 32)
    with pytest.raises(ConfigError, match="BANK_PII_KEY"):
        source.load({})


def test_empty_file_takes_every_default(tmp_path):
    config = load_config(write(tmp_path, ""))
    assert config.targets == () and config.defaults == Settings() and config.lang == "zh"
    assert config.defaults.due_days == DueDays(C3=7, C2=30, C1=90)
    assert "no targets are declared yet" in config.notes


def test_select_targets_by_name(example):
    config = load_config(example)
    assert [t.name for t in config.select(["app-logs"])] == ["app-logs"]
    assert len(config.select()) == 3
    with pytest.raises(ConfigError, match="no target named 'nope'; targets: core-banking"):
        config.select(["nope"])


def test_default_min_score_is_the_recognizers_threshold():
    """ScanOptions repeats recognizers.MIN_SCORE so that loading audit.toml needs no Presidio."""
    from pii_audit.sources import ScanOptions
    from recognizers import MIN_SCORE

    assert ScanOptions().min_score == MIN_SCORE


FILES_TARGET = """
[[targets]]
name = "影像件"
kind = "files"
owner = "李娜"
schedule = "0 3 * * *"
paths = ["scans"]
"""


def test_ocr_is_off_unless_a_target_or_the_defaults_turn_it_on(tmp_path):
    (tmp_path / "scans").mkdir()
    assert load_config(write(tmp_path, FILES_TARGET)).targets[0].scan_options({}).ocr is False
    for text in ("[defaults]\nocr = true\n" + FILES_TARGET, FILES_TARGET + "ocr = true\n"):
        assert load_config(write(tmp_path, text)).targets[0].scan_options({}).ocr is True


def test_ocr_must_be_true_or_false(tmp_path):
    from pii_audit.config_load import check

    (tmp_path / "scans").mkdir()
    config, issues = check(write(tmp_path, FILES_TARGET + 'ocr = "yes"\n'))
    assert config is None and [i.key for i in issues] == ["targets[0].ocr"]
    assert "true or false" in str(issues[0])
