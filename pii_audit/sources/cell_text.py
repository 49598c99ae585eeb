"""Cell values as a person reads them in Excel: the one rendering every spreadsheet reader shares."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from typing import Any


def render(value: Any) -> str:
    """Return a cell value as a person reads it in Excel.

    >>> [render(v) for v in (13812345678.0, 12.5, 6.22202123456789e18, 1.5e-07, True, None)]
    ['13812345678', '12.5', '6222021234567890000', '0.00000015', 'TRUE', '']
    >>> render(datetime.datetime(2024, 1, 5)), render(datetime.datetime(2024, 1, 5, 10, 30))
    ('2024-01-05', '2024-01-05 10:30:00')
    """
    if value is None:
        return ""
    if isinstance(value, float):  # first: most cells that are not text are numbers
        return _render_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _render_float(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    # Shortest round-trip digits, written out without an exponent, as Excel's "0" format does.
    return format(Decimal(text), "f") if "e" in text else text
