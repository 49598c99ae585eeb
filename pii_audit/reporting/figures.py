"""The overview's figures, counted once for both report formats: items, overdue ones, what the
report's scan changed, and the breakdowns by status, risk, entity and owner.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from pii_audit.reporting import charts, labels
from pii_audit.views import STATUSES

if TYPE_CHECKING:
    from pii_audit.reporting.viewmodel import ItemRow

RISK_ORDER = {"C3": 0, "C2": 1, "C1": 2}
OTHER_RISK = 9  # rank of a risk category not in RISK_ORDER


def risk_rank(category: str) -> int:
    """Return the place of a risk category in reports: C3 first.

    >>> sorted(["C1", "C3", "X", "C2"], key=risk_rank)
    ['C3', 'C2', 'C1', 'X']
    """
    return RISK_ORDER.get(category, OTHER_RISK)


@dataclass(frozen=True)
class Figures:
    """The overview's figures: items, overdue ones, what the report's scan changed, breakdowns."""

    items: int
    overdue: int
    new: int
    reopened: int
    verified: int
    by_status: tuple[charts.Bar, ...]
    by_risk: tuple[charts.Bar, ...]
    by_entity: tuple[charts.Bar, ...]
    by_owner: tuple[charts.Bar, ...]


class Tally:
    """Count the overview's figures one item at a time, keeping only counters.

    The in-memory report and the workbook streamed from the ledger (``streamed.py``) both count
    through this class, so the HTML and the Excel report show the same figures.
    """

    def __init__(self, lang: str):
        self.lang = lang
        self.items = 0
        self.overdue = 0
        self.changes: Counter = Counter()
        self.status: Counter = Counter()
        self.risk: Counter = Counter()
        self.entity: Counter = Counter()
        self.owner: Counter = Counter()

    def add(self, row: ItemRow) -> None:
        """Count one item; rows come in report order, which breaks ties in the breakdowns."""
        item = row.item
        self.items += 1
        self.overdue += row.days_overdue > 0
        self.status[item.status] += 1
        self.risk[item.risk_category] += 1
        self.entity[(item.entity_type, row.entity_label)] += 1
        self.owner[item.owner or ""] += 1

    def add_changes(self, kinds: Iterable[str]) -> None:
        """Count what the report's scan made of one item (``changes_of``)."""
        self.changes.update(kinds)

    def figures(self) -> Figures:
        """Return the figures counted so far."""
        words = labels.TEXT[self.lang]
        return Figures(
            items=self.items, overdue=self.overdue, new=self.changes["new"],
            reopened=self.changes["reopened"], verified=self.changes["verified"],
            by_status=charts.bars([(s, labels.status_label(s, self.lang), self.status[s])
                                   for s in STATUSES if self.status[s]]),
            by_risk=charts.bars([(k, k, self.risk[k]) for k in sorted(self.risk, key=risk_rank)]),
            by_entity=charts.bars([(k, label, n) for (k, label), n in self.entity.most_common()]),
            by_owner=charts.bars([(k, k or words["unassigned"], n) for k, n in self.owner.most_common()]),
        )
