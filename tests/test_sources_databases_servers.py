"""The database source against real PostgreSQL and MariaDB servers (skipped when their URLs are unset).

Each test works in its own schema (PostgreSQL) or database (MariaDB) with a random name, and
its own roles, and drops them afterwards: other developers share these servers.
"""

from __future__ import annotations

import contextlib
import gc
import json
import random
import re
import secrets
import socket
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from click.testing import CliRunner

from conftest import REPO, server_url
from db_corpus import CUSTOMERS, HOSTILE, ID_KEYED, NO_KEY, fill, found, tables
from pii_audit.cli import cli
from pii_audit.config import load_config
from pii_audit.detector import Detector
from pii_audit.errors import SourceError
from pii_audit.keys import create_key_file
from pii_audit.ledger import Ledger
from pii_audit.sources import ScanOptions, TargetCoverage, as_chunks, dialects
from pii_audit.sources.databases import read_database
from pii_audit.sources.db_tables import _statement
from pii_audit.sources.images import NOT_ASKED
from test_sources_databases import json_column_findings, long_value_blocks, output_bytes
from tests_corpus import resident_id

POSTGRES = pytest.param("PII_AUDIT_TEST_POSTGRES_URL", marks=pytest.mark.postgres, id="postgresql")
MARIADB = pytest.param("PII_AUDIT_TEST_MARIADB_URL", marks=pytest.mark.mariadb, id="mariadb")


@dataclass
class Scratch:
    """A private schema on a test server, an admin engine, and the URL to scan it with."""

    admin: sa.Engine
    url: sa.URL
    schema: str

    @property
    def postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    def shown(self, name: str) -> str:
        return f"{self.schema}.{name}"

    def options(self, **kw) -> ScanOptions:
        return ScanOptions(schemas=(self.schema,), **kw)


@contextlib.contextmanager
def scratch_on(variable: str):
    """Create a private schema (PostgreSQL) or database (MariaDB) on the server named by an
    environment variable; drop it afterwards."""
    url = sa.make_url(server_url(variable))
    admin = sa.create_engine(url, hide_parameters=True)
    schema = f"pii_db_{secrets.token_hex(4)}"
    ddl = "SCHEMA" if url.get_backend_name() == "postgresql" else "DATABASE"
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE {ddl} {schema}")
    try:
        yield Scratch(admin, url, schema)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP {ddl} {schema}" + (" CASCADE" if ddl == "SCHEMA" else ""))
        admin.dispose()


@pytest.fixture(params=[POSTGRES, MARIADB])
def scratch(request):
    with scratch_on(request.param) as made:
        yield made


@pytest.fixture
def corpus(scratch):
    meta, made = tables(scratch.schema)
    with scratch.admin.begin() as connection:
        meta.create_all(connection)
        return fill(connection, made, {n: scratch.shown(n) for n in made})


def scan(url, options, key):
    coverage = TargetCoverage(str(url))
    return list(Detector(key).detect(read_database(url, options, coverage))), coverage


def test_full_scan_finds_every_value_and_leaks_none(scratch, corpus, key):
    occurrences, coverage = scan(scratch.url, scratch.options(sample_rows=None), key)
    assert coverage.problems == []
    assert found(occurrences) == corpus.expected
    record = coverage.containers[scratch.shown(CUSTOMERS) + ".yhkh"]
    assert (record.units, record.sampled, record.complete) == (12, False, True)
    assert not any(name.endswith((".balance", ".opened")) for name in coverage.containers)
    assert (coverage.notices, coverage.images_unread) == ([], {NOT_ASKED: 6})  # the photos: said once a target
    data = output_bytes(occurrences, coverage)
    assert sum(v.encode() in data for v in corpus.raw) == 0


def documents_table(scratch: Scratch, name: str) -> None:
    """Create the table ``name`` (id, body: a BYTEA or a LONGBLOB) holding ``stored_documents``."""
    from test_sources_databases import stored_documents

    meta = sa.MetaData(schema=scratch.schema)
    table = sa.Table(name, meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                     sa.Column("body", sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")))
    with scratch.admin.begin() as connection:
        meta.create_all(connection)
        connection.execute(table.insert(), [{"id": n, "body": v} for n, v in stored_documents().items()])


def test_documents_in_a_binary_column_are_read_and_the_long_ones_fetched_after_the_rows(scratch, key):
    """A PDF longer than the selected prefix is fetched again by its key once the table's rows are
    read: MariaDB's streaming cursor allows no other query while it is open, so this fetch runs
    after it (a BYTEA and a LONGBLOB, SUBSTR counting bytes on both)."""
    documents_table(scratch, "contract")
    occurrences, coverage = scan(scratch.url, scratch.options(sample_rows=None), key)
    assert sorted((o.location["row"]["id"], o.location.get("page"), o.entity_type) for o in occurrences
                  if o.entity_type == "CN_MOBILE_PHONE") == [(1, 2, "CN_MOBILE_PHONE"), (2, 100, "CN_MOBILE_PHONE"),
                                                            (3, None, "CN_MOBILE_PHONE")]
    assert {o.container for o in occurrences} == {scratch.shown("contract") + ".body"}
    assert len(coverage.problems) == 1 and "stored pdf document" in coverage.problems[0].reason


def test_the_workers_read_the_documents_a_binary_column_holds_each_at_its_row(scratch, key, tmp_path, parent_reads):
    """With --jobs 2 the stored documents (and the long PDF fetched again by its key after the
    rows, once MariaDB's streaming cursor is closed) are read by the workers, not by the process
    reading the table: the same findings at the same rows, JSONL and problem line as one process."""
    from test_sources_databases import assert_same_scan, scanned_by

    documents_table(scratch, "wt_blobs_contract")
    url = scratch.url.render_as_string(hide_password=False)
    by_workers = scanned_by(url, key, tmp_path, 2, schemas=(scratch.schema,))
    assert parent_reads == []
    alone = scanned_by(url, key, tmp_path, 1, schemas=(scratch.schema,))
    assert len(parent_reads) == 4
    assert_same_scan(alone, by_workers)
    rows = {json.loads(line)["location"]["row"]["id"] for line in by_workers[1].splitlines()}
    assert rows == {1, 2, 3} and len(by_workers[0].coverage.problems) == 1


def test_rows_stream_as_tuples_through_the_drivers_streaming_cursor(scratch, corpus):
    """A table's rows come a block at a time, as plain tuples, from a cursor that streams: on
    PostgreSQL a named cursor, which the server lists in pg_cursors; on MariaDB pymysql's
    unbuffered SSCursor, which warns when another statement runs before it is read to its end."""
    engine = dialects.create_engine(scratch.url, 5, 30)
    assert dialects.streams(engine.dialect)
    table = sa.table(NO_KEY, sa.column("Phone"), schema=scratch.schema)
    with engine.connect() as connection:
        blocks = dialects.stream_rows(connection, sa.select(table), 2)
        first = next(blocks)
        assert len(first) == 2 and all(type(row) is tuple for row in first)
        if scratch.postgres:
            assert connection.exec_driver_sql("SELECT name FROM pg_cursors").scalars().all() == ["pii_audit_rows"]
            assert [len(rows) for rows in blocks] == [1]
        else:
            with pytest.warns(UserWarning, match="(?i)unbuffered"):
                connection.exec_driver_sql("SELECT 1").all()
        blocks.close()
    engine.dispose()


def test_a_json_column_is_scanned(scratch, key):
    findings = json_column_findings(scratch.admin, scratch.url, scratch.schema, key)
    assert findings == [("CN_MOBILE_PHONE", "138****5678", "payload", {"id": 7})]


def test_a_table_of_long_values_is_read_in_blocks_of_bounded_size(scratch, key):
    from pii_audit.sources.db_tables import BLOCK_CHARS

    blocks, rows = long_value_blocks(scratch.admin, scratch.url, scratch.schema, key)
    assert max(blocks) <= BLOCK_CHARS and rows == list(range(300))


def test_the_rows_to_read_are_estimated_from_the_servers_statistics(scratch):
    """The progress status shows rows read out of about how many there are: the server's own
    estimate, read from its catalogue (PostgreSQL's reltuples, MariaDB's TABLE_ROWS), never
    counted; --sample caps each table's share."""
    meta = sa.MetaData(schema=scratch.schema)
    made = [sa.Table(name, meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("note", sa.String(20)))
            for name in ("big", "small")]
    with scratch.admin.begin() as connection:
        meta.create_all(connection)
        for table, rows in zip(made, (500, 50)):
            connection.execute(table.insert(), [{"note": f"n{n}"} for n in range(rows)])
            connection.exec_driver_sql(f"ANALYZE {'' if scratch.postgres else 'TABLE '}{scratch.schema}.{table.name}")
    for sample, expected in ((None, 550), (100, 150)):
        coverage = TargetCoverage(str(scratch.url))
        list(read_database(scratch.url, scratch.options(sample_rows=sample), coverage))
        assert coverage.problems == []
        assert coverage.rows_expected == pytest.approx(expected, rel=0.1)  # MariaDB's is an estimate


def test_scanner_connection_refuses_writes(scratch, corpus):
    engine = dialects.create_engine(scratch.url, 5, 30)
    statements = [f"DELETE FROM {scratch.schema}.id_keyed", f"CREATE TABLE {scratch.schema}.made (a int)"]
    with engine.connect() as connection:
        if scratch.postgres:  # a session may switch its default back off (SECURITY.md item 14)
            connection.exec_driver_sql("SET SESSION default_transaction_read_only = off")
            connection.commit()
        for statement in statements:
            with pytest.raises(sa.exc.DBAPIError, match="(?i)read.only"):
                connection.exec_driver_sql(statement)
            connection.rollback()
    engine.dispose()
    with scratch.admin.connect() as connection:
        assert connection.execute(sa.text(f"SELECT count(*) FROM {scratch.schema}.id_keyed")).scalar() == 1


def test_statement_timeout_is_set_in_the_units_of_the_dialect(scratch):
    engine = dialects.create_engine(scratch.url, 5, 1)
    with engine.connect() as connection:
        if scratch.postgres:
            shown = [connection.exec_driver_sql(f"SHOW {name}").scalar() for name in
                     ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")]
            assert shown == ["1s", "1s", "1s"]
            sleep = "SELECT pg_sleep(3)"
        else:
            assert connection.exec_driver_sql("SELECT @@max_statement_time").scalar() == 1.0
            sleep = "SELECT SLEEP(3) FROM (SELECT 1) AS t"
        with pytest.raises(sa.exc.OperationalError, match="statement timeout|max_statement_time"):
            connection.exec_driver_sql(sleep).all()
    engine.dispose()


def admin_sql(connection: sa.Connection, statement: str) -> None:
    """Run a statement with no parameters (pymysql would read a '%' as a placeholder)."""
    if connection.dialect.name != "postgresql":
        statement = statement.replace("%", "%%")
    connection.exec_driver_sql(statement)


def role_sql(kind: str, names: dict[str, str]) -> list[str]:
    """Return the statements of docs/readonly-role.md's block for ``kind``, with names replaced."""
    text = (REPO / "docs" / "readonly-role.md").read_text(encoding="utf-8")
    block = re.search(rf"```sql {kind}-role\n(.*?)```", text, re.S).group(1)
    for old, new in names.items():
        block = re.sub(rf"\b{old}\b", new, block)
    return [s.strip() for s in block.split(";") if s.strip()]


@pytest.fixture
def reader(scratch, corpus):
    """A SELECT-only account made with the documented SQL; yields its URL."""
    name, password = f"pii_reader_{secrets.token_hex(3)}", secrets.token_hex(8)
    kind = "postgresql" if scratch.postgres else "mariadb"
    database = scratch.url.database if scratch.postgres else scratch.schema  # MariaDB: schema = database
    names = {"pii_audit_reader": name, "core": database, "app": scratch.schema,
             "app_owner": scratch.url.username, "change-me": password}
    with scratch.admin.begin() as connection:
        for statement in role_sql(kind, names):
            admin_sql(connection, statement)
    try:
        if scratch.postgres:  # trust authentication here: no password
            yield scratch.url.set(username=name)
        else:
            yield scratch.url.set(username=name, password=password, database=scratch.schema)
    finally:
        with scratch.admin.begin() as connection:
            if scratch.postgres:
                connection.exec_driver_sql(f"DROP OWNED BY {name}")
                connection.exec_driver_sql(f"DROP ROLE {name}")
            else:
                admin_sql(connection, f"DROP USER '{name}'@'%'")


def test_select_only_role_reads_but_cannot_write(scratch, corpus, reader, key):
    plain = sa.create_engine(reader, hide_parameters=True)  # no read-only transaction: the role alone
    for statement in (f"INSERT INTO {scratch.schema}.id_keyed (zjhm) VALUES ('x')",
                      f"DELETE FROM {scratch.schema}.id_keyed",
                      f"CREATE TABLE {scratch.schema}.made (a int)"):
        with plain.connect() as connection:
            if scratch.postgres:  # the role's read-only default can be switched off: not a boundary
                connection.exec_driver_sql("SET SESSION default_transaction_read_only = off")
                connection.commit()
            with pytest.raises(sa.exc.DBAPIError, match="(?i)denied"):
                connection.exec_driver_sql(statement)
    plain.dispose()
    occurrences, coverage = scan(reader, scratch.options(sample_rows=None), key)
    assert found(occurrences) == corpus.expected and coverage.problems == []


def test_table_the_account_may_not_read_is_a_problem_and_the_rest_goes_on(scratch, corpus, reader, key):
    with scratch.admin.begin() as connection:
        quoted = connection.dialect.identifier_preparer.format_table(tables(scratch.schema)[1][CUSTOMERS])
        if scratch.postgres:
            connection.exec_driver_sql(f"REVOKE SELECT ON {quoted} FROM {reader.username}")
        else:  # a table with no privilege at all is invisible on MariaDB: leave it one column
            admin_sql(connection, f"REVOKE SELECT ON {scratch.schema}.* FROM '{reader.username}'@'%'")
            for name in (NO_KEY, HOSTILE, ID_KEYED):
                table = connection.dialect.identifier_preparer.format_table(tables(scratch.schema)[1][name])
                admin_sql(connection, f"GRANT SELECT ON {table} TO '{reader.username}'@'%'")
            admin_sql(connection, f"GRANT SELECT (id) ON {quoted} TO '{reader.username}'@'%'")
    occurrences, coverage = scan(reader, scratch.options(sample_rows=None), key)
    assert [p.where for p in coverage.problems] == [scratch.shown(CUSTOMERS)]
    assert "\n" not in coverage.problems[0].reason and "denied" in coverage.problems[0].reason
    expected = {k: v for k, v in corpus.expected.items() if k[0] != scratch.shown(CUSTOMERS)}
    assert found(occurrences) == expected
    customers = [c for n, c in coverage.containers.items() if n.startswith(scratch.shown(CUSTOMERS))]
    assert not any(c.complete for c in customers)


def test_bad_credentials_fail_in_one_line_without_the_password(scratch):
    url = scratch.url.set(username="pii_nobody", password="Wrong-Secret-7")
    with pytest.raises(SourceError, match="cannot connect") as raised:
        list(read_database(url, ScanOptions(), TargetCoverage("x")))
    assert "\n" not in str(raised.value) and "Wrong-Secret-7" not in str(raised.value)


def test_closed_port_fails_fast(scratch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the probe is
    with pytest.raises(SourceError, match="cannot connect"):
        list(read_database(scratch.url.set(host="127.0.0.1", port=port), ScanOptions(connect_timeout=2),
                           TargetCoverage("x")))


@pytest.mark.postgres
def test_server_that_never_answers_times_out():
    url = sa.make_url(server_url("PII_AUDIT_TEST_POSTGRES_URL"))
    with socket.socket() as silent:  # accepts the TCP connection, then says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with pytest.raises(SourceError, match="timeout"):
            list(read_database(url.set(port=silent.getsockname()[1]), ScanOptions(connect_timeout=2),
                               TargetCoverage("x")))


@pytest.fixture
def postgres_scratch(request):
    request.applymarker(pytest.mark.postgres)
    with scratch_on("PII_AUDIT_TEST_POSTGRES_URL") as made:
        yield made


def make_phones(scratch: Scratch, name: str, rows: int, analyze: bool = False) -> None:
    """Create a table of ``rows`` synthetic mobile numbers, generated by the server."""
    with scratch.admin.begin() as connection:
        connection.exec_driver_sql(
            f"CREATE TABLE {scratch.schema}.{name} AS SELECT g AS id, "
            f"'手机' || (13800000000 + g)::text AS note FROM generate_series(1, {rows}) AS g")
        connection.exec_driver_sql(f"ALTER TABLE {scratch.schema}.{name} ADD PRIMARY KEY (id)")
    if analyze:
        with scratch.admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"ANALYZE {scratch.schema}.{name}")


@pytest.mark.parametrize("sample", [None, 100])
def test_a_partitioned_table_is_read_once_and_a_materialized_view_is_read(postgres_scratch, key, sample):
    """PostgreSQL lists a partitioned table and each of its partitions as tables: every row was
    read twice, through the table and through its partition, and every value found twice. A
    materialized view stores a copy of what it selects, and was not read at all. Sampled, the
    partitioned table is estimated by its partitions and read by TABLESAMPLE as a table is."""
    schema = postgres_scratch.schema
    with postgres_scratch.admin.begin() as connection:
        for sql in (f"CREATE TABLE {schema}.jyls (id int, day date, note text) PARTITION BY RANGE (day)",
                    f"CREATE TABLE {schema}.jyls_1 PARTITION OF {schema}.jyls FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')",
                    f"CREATE TABLE {schema}.jyls_2 PARTITION OF {schema}.jyls FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')",
                    f"INSERT INTO {schema}.jyls SELECT g, DATE '2024-01-01' + mod(g, 50), '手机' || (13800000000 + g)::text "
                    "FROM generate_series(1, 3000) AS g",
                    f"CREATE MATERIALIZED VIEW {schema}.kh_mv AS SELECT note FROM {schema}.jyls WHERE id <= 40",
                    f"CREATE VIEW {schema}.kh_v AS SELECT note FROM {schema}.jyls",  # the rows of jyls again
                    f"ANALYZE {schema}.jyls", f"ANALYZE {schema}.kh_mv"):
            connection.exec_driver_sql(sql)
    occurrences, coverage = scan(postgres_scratch.url, postgres_scratch.options(sample_rows=sample), key)
    assert coverage.problems == []
    by_table = {}
    for occurrence in occurrences:
        by_table[occurrence.location["table"]] = by_table.get(occurrence.location["table"], 0) + 1
    assert by_table == {f"{schema}.jyls": sample or 3000, f"{schema}.kh_mv": 40}
    assert coverage.rows_expected == (sample or 3000) + 40


def assert_only_the_big_table_was_lost(scratch: Scratch, chunks, coverage: TargetCoverage, rows: int) -> None:
    """Read the rest of a scan whose connection was killed while it read a_big (``rows`` rows):
    a_big is one problem line and incomplete, b_small is read in full on a new connection."""
    rest = list(chunks)
    assert scratch.shown("b_small") in {c.location["table"] for c in rest}
    assert [p.where for p in coverage.problems] == [scratch.shown("a_big")]
    big = coverage.containers[scratch.shown("a_big") + ".note"]
    assert not big.complete and big.units < rows
    assert coverage.containers[scratch.shown("b_small") + ".note"].complete


def test_arrays_and_inet_addresses_are_scanned_on_postgresql(postgres_scratch, key):
    """A PostgreSQL array of phone numbers or IDs, and an INET column of login addresses, were
    skipped as types not worth scanning, so a customer table keeping its phones in ``text[]`` came
    out clean. They are read now (an array as its JSON text, located by offsets in it); arrays of
    what is skipped (amounts, small numbers) and CIDR networks are still skipped."""
    scratch = postgres_scratch
    with scratch.admin.begin() as connection:
        connection.exec_driver_sql(
            f"CREATE TABLE {scratch.schema}.kh (id int PRIMARY KEY, phones text[], sfzh varchar(18)[], "
            "mobiles bigint[], amounts numeric(14,2)[], counts smallint[], login_ip inet, branch_net cidr)")
        connection.exec_driver_sql(
            f"INSERT INTO {scratch.schema}.kh VALUES (1, ARRAY['手机13812345678', '座机010-62345678'], "
            "ARRAY['11010519491231002X'], ARRAY[13912345678, 42], ARRAY[13812345678.00], ARRAY[7], "
            "'202.96.128.86', '202.96.128.0/24')")
    occurrences, coverage = scan(scratch.url, scratch.options(sample_rows=None), key)
    assert coverage.problems == []
    assert sorted((o.location["column"], o.entity_type, o.masked, o.location["start"], o.location["end"])
                  for o in occurrences) == [
        ("login_ip", "IP_ADDRESS", "202.96.*.*", 0, 13),
        ("mobiles", "CN_MOBILE_PHONE", "139****5678", 1, 12),
        ("phones", "CN_LANDLINE_PHONE", "010****5678", 21, 33),
        ("phones", "CN_MOBILE_PHONE", "138****5678", 4, 15),
        ("sfzh", "CN_RESIDENT_ID", "110105********002X", 2, 20),
    ]
    assert {name.rsplit(".", 1)[1] for name in coverage.containers} == {"id", "phones", "sfzh", "mobiles", "login_ip"}


def test_dropped_connection_is_recorded_and_the_next_table_is_read(postgres_scratch, key):
    scratch = postgres_scratch
    make_phones(scratch, "a_big", 5000)
    make_phones(scratch, "b_small", 3)
    app = f"pii_test_{secrets.token_hex(4)}"
    url = scratch.url.update_query_dict({"application_name": app})
    coverage = TargetCoverage("x")
    chunks = as_chunks(read_database(url, scratch.options(sample_rows=None), coverage))
    first = next(chunks)
    assert first.location["table"] == scratch.shown("a_big")
    with scratch.admin.connect() as connection:
        killed = connection.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                            "WHERE application_name = :app"), {"app": app}).all()
    assert killed == [(True,)]
    assert_only_the_big_table_was_lost(scratch, chunks, coverage, 5000)


@pytest.fixture
def mariadb_scratch(request):
    request.applymarker(pytest.mark.mariadb)
    with scratch_on("PII_AUDIT_TEST_MARIADB_URL") as made:
        yield made


def test_mariadb_inet_columns_are_scanned_without_a_warning_per_column(mariadb_scratch, key):
    """MariaDB's INET6 and INET4 are types SQLAlchemy does not know: read as text (NullType), as
    meant, but reflecting each printed "SAWarning: Did not recognize type 'inet6' of column 'ip'"
    to stderr, a line per column and scan naming it."""
    scratch = mariadb_scratch
    with scratch.admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {scratch.schema}.login (id int PRIMARY KEY, ip INET6, ip4 INET4)")
        connection.exec_driver_sql(
            f"INSERT INTO {scratch.schema}.login VALUES (1, '2001:4860:4860::8888', '202.96.128.86')")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        occurrences, coverage = scan(scratch.url, scratch.options(sample_rows=None), key)
    assert sorted((o.location["column"], o.entity_type, o.masked) for o in occurrences) == [
        ("ip", "IP_ADDRESS", "2001:4860:*"), ("ip4", "IP_ADDRESS", "202.96.*.*")]
    assert coverage.problems == [] and [str(w.message) for w in caught] == []


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_dropped_connection_on_mariadb_is_recorded_and_the_next_table_is_read(mariadb_scratch, key):
    """pymysql's unbuffered cursor reads the rows as the server sends them: a connection killed
    mid-table fails that table in one line, the next table is read on a new connection, and no
    "Exception ignored" traceback reaches stderr when the dead cursor is collected."""
    scratch = mariadb_scratch
    with scratch.admin.begin() as connection:
        for name, rows in (("a_big", 300_000), ("b_small", 3)):  # more than the sockets buffer
            connection.exec_driver_sql(
                f"CREATE TABLE {scratch.schema}.{name} (id INT PRIMARY KEY, note VARCHAR(40)) "
                f"SELECT seq AS id, CONCAT('tel ', 13800000000 + seq) AS note FROM seq_1_to_{rows}")
    coverage = TargetCoverage("x")
    chunks = as_chunks(read_database(scratch.url, scratch.options(sample_rows=None), coverage))
    first = next(chunks)
    assert first.location["table"] == scratch.shown("a_big")
    with scratch.admin.connect() as connection:
        (scanner,) = connection.exec_driver_sql(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%%a_big%%' "
            "AND ID <> CONNECTION_ID()").scalars().all()
        connection.exec_driver_sql(f"KILL CONNECTION {int(scanner)}")
    assert_only_the_big_table_was_lost(scratch, chunks, coverage, 300_000)
    del chunks, first
    gc.collect()  # the dead cursor and its result are collected here, within the test


def test_tablesample_reads_a_random_sample_and_records_it(postgres_scratch, key, monkeypatch):
    from pii_audit.sources import db_tables
    monkeypatch.setattr(db_tables.random, "randrange", lambda _: 20241127)  # the same pages each run
    scratch = postgres_scratch
    make_phones(scratch, "big", 20000, analyze=True)
    engine = dialects.create_engine(scratch.url, 5, 30)
    clause = sa.table("big", sa.column("id"), sa.column("note"), schema=scratch.schema)
    with engine.connect() as connection:
        statement, mode = _statement(connection, clause, 100, set())
    engine.dispose()
    assert mode == "random" and "TABLESAMPLE system" in str(statement)
    occurrences, coverage = scan(scratch.url, scratch.options(sample_rows=100), key)
    record = coverage.containers[scratch.shown("big") + ".note"]
    assert (record.units, record.sampled, record.complete) == (100, True, True)
    assert len(occurrences) == 100 and all(set(o.location["row"]) == {"id"} for o in occurrences)


def test_tablesample_that_comes_out_short_falls_back_to_first_rows(postgres_scratch):
    scratch = postgres_scratch
    make_phones(scratch, "stale", 20000, analyze=True)
    with scratch.admin.begin() as connection:  # the statistics still say 20,000 rows
        # ~150 rows left, spread over every page: a page sample finds a handful, never 100.
        connection.exec_driver_sql(f"DELETE FROM {scratch.schema}.stale WHERE mod(id, 133) <> 0")
    engine = dialects.create_engine(scratch.url, 5, 30)
    clause = sa.table("stale", sa.column("id"), sa.column("note"), schema=scratch.schema)
    with engine.connect() as connection:
        statement, mode = _statement(connection, clause, 100, set())
        assert mode == "first" and len(connection.execute(statement).all()) == 101
    engine.dispose()


def test_a_server_database_read_in_the_parent_and_detected_in_a_pool_gives_what_one_process_gives(
        scratch, corpus, key, tmp_path, monkeypatch):
    """The pool forks before the parent connects, then scans the tables' blocks side by side."""
    from test_sources_databases import assert_same_scan, pool_and_one_process

    monkeypatch.setattr("pii_audit.sources.db_tables.YIELD_PER", 7)
    url = scratch.url.render_as_string(hide_password=False)
    one, two = pool_and_one_process(url, key, tmp_path, sample_rows=None, schemas=(scratch.schema,))
    assert_same_scan(one, two)


def test_a_refusal_naming_a_table_named_after_a_customer_leaks_no_number(postgres_scratch, key):
    """PostgreSQL's refusal names the table ("permission denied for table kh_13812345678"); the
    problem line quoted the driver's message as it was. Reasons are masked as places are."""
    scratch, role = postgres_scratch, f"pii_noread_{secrets.token_hex(3)}"
    with scratch.admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {scratch.schema}.kh_13812345678 (bz text)")
        connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA {scratch.schema} TO {role}")
    try:
        _, coverage = scan(scratch.url.set(username=role), scratch.options(sample_rows=None), key)
    finally:
        with scratch.admin.begin() as connection:
            connection.exec_driver_sql(f"DROP OWNED BY {role}")
            connection.exec_driver_sql(f"DROP ROLE {role}")
    assert [(p.where, p.reason) for p in coverage.problems] == [
        (f"{scratch.schema}.kh_138****5678", "permission denied for table kh_138****5678")]


# -- a table or column dropped verifies its ledger item ------------------------------------------

TARGET = "核心系统"


@dataclass
class Audited:
    """An audit.toml whose one target is a schema of a test server, read in full, and its ledger."""

    config: Path

    def scan(self) -> int:
        """Run `pii-audit scan --config`; return its exit status."""
        return CliRunner().invoke(cli, ["scan", "--config", str(self.config), "--quiet"]).exit_code

    def statuses(self, schema: str) -> dict[str, str]:
        """Return the status of each item of the target, by container (its schema left out)."""
        config = load_config(self.config)
        with Ledger.open(config.ledger.resolve_url(), config.key.load({}), create=False) as ledger:
            return {i.container.removeprefix(f"{schema}."): i.status for i in ledger.items(target=TARGET)}


def audited(tmp_path: Path, url: sa.URL, schema: str, monkeypatch) -> Audited:
    """Write an audit.toml scanning ``schema`` at ``url`` in full (its password through the
    environment), with a key file and a SQLite ledger in ``tmp_path``."""
    create_key_file(tmp_path / "audit.key")
    password = ""
    if url.password is not None:
        monkeypatch.setenv("PII_AUDIT_TEST_READER_PASSWORD", url.password)
        password = 'password_env = "PII_AUDIT_TEST_READER_PASSWORD"'
    plain = url._replace(password=None).render_as_string(hide_password=False)
    (tmp_path / "audit.toml").write_text(f'''\
[ledger]
url = "sqlite:///{tmp_path}/ledger.db"
[key]
file = "{tmp_path}/audit.key"
[defaults]
full_scan = true
schedule = "0 2 * * *"

[[targets]]
name = "{TARGET}"
kind = "database"
owner = "李娜"
url = "{plain}"
{password}
schemas = ["{schema}"]
''', "utf-8")
    return Audited(tmp_path / "audit.toml")


def make_kh_and_jl(scratch: Scratch) -> None:
    """Create kh (resident IDs in sfzh, names in xm) and jl (resident IDs in zjhm)."""
    rng = random.Random(31)
    with scratch.admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {scratch.schema}.kh (id INTEGER PRIMARY KEY, "
                                   "sfzh VARCHAR(32), xm VARCHAR(32))")
        connection.exec_driver_sql(f"CREATE TABLE {scratch.schema}.jl (id INTEGER PRIMARY KEY, zjhm VARCHAR(32))")
        for n in range(3):
            connection.execute(sa.text(f"INSERT INTO {scratch.schema}.kh VALUES (:n, :v, 'x')"),
                               {"n": n, "v": resident_id(rng)})
            connection.execute(sa.text(f"INSERT INTO {scratch.schema}.jl VALUES (:n, :v)"),
                               {"n": n, "v": resident_id(rng)})


def test_a_dropped_column_or_table_verifies_its_item(scratch, tmp_path, monkeypatch):
    """Dropping the plaintext column, or its whole table, is a remedy a system owner chooses: the
    next full scan lists the schema without it and verifies its item."""
    make_kh_and_jl(scratch)
    audit = audited(tmp_path, scratch.url, scratch.schema, monkeypatch)
    assert audit.scan() == 1 and audit.statuses(scratch.schema) == {"kh.sfzh": "open", "jl.zjhm": "open"}
    with scratch.admin.begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE {scratch.schema}.kh DROP COLUMN sfzh")
    assert audit.scan() == 1 and audit.statuses(scratch.schema) == {"kh.sfzh": "verified", "jl.zjhm": "open"}
    with scratch.admin.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE {scratch.schema}.jl")
    assert audit.scan() == 0 and audit.statuses(scratch.schema) == {"kh.sfzh": "verified", "jl.zjhm": "verified"}


def test_a_table_the_scanner_may_no_longer_read_is_not_verified(scratch, corpus, reader, tmp_path, monkeypatch):
    """A table the account lost its grant on is still there. PostgreSQL lists it and refuses to read
    it (a problem: nothing verified). MariaDB hides it from an account holding grants table by
    table, and the scan has no problem at all; it then lists no schema in full
    (dialects.lists_every_table), so neither the hidden table nor a column dropped meanwhile is
    verified, until the account may read the whole schema again."""
    make_kh_and_jl(scratch)
    audit = audited(tmp_path, reader, scratch.schema, monkeypatch)
    assert audit.scan() == 1
    assert {k: v for k, v in audit.statuses(scratch.schema).items() if k in ("kh.sfzh", "jl.zjhm")} == {
        "kh.sfzh": "open", "jl.zjhm": "open"}
    with scratch.admin.begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE {scratch.schema}.kh DROP COLUMN sfzh")
        if scratch.postgres:
            connection.exec_driver_sql(f"REVOKE SELECT ON {scratch.schema}.jl FROM {reader.username}")
        else:
            admin_sql(connection, f"REVOKE SELECT ON {scratch.schema}.* FROM '{reader.username}'@'%'")
            admin_sql(connection, f"GRANT SELECT ON {scratch.schema}.kh TO '{reader.username}'@'%'")
    assert audit.scan() == (3 if scratch.postgres else 0)  # MariaDB: jl is hidden, not refused
    statuses = audit.statuses(scratch.schema)
    assert (statuses["kh.sfzh"], statuses["jl.zjhm"]) == ("open", "open")
    with scratch.admin.begin() as connection:
        if scratch.postgres:
            connection.exec_driver_sql(f"GRANT SELECT ON {scratch.schema}.jl TO {reader.username}")
        else:
            admin_sql(connection, f"GRANT SELECT ON {scratch.schema}.* TO '{reader.username}'@'%'")
    assert audit.scan() == 1
    statuses = audit.statuses(scratch.schema)
    assert (statuses["kh.sfzh"], statuses["jl.zjhm"]) == ("verified", "open")  # jl: read, found again
