"""The report, export and ledger import commands, on a real SQLite ledger that real scans filled
(``ledger_helpers.populated_ledger``), named by $PII_AUDIT_LEDGER with the key in $PII_AUDIT_KEY."""

from __future__ import annotations

import dataclasses
import json
import random
import stat

import openpyxl
import pytest
from click.testing import CliRunner

from ledger_helpers import KEY, populated_ledger
from pii_audit.cli import cli
from pii_audit.commands import report as report_command
from pii_audit.commands.ledger_import import import_command
from pii_audit.reporting import ledger_sheet
from tests_corpus import mobile


@pytest.fixture
def ledger(tmp_path, monkeypatch):
    url, real = populated_ledger(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PII_AUDIT_LEDGER", url)
    monkeypatch.setenv("PII_AUDIT_KEY", KEY.hex())
    yield real
    real.close()


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


@pytest.mark.parametrize("owner, scan_id", [
    pytest.param("王芳", None, id="owner"),
    pytest.param(None, 3, id="scan-3"),
    pytest.param("王芳", 1, id="owner-and-scan-1"),
])
def test_report_owner_and_scan_filters(ledger, tmp_path, owner, scan_id):
    out = tmp_path / "r.html"
    args = ["--owner", owner] * bool(owner) + ["--scan", str(scan_id)] * bool(scan_id)
    result = CliRunner().invoke(cli, ["report", "--format", "html", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    expected = [i for i in ledger.items() if owner in (None, i.owner) and (
        scan_id is None or any(h.scan_id == scan_id for h in ledger.item(i.id).history))]
    assert expected and f"wrote {out} ({len(expected)} items)" in result.output


def test_export_command(ledger, tmp_path):
    result = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "e")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "e").iterdir()) == [
        "MANIFEST.sha256", "items.jsonl", "report.html", "report.xlsx", "scans.jsonl"]
    items = [json.loads(line) for line in (tmp_path / "e" / "items.jsonl").read_text("utf-8").splitlines()]
    scans = [json.loads(line) for line in (tmp_path / "e" / "scans.jsonl").read_text("utf-8").splitlines()]
    assert [i["history"] for i in items] == [
        [{**dataclasses.asdict(h), "at": h.at.isoformat()} for h in ledger.item(i["id"]).history] for i in items]
    assert [len(s["coverage"]) for s in scans] == [len(ledger.scan(s["id"]).coverage) for s in scans] == [4, 2, 2]


def test_import_command_dry_run_then_apply(ledger, tmp_path):
    CliRunner().invoke(cli, ["report", "--format", "xlsx", "--out", str(tmp_path / "l.xlsx")])
    item = next(i for i in ledger.items() if i.status == "open")
    wb = openpyxl.load_workbook(tmp_path / "l.xlsx")
    ws = wb["整改台账"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == item.id)
    row[ledger_sheet.COLUMNS.index("status")].value = "整改中"
    row[ledger_sheet.COLUMNS.index("note")].value = "排期下线"
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


def test_estimated_distinct_counts_are_marked_wherever_the_ledger_is_shown(tmp_path, monkeypatch):
    """Past 1,024 distinct values a finding's count is a HyperLogLog estimate (pii_audit.distinct).
    The ledger stores the number; `ledger list` and `show`, the HTML report and the Excel ledger mark it "≈",
    the Excel cell still a number, and an exact count stays plain."""
    rng, many = random.Random(5), set()
    while len(many) < 1500:
        number = mobile(rng)
        if number[:3] in ("138", "139", "186"):  # assigned segments: every one is reported
            many.add(number)
    (tmp_path / "many.log").write_text("".join(f"短信发送 手机={m}\n" for m in sorted(many)), "utf-8")
    (tmp_path / "few.log").write_text("手机=13812345678\n手机=13912345678\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PII_AUDIT_KEY", KEY.hex())
    ledger_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("PII_AUDIT_LEDGER", ledger_url)
    scanned = CliRunner().invoke(cli, ["scan", "many.log", "few.log", "--ledger", ledger_url, "-q"])
    assert scanned.exit_code == 1, scanned.output

    listed = CliRunner().invoke(cli, ["ledger", "list"]).output
    (many_row,) = [line for line in listed.splitlines() if "many.log" in line]
    (few_row,) = [line for line in listed.splitlines() if "few.log" in line]
    estimate = int(many_row.split("≈")[1].split()[0])
    assert abs(estimate - 1500) <= 45 and few_row.split()[-1] == "2" and "≈" not in few_row
    shown = {row.split()[0]: CliRunner().invoke(cli, ["ledger", "show", row.split()[0]]).output
             for row in (many_row, few_row)}
    assert f"distinct_values:    ≈{estimate}\n" in shown[many_row.split()[0]]
    assert "distinct_values:    2\n" in shown[few_row.split()[0]]

    assert CliRunner().invoke(cli, ["report", "--format", "html", "--out", "r.html"]).exit_code == 0
    html = (tmp_path / "r.html").read_text("utf-8")
    assert f">≈{estimate}</td>" in html and html.count("HyperLogLog") == 1  # one title: the estimate's

    assert CliRunner().invoke(cli, ["report", "--format", "xlsx", "--out", "r.xlsx"]).exit_code == 0
    rows = list(openpyxl.load_workbook(tmp_path / "r.xlsx")["整改台账"].iter_rows(min_row=2))
    column = ledger_sheet.COLUMNS.index("distinct")
    cells = {row[ledger_sheet.COLUMNS.index("container")].value: row[column] for row in rows}
    assert (cells["many.log"].value, cells["many.log"].number_format) == (estimate, '"≈"0')
    assert (cells["few.log"].value, cells["few.log"].number_format) == (2, "General")
