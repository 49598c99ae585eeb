"""The first ledger schema: scans, coverage, problems, items and their history.

Revision ID: 0001
Revises:
Create Date: 2025-01-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# MySQL/MariaDB (never supported by this release, so no such ledger exists): tables in utf8mb4
# whatever the server's default, and without the unique keys over TEXT columns, which MySQL
# cannot index; revision 0003 adds fixed-length keys in their place on every database.
MYSQL = {"mysql_charset": "utf8mb4"}


def _text_unique(*columns: str, name: str) -> tuple:
    return () if op.get_bind().dialect.name == "mysql" else (sa.UniqueConstraint(*columns, name=name),)


def upgrade() -> None:
    """Create the tables of the first release."""
    op.create_table("ledger_meta", sa.Column("name", sa.String(64), nullable=False),
                    sa.Column("value", sa.Text, nullable=False),
                    sa.PrimaryKeyConstraint("name", name="pk_ledger_meta"), **MYSQL)
    op.create_table(
        "scans", sa.Column("id", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False), sa.Column("finished_at", sa.DateTime),
        sa.Column("by", sa.String(200), nullable=False), sa.Column("targets", sa.Text, nullable=False),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("occurrences", sa.Integer, nullable=False),
        sa.Column("new_items", sa.Integer, nullable=False),
        sa.Column("reopened_items", sa.Integer, nullable=False),
        sa.Column("verified_items", sa.Integer, nullable=False),
        sa.Column("open_items", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_scans"), **MYSQL)
    op.create_table(
        "scan_targets", sa.Column("id", sa.Integer, nullable=False),
        sa.Column("scan_id", sa.Integer, nullable=False), sa.Column("target", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False), sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("occurrences", sa.Integer, nullable=False), sa.Column("outcome", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name="fk_scan_targets_scan_id_scans"),
        sa.PrimaryKeyConstraint("id", name="pk_scan_targets"),
        *_text_unique("scan_id", "target", name="uq_scan_targets_scan_id_target"), **MYSQL)
    op.create_table(
        "coverage", sa.Column("id", sa.Integer, nullable=False),
        sa.Column("scan_id", sa.Integer, nullable=False), sa.Column("target", sa.Text, nullable=False),
        sa.Column("container", sa.Text, nullable=False), sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("units", sa.Integer, nullable=False), sa.Column("bytes", sa.Integer, nullable=False),
        sa.Column("sampled", sa.Boolean, nullable=False), sa.Column("complete", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name="fk_coverage_scan_id_scans"),
        sa.PrimaryKeyConstraint("id", name="pk_coverage"), **MYSQL)
    op.create_index("ix_coverage_scan_id", "coverage", ["scan_id"])
    op.create_table(
        "problems", sa.Column("id", sa.Integer, nullable=False),
        sa.Column("scan_id", sa.Integer, nullable=False), sa.Column("target", sa.Text, nullable=False),
        sa.Column("location", sa.Text, nullable=False), sa.Column("reason", sa.Text, nullable=False),
        sa.Column("container", sa.Text),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name="fk_problems_scan_id_scans"),
        sa.PrimaryKeyConstraint("id", name="pk_problems"), **MYSQL)
    op.create_index("ix_problems_scan_id", "problems", ["scan_id"])
    _create_items()
    op.create_table(
        "history", sa.Column("id", sa.Integer, nullable=False),
        sa.Column("item_id", sa.Integer, nullable=False), sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("by", sa.String(200), nullable=False), sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(20)), sa.Column("to_status", sa.String(20)),
        sa.Column("note", sa.Text), sa.Column("scan_id", sa.Integer),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name="fk_history_item_id_items"),
        sa.PrimaryKeyConstraint("id", name="pk_history"), **MYSQL)
    op.create_index("ix_history_item_id", "history", ["item_id"])


def _create_items() -> None:
    op.create_table(
        "items", sa.Column("id", sa.Integer, nullable=False),
        sa.Column("target", sa.Text, nullable=False), sa.Column("container", sa.Text, nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("risk_category", sa.String(4), nullable=False),
        sa.Column("sensitive", sa.Boolean, nullable=False), sa.Column("minor", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(200)), sa.Column("department", sa.String(200)),
        sa.Column("due_date", sa.Date),
        sa.Column("first_seen", sa.DateTime, nullable=False), sa.Column("last_seen", sa.DateTime, nullable=False),
        sa.Column("last_scan_id", sa.Integer),
        sa.Column("occurrences", sa.Integer, nullable=False),
        sa.Column("distinct_values", sa.Integer, nullable=False),
        sa.Column("masked_occurrences", sa.Integer, nullable=False),
        sa.Column("samples", sa.Text, nullable=False), sa.Column("note", sa.Text),
        sa.Column("approver", sa.String(200)), sa.Column("accepted_until", sa.Date),
        sa.Column("verified_by_scan", sa.Integer), sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_items"),
        *_text_unique("target", "container", "entity_type",
                      name="uq_items_target_container_entity_type"), **MYSQL)


def downgrade() -> None:
    """Drop every table."""
    for table in ("history", "items", "problems", "coverage", "scan_targets", "scans", "ledger_meta"):
        op.drop_table(table)
