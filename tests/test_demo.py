"""``pii-audit demo``: the sample estate scanned as a scheduled run, reports written, a fix
verified; run twice, the ledger keeps the history of both."""

from __future__ import annotations

import re
import sqlite3

import pytest

from pii_audit.cli import main
from pii_audit.config import load_config
from pii_audit.demo_estate import build_estate
from pii_audit.ledger import Ledger


def demo(capsys, directory) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--dir", str(directory)])
    return exited.value.code, capsys.readouterr().out


def raw_ids(tmp_path) -> list[str]:
    """Return the estate's resident IDs, from a second build of the same (seeded) estate."""
    paths = build_estate(tmp_path / "reference")
    with sqlite3.connect(paths["core"]) as db:
        return [row[0] for row in db.execute("SELECT sfzh FROM kh_jbxx")]


def test_demo_twice_records_verifies_and_keeps_history(tmp_path, capsys):
    out_dir = tmp_path / "demo-output"
    code, first = demo(capsys, out_dir)
    assert code == 0, first
    assert "核心系统: 7 new, 0 reopened, 0 verified, 7 open" in first
    assert "CN_RESIDENT_ID in kh_jbxx.sfzh: verified (history: open → verified)" in first
    config = load_config(out_dir / "audit.toml")
    assert [(t.name, t.owner, t.department, t.settings.full_scan) for t in config.targets] == [
        ("核心系统", "张伟", "信息科技部", True), ("客户名单导出", "李娜", "零售银行部", True),
        ("应用日志", "王芳", "运维中心", True), ("信贷档案", "赵敏", "授信审批部", True)]
    assert "信贷档案: 7 new, 0 reopened, 0 verified, 7 open" in first  # a Word report and a PDF receipt
    key = (out_dir / "pii-audit.key").read_bytes()

    code, second = demo(capsys, out_dir)
    assert code == 0, second
    assert (out_dir / "pii-audit.key").read_bytes() == key  # the key persists, so the ledger opens
    assert "核心系统: 0 new, 1 reopened" in second  # the fresh estate brought the column back
    assert "verified (history: open → verified → reopened → verified)" in second
    assert "the ledger now holds 10 scan(s)" in second
    with Ledger.open(config.ledger.resolve_url(), config.key.load({}), create=False) as ledger:
        assert len(ledger.scans()) == 10
        assert {i.owner for i in ledger.items(target="客户名单导出")} == {"李娜"}
    reports = [out_dir / "reports" / "pii-audit-report.html", out_dir / "reports" / "pii-audit-report.xlsx"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in reports)
    written = (first + second).encode() + reports[0].read_bytes() + (out_dir / "last-run.jsonl").read_bytes()
    assert not [v for v in raw_ids(tmp_path) if v.encode() in written], "a raw ID was written"
    with Ledger.open(config.ledger.resolve_url(), config.key.load({}), create=False) as ledger:
        passwords = [i for i in ledger.items(target="应用日志") if i.entity_type == "AUTH_PASSWORD"]
    assert passwords and {i.risk_category for i in passwords} == {"C3"}  # the logs' temporary passwords
    logged = re.findall(r"tempPwd=(\w+)", (tmp_path / "reference" / "logs" / "app.log").read_text("utf-8"))
    assert logged and not [p for p in logged if p.encode() in written], "a raw password was written"


def test_demo_refuses_a_folder_that_is_not_its_own(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine\n", "utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--dir", str(tmp_path)])
    assert exited.value.code == 2
    assert "is not empty and not a demo folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
