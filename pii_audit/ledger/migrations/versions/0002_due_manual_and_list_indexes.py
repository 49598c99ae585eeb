"""Remember due dates set by a person; index items for `ledger list` filters.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-13
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_items_status_due_date": ["status", "due_date"],
    "ix_items_due_date": ["due_date"],
    "ix_items_owner": ["owner"],
    "ix_items_entity_type": ["entity_type"],
    "ix_items_status_accepted_until": ["status", "accepted_until"],
}


def upgrade() -> None:
    """Add items.due_manual (existing due dates count as defaults) and the list indexes."""
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("due_manual", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
    # The server default only fills existing rows; the model has none.
    with op.batch_alter_table("items") as batch:
        batch.alter_column("due_manual", server_default=None)
    for name, columns in INDEXES.items():
        op.create_index(name, "items", columns)


def downgrade() -> None:
    """Drop the indexes and items.due_manual."""
    for name in INDEXES:
        op.drop_index(name, table_name="items")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("due_manual")
