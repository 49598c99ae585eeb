"""Key items and checkpoints by fixed-length digests instead of TEXT columns (MySQL/MariaDB).

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-20

items.identity = SHA-256 of (target, container, entity_type), unique, replaces the unique key
over the three TEXT columns; items.target_key (indexed) and scan_targets.target_key = SHA-256 of
the target, unique with scan_id, replace the lookups by TEXT target. Existing rows are keyed in
place, so every item keeps its ID, status and history. See pii_audit/ledger/identity.py.
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KEY = sa.String(64)
BATCH = 1000


# Frozen copies of pii_audit.ledger.identity as of this revision: the rows keyed here must
# match the keys the code computes (tests/test_ledger_migrations.py rescans an upgraded ledger).
def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _identity(target: str, container: str, entity_type: str) -> str:
    return _digest(json.dumps([target, container, entity_type], ensure_ascii=False,
                              separators=(",", ":")))


def upgrade() -> None:
    """Add and fill the key columns, then swap the unique keys."""
    mysql = op.get_bind().dialect.name == "mysql"
    _add_missing("items", ["identity", "target_key"])
    _add_missing("scan_targets", ["target_key"])
    _fill("items", lambda row: {"identity": _identity(row.target, row.container, row.entity_type),
                                "target_key": _digest(row.target)})
    _fill("scan_targets", lambda row: {"target_key": _digest(row.target)})
    with op.batch_alter_table("items") as batch:
        for name in ("identity", "target_key"):
            batch.alter_column(name, existing_type=KEY, nullable=False)
        if not mysql:  # 0001 made no TEXT unique key there
            batch.drop_constraint("uq_items_target_container_entity_type", type_="unique")
        batch.create_unique_constraint("uq_items_identity", ["identity"])
        batch.create_index("ix_items_target_key", ["target_key"])
    with op.batch_alter_table("scan_targets") as batch:
        batch.alter_column("target_key", existing_type=KEY, nullable=False)
        if not mysql:
            batch.drop_constraint("uq_scan_targets_scan_id_target", type_="unique")
        batch.create_unique_constraint("uq_scan_targets_scan_id_target_key", ["scan_id", "target_key"])


def _add_missing(table: str, columns: list[str]) -> None:
    # MySQL commits each ALTER at once: a rerun after a failure finds some columns there already.
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}
    missing = [name for name in columns if name not in present]
    if missing:
        with op.batch_alter_table(table) as batch:
            for name in missing:
                batch.add_column(sa.Column(name, KEY, nullable=True))


def _fill(table: str, keys) -> None:
    """Key every row of ``table`` with ``keys(row)``, a batch of rows at a time."""
    bind = op.get_bind()
    meta = sa.MetaData()
    rows = sa.Table(table, meta, autoload_with=bind)
    update = rows.update().where(rows.c.id == sa.bindparam("row_id"))
    last = 0
    while True:
        batch = bind.execute(sa.select(rows).where(rows.c.id > last).order_by(rows.c.id)
                             .limit(BATCH)).all()
        if not batch:
            return
        bind.execute(update, [{"row_id": row.id, **keys(row)} for row in batch])
        last = batch[-1].id


def downgrade() -> None:
    """Restore the TEXT unique keys (not on MySQL) and drop the key columns."""
    mysql = op.get_bind().dialect.name == "mysql"
    with op.batch_alter_table("scan_targets") as batch:
        batch.drop_constraint("uq_scan_targets_scan_id_target_key", type_="unique")
        if not mysql:
            batch.create_unique_constraint("uq_scan_targets_scan_id_target", ["scan_id", "target"])
        batch.drop_column("target_key")
    with op.batch_alter_table("items") as batch:
        batch.drop_constraint("uq_items_identity", type_="unique")
        batch.drop_index("ix_items_target_key")
        if not mysql:
            batch.create_unique_constraint("uq_items_target_container_entity_type",
                                           ["target", "container", "entity_type"])
        batch.drop_column("identity")
        batch.drop_column("target_key")
