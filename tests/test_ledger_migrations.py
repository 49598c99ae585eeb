"""The schema is made by Alembic, matches the models, and ledgers of older revisions upgrade in
place, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, text

from ledger_helpers import KEY, backend_params, id_line, ledger_url, scan_lines
from pii_audit.ledger import Ledger
from pii_audit.ledger.db import HEAD, alembic_config, current_revision, make_engine, upgrade
from pii_audit.ledger.identity import item_identity, target_key
from pii_audit.ledger.schema import metadata


@pytest.fixture(params=backend_params())
def url(request):
    with ledger_url(request.param) as database_url:
        yield database_url


def insert(conn, table: str, **values) -> int:
    """Insert one row through the table as the database has it (``by`` is reserved in MySQL)."""
    return conn.execute(Table(table, MetaData(), autoload_with=conn).insert().values(**values)
                        ).inserted_primary_key[0]


def test_head_constant_is_the_newest_revision():
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def test_models_match_migrations(url):
    """What `alembic check` does: autogenerate finds nothing to change after `upgrade head`."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_ledger_of_the_first_revision_upgrades_in_place(url):
    engine = make_engine(url)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    seen = datetime.datetime(2024, 12, 1, 9, 30)
    with engine.begin() as conn:
        old_rows(conn, seen, "app.log", "app.log", "CN_MOBILE_PHONE", "in_progress",
                 '[{"masked": "138****5678", "location": {"line": 3}}]')
    engine.dispose()
    with Ledger.open(url, KEY) as ledger:
        item = ledger.item("PI-000001")
        assert (item.status, item.owner, item.due_date, item.occurrences) == (
            "in_progress", "王工", datetime.date(2024, 12, 31), 4)
        assert item.samples[0].masked == "138****5678" and item.history[0].action == "created"
        assert ledger.scans()[0].by == "old"
        # The new column says the old due date was a default, so a reopening may replace it.
        with ledger.engine.connect() as conn:
            assert conn.execute(text("SELECT due_manual FROM items")).scalar() in (False, 0)
        assert current_revision(ledger.engine) == HEAD


def old_rows(conn, seen, target, container, entity, status, samples, keyed=False, **item) -> None:
    """Write a scan, its checkpoint, one item and its history as an older release did (IDs 1).

    ``keyed``: with the key columns of revision 0003.
    """
    scan_id = insert(conn, "scans", started_at=seen, finished_at=seen, by="old",
           targets=f'["{target}"]', options="{}", occurrences=4, new_items=1, reopened_items=0,
           verified_items=0, open_items=1)
    keys = {"target_key": target_key(target)} if keyed else {}
    insert(conn, "scan_targets", scan_id=scan_id, target=target, recorded_at=seen, kind="files",
           complete=True, occurrences=4, outcome="{}", **keys)
    if keyed:
        item = {**item, **keys, "identity": item_identity(target, container, entity)}
    item_id = insert(conn, "items", target=target, container=container, entity_type=entity,
           risk_category="C2", sensitive=False, minor=False, status=status, owner="王工",
           due_date=datetime.date(2024, 12, 31), first_seen=seen, last_seen=seen, last_scan_id=scan_id,
           occurrences=4, distinct_values=2, masked_occurrences=0, samples=samples,
           updated_at=seen, **item)
    insert(conn, "history", item_id=item_id, at=seen, by="pii-audit", action="created", to_status="open")


# Longer than any TEXT prefix MySQL could index (768 utf8mb4 characters), and in Chinese.
LONG_CONTAINER = "报表/" + "客户信息明细" * 150 + ".log"
OLD_TARGET = "日志服务器:/var/log/核心系统"


def test_ledger_of_revision_0002_upgrades_and_its_items_are_found_again(url):
    engine = make_engine(url)
    upgrade(engine, "0002")
    seen = datetime.datetime(2025, 1, 2, 9, 30)
    with engine.begin() as conn:
        old_rows(conn, seen, OLD_TARGET, LONG_CONTAINER, "CN_RESIDENT_ID", "fixed",
                 '[{"masked": "110***********1234", "location": {"line": 1}}]', due_manual=True)
    engine.dispose()
    later = seen + datetime.timedelta(days=3)
    with Ledger.open(url, KEY) as ledger:
        assert current_revision(ledger.engine) == HEAD
        assert ledger.last_run(OLD_TARGET).id == 1  # the old checkpoint was keyed
        scan_id = ledger.begin_scan("new", [OLD_TARGET], {}, now=later)
        found = ledger.record_target(scan_id, scan_lines(OLD_TARGET, {LONG_CONTAINER: [id_line()]}),
                                     now=later)
        ledger.finish_scan(scan_id, now=later)
        item = ledger.item("PI-000001")  # the old item, not a new one
        assert (item.container, item.status, item.owner, item.due_date) == (
            LONG_CONTAINER, "reopened", "王工", datetime.date(2024, 12, 31))
        assert [h.action for h in item.history] == ["created", "status"]
        assert (found.reopened, found.new) == (1, 1)  # the ID reopened; the mobile number is new
        assert sorted(i.entity_type for i in ledger.items()) == ["CN_MOBILE_PHONE", "CN_RESIDENT_ID"]


# More than MySQL's TEXT holds (65,535 bytes): 30,000 characters of three UTF-8 bytes each.
LONG_NOTE = "整改说明：" + "已加密存储" * 6000
PRECISE = datetime.datetime(2025, 2, 3, 10, 20, 30, 123456)


def check_precise_and_long(ledger) -> None:
    """Times keep their microseconds and text past 64 KB is kept whole, in new rows."""
    scan_id = ledger.begin_scan("auditor", ["t" * 70_000], {"note": LONG_NOTE}, now=PRECISE)
    ledger.record_target(scan_id, scan_lines("t" * 70_000, {"app.log": [id_line(5)]}), now=PRECISE)
    ledger.finish_scan(scan_id, now=PRECISE + datetime.timedelta(microseconds=1))
    number = max(int(i.id[3:]) for i in ledger.items())
    first = PRECISE + datetime.timedelta(microseconds=10)
    second = PRECISE + datetime.timedelta(microseconds=800_000)  # the same second
    ledger.update(number, "in_progress", LONG_NOTE, "甲", now=first)
    ledger.update(number, "fixed", "done", "甲", now=second)
    scan = ledger.scan(scan_id)
    assert (scan.started_at, scan.finished_at, scan.targets) == (
        PRECISE, PRECISE + datetime.timedelta(microseconds=1), ("t" * 70_000,))
    item = ledger.item(number)
    assert (item.first_seen, item.updated_at) == (PRECISE, second)
    assert [(h.at, h.note) for h in item.history[-2:]] == [(first, LONG_NOTE), (second, "done")]


def test_new_ledger_keeps_microseconds_and_long_text(url):
    with Ledger.open(url, KEY) as ledger:
        check_precise_and_long(ledger)
        check_column_types(ledger.engine)


def test_ledger_of_revision_0003_upgrades_in_place_and_keeps_its_rows(url):
    engine = make_engine(url)
    upgrade(engine, "0003")
    seen = datetime.datetime(2025, 1, 20, 9, 30, 15)
    with engine.begin() as conn:
        old_rows(conn, seen, OLD_TARGET, "kh_jbxx.zjhm", "CN_RESIDENT_ID", "accepted_risk",
                 '[{"masked": "110***********1234", "location": {"line": 1}}]',
                 keyed=True, due_manual=False, note="旧备注" * 7_000,  # 63,000 bytes: fits TEXT
                 approver="李总", accepted_until=datetime.date(2099, 1, 1))
    engine.dispose()
    with Ledger.open(url, KEY) as ledger:
        assert current_revision(ledger.engine) == HEAD
        item = ledger.item("PI-000001")
        assert (item.status, item.owner, item.approver, item.note, item.first_seen) == (
            "accepted_risk", "王工", "李总", "旧备注" * 7_000, seen)
        assert [h.action for h in item.history] == ["created"] and ledger.scans()[0].by == "old"
        check_precise_and_long(ledger)
        check_column_types(ledger.engine)


def check_column_types(engine) -> None:
    """On MySQL/MariaDB every time column is DATETIME(6) and every text column LONGTEXT."""
    if engine.dialect.name not in ("mysql", "mariadb"):
        return
    from sqlalchemy import inspect
    from sqlalchemy.dialects import mysql

    from pii_audit.ledger.schema import LongText, Timestamp

    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        found = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            kind = found[column.name]
            if isinstance(column.type, Timestamp):
                assert isinstance(kind, mysql.DATETIME) and kind.fsp == 6, column
            elif isinstance(column.type, LongText):
                assert isinstance(kind, mysql.LONGTEXT), column
            # ...and no column of another type still drops fractions or stops at 64 KB.
            assert not isinstance(kind, mysql.DATETIME) or kind.fsp == 6, column
            assert not isinstance(kind, (mysql.TINYTEXT, mysql.TEXT, mysql.MEDIUMTEXT)), column
