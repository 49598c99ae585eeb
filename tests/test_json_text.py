"""pii_audit.commands.json_text writes exactly what json.dumps(asdict(...), indent=2) wrote."""

from __future__ import annotations

import dataclasses
import datetime
import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pii_audit.commands.json_text import dumps, item_rows, iso
from pii_audit.ledger.queries import ITEM_COLUMNS, to_item_view
from pii_audit.ledger.rows import to_json
from pii_audit.views import (CoverageView, HistoryEntry, ItemView, ProblemView, Sample,
                             ScanView)

AT = datetime.datetime(2025, 3, 1, 8, 30, 5, 123456)


def reference(value) -> str:
    """The output of `--format json` before json_text: asdict, then the json module."""
    data = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else \
        [dataclasses.asdict(v) for v in value]
    return json.dumps(data, ensure_ascii=False, indent=2, default=iso)


def item(number: int, **changes) -> ItemView:
    fields = dict(
        id=f"PI-{number:06d}", target="核心系统 \"prod\"\\db", container="kh_jbxx.zjhm\t",
        entity_type="CN_RESIDENT_ID", risk_category="C2", sensitive=True, minor=False,
        status="open", owner=None, department="信息科技部", due_date=datetime.date(2025, 4, 1),
        first_seen=AT, last_seen=AT.replace(microsecond=0), occurrences=12, distinct_values=3,
        masked_occurrences=0,
        samples=(Sample("110105********002X", {"path": "日志/app.log", "line": 7, "start": 0, "end": 18}),
                 Sample("138****5678", {"url": "mysql://u:***@h/db", "table": "t", "column": "c",
                                        "row": {"id": 12, "uuid": None}, "start": 1, "end": 12}),
                 Sample("\x1b[31m%s%%", {})),
        note="línea\nsecond\u2028 \x00", approver=None, accepted_until=None, updated_at=AT,
        history=(HistoryEntry(AT, "甲", "created", None, "open", None, 1),
                 HistoryEntry(AT, "乙", "status", "open", "fixed", "备注", None)))
    fields.update(changes)
    return ItemView(**fields)


def scan() -> ScanView:
    return ScanView(1, AT, None, "auditor", ("a", "postgresql://u:***@h/db"), False, 5, 1, 0, 0, 1,
                    coverage=(CoverageView("a", "x.log", "lines", 10, 300, False, True),),
                    problems=(ProblemView("b", "b/y.xlsx", "encrypted workbook"),))


def test_views_as_before():
    views = [item(1), item(2, samples=(), history=(), owner="张伟", accepted_until=datetime.date(2026, 1, 1))]
    assert dumps(views) == reference(views)
    assert dumps(views[0]) == reference(views[0])
    assert dumps(scan()) == reference(scan())
    assert dumps(list(views[0].history)) == reference(views[0].history)
    assert dumps([]) == reference([]) == "[]"


def as_row(view: ItemView) -> tuple:
    """Return the item row (queries.ITEM_COLUMNS) a view was built from, samples as stored."""
    values = {**{f.name: getattr(view, f.name) for f in dataclasses.fields(view)},
              "id": int(view.id[3:]),
              "samples": to_json([{"masked": s.masked, "location": s.location} for s in view.samples])}
    return tuple(values[name] for name in ITEM_COLUMNS)


def test_item_rows_as_their_views():
    views = [item(1, history=()), item(2, samples=(), history=(), note=None, department=None,
                                       sensitive=False, minor=True, due_date=None, updated_at=None,
                                       accepted_until=datetime.date(2026, 1, 1), approver="李总")]
    rows = [as_row(v) for v in views]
    assert item_rows(rows) == reference([to_item_view(row) for row in rows])  # as list_items built them
    assert item_rows([]) == reference([]) == "[]"


def test_values_json_handles_itself():
    value = {"float": 1.5, "nan": float("nan"), "big": 10**30, "decimal": Decimal("1.10"),
             1: "int key", None: "none key", True: "bool key", 2.5: "float key", "empty": ({}, [], ())}
    assert dumps(value) == json.dumps(value, ensure_ascii=False, indent=2, default=iso)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5) | st.integers(), children, max_size=4),
    max_leaves=20)


@given(JSON_VALUES)
def test_any_json_value_as_the_json_module_writes_it(value):
    assert dumps(value) == json.dumps(value, ensure_ascii=False, indent=2)
