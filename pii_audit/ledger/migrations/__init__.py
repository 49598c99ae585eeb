"""Alembic migrations of the ledger schema (run by ``pii_audit.ledger.db.upgrade``)."""
