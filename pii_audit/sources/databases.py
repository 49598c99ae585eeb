"""Read a database target: connect read-only, list the tables to scan, read them one by one.

The per-dialect connection settings live in ``dialects``, the reading of one table (columns
scanned, sampling, row keys) in ``db_tables``. A table that cannot be read is recorded as a
problem and the scan goes on; a dropped connection is re-opened once per table.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from pii_audit.errors import ConfigError, SourceError
from pii_audit.models import Cells
from pii_audit.sources import Listing, ScanOptions, TargetCoverage, dialects
from pii_audit.sources.db_tables import TableRef, scan_table

PASSWORD_ENV = "PII_AUDIT_DB_PASSWORD"
PASSWORD_FILE_ENV = "PII_AUDIT_DB_PASSWORD_FILE"


def resolve_password(url: str | URL, password: str | None = None,
                     environ: dict | None = None) -> tuple[URL, str | None]:
    """Return the URL with its password filled in, and a warning when the URL itself held one.

    The password comes from ``password`` (``options.password``), else ``$PII_AUDIT_DB_PASSWORD``,
    else the file named by ``$PII_AUDIT_DB_PASSWORD_FILE``, which must not be readable by others.
    """
    parsed = parse_url(url)
    if parsed.password is not None:
        return parsed, (f"the database URL {parsed.render_as_string(hide_password=True)} holds a "
                        f"password, which other local users can read from the process list; "
                        f"set ${PASSWORD_ENV} or ${PASSWORD_FILE_ENV} (a file of mode 0600) instead")
    environ = os.environ if environ is None else environ
    password = password or environ.get(PASSWORD_ENV) or _password_from_file(environ.get(PASSWORD_FILE_ENV))
    return (parsed.set(password=password) if password else parsed), None


def _password_from_file(path: str | None) -> str | None:
    if not path:
        return None
    try:
        mode = os.stat(path).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(f"password file {path} is readable by others; run: chmod 600 {path}")
        with open(path, encoding="utf-8") as handle:
            return handle.read().rstrip("\r\n") or None
    except OSError as error:
        raise ConfigError(f"cannot read password file {path}: {error.strerror}") from None


def parse_url(url: str | URL) -> URL:
    """Return the parsed SQLAlchemy URL, or raise ``SourceError`` saying it is not one."""
    try:
        return make_url(url)
    except exc.ArgumentError:
        # The message of ArgumentError repeats the URL, password included: say less.
        raise SourceError("not a database URL (expected dialect[+driver]://user@host/database)") from None


def read_database(url: str | URL, options: ScanOptions, coverage: TargetCoverage) -> Iterator[Cells]:
    """Yield the cells that could hold personal information, from every visible table, as blocks
    of ``Cells``."""
    parsed, _ = resolve_password(url, options.password)
    shown = parsed.render_as_string(hide_password=True)
    try:
        engine = dialects.create_engine(parsed, options.connect_timeout, options.statement_timeout)
    except (exc.ArgumentError, exc.NoSuchModuleError, ImportError) as error:
        raise SourceError(f"cannot use this database URL: {one_line(error)}") from None
    try:
        connection = _connect(engine)
        try:
            tables = list_tables(connection, options, coverage, shown)
            connection.rollback()
        except exc.DBAPIError as error:
            raise SourceError(f"cannot list tables: {one_line(error)}") from None
        coverage.rows_expected = expected_rows(connection, tables, options.sample_rows)
        if not dialects.streams(engine.dialect):
            coverage.problem(shown, f"the {engine.dialect.name} driver cannot stream results; "
                             "large tables are read into memory")
        yield from _scan_tables(engine, connection, tables, options, coverage, shown)
    finally:
        engine.dispose()


def _connect(engine: Engine) -> Connection:
    try:
        return engine.connect()
    except exc.DBAPIError as error:
        raise SourceError(f"cannot connect: {one_line(error)}") from None


def list_tables(connection: Connection, options: ScanOptions, coverage: TargetCoverage,
                shown_url: str) -> list[TableRef]:
    """Return the tables to scan: in the named (or every visible) schema, filtered by the globs.

    With them, materialized views (they store a copy of what they select: a reporting view of
    customers holds their ID numbers); but not a partition of a partitioned table, whose rows are
    read through that table (``dialects.partitions``): each was read twice, found twice.

    A full scan also records in ``coverage.databases`` every table listed, before the globs
    (``_list_schema``)."""
    inspector = sa.inspect(connection)
    sqlite = connection.dialect.name == "sqlite"
    visible = inspector.get_schema_names()
    schemas = list(options.schemas) or [s for s in visible if not dialects.is_system_schema(s)]
    partitions = dialects.partitions(connection)
    # Only a full scan may verify a dropped table or column, as only it verifies anything
    # (README: a sampled scan never verifies): its listing is as complete when sampling, but
    # a sampled scan is not the proof an auditor asks for.
    listing = Listing() if options.full else None
    tables = []
    for schema in schemas:
        if schema not in visible:
            coverage.problem(shown_url, f"schema {schema!r} does not exist or is not visible")
            continue
        names = set(inspector.get_table_names(schema=schema)) | _materialized_views(inspector, schema)
        local = sqlite and schema == "main"
        if listing is not None:
            _list_schema(connection, schema, "" if local else f"{schema}.", names, listing)
        for name in sorted(names - {table for owner, table in partitions if owner == schema}):
            table = TableRef(None if local else schema, name, name if local else f"{schema}.{name}")
            if _selected(f"{schema}.{name}", table.shown, options):
                tables.append(table)
    if listing is not None:
        coverage.databases[shown_url] = listing
    return tables


def _list_schema(connection: Connection, schema: str, prefix: str, names: set[str], listing: Listing) -> None:
    """Record a schema's tables (``prefix`` + name, as shown; their columns come as each is read)
    in ``listing``, if the database lists every one of them to this account: where it may hide one
    (MariaDB, a table the account may not read), a table missing from its list proves nothing."""
    if not dialects.lists_every_table(connection, schema):
        return
    listing.add_schema(prefix, names)


def expected_rows(connection: Connection, tables: list[TableRef], sample_rows: int | None) -> int | None:
    """Return about how many rows the scan of ``tables`` will read (each table's estimate, at most
    ``sample_rows`` of it), for the progress status; None when the database estimates none of
    them. A failure here costs the status its estimate, never the scan a table."""
    try:
        estimates = dialects.estimated_rows(connection, [(t.schema, t.name) for t in tables])
    except exc.DBAPIError:
        estimates = {}
    finally:
        connection.rollback()  # PostgreSQL aborts a transaction at a failed statement
    if not estimates:
        return None
    return sum(min(rows, sample_rows or rows) for rows in estimates.values())


def _materialized_views(inspector: sa.Inspector, schema: str) -> set[str]:
    """Return the materialized views of a schema (none where the dialect has no such thing)."""
    try:
        return set(inspector.get_materialized_view_names(schema=schema))
    except NotImplementedError:
        return set()


def _selected(qualified: str, shown: str, options: ScanOptions) -> bool:
    def matches(patterns):
        return any(fnmatch.fnmatchcase(n, p) for p in patterns for n in (qualified, shown))

    return (not options.include or matches(options.include)) and not matches(options.exclude)


def _scan_tables(engine: Engine, connection: Connection, tables: list[TableRef],
                 options: ScanOptions, coverage: TargetCoverage, shown: str) -> Iterator[Cells]:
    try:
        for index, table in enumerate(tables):
            try:
                yield from scan_table(connection, table, shown, options, coverage)
                connection.rollback()  # end the read-only transaction: no snapshot held between tables
            except exc.SQLAlchemyError as error:
                coverage.problem(table.shown, one_line(error))
                connection = _recover(engine, connection)
                if connection is None:
                    left = len(tables) - index - 1
                    coverage.problem(shown, f"connection lost and not re-opened; {left} table(s) not scanned")
                    return
    finally:
        if connection is not None:
            connection.close()


def _recover(engine: Engine, connection: Connection) -> Connection | None:
    """Return a connection fit for the next table: this one rolled back, or a new one."""
    if not connection.invalidated:
        try:
            connection.rollback()
            return connection
        except exc.DBAPIError:
            pass  # the connection is gone after all: open a new one
    connection.close()
    try:
        return engine.connect()
    except exc.DBAPIError:
        return None


def one_line(error: BaseException) -> str:
    """Return the driver's own message of an error, first line only (no SQL, no parameters)."""
    original = getattr(error, "orig", None) or error
    args = getattr(original, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):  # pymysql: (code, message)
        text = str(args[1])
    else:
        text = str(original)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__

