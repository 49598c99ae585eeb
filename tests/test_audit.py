"""Audits: targets scanned and recorded in the ledger with what their configuration says."""

from __future__ import annotations

import datetime
import random

from ledger_helpers import KEY
from pii_audit.audit import AuditTarget, record_audit, scan_audit_targets
from pii_audit.ledger import Ledger
from pii_audit.sources import ScanOptions
from tests_corpus import resident_id


def test_owner_department_and_own_due_days_reach_the_ledger(tmp_path):
    rng = random.Random(3)
    for name in ("a", "b"):
        (tmp_path / f"{name}.log").write_text(f"开户 身份证号：{resident_id(rng)}\n", encoding="utf-8")
    options = ScanOptions(jobs=1)
    targets = [AuditTarget("短期", (str(tmp_path / "a.log"),), options, "张伟", "信息科技部", {"C2": 3}),
               AuditTarget("默认", (str(tmp_path / "b.log"),), options, "李娜")]
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}", KEY) as ledger:
        record_audit(ledger, targets, scan_audit_targets(targets, KEY), by="auditor")
        short, = ledger.items(target="短期")
        default, = ledger.items(target="默认")
    assert (short.owner, short.department, default.owner) == ("张伟", "信息科技部", "李娜")
    assert short.due_date - short.first_seen.date() == datetime.timedelta(days=3)
    assert default.due_date - default.first_seen.date() == datetime.timedelta(days=30)
