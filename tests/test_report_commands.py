"""The report, export and ledger import commands, wired to the FAKE ledger of tests/ledger_fake.py
(``pii_audit.ledger`` lands separately; the lead switches these to the real one)."""

from __future__ import annotations

import datetime
import stat

import openpyxl
import pytest
from click.testing import CliRunner

from ledger_fake import FakeLedgerForImportTests
from pii_audit.cli import cli
from pii_audit.commands import report as report_command
from pii_audit.commands.ledger_import import import_command
from pii_audit.reporting import ledger_sheet
from reporting_data import build_report_data


@pytest.fixture
def ledger(monkeypatch):
    data = build_report_data(lines_per=10)
    fake = FakeLedgerForImportTests(data.items, data.scans)
    monkeypatch.setattr(report_command, "open_ledger", lambda url: fake)
    monkeypatch.setattr("pii_audit.commands.export.open_ledger", lambda url: fake)
    monkeypatch.setattr("pii_audit.commands.ledger_import.open_ledger", lambda url: fake)
    return fake


@pytest.mark.parametrize("args, sheet_or_text", [
    pytest.param(["--format", "html"], "个人信息审计报告", id="html-zh"),
    pytest.param(["--format", "html", "--lang", "en"], "Remediation ledger", id="html-en"),
    pytest.param(["--format", "xlsx", "--status", "open"], "整改台账", id="xlsx-open-only"),
])
def test_report_command_writes_the_file(ledger, tmp_path, args, sheet_or_text):
    out = tmp_path / ("r.xlsx" if "xlsx" in args else "r.html")
    result = CliRunner().invoke(cli, ["report", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    if out.suffix == ".html":
        assert sheet_or_text in out.read_text("utf-8")
    else:
        rows = list(openpyxl.load_workbook(out)[sheet_or_text].iter_rows(min_row=2, values_only=True))
        assert rows and {r[ledger_sheet.COLUMNS.index("status")] for r in rows} == {"待整改"}


def test_report_owner_and_scan_filters(ledger, tmp_path):
    out = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["report", "--format", "html", "--out", str(out), "--owner", "王芳",
                                      "--scan", "3"])
    assert result.exit_code == 0, result.output
    expected = [i for i in ledger.items() if i.owner == "王芳" and any(h.scan_id == 3 for h in i.history)]
    assert f"wrote {out} ({len(expected)} items)" in result.output


def test_export_command(ledger, tmp_path):
    result = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "e")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "e").iterdir()) == [
        "MANIFEST.sha256", "items.jsonl", "report.html", "report.xlsx", "scans.jsonl"]


def test_import_command_dry_run_then_apply(ledger, tmp_path):
    CliRunner().invoke(cli, ["report", "--format", "xlsx", "--out", str(tmp_path / "l.xlsx")])
    item = next(i for i in ledger.items() if i.status == "open")
    wb = openpyxl.load_workbook(tmp_path / "l.xlsx")
    ws = wb["整改台账"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == item.id)
    row[ledger_sheet.COLUMNS.index("status")].value = "整改中"
    wb.save(tmp_path / "l.xlsx")
    dry = CliRunner().invoke(import_command, [str(tmp_path / "l.xlsx"), "--by", "李娜", "--dry-run"])
    assert dry.exit_code == 0 and "would change status open -> in_progress" in dry.output
    assert ledger.item(item.id).status == "open"
    done = CliRunner().invoke(import_command, [str(tmp_path / "l.xlsx"), "--by", "李娜"])
    assert done.exit_code == 0 and ledger.item(item.id).status == "in_progress"
    assert ledger.item(item.id).history[-1].by == "李娜"


def test_every_command_has_help_with_an_example():
    for command in (report_command.report, import_command, cli.commands["export"]):
        assert "Example:" in CliRunner().invoke(command, ["--help"]).output
