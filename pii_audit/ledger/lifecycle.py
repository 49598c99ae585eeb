"""The lifecycle of a ledger item: which status may follow which, and who may move it.

Transition table (``*`` = any status not otherwise listed):

=============  ==============================================  ====================================
from           by a person (``ledger update`` / import)        by a scan
=============  ==============================================  ====================================
open           in_progress, fixed, false_positive;             verified (container fully covered,
               accepted_risk (``accept-risk`` only)            nothing found)
in_progress    open, fixed, false_positive; accepted_risk      verified (as above)
fixed          in_progress, open, false_positive               verified (as above); reopened (found)
reopened       in_progress, fixed, false_positive;             verified (as above)
               accepted_risk
verified       reopened, false_positive                        reopened (found)
accepted_risk  open (revoke); accepted_risk (renew)            open, when the acceptance expires
false_positive open (the reason was wrong)                     none: later scans leave it alone
=============  ==============================================  ====================================

A scan never touches ``accepted_risk`` or ``false_positive`` items except for the expiry, and
only a scan can verify: a person who believes an item is done marks it ``fixed``. An acceptance
is valid through its ``until`` date and expires on the next day; expiry is applied, and recorded
in history, at the start of every scan, every ledger write and every ledger read.
"""

from __future__ import annotations

from pii_audit.errors import LedgerError
from pii_audit.views import STATUSES

OPEN, IN_PROGRESS, FIXED, VERIFIED = "open", "in_progress", "fixed", "verified"
REOPENED, ACCEPTED_RISK, FALSE_POSITIVE = "reopened", "accepted_risk", "false_positive"

# What a person may set with `ledger update` (accepted_risk needs `accept-risk`: approver, expiry).
MANUAL: dict[str, frozenset[str]] = {
    OPEN: frozenset({IN_PROGRESS, FIXED, FALSE_POSITIVE}),
    IN_PROGRESS: frozenset({OPEN, FIXED, FALSE_POSITIVE}),
    FIXED: frozenset({IN_PROGRESS, OPEN, FALSE_POSITIVE}),
    REOPENED: frozenset({IN_PROGRESS, FIXED, FALSE_POSITIVE}),
    VERIFIED: frozenset({REOPENED, FALSE_POSITIVE}),
    ACCEPTED_RISK: frozenset({OPEN}),
    FALSE_POSITIVE: frozenset({OPEN}),
}
# Where `accept-risk` may be used.
ACCEPTABLE = frozenset({OPEN, IN_PROGRESS, REOPENED, ACCEPTED_RISK})
# A scan that found the item again.
FOUND = {FIXED: REOPENED, VERIFIED: REOPENED}
# A scan that fully covered the item's container and found nothing.
VERIFIABLE = frozenset({OPEN, IN_PROGRESS, FIXED, REOPENED})
# Statuses a scan leaves alone (a person's decision).
DECIDED = frozenset({ACCEPTED_RISK, FALSE_POSITIVE})
# Statuses still waiting for remediation (what `open_items` and overdue count).
ACTIVE = frozenset({OPEN, IN_PROGRESS, REOPENED})

assert set(MANUAL) == set(STATUSES)


def check_status(status: str) -> str:
    """Return ``status`` if it is a known status, else raise LedgerError."""
    if status not in STATUSES:
        raise LedgerError(f"unknown status {status!r}; known: {', '.join(STATUSES)}")
    return status


def check_manual(current: str, new: str, note: str | None) -> None:
    """Raise LedgerError unless a person may move an item from ``current`` to ``new``."""
    check_status(new)
    if not (note or "").strip():
        raise LedgerError(f"a note is required to change the status to {new} (say why)")
    if new == current:
        raise LedgerError(f"the item is already {current}")
    if new == VERIFIED:
        raise LedgerError("only a scan that fully covers the container can verify an item; "
                          "mark it fixed")
    if new == ACCEPTED_RISK:
        raise LedgerError("use 'ledger accept-risk' (it needs an approver and an expiry date)")
    if new not in MANUAL[current]:
        allowed = ", ".join(sorted(MANUAL[current])) or "nothing"
        raise LedgerError(f"cannot change {current} to {new}; from {current} allowed: {allowed}")


def check_accept(current: str, approver: str | None, note: str | None) -> None:
    """Raise LedgerError unless the risk of an item in ``current`` may be accepted."""
    if current not in ACCEPTABLE:
        raise LedgerError(f"cannot accept the risk of a {current} item; allowed from: "
                          f"{', '.join(sorted(ACCEPTABLE))}")
    if not (approver or "").strip():
        raise LedgerError("accepting a risk needs an approver")
    if not (note or "").strip():
        raise LedgerError("accepting a risk needs a note (say why)")


def after_found(current: str) -> str:
    """Return the status of an item that a scan found again."""
    return FOUND.get(current, current)


def after_absent(current: str, fully_covered: bool) -> str:
    """Return the status of an item that a scan did not find in its container."""
    if fully_covered and current in VERIFIABLE:
        return VERIFIED
    return current
