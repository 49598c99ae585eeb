"""The ledger sheet's columns and cell values, shared by the Excel export and the Excel import.

Both sides render an item through ``ledger_values`` so that the import can tell a locked cell an
owner changed from one the export wrote.
"""

from __future__ import annotations

import datetime
import re

from pii_audit.reporting import labels
from pii_audit.views import ItemView

# Column order of the ledger sheet.
COLUMNS = ("id", "target", "container", "entity", "risk", "occurrences", "distinct", "masked",
           "first_seen", "last_seen", "status", "owner", "department", "due", "note", "updated_at")
# Columns owners fill in; every other column is locked.
EDITABLE = ("status", "owner", "department", "due", "note")
LOCKED = tuple(c for c in COLUMNS if c not in EDITABLE and c not in ("id", "updated_at"))
WIDTHS = {"id": 11, "target": 28, "container": 32, "entity": 14, "risk": 16, "occurrences": 10,
          "distinct": 10, "masked": 10, "first_seen": 17, "last_seen": 17, "status": 12, "owner": 12,
          "department": 14, "due": 12, "note": 40, "updated_at": 28}
WRAPPED = ("target", "container", "note")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_CELL_CHARS = 32_767  # Excel's limit per cell

# What openpyxl refuses to write (XML 1.0 forbids it) and lone surrogates (an unreadable workbook).
_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def clean_text(text: str) -> str:
    """Return ``text`` safe to store in a workbook: control characters and lone surrogates replaced.

    >>> clean_text("\\x1b[31mred\\x1b[0m"), clean_text("a\\ud800b")
    ('\\ufffd[31mred\\ufffd[0m', 'a\\ufffdb')
    """
    text = _ILLEGAL_RE.sub("\ufffd", text)
    # XML readers turn CR and CRLF into LF, so store what will be read back.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[:MAX_CELL_CHARS]


def is_formula_like(text: str) -> bool:
    """Tell whether a spreadsheet might run ``text`` as a formula (CWE-1236).

    >>> is_formula_like("=1+1"), is_formula_like("-3"), is_formula_like("kh.zjhm")
    (True, True, False)
    """
    return text.startswith(FORMULA_TRIGGERS)


def header(lang: str) -> list[str]:
    """Return the ledger sheet's header row in ``lang``."""
    return [labels.LEDGER_COLUMNS[lang][c] for c in COLUMNS]


def column_of_header(text: str) -> str | None:
    """Return the column key a header names, in either language, else None."""
    for lang in labels.LANGUAGES:
        for key, title in labels.LEDGER_COLUMNS[lang].items():
            if text.strip() == title:
                return key
    return None


def risk_text(item: ItemView, lang: str) -> str:
    """Return the item's risk as the sheet prints it."""
    words = labels.TEXT[lang]
    parts = [item.risk_category] + [words["sensitive"]] * item.sensitive + [words["minor"]] * item.minor
    return " · ".join(parts)


def ledger_values(item: ItemView, lang: str) -> dict:
    """Return the ledger sheet's cell values of ``item``, by column key."""
    return {
        "id": item.id, "target": clean_text(item.target), "container": clean_text(item.container),
        "entity": labels.entity_label(item.entity_type, lang), "risk": risk_text(item, lang),
        "occurrences": item.occurrences, "distinct": item.distinct_values,
        "masked": item.masked_occurrences, "first_seen": _minute(item.first_seen),
        "last_seen": _minute(item.last_seen), "status": labels.status_label(item.status, lang),
        "owner": clean_text(item.owner or ""), "department": clean_text(item.department or ""),
        "due": item.due_date, "note": clean_text(item.note or ""),
        "updated_at": item.updated_at.isoformat() if item.updated_at else "",
    }


def _minute(moment: datetime.datetime | None) -> datetime.datetime | None:
    # Excel stores times as fractions of a day; minutes survive the round trip exactly.
    if moment is None:
        return None
    if moment.tzinfo is not None:  # Excel has no time zones: show the local time
        moment = moment.astimezone().replace(tzinfo=None)
    return moment.replace(second=0, microsecond=0)
