"""The schema is made by Alembic, matches the models, and a ledger of the first release upgrades."""

from __future__ import annotations

import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from conftest import server_url
from ledger_helpers import KEY, fast_dir, postgres_database
from pii_audit.ledger import Ledger
from pii_audit.ledger.db import HEAD, alembic_config, current_revision, make_engine, upgrade
from pii_audit.ledger.schema import metadata


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)])
def url(request):
    if request.param == "sqlite":
        with fast_dir() as path:
            yield f"sqlite:///{path}/ledger.db"
        return
    with postgres_database(server_url("PII_AUDIT_TEST_POSTGRES_URL")) as pg_url:
        yield pg_url


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
        conn.execute(text(
            "INSERT INTO scans (id, started_at, finished_at, by, targets, options, occurrences, "
            "new_items, reopened_items, verified_items, open_items) VALUES "
            "(1, :t, :t, 'old', '[\"app.log\"]', '{}', 4, 1, 0, 0, 1)"), {"t": seen})
        conn.execute(text(
            "INSERT INTO items (id, target, container, entity_type, risk_category, sensitive, minor, "
            "status, owner, due_date, first_seen, last_seen, last_scan_id, occurrences, "
            "distinct_values, masked_occurrences, samples, updated_at) VALUES (1, 'app.log', "
            "'app.log', 'CN_MOBILE_PHONE', 'C2', false, false, 'in_progress', '王工', :d, :t, :t, 1, "
            "4, 2, 0, '[{\"masked\": \"138****5678\", \"location\": {\"line\": 3}}]', :t)"),
            {"t": seen, "d": datetime.date(2024, 12, 31)})
        conn.execute(text("INSERT INTO history (item_id, at, by, action, to_status) "
                          "VALUES (1, :t, 'pii-audit', 'created', 'open')"), {"t": seen})
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
