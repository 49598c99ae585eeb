"""The `ledger` and `scans` commands, run through the real entry point against a real ledger."""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata

import pytest

from ledger_helpers import KEY, fast_dir, id_line, scan_lines
from pii_audit.cli import cli, main
from pii_audit.ledger import Ledger


@pytest.fixture
def ledger_url(monkeypatch):
    monkeypatch.setenv("PII_AUDIT_KEY", KEY.hex())
    with fast_dir() as path:
        url = f"sqlite:///{path}/ledger.db"
        with Ledger.open(url, KEY) as ledger:
            scan_id = ledger.begin_scan("auditor", ["a", "b"], {})
            ledger.record_target(scan_id, scan_lines("a", {"x.log": [id_line(1)]}, owner="甲"))
            ledger.record_target(scan_id, scan_lines("b", {"y.log": [id_line(2)]}))
            ledger.finish_scan(scan_id)
        yield url


def run(capsys, *argv) -> tuple[int, str, str]:
    """Run the command line; return its exit code, stdout and stderr."""
    try:
        main(list(argv))
        code = 0
    except SystemExit as done:
        code = done.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_filters_and_json(ledger_url, capsys):
    code, out, _ = run(capsys, "ledger", "list", "--owner", "-", "--format", "json", "--ledger", ledger_url)
    rows = json.loads(out)
    assert code == 0 and {r["target"] for r in rows} == {"b"} and all(r["owner"] is None for r in rows)
    assert all(r["id"].startswith("PI-") for r in rows)
    code, out, _ = run(capsys, "ledger", "list", "--target", "a", "--ledger", ledger_url)
    assert code == 0 and out.splitlines()[0].split()[:3] == ["ID", "STATUS", "RISK"]
    assert len(out.splitlines()) == 3 and "甲" in out


def test_update_assign_accept_history(ledger_url, capsys):
    code, _, _ = run(capsys, "ledger", "update", "PI-000001", "PI-000002", "--status", "in_progress",
                     "--note", "ticket CHG-1", "--by", "甲", "--ledger", ledger_url)
    assert code == 0
    code, out, _ = run(capsys, "ledger", "assign", "3", "--owner", "乙", "--department", "科技部",
                       "--due", "2031-01-31", "--ledger", ledger_url)
    assert code == 0 and "2031-01-31" in out and "乙" in out
    code, out, _ = run(capsys, "ledger", "accept-risk", "PI-000004", "--approver", "李总",
                       "--until", "2031-06-30", "--note", "retiring", "--ledger", ledger_url)
    assert code == 0 and "accepted_risk" in out
    code, out, _ = run(capsys, "ledger", "history", "PI-000001", "--format", "json", "--ledger", ledger_url)
    history = json.loads(out)
    assert [h["action"] for h in history] == ["created", "status"] and history[1]["by"] == "甲"
    code, out, _ = run(capsys, "ledger", "show", "PI-000004", "--ledger", ledger_url)
    assert "approver:           李总" in out and "samples:" in out
    # Samples located as the reports locate them, not as key=value pairs of the location
    assert re.search(r"^  \S+  \(\S+:\d+ \[\d+-\d+\]\)$", out, re.M) and "start=" not in out


def test_refused_transition_is_one_line_exit_2(ledger_url, capsys):
    code, out, err = run(capsys, "ledger", "update", "PI-000001", "--status", "verified",
                         "--note", "looks fine", "--ledger", ledger_url)
    assert code == 2 and err.count("\n") == 1 and "only a scan" in err and "Traceback" not in err


@pytest.mark.parametrize("argv,message", [
    pytest.param(["ledger", "show", "PI-009999"], "no item PI-009999", id="unknown-item"),
    pytest.param(["ledger", "show", "x1"], "not an item ID", id="bad-id"),
    pytest.param(["scans", "show", "42"], "no scan 42", id="unknown-scan"),
])
def test_user_errors_are_one_line(ledger_url, capsys, argv, message):
    code, _, err = run(capsys, *argv, "--ledger", ledger_url)
    assert code == 2 and message in err and err.count("\n") == 1


def test_missing_ledger_is_not_created(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PII_AUDIT_KEY", KEY.hex())
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "ledger", "list")
    assert code == 2 and "no ledger at pii-audit-ledger.db" in err
    assert not (tmp_path / "pii-audit-ledger.db").exists()


def test_scans_list_and_show(ledger_url, capsys):
    code, out, _ = run(capsys, "scans", "list", "--ledger", ledger_url)
    assert code == 0 and "auditor" in out
    code, out, _ = run(capsys, "scans", "show", "1", "--format", "json", "--ledger", ledger_url)
    view = json.loads(out)
    assert view["targets"] == ["a", "b"] and view["complete"] and len(view["coverage"]) == 2


def test_every_command_has_help_with_an_example():
    for group in ("ledger", "scans"):
        for name, command in cli.commands[group].commands.items():
            assert "Example:" in command.help, f"{group} {name}"


def test_list_prints_what_the_item_views_hold(ledger_url, capsys):
    """The lean table rows and the fast JSON writer print what the views held before them."""
    with Ledger.open(ledger_url, KEY) as book:
        views = book.items()
    code, out, _ = run(capsys, "ledger", "list", "--format", "json", "--ledger", ledger_url)
    assert code == 0 and out == json.dumps([dataclasses.asdict(v) for v in views], ensure_ascii=False,
                                           indent=2, default=lambda v: v.isoformat()) + "\n"
    cells = [["ID", "STATUS", "RISK", "ENTITY", "TARGET", "CONTAINER", "OWNER", "DUE", "OCCURRENCES",
              "DISTINCT"]] + [[str(c) for c in (v.id, v.status, v.risk_category, v.entity_type, v.target,
                                                 v.container, v.owner or "(unassigned)", v.due_date,
                                                 v.occurrences, v.distinct_values)] for v in views]
    def cells_wide(text):  # a terminal's cells: two for a Chinese character
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    widths = [max(cells_wide(row[i]) for row in cells) for i in range(10)]
    table = "\n".join("  ".join(c + " " * (w - cells_wide(c)) for c, w in zip(row, widths)).rstrip()
                      for row in cells)
    code, out, _ = run(capsys, "ledger", "list", "--ledger", ledger_url)
    assert code == 0 and out == table + "\n" and "(unassigned)" in out and "甲" in out
    code, out, _ = run(capsys, "ledger", "list", "--owner", "nobody", "--ledger", ledger_url)
    assert code == 0 and out == "  ".join(cells[0]) + "\n"  # the header alone, as before
    code, out, _ = run(capsys, "ledger", "list", "--owner", "nobody", "--format", "json", "--ledger", ledger_url)
    assert code == 0 and out == "[]\n"


def test_tables_stay_aligned_with_chinese_text():
    """A Chinese character takes two cells of a terminal: every column starts at the same cell on
    every line, whatever mix of Chinese and ASCII the columns before it hold."""
    from pii_audit.commands.ledger_common import display_width, table_text

    lines = table_text(["ID", "TARGET", "OWNER", "DUE"], [
        ("PI-000001", "核心系统", "张伟", "2026-12-28"),
        ("PI-000002", "客户名单导出", "Li Na", None),
        ("PI-000003", "logs/app.log", "欧阳娜娜", "2027-01-05"),
    ]).splitlines()
    cells = [("ID", "TARGET", "OWNER", "DUE"), ("PI", "核心", "张伟", "2026"), ("PI", "客户", "Li Na", "-"),
             ("PI", "logs", "欧阳", "2027")]
    starts = set()
    for line, row in zip(lines, cells):
        at, offsets = 0, []
        for cell in row:  # each cell searched after the one before it
            at = line.index(cell, at)
            offsets.append(display_width(line[:at]))
            at += len(cell)
        starts.add(tuple(offsets))
    assert starts == {(0, 11, 25, 35)}  # "客户名单导出" and "logs/app.log" both 12 cells wide
