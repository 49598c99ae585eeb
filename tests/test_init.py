"""``pii-audit init``: an example audit.toml that checks clean, a 0600 key, an empty ledger."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pii_audit.cli import cli, main
from pii_audit.config import load_config
from pii_audit.keys import create_key_file


def test_init_writes_config_key_and_says_what_next(tmp_path):
    folder = tmp_path / "new" / "audit"
    result = CliRunner().invoke(cli, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    key_file = folder / "pii-audit.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(key_file.read_text().strip())) == 32
    assert f"pii-audit config check --config {folder / 'audit.toml'}" in result.output
    config = load_config(folder / "audit.toml")
    assert config.targets == () and config.key.file == key_file
    assert config.key.load({}) == bytes.fromhex(key_file.read_text().strip())


def test_init_creates_an_empty_ledger_bound_to_the_key(tmp_path):
    from pii_audit.errors import LedgerError
    from pii_audit.ledger import Ledger

    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pii-audit-ledger.db").exists() and "created the ledger sqlite:///" in result.output
    config = load_config(tmp_path / "audit.toml")
    with Ledger.open(config.ledger.resolve_url(), config.key.load({}), create=False) as ledger:
        assert ledger.scans() == [] and ledger.items() == []
    with pytest.raises(LedgerError, match="another fingerprint key"):
        Ledger.open(config.ledger.resolve_url(), bytes(32), create=False)


def test_init_refuses_to_overwrite_audit_toml(tmp_path, capsys):
    (tmp_path / "audit.toml").write_text("# mine\n", "utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["init", str(tmp_path)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err == f"pii-audit: error: {tmp_path / 'audit.toml'} already exists; refusing to overwrite it\n"
    assert (tmp_path / "audit.toml").read_text("utf-8") == "# mine\n"
    assert not (tmp_path / "pii-audit.key").exists()


def test_init_keeps_an_existing_key(tmp_path):
    key = create_key_file(tmp_path / "pii-audit.key")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "kept the existing key file" in result.output
    assert load_config(tmp_path / "audit.toml").key.load({}) == key


def test_init_with_key_in_environment_writes_no_key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PII_AUDIT_KEY", "cd" * 32)
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "pii-audit.key").exists()
    config = load_config(tmp_path / "audit.toml")
    assert config.key.env == "PII_AUDIT_KEY" and config.key.load() == bytes.fromhex("cd" * 32)


def test_fresh_config_checks_clean(tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    result = runner.invoke(cli, ["config", "check", "--config", str(tmp_path / "audit.toml")])
    assert result.exit_code == 0, result.output
    assert "valid, 0 target(s)" in result.output and "no targets are declared yet" in result.output
