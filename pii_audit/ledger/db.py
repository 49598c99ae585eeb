"""Connect to a ledger database safely and bring its schema up to date with Alembic.

SQLite (the default) runs in WAL mode with a busy timeout, and every write transaction starts
with ``BEGIN IMMEDIATE`` (SECURITY.md item 20): deferred transactions that upgrade to a write
lock fail under contention even with a busy timeout (measured: 200 of 240). Every engine hides
bound parameters from error messages (item 4), and a new SQLite file is created 0600 (item 5).
PostgreSQL serialises with transaction-scoped advisory locks; MySQL/MariaDB, which has none,
with ``GET_LOCK`` named locks held around the transaction (``named_lock``).
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager, nullcontext
from importlib import resources
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from pii_audit.errors import LedgerError
from pii_audit.ledger.schema import MYSQL

# The newest revision in migrations/versions (a test checks it): a ledger already there opens
# without importing Alembic, which costs as much as the rest of `ledger list`.
HEAD = "0004"
DEFAULT_FILE = "pii-audit-ledger.db"
BUSY_TIMEOUT_MS = 30_000
MIGRATE_LOCK = 0x7069692D61756474  # PostgreSQL advisory lock key held while migrating
LOCK_TIMEOUT_S = 300  # MySQL GET_LOCK: as patient as PostgreSQL's lock, within reason
READ_OPTION = "pii_audit_read"  # execution option: a read-only transaction (plain BEGIN on SQLite)


def resolve_url(url: str | None) -> str:
    """Return the ledger URL: the argument, or the SQLite file in the working directory."""
    return url or f"sqlite:///{DEFAULT_FILE}"


def sqlite_path(url: str) -> Path | None:
    """Return the file of a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_private_file(path: Path) -> None:
    """Create an empty file readable by its owner only, unless it exists already."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as error:
        raise LedgerError(f"cannot create ledger file {path}: {error.strerror}") from None


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event, not the driver, open transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # Foreign keys stay unenforced on SQLite (its default): batch migrations rebuild a table
        # by copy, drop and rename, which enforcement would refuse; PostgreSQL enforces them.
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        read = connection.get_execution_options().get(READ_OPTION)
        connection.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")


def make_engine(url: str, create: bool = True) -> Engine:
    """Return an engine for a ledger URL; a missing SQLite file is created 0600 when ``create``."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise LedgerError(f"not a database URL: {url!r}") from None
    path = sqlite_path(url)
    if path is not None:
        if not path.exists() and not create:
            raise LedgerError(f"no ledger at {path}; run 'pii-audit scan' first or pass --ledger URL")
        create_private_file(path)
    try:
        engine = create_engine(parsed, hide_parameters=True, pool_pre_ping=True)
    except (ArgumentError, ImportError) as error:
        raise LedgerError(f"cannot use ledger URL {display_url(url)}: {error}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
    return engine


def display_url(url: str) -> str:
    """Return a URL with its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<not a URL>"


def alembic_config():
    """Return an Alembic configuration pointing at the shipped migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("pii_audit.ledger.migrations")))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create the schema or migrate it to ``revision``, in one transaction."""
    try:
        if revision == "head" and current_revision(engine) == HEAD:
            return
        from alembic import command

        # Two first runs at once: one migrates, the other then finds the schema up to date.
        # (MySQL commits each DDL statement itself: a failed migration is resumed, not undone.)
        with engine.connect() as connection, _mysql_lock(connection, "migrate"):
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": MIGRATE_LOCK})
                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
    except SQLAlchemyError as error:
        raise LedgerError(f"cannot prepare the ledger schema at {display_url(str(engine.url))}: "
                          f"{one_line(error)}") from None


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision a ledger database is at, or None when it has none."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def one_line(error: SQLAlchemyError) -> str:
    """Return the database's own message for an error: one line, no SQL, no parameters."""
    original = getattr(error, "orig", None) or error
    text_ = str(original).strip().splitlines()
    return text_[0] if text_ else type(original).__name__


def _mysql_lock(connection: Connection, name: str):
    return named_lock(connection, name) if connection.dialect.name in MYSQL else nullcontext()


def lock_name(database: str | None, name: str) -> str:
    """Return the server-wide GET_LOCK name of lock ``name`` in a ledger ``database``."""
    digest = hashlib.sha256(f"{database}\0{name}".encode("utf-8", "surrogatepass"))
    return f"pii_audit_{digest.hexdigest()[:48]}"  # GET_LOCK names stop at 64 characters


@contextmanager
def named_lock(connection: Connection, name: str, timeout: int = LOCK_TIMEOUT_S):
    """Hold a MySQL/MariaDB named lock of this ledger database while the block runs.

    Call it outside a transaction: the block's transaction then starts (and takes its
    REPEATABLE READ snapshot) only once the lock is held. GET_LOCK names are server-wide, so the
    database's name is part of the lock's; a killed process's connection releases it.
    """
    lock = lock_name(connection.engine.url.database, name)
    got = connection.execute(text("SELECT GET_LOCK(:name, :timeout)"),
                             {"name": lock, "timeout": timeout}).scalar()
    connection.commit()
    if got != 1:
        raise LedgerError(f"another pii-audit held the ledger lock for {timeout} s; try again later")
    try:
        yield
    finally:
        try:
            connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": lock})
            connection.commit()
        except SQLAlchemyError:  # a lost connection has released the lock already
            pass
