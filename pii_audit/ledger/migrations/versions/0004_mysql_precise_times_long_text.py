"""MySQL/MariaDB: times to the microsecond (DATETIME(6)) and text past 64 KB (LONGTEXT).

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-27

MySQL's DATETIME drops the fraction of a second, so history rows and scans recorded within one
second lost their order; its TEXT holds 64 KB, so a long note, target list or scan options were
refused. SQLite and PostgreSQL keep both already: nothing to do there. Widening keeps every
value; each table is altered by one statement (MySQL copies a table for each ALTER), and since
MySQL commits each one at once, a run stopped half way is simply run again.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen as of this revision: table -> (column, nullable) of its DATETIME and TEXT columns.
DATETIMES = {
    "scans": [("started_at", False), ("finished_at", True)],
    "scan_targets": [("recorded_at", False)],
    "items": [("first_seen", False), ("last_seen", False), ("updated_at", False)],
    "history": [("at", False)],
}
TEXTS = {
    "ledger_meta": [("value", False)],
    "scans": [("targets", False), ("options", False)],
    "scan_targets": [("target", False), ("outcome", False)],
    "coverage": [("target", False), ("container", False)],
    "problems": [("target", False), ("location", False), ("reason", False), ("container", True)],
    "items": [("target", False), ("container", False), ("samples", False), ("note", True)],
    "history": [("note", True)],
}


def upgrade() -> None:
    """Widen the DATETIME and TEXT columns on MySQL/MariaDB."""
    _alter({"DATETIME(6)": DATETIMES, "LONGTEXT": TEXTS})


def downgrade() -> None:
    """Narrow them again (fractions of a second are cut; text over 64 KB is refused)."""
    _alter({"DATETIME": DATETIMES, "TEXT": TEXTS})


def _alter(types: dict[str, dict[str, list[tuple[str, bool]]]]) -> None:
    bind = op.get_bind()
    if bind.dialect.name not in ("mysql", "mariadb"):
        return
    quote = bind.dialect.identifier_preparer.quote
    changes: dict[str, list[str]] = {}
    for sql_type, tables in types.items():
        for table, columns in tables.items():
            changes.setdefault(table, []).extend(
                f"MODIFY {quote(column)} {sql_type} {'NULL' if nullable else 'NOT NULL'}"
                for column, nullable in columns)
    for table, clauses in changes.items():
        op.execute(f"ALTER TABLE {quote(table)} {', '.join(clauses)}")
