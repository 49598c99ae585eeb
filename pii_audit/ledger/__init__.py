"""The remediation ledger (问题清单 / 整改台账): scans, items, lifecycle and history.

    from pii_audit.ledger import Ledger
    with Ledger.open(None, key) as ledger:        # ./pii-audit-ledger.db
        scan_id = ledger.begin_scan("alice", targets, options={})
        for result in results:
            ledger.record_target(scan_id, result)  # one transaction per target
        ledger.finish_scan(scan_id)
"""

from pii_audit.errors import LedgerConflict, LedgerError
from pii_audit.ledger.lifecycle import STATUSES
from pii_audit.ledger.record import RecordOutcome
from pii_audit.ledger.rows import DEFAULT_DUE_DAYS
from pii_audit.ledger.store import Ledger

__all__ = ["DEFAULT_DUE_DAYS", "Ledger", "LedgerConflict", "LedgerError", "RecordOutcome", "STATUSES"]
