"""Per-dialect settings of a scanner connection: read-only, timeouts, streaming and sampling.

Every scanner connection is read-only and bounded in time (SECURITY.md items 14-17):

* PostgreSQL: the session gets ``default_transaction_read_only``, ``statement_timeout``,
  ``lock_timeout`` and ``idle_in_transaction_session_timeout`` when it connects, and every
  transaction starts with ``SET TRANSACTION READ ONLY`` (a session default alone can be switched
  back off, measured). Results stream through a named (server-side) cursor.
* MySQL/MariaDB: ``max_execution_time`` (ms, MySQL) or ``max_statement_time`` (s, MariaDB),
  ``lock_wait_timeout`` and ``SET SESSION TRANSACTION READ ONLY`` when it connects, and
  ``START TRANSACTION READ ONLY`` for every transaction.
  Results stream through pymysql's/mysqlclient's unbuffered ``SSCursor``.
* SQLite: the file is opened with ``mode=ro`` (so a missing file is not created) and
  ``PRAGMA query_only=ON``. The sqlite3 module steps through a result lazily, so it streams.

With these drivers a table's rows are read through the driver's own streaming cursor, as plain
tuples (``stream_rows``), not through SQLAlchemy's result rows: reading the 1,000,000-row orders
table into blocks of cells took 1.70-1.79 s that way on PostgreSQL and 1.76 s on SQLite, 1.08-1.11
and 1.19 s this way (bench/databases.py). Values come as the driver gives them: a JSON column of
SQLite or MySQL is its stored text, which the detector reads with its \\uXXXX escapes.

Other dialects get what SQLAlchemy gives them: a connect timeout is passed where the driver is
known, and nothing else is promised.
"""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Callable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import NullPool

from pii_audit.sources import legacy_text

# Waiting for a lock a writer holds only queues the writers behind us: give up early.
LOCK_TIMEOUT_S = 5
# Extra time a MySQL read may take beyond the statement timeout before the socket gives up.
READ_TIMEOUT_MARGIN_S = 30
APPLICATION_NAME = "pii-audit"
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast", "mysql",
                            "performance_schema", "sys"})
LIBPQ_DRIVERS = frozenset({"psycopg", "psycopg2", "psycopg2cffi"})
MYSQL_DRIVERS = frozenset({"pymysql", "mysqldb"})


def is_system_schema(name: str) -> bool:
    """Tell whether a schema belongs to the database server itself, not to an application."""
    lowered = name.lower()
    return lowered in SYSTEM_SCHEMAS or lowered.startswith("pg_")


def readonly_url(url: URL) -> URL:
    """Return the URL to connect with: a SQLite file is opened read-only through a ``file:`` URI."""
    if url.get_backend_name() != "sqlite":
        return url
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("uri") == "true":
        return url
    path = urllib.parse.quote(database)
    return url.set(database=f"file:{path}?mode=ro", query={**url.query, "uri": "true"})


def connect_args(url: URL, connect_timeout: int, statement_timeout: int) -> dict:
    """Return the driver arguments that bound connecting (and, for MySQL, reading) in time."""
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "postgresql" and driver in LIBPQ_DRIVERS:
        args = {"connect_timeout": max(2, connect_timeout)}  # libpq's minimum is 2 s
        if "application_name" not in url.query:
            args["application_name"] = APPLICATION_NAME
        return args
    if backend in ("mysql", "mariadb") and driver in MYSQL_DRIVERS:
        # The server greeting is read with read_timeout, not connect_timeout (pymysql).
        return {"connect_timeout": connect_timeout,
                "read_timeout": statement_timeout + READ_TIMEOUT_MARGIN_S}
    if backend == "sqlite":
        return {"timeout": connect_timeout}  # how long to wait for a writer's lock
    return {}


def create_engine(url: URL, connect_timeout: int, statement_timeout: int) -> Engine:
    """Return an engine whose every connection is read-only and bounded in time."""
    engine = sa.create_engine(
        readonly_url(url),
        hide_parameters=True,  # bound values never reach an exception message (SECURITY.md 4)
        poolclass=NullPool,  # nothing stays connected after the scan
        connect_args=connect_args(url, connect_timeout, statement_timeout),
    )
    backend = url.get_backend_name()
    if backend == "postgresql":
        _install_postgresql(engine, statement_timeout)
    elif backend in ("mysql", "mariadb"):
        _install_mysql(engine, statement_timeout)
    elif backend == "sqlite":
        _install_sqlite(engine)
    return engine


def _install_postgresql(engine: Engine, statement_timeout: int) -> None:
    settings = {
        "default_transaction_read_only": "on",
        "statement_timeout": f"{statement_timeout}s",
        "lock_timeout": f"{min(LOCK_TIMEOUT_S, statement_timeout)}s",
        # A scanner paused between fetches must not hold its snapshot (and block DDL) for long.
        "idle_in_transaction_session_timeout": f"{statement_timeout}s",
    }

    @event.listens_for(engine, "connect")
    def _session(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        for name, value in settings.items():
            cursor.execute(f"SET SESSION {name} = '{value}'")  # constants, no user input
        cursor.close()
        dbapi_connection.commit()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        _run(connection, "SET TRANSACTION READ ONLY")


def _install_mysql(engine: Engine, statement_timeout: int) -> None:
    @event.listens_for(engine, "connect")
    def _session(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT VERSION()")
        if "mariadb" in str(cursor.fetchone()[0]).lower():
            cursor.execute(f"SET SESSION max_statement_time = {int(statement_timeout)}")  # seconds
            cursor.execute(f"SET SESSION idle_readonly_transaction_timeout = {int(statement_timeout)}")
        else:
            cursor.execute(f"SET SESSION max_execution_time = {int(statement_timeout) * 1000}")  # ms
        cursor.execute(f"SET SESSION lock_wait_timeout = {min(LOCK_TIMEOUT_S, int(statement_timeout))}")
        # DDL commits the open transaction and runs outside it, so START TRANSACTION READ ONLY
        # alone lets CREATE TABLE through (measured on MariaDB 10.11); the session mode does not.
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        _run(connection, "START TRANSACTION READ ONLY")


def _run(connection: sa.Connection, statement: str) -> None:
    """Run a statement on the plain DBAPI cursor: the connection's own options may ask for a
    server-side cursor, which PostgreSQL refuses for anything but a query."""
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _install_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _session(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA query_only = ON")


def stream_rows(connection: sa.Connection, statement: sa.Select, size: int | Callable[[], int]
                ) -> Iterator[Sequence[Sequence]]:
    """Yield the rows of a query, at most ``size`` at a time (or as many as ``size()`` says before
    each fetch), streamed and read-only: with the drivers named above, plain tuples from the
    driver's streaming cursor on the connection's own read-only transaction; with others,
    SQLAlchemy's rows. A driver's error is raised as SQLAlchemy's ``DBAPIError``, and a lost
    connection invalidated, as SQLAlchemy would."""
    next_size = size if callable(size) else lambda: size
    if not connection.in_transaction():
        connection.begin()  # the "begin" listeners make the transaction read-only
    cursor = _streaming_cursor(connection)
    if cursor is None:
        result = connection.execution_options(stream_results=True).execute(statement)
        try:
            while rows := result.fetchmany(next_size()):
                yield rows
        finally:
            result.close()
        return
    # The only bound values are numbers the scan chose (LIMIT, TABLESAMPLE's percentage and seed)
    # and identifiers are quoted by the dialect's compiler: rendered inline, no paramstyle to follow.
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    done = 0  # rows yielded
    try:
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(next_size()):
                yield rows
                done += len(rows)
        finally:
            _close(cursor)
    except connection.dialect.loaded_dbapi.Error as error:
        if connection.dialect.driver == "pysqlite" and _NOT_UTF8 in str(error):
            yield from _sqlite_legacy_rows(connection.connection.driver_connection, sql, next_size, done)
            return
        raise _sqlalchemy_error(connection, error, sql) from None


# sqlite3 stops reading a whole result at a TEXT value that is not UTF-8 (a legacy system's GBK
# bytes), with this error, which quotes the value: a table's every row was lost to one of them.
_NOT_UTF8 = "Could not decode to UTF-8"


def _sqlite_legacy_rows(dbapi_connection, sql: str, size: Callable[[], int], done: int
                        ) -> Iterator[Sequence[Sequence]]:
    """Yield the rows of ``sql`` after the first ``done``, each TEXT value decoded as a log file is
    (UTF-8, else GB18030, else with replacement). Only a table holding such a value pays for it:
    a Python text factory costs 0.1 µs a value (measured), a tenth of the fetch."""
    previous, dbapi_connection.text_factory = dbapi_connection.text_factory, legacy_text
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql)
        while done > 0 and (skipped := cursor.fetchmany(min(done, size()))):  # yielded before
            done -= len(skipped)
        while rows := cursor.fetchmany(size()):
            yield rows
    finally:
        cursor.close()
        dbapi_connection.text_factory = previous


def _streaming_cursor(connection: sa.Connection):
    """Return a streaming DBAPI cursor on the connection, or None for a driver not known here."""
    driver = connection.dialect.driver
    dbapi_connection = connection.connection.driver_connection
    if connection.dialect.name == "postgresql" and driver in LIBPQ_DRIVERS:
        return dbapi_connection.cursor(name="pii_audit_rows")  # a named cursor: server-side
    if driver == "pymysql":
        from pymysql.cursors import SSCursor

        return dbapi_connection.cursor(SSCursor)
    if driver == "mysqldb":
        from MySQLdb.cursors import SSCursor

        return dbapi_connection.cursor(SSCursor)
    if driver == "pysqlite":
        return dbapi_connection.cursor()
    return None


def _close(cursor) -> None:
    """Close a streaming cursor, whose connection may be gone."""
    try:
        cursor.close()
    except Exception:  # noqa: BLE001 -- as SQLAlchemy's own _safe_close_cursor
        # Closing fails in each driver's way once the connection is lost, and the error being
        # raised says what happened. pymysql's unbuffered cursor reads the rest of its result
        # from the socket it no longer has (AttributeError), and would again when collected,
        # printing "Exception ignored" tracebacks: what is left of the result is dropped unread.
        result = getattr(cursor, "_result", None)
        if result is not None and hasattr(result, "unbuffered_active"):
            result.unbuffered_active = False
            cursor.connection = None


def _sqlalchemy_error(connection: sa.Connection, error: Exception, sql: str) -> exc.DBAPIError:
    """Return a driver's error as SQLAlchemy raises it, invalidating a connection found lost."""
    lost = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, None)
    if lost:
        connection.invalidate(error)
    return exc.DBAPIError.instance(sql, None, error, connection.dialect.loaded_dbapi.Error,
                                   hide_parameters=True, connection_invalidated=lost,
                                   dialect=connection.dialect)


def streams(dialect: sa.engine.Dialect) -> bool:
    """Tell whether ``stream_results`` really streams on this dialect (SQLAlchemy may ignore it)."""
    return dialect.name == "sqlite" or bool(dialect.supports_server_side_cursors)


def partitions(connection: sa.Connection) -> set[tuple[str, str]]:
    """Return (schema, name) of every partition of a partitioned table (PostgreSQL's declarative
    partitions; none elsewhere: MySQL's and MariaDB's partitions are no tables of their own)."""
    if connection.dialect.name != "postgresql":
        return set()
    found = connection.exec_driver_sql(
        "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relispartition")
    return {(schema, name) for schema, name in found}


# MySQL's and MariaDB's "Table ... doesn't exist": an account hears it only where it may read
# the whole schema; elsewhere a missing table is "SELECT command denied" (1142), as a hidden one is.
_NO_SUCH_TABLE = 1146


def lists_every_table(connection: sa.Connection, schema: str) -> bool:
    """Tell whether the database lists every table and column of ``schema`` to this account, so that
    one missing from its list was dropped, not hidden.

    PostgreSQL's catalogue and SQLite list every one. MySQL and MariaDB leave out a table the
    account holds no privilege on (measured on MariaDB 10.11: a table whose grant is revoked
    vanishes from SHOW TABLES), unless it may read the whole schema (``GRANT SELECT ON core.*``,
    or on ``*.*``, directly or by a role): asked for a table that cannot exist, only such an account
    hears that it does not exist. Other dialects' catalogues (Oracle's ALL_TABLES, SQL Server's)
    hide what the account may not see, and are not probed: False."""
    name = connection.dialect.name
    if name in ("postgresql", "sqlite"):
        return True
    if name not in ("mysql", "mariadb"):
        return False
    missing = sa.table(f"pii_audit_no_such_table_{uuid.uuid4().hex}", schema=schema)
    try:
        connection.execute(sa.select(sa.literal_column("1")).select_from(missing).limit(0))
    except exc.DBAPIError as error:
        return _error_code(error) == _NO_SUCH_TABLE
    return False  # a table of that name is there after all: the probe tells nothing


def _error_code(error: exc.DBAPIError) -> int | None:
    """Return a MySQL driver error's number: pymysql's and mysqlclient's first argument,
    mysql-connector's ``errno``."""
    original = error.orig
    code = getattr(original, "errno", None)
    if code is None and original.args and isinstance(original.args[0], int):
        code = original.args[0]
    return code


def estimated_rows(connection: sa.Connection, tables: Sequence[tuple[str | None, str]]
                   ) -> dict[tuple[str | None, str], int]:
    """Return what the database estimates each of ``tables`` (schema, name) holds, where it can
    say cheaply: PostgreSQL's planner statistics (``pg_class.reltuples``; a partitioned table's are
    its leaf partitions'), MySQL's and MariaDB's
    ``information_schema.TABLES.TABLE_ROWS``, SQLite's largest rowid. Tables it cannot estimate
    (never analysed, WITHOUT ROWID, other dialects) are left out. For the progress status only:
    nothing is counted, so a billion-row table costs one catalogue read."""
    name = connection.dialect.name
    if name == "postgresql":
        # A partitioned table stores nothing itself: its estimate is its leaf partitions' (PG 12+).
        query = sa.text("SELECT n.nspname, c.relname, CASE WHEN c.relkind = 'p' THEN "
                        "(SELECT coalesce(sum(greatest(p.reltuples, 0)), 0) "
                        "FROM pg_catalog.pg_partition_tree(c.oid) t JOIN pg_catalog.pg_class p ON p.oid = t.relid "
                        "WHERE t.isleaf) ELSE c.reltuples END "
                        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname IN :schemas AND c.relkind IN ('r', 'p', 'm')")
    elif name in ("mysql", "mariadb"):
        query = sa.text("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "
                        "WHERE TABLE_SCHEMA IN :schemas AND TABLE_ROWS IS NOT NULL")
    elif name == "sqlite":
        return {table: rows for table in tables if (rows := _largest_rowid(connection, *table)) is not None}
    else:
        return {}
    wanted = set(tables)
    schemas = sorted({schema for schema, _ in tables if schema is not None})
    if not schemas:
        return {}
    query = query.bindparams(sa.bindparam("schemas", expanding=True))
    found = connection.execute(query, {"schemas": schemas})
    # PostgreSQL's -1: never analysed, unknown.
    return {(schema, table): int(rows) for schema, table, rows in found if (schema, table) in wanted and rows >= 0}


def _largest_rowid(connection: sa.Connection, schema: str | None, name: str) -> int | None:
    """Return a SQLite table's largest rowid (its rows, unless some were deleted), None for a
    WITHOUT ROWID table."""
    statement = sa.select(sa.func.max(sa.literal_column("_rowid_"))).select_from(sa.table(name, schema=schema))
    try:
        return connection.execute(statement).scalar() or 0
    except exc.OperationalError:  # no such column: a WITHOUT ROWID table
        return None
