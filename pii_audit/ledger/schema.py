"""The ledger's tables (SQLAlchemy Core): the model Alembic's migrations must match.

Times are naive UTC; dates (due, accepted until) are calendar dates. No column holds a raw
matched value: samples are masked, and distinct values are counted, not stored.
"""

from __future__ import annotations

from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData,
                        String, Table, Text, TypeDecorator, UniqueConstraint)

MYSQL = ("mysql", "mariadb")


# MySQL/MariaDB's own DATETIME drops the fraction of a second (history and scans of the same
# second lose their order) and its TEXT stops at 64 KB (a scan's target list, a long note), so
# there the ledger uses DATETIME(6) and LONGTEXT; revision 0004 converts older ledgers. Not
# ``DateTime().with_variant(mysql.DATETIME(fsp=6), ...)``: importing the MySQL dialect to build
# the variants took 18 ms of every `ledger list` on SQLite (of about 600).
class Timestamp(TypeDecorator):
    """A naive UTC time: DATETIME(6) on MySQL/MariaDB, DateTime elsewhere."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        """Return DATETIME(6) on MySQL/MariaDB (whose dialect is loaded then), else DateTime."""
        if dialect.name not in MYSQL:
            return DateTime()
        from sqlalchemy.dialects.mysql import DATETIME

        return DATETIME(fsp=6)


class LongText(TypeDecorator):
    """Text: LONGTEXT on MySQL/MariaDB, Text elsewhere."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        """Return LONGTEXT on MySQL/MariaDB (whose dialect is loaded then), else Text."""
        if dialect.name not in MYSQL:
            return Text()
        from sqlalchemy.dialects.mysql import LONGTEXT

        return LONGTEXT()


# Named constraints so that Alembic (and batch mode on SQLite) can find them again.
metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

meta = Table(
    "ledger_meta", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", LongText, nullable=False),
)

scans = Table(
    "scans", metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp),
    Column("by", String(200), nullable=False),
    Column("targets", LongText, nullable=False),  # JSON list, passwords hidden
    Column("options", LongText, nullable=False),  # JSON object
    Column("occurrences", Integer, nullable=False, default=0),
    Column("new_items", Integer, nullable=False, default=0),
    Column("reopened_items", Integer, nullable=False, default=0),
    Column("verified_items", Integer, nullable=False, default=0),
    Column("open_items", Integer),  # set when the scan finishes
)

# One row per target recorded in a scan: the checkpoint, committed with the target's findings.
scan_targets = Table(
    "scan_targets", metadata,
    Column("id", Integer, primary_key=True),
    Column("scan_id", Integer, ForeignKey("scans.id"), nullable=False),
    Column("target", LongText, nullable=False),
    Column("target_key", String(64), nullable=False),  # identity.target_key(target)
    Column("recorded_at", Timestamp, nullable=False),
    Column("kind", String(32), nullable=False, default=""),
    Column("complete", Boolean, nullable=False),
    Column("occurrences", Integer, nullable=False),
    Column("outcome", LongText, nullable=False),  # JSON: the RecordOutcome counts
    UniqueConstraint("scan_id", "target_key"),
)

coverage = Table(
    "coverage", metadata,
    Column("id", Integer, primary_key=True),
    Column("scan_id", Integer, ForeignKey("scans.id"), nullable=False, index=True),
    Column("target", LongText, nullable=False),
    Column("container", LongText, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("units", Integer, nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("sampled", Boolean, nullable=False),
    Column("complete", Boolean, nullable=False),
)

problems = Table(
    "problems", metadata,
    Column("id", Integer, primary_key=True),
    Column("scan_id", Integer, ForeignKey("scans.id"), nullable=False, index=True),
    Column("target", LongText, nullable=False),
    Column("location", LongText, nullable=False),
    Column("reason", LongText, nullable=False),
    Column("container", LongText),
)

items = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True),  # shown as PI-000123
    Column("target", LongText, nullable=False),
    Column("container", LongText, nullable=False),
    Column("entity_type", String(64), nullable=False),
    # Fixed-length keys (identity.py): MySQL/MariaDB cannot put TEXT columns in a unique key.
    Column("identity", String(64), nullable=False),  # of (target, container, entity_type)
    Column("target_key", String(64), nullable=False),  # of target: a scan reads its target's items
    Column("risk_category", String(4), nullable=False),
    Column("sensitive", Boolean, nullable=False),
    Column("minor", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("owner", String(200)),
    Column("department", String(200)),
    Column("due_date", Date),
    Column("due_manual", Boolean, nullable=False, default=False),  # set by a person: scans keep it
    Column("first_seen", Timestamp, nullable=False),
    Column("last_seen", Timestamp, nullable=False),
    Column("last_scan_id", Integer),
    Column("occurrences", Integer, nullable=False),
    Column("distinct_values", Integer, nullable=False),
    Column("masked_occurrences", Integer, nullable=False),
    Column("samples", LongText, nullable=False),  # JSON list of {masked, location}
    Column("note", LongText),
    Column("approver", String(200)),
    Column("accepted_until", Date),
    Column("verified_by_scan", Integer),
    Column("updated_at", Timestamp, nullable=False),
    UniqueConstraint("identity"),
    Index("ix_items_target_key", "target_key"),
    # `ledger list --overdue`, --owner and --status on 100,000 items (bench/ledger.py).
    Index("ix_items_status_due_date", "status", "due_date"),
    Index("ix_items_due_date", "due_date"),
    Index("ix_items_owner", "owner"),
    Index("ix_items_entity_type", "entity_type"),
    # The expiry check that runs before every read and scan.
    Index("ix_items_status_accepted_until", "status", "accepted_until"),
)

history = Table(
    "history", metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("at", Timestamp, nullable=False),
    Column("by", String(200), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_status", String(20)),
    Column("to_status", String(20)),
    Column("note", LongText),
    Column("scan_id", Integer),
)
