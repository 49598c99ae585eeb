"""The database source on real SQLite files: what is read, how it is recorded, what is refused."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import sqlite3
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from db_corpus import CUSTOMERS, HOSTILE, ID_KEYED, NO_KEY, PNG_HEAD, ROWS, fill, found, tables
from image_helpers import ID18, MOBILE, encoded, form, needs_tesseract
from pii_audit.detector import Detector
from pii_audit.errors import ConfigError, SourceError
from pii_audit.sources import OLE2_MAGIC, ScanOptions, TargetCoverage, as_chunks
from pii_audit.sources import dialects
from pii_audit.sources.databases import read_database, resolve_password
from pii_audit.sources.db_tables import BINARY_BLOCK_BYTES, BINARY_PREFIX, BLOCK_CHARS, cell_text, column_kind
from pii_audit.sources.images import NOT_ASKED


def shown_names(schema=None):
    return {name: (f"{schema}.{name}" if schema else name) for name in (CUSTOMERS, NO_KEY, HOSTILE, ID_KEYED)}


@pytest.fixture
def sqlite_db(tmp_path):
    """A SQLite file holding the synthetic tables; returns (url, corpus)."""
    path = tmp_path / "core.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    meta, made = tables(None)
    with engine.begin() as connection:
        meta.create_all(connection)
        corpus = fill(connection, made, shown_names())
    engine.dispose()
    return f"sqlite:///{path}", corpus


def scan(url, key, **options):
    coverage = TargetCoverage(str(url))
    occurrences = list(Detector(key).detect(read_database(url, ScanOptions(**options), coverage)))
    return occurrences, coverage


def output_bytes(occurrences, coverage) -> bytes:
    """Everything the scan hands on, as bytes: occurrences, coverage and problems."""
    record = {"occurrences": [o.to_json() for o in occurrences],
              "containers": [c.as_dict() for c in coverage.containers.values()],
              "problems": [[p.where, p.reason, p.container] for p in coverage.problems]}
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def test_full_scan_finds_every_value_with_row_keys(sqlite_db, key):
    url, corpus = sqlite_db
    occurrences, coverage = scan(url, key, sample_rows=None)
    assert found(occurrences) == corpus.expected
    assert coverage.problems == []
    customers = coverage.containers[f"{CUSTOMERS}.SFZH"]
    assert (customers.units, customers.sampled, customers.complete) == (ROWS, False, True)
    # A BLOB's text is read (even rows), its images counted, said once for the target (odd rows:
    # images.record_unread; they are read by OCR with --ocr, test_sources_images.py).
    assert (coverage.notices, coverage.images_unread) == ([], {NOT_ASKED: ROWS // 2})
    assert f"{CUSTOMERS}.balance" not in coverage.containers  # amount not read
    assert f"{CUSTOMERS}.opened" not in coverage.containers  # date not read
    assert {o.location["url"] for o in occurrences} == {url}


def json_column_findings(admin: sa.Engine, url, schema: str | None, key: bytes) -> list[tuple]:
    """Write a JSON document holding a mobile number under a Chinese key (SQLAlchemy's JSON type:
    on SQLite and MariaDB it is stored as text with the key escaped, \\uXXXX) and scan the table."""
    meta = sa.MetaData(schema=schema)
    events = sa.Table("events", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                      sa.Column("payload", sa.JSON))
    with admin.begin() as connection:
        meta.create_all(connection)
        connection.execute(events.insert(), [{"id": 7, "payload": {"客户": {"手机": "13812345678"}, "备注": "无"}}])
    occurrences, coverage = scan(url, key, sample_rows=None, include=("events", "*.events"),
                                 **({"schemas": (schema,)} if schema else {}))
    assert coverage.problems == []
    return [(o.entity_type, o.masked, o.location["column"], o.location["row"]) for o in occurrences]


def test_a_json_column_is_scanned(tmp_path, key):
    url = f"sqlite:///{tmp_path / 'events.db'}"
    admin = sa.create_engine(url)
    assert json_column_findings(admin, url, None, key) == [("CN_MOBILE_PHONE", "138****5678", "payload", {"id": 7})]
    admin.dispose()


def long_value_blocks(admin: sa.Engine, url, schema: str | None, key: bytes) -> tuple[list[int], list[int]]:
    """Write a service bus's table of 300 request messages of about 100,000 characters each, a
    mobile number near each one's end, and read it; return the characters of text of each block
    of rows read, and the ids of the rows where a mobile number was found."""
    meta = sa.MetaData(schema=schema)
    body = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")  # a TEXT holds 64 KB
    messages = sa.Table("esb_msg", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                        sa.Column("body", body), mysql_charset="utf8mb4")
    filler = "<memo>" + "正常业务报文内容" * 12_500 + "</memo>"
    with admin.begin() as connection:
        meta.create_all(connection)
        for first in range(0, 300, 50):
            connection.execute(messages.insert(), [{"id": n, "body": f"<req>{filler}<sjhm>{MOBILE}</sjhm></req>"}
                                                   for n in range(first, first + 50)])
    options = {"sample_rows": None, "include": ("esb_msg", "*.esb_msg"), **({"schemas": (schema,)} if schema else {})}
    blocks = [sum(len(text) for column in cells.columns for text in column.texts)
              for cells in read_database(url, ScanOptions(**options), TargetCoverage(str(url)))]
    assert sum(blocks) > 3 * BLOCK_CHARS
    occurrences, coverage = scan(url, key, **options)
    assert coverage.problems == [] and all(o.entity_type == "CN_MOBILE_PHONE" for o in occurrences)
    return blocks, sorted(o.location["row"]["id"] for o in occurrences)


def test_a_table_of_long_values_is_read_in_blocks_of_bounded_size(tmp_path, key):
    """A table of 300 values of 100,000 characters was one block of rows: 30 million characters
    held at once (a real one of 144 KB messages, read 2,000 rows a block, took 720 MB)."""
    url = f"sqlite:///{tmp_path / 'esb.db'}"
    admin = sa.create_engine(url)
    blocks, rows = long_value_blocks(admin, url, None, key)
    admin.dispose()
    assert max(blocks) <= BLOCK_CHARS and rows == list(range(300))


def test_a_wide_table_is_read_in_blocks_of_bounded_cells(tmp_path, key):
    """A table of 600 short columns read 2,000 rows a block: 1.2 million cells, 289 MB."""
    from pii_audit.sources.db_tables import BLOCK_CELLS

    path = tmp_path / "dw.db"
    width = 300
    with contextlib.closing(sqlite3.connect(path)) as db:
        columns = ", ".join(f"c{n} VARCHAR(32)" for n in range(width))
        db.execute(f"CREATE TABLE dw_wide (id INTEGER PRIMARY KEY, {columns})")
        row = [f"v{n}" for n in range(width - 1)] + [MOBILE]
        db.executemany(f"INSERT INTO dw_wide VALUES (?{', ?' * width})", ([n, *row] for n in range(1000)))
        db.commit()
    url = f"sqlite:///{path}"
    sizes = [sum(len(column.texts) for column in cells.columns)
             for cells in read_database(url, ScanOptions(sample_rows=None), TargetCoverage(url))]
    assert sum(sizes) == 1000 * (width + 1) and max(sizes) <= BLOCK_CELLS  # the id column too
    occurrences, coverage = scan(url, key, sample_rows=None)
    assert len(occurrences) == 1000 and {o.location["column"] for o in occurrences} == {f"c{width - 1}"}


def test_no_raw_value_leaves_the_scan(sqlite_db, key):
    url, corpus = sqlite_db
    occurrences, coverage = scan(url, key, sample_rows=None)
    data = output_bytes(occurrences, coverage)
    leaked = [hashlib.sha256(v.encode()).hexdigest()[:8] for v in corpus.raw if v.encode() in data]
    assert not leaked, f"{len(leaked)} raw value(s) in the output (sha256 prefixes {leaked})"


def test_table_and_column_named_after_a_customer_leak_no_number(tmp_path, key):
    """A table per customer named by phone number (and a column so named): the locations held
    the names raw, where containers had them masked. They are shown masked in both now."""
    url = f"sqlite:///{tmp_path / 'per-customer.db'}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.exec_driver_sql('CREATE TABLE "kh_13812345678" ("bz_13912345678" TEXT)')
        connection.exec_driver_sql('INSERT INTO "kh_13812345678" VALUES (\'证件号11010519491231002X\')')
    admin.dispose()
    occurrences, coverage = scan(url, key, sample_rows=None)
    assert [(o.entity_type, o.location["table"], o.location["column"]) for o in occurrences] == [
        ("CN_RESIDENT_ID", "kh_138****5678", "bz_139****5678")]
    assert b"13812345678" not in output_bytes(occurrences, coverage)
    assert b"13912345678" not in output_bytes(occurrences, coverage)


def test_a_sqlite_text_value_in_gbk_costs_no_row_of_its_table(tmp_path, key):
    """A legacy system wrote GBK bytes into a SQLite TEXT column. sqlite3 stops reading the
    whole result at such a value, with an error quoting it: the table was one problem line and
    none of its 4,500 rows was scanned. The rows from that block on are read again, such values
    decoded as a log file is (UTF-8, else GB18030), the rows already scanned skipped."""
    path = tmp_path / "legacy.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE kh (id INTEGER PRIMARY KEY, bz TEXT)")
        db.executemany("INSERT INTO kh VALUES (?, ?)", [(n, f"手机{13800000000 + n}") for n in range(1, 4501)])
        db.execute("UPDATE kh SET bz = CAST(? AS TEXT) WHERE id = 3000", ["证件号11010519491231002X".encode("gbk")])
        db.commit()
    occurrences, coverage = scan(f"sqlite:///{path}", key, sample_rows=None)
    assert coverage.problems == [] and coverage.rows == 4500
    assert len(occurrences) == 4500 and len({o.location["row"]["id"] for o in occurrences}) == 4500
    (legacy,) = [o for o in occurrences if o.location["row"] == {"id": 3000}]
    assert (legacy.entity_type, legacy.masked, legacy.score) == ("CN_RESIDENT_ID", "110105********002X", 1.0)


def test_primary_key_that_is_personal_information_is_replaced_by_row_number(sqlite_db, key):
    url, _ = sqlite_db
    occurrences, _ = scan(url, key, sample_rows=None, include=(ID_KEYED,))
    assert {o.location["row"] for o in occurrences} == {1}
    assert {o.entity_type for o in occurrences} == {"CN_RESIDENT_ID", "PERSON"}


def test_column_name_is_context(sqlite_db, key):
    url, _ = sqlite_db
    chunks = list(as_chunks(read_database(url, ScanOptions(include=(CUSTOMERS,)), TargetCoverage(url))))
    assert chunks and all(chunk.context == (chunk.location["column"],) for chunk in chunks)
    assert {chunk.container for chunk in chunks} == {f"{CUSTOMERS}.{c}"
                                                     for c in ("姓名", "SFZH", "sjhm", "photo", "yhkh", "备注")}


def test_short_integers_are_counted_but_never_chunks(sqlite_db):
    url, _ = sqlite_db
    coverage = TargetCoverage(url)
    chunks = list(as_chunks(read_database(url, ScanOptions(include=(CUSTOMERS,)), coverage)))
    # id (1..12) is read and counted, but too short to be any identifier; every text cell is a chunk.
    assert not [c for c in chunks if c.location["column"] == "id"]
    assert len([c for c in chunks if c.location["column"] == "姓名"]) == ROWS
    assert coverage.containers[f"{CUSTOMERS}.姓名"].units == ROWS
    assert coverage.cells == ROWS * 7 - ROWS // 4  # id, 姓名, SFZH (some NULL), sjhm, photo, yhkh, 备注


@pytest.mark.parametrize("sample, units, sampled", [
    pytest.param(5, 5, True, id="fewer-than-the-table"),
    pytest.param(ROWS, ROWS, False, id="exactly-the-table"),
    pytest.param(1000, ROWS, False, id="more-than-the-table"),
    pytest.param(None, ROWS, False, id="full"),
])
def test_sampling_is_recorded_per_column(sqlite_db, key, sample, units, sampled):
    url, _ = sqlite_db
    _, coverage = scan(url, key, sample_rows=sample, include=(CUSTOMERS,))
    for column in ("SFZH", "sjhm", "备注"):
        record = coverage.containers[f"{CUSTOMERS}.{column}"]
        assert (record.units, record.sampled, record.complete) == (units, sampled, True)
    assert coverage.rows == units


@pytest.mark.parametrize("include, exclude, expected", [
    pytest.param((), (), {CUSTOMERS, NO_KEY, HOSTILE, ID_KEYED}, id="all"),
    pytest.param(("main.客户*",), (), {CUSTOMERS}, id="include-qualified"),
    pytest.param(("NoKey*",), (), {NO_KEY}, id="include-bare"),
    pytest.param((), ("id_*", "x*"), {CUSTOMERS, NO_KEY}, id="exclude"),
])
def test_include_and_exclude_globs(sqlite_db, key, include, exclude, expected):
    url, _ = sqlite_db
    occurrences, _ = scan(url, key, include=include, exclude=exclude)
    assert {o.location["table"] for o in occurrences} == expected


def test_scanner_connection_cannot_write_and_file_is_unchanged(sqlite_db):
    url, _ = sqlite_db
    path = url.removeprefix("sqlite:///")
    before = open(path, "rb").read()
    engine = dialects.create_engine(sa.make_url(url), 5, 5)
    with engine.connect() as connection:
        with pytest.raises(sa.exc.OperationalError, match="readonly|query_only"):
            connection.exec_driver_sql(f'DELETE FROM "{NO_KEY}"')
    engine.dispose()
    assert open(path, "rb").read() == before


def test_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path):
    path = tmp_path / "absent.db"
    with pytest.raises(SourceError, match="cannot connect"):
        list(read_database(f"sqlite:///{path}", ScanOptions(), TargetCoverage("x")))
    assert not path.exists()


@pytest.mark.parametrize("url, message", [
    pytest.param("not a url", "not a database URL", id="not-a-url"),
    pytest.param("nosuchdialect://u:Secret99@h/db", "cannot use this database URL", id="unknown-dialect"),
    pytest.param("postgresql+nosuchdriver://u:Secret99@h/db", "cannot use this database URL", id="unknown-driver"),
])
def test_wrong_url_is_one_line_without_password(url, message):
    with pytest.raises(SourceError) as raised:
        list(read_database(url, ScanOptions(), TargetCoverage("x")))
    text = str(raised.value)
    assert message in text and "\n" not in text and "Secret99" not in text


def test_password_in_url_works_with_a_warning():
    url, warning = resolve_password("postgresql+psycopg://audit:Secret99@db/core", environ={})
    assert url.password == "Secret99"
    assert "PII_AUDIT_DB_PASSWORD" in warning and "Secret99" not in warning


def test_password_from_option_then_environment_then_file(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("FromFile1\n")
    secret.chmod(0o600)
    bare = "postgresql+psycopg://audit@db/core"
    assert resolve_password(bare, "FromOption", {"PII_AUDIT_DB_PASSWORD": "x"})[0].password == "FromOption"
    assert resolve_password(bare, None, {"PII_AUDIT_DB_PASSWORD": "FromEnv"}) [0].password == "FromEnv"
    url, warning = resolve_password(bare, None, {"PII_AUDIT_DB_PASSWORD_FILE": str(secret)})
    assert (url.password, warning) == ("FromFile1", None)
    assert resolve_password(bare, None, {})[0].password is None


def test_password_file_readable_by_others_is_refused(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("FromFile1\n")
    secret.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        resolve_password("postgresql+psycopg://audit@db/core", None, {"PII_AUDIT_DB_PASSWORD_FILE": str(secret)})


@pytest.mark.parametrize("type_, kind", [
    pytest.param(sa.String(18), "text", id="varchar"),
    pytest.param(sa.UnicodeText(), "text", id="text"),
    pytest.param(sa.JSON(), "text", id="json"),
    pytest.param(sa.types.NullType(), "text", id="untyped"),
    pytest.param(sa.BigInteger(), "integer", id="bigint"),
    pytest.param(sa.Integer(), "integer", id="int"),
    pytest.param(sa.Numeric(20, 0), "integer", id="numeric-no-fraction"),
    pytest.param(sa.Numeric(12, 2), None, id="amount"),
    pytest.param(sa.Float(), None, id="float"),
    pytest.param(sa.SmallInteger(), None, id="smallint"),
    pytest.param(sa.LargeBinary(), "binary", id="blob"),
    pytest.param(sa.Date(), None, id="date"),
    pytest.param(sa.Boolean(), None, id="boolean"),
])
def test_column_kind(type_, kind):
    assert column_kind(type_) == kind


@pytest.mark.parametrize("value, text", [
    pytest.param("张三", "张三", id="text"),
    pytest.param(13812345678, "13812345678", id="bigint-phone"),
    pytest.param(999999, None, id="six-digits"),
    pytest.param(Decimal("6222020000000000000"), "6222020000000000000", id="decimal-card"),
    pytest.param(Decimal("1234567.50"), None, id="decimal-fraction"),
    pytest.param(b"110105194912310021", None, id="bytes"),
    pytest.param({"手机": "13812345678"}, '{"手机": "13812345678"}', id="json"),
    pytest.param(True, None, id="bool"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_sqlite_url_is_opened_read_only():
    url = dialects.readonly_url(sa.make_url("sqlite:////data/客户 #1.db"))
    assert url.query["uri"] == "true" and url.database.endswith("?mode=ro")
    assert "#" not in url.database  # percent-encoded, or the URI would end there
    assert os.sep in url.database


def pool_and_one_process(url: str, key, tmp_path, **options):
    """Scan ``url`` with one process and with a pool (the parent reading, workers detecting its
    blocks); return both results and JSON-lines outputs."""
    from pii_audit.scan import scan_targets

    outputs = []
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}.jsonl"
        with open(out, "wb") as jsonl:
            (result,) = list(scan_targets([url], ScanOptions(jobs=jobs, **options), key, jsonl=jsonl))
        outputs.append((result, out.read_bytes()))
    return outputs


def assert_same_scan(one, two):
    (first, first_jsonl), (second, second_jsonl) = one, two
    assert first_jsonl == second_jsonl and first_jsonl
    summary = lambda r: {k: (f.occurrences, f.distinct_values, [s.location for s in f.samples])
                         for k, f in r.findings.items()}
    assert summary(first) == summary(second)
    assert (first.coverage.rows, first.coverage.cells, first.coverage.problems) == \
        (second.coverage.rows, second.coverage.cells, second.coverage.problems)
    assert {k: (v.units, v.sampled, v.complete) for k, v in first.coverage.containers.items()} == \
        {k: (v.units, v.sampled, v.complete) for k, v in second.coverage.containers.items()}


def test_a_database_read_in_the_parent_and_detected_in_a_pool_gives_what_one_process_gives(
        sqlite_db, key, tmp_path, monkeypatch):
    """Tables with and without a primary key, read in blocks of 7 rows: the same occurrences,
    locations (primary keys), JSONL order, counts and coverage with --jobs 1 and 2."""
    monkeypatch.setattr("pii_audit.sources.db_tables.YIELD_PER", 7)
    url, _ = sqlite_db
    one, two = pool_and_one_process(url, key, tmp_path, sample_rows=None)
    assert_same_scan(one, two)
    rows = [json.loads(line)["location"]["row"] for line in one[1].splitlines()]
    assert any(isinstance(row, dict) for row in rows) and any(isinstance(row, int) for row in rows)


def test_the_pool_forks_before_the_parent_opens_a_database(sqlite_db, key, workers_at_reads):
    """A connection must not cross a fork: the workers exist before the parent starts reading."""
    from pii_audit import scan

    (result,) = list(scan.scan_targets([sqlite_db[0]], ScanOptions(jobs=2), key))
    assert workers_at_reads[:1] == [2] and result.findings


@pytest.mark.parametrize("key_columns", [[], [(0, "id")], [(0, "branch"), (2, "seq")]])
def test_a_row_locator_sent_to_another_process_locates_as_before(key_columns):
    """Pickled, a block's locator keeps the key-column values of each row, not the rows, and
    says the same: no key, one key, a composite key, a key that is personal data (row number)."""
    import pickle

    from pii_audit.sources.db_tables import RowLocator

    rows = [(7, "x", 12, "13812345678"), (8, "y", 13, "13912345678"), ("11010519491231002X", "z", 14, "")]
    plan = [(1, "name", "t.name", False), (3, "phone", "t.phone", False)]
    here = RowLocator(rows, 40, plan, key_columns, {"url": "sqlite://", "table": "t"})
    there = pickle.loads(pickle.dumps(here))
    assert all(len(values) == len(key_columns) for values in there.rows)
    assert [there(column, row) for row in range(3) for column in range(2)] == \
        [here(column, row) for row in range(3) for column in range(2)]
    if key_columns == [(0, "id")]:
        assert [here(0, row)["row"] for row in range(3)] == [{"id": 7}, {"id": 8}, 43]


def test_the_rows_to_read_are_estimated_from_the_largest_rowid(tmp_path):
    """The progress status shows rows read out of about how many there are: on SQLite each
    table's largest rowid (no count), nothing for a WITHOUT ROWID table; --sample caps each
    table's share."""
    import sqlite3

    path = tmp_path / "core.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE kh (id INTEGER PRIMARY KEY, sjh TEXT)")
        db.executemany("INSERT INTO kh (sjh) VALUES (?)", [(f"137{n:08d}",) for n in range(300)])
        db.execute("CREATE TABLE dz (code TEXT PRIMARY KEY, note TEXT) WITHOUT ROWID")
        db.execute("INSERT INTO dz VALUES ('a', 'b')")
        db.execute('CREATE TABLE "Mixed Case" (note TEXT)')
        db.executemany('INSERT INTO "Mixed Case" VALUES (?)', [("x",)] * 40)
    db.close()
    engine = dialects.create_engine(sa.make_url(f"sqlite:///{path}"), 5, 30)
    with engine.connect() as connection:
        tables = [(None, "kh"), (None, "dz"), (None, "Mixed Case")]
        assert dialects.estimated_rows(connection, tables) == {(None, "kh"): 300, (None, "Mixed Case"): 40}
    engine.dispose()
    for sample, expected in ((None, 340), (100, 140)):
        coverage = TargetCoverage(str(path))
        list(read_database(f"sqlite:///{path}", ScanOptions(sample_rows=sample), coverage))
        assert (coverage.rows_expected, coverage.problems) == (expected, [])


def test_a_blob_holding_text_is_read_as_text_in_bounded_blocks(tmp_path, key):
    """A system kept its request messages as bytes: a BLOB of JSON in UTF-8, of XML in GBK, a
    long one read in its first BINARY_PREFIX bytes, an image counted. BLOBs were not read at all,
    and the table was called read in full. Blocks of such rows stay under BINARY_BLOCK_BYTES."""
    path = tmp_path / "msg.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE msg_log (id INTEGER PRIMARY KEY, body BLOB)")
        rows = [(1, '{"custName":"张三","mobile":"13812345678"}'.encode()),
                (2, "<req><khxm>李四</khxm><lxdh>010-65529988</lxdh></req>".encode("gbk")),
                (3, b"x" * (BINARY_PREFIX - 20) + "手机13912345678 手机13712345678".encode()),
                (4, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")]
        rows += [(n, b"{}") for n in range(5, 400)]
        db.executemany("INSERT INTO msg_log VALUES (?, ?)", rows)
        db.commit()
    url = f"sqlite:///{path}"
    occurrences, coverage = scan(url, key, sample_rows=None)
    assert sorted((o.location["row"]["id"], o.entity_type) for o in occurrences) == [
        (1, "CN_MOBILE_PHONE"), (1, "PERSON"), (2, "CN_LANDLINE_PHONE"), (2, "PERSON"), (3, "CN_MOBILE_PHONE")]
    assert [(n.where, n.reason) for n in coverage.notices] == [
        ("msg_log.body", f"1 value(s) longer than {BINARY_PREFIX:,} bytes read in their first {BINARY_PREFIX:,}")]
    assert coverage.images_unread == {NOT_ASKED: 1}
    blocks = [len(cells.columns[0].texts) for cells in read_database(url, ScanOptions(sample_rows=None),
                                                                      TargetCoverage(url))]
    assert sum(blocks) == 399 and max(blocks) * BINARY_PREFIX <= BINARY_BLOCK_BYTES


@functools.lru_cache(maxsize=1)
def stored_documents() -> dict[int, bytes]:
    """Return the values of a table of stored documents, by id: a receipt PDF that fits in the
    selected prefix, a statement PDF of 100 pages that does not, a credit report .docx, a photo,
    an OLE2 value of no kind read, and a damaged PDF (made once: the statement takes a second)."""
    import docx
    from test_sources_pdfs import RECEIPT, statement

    report = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("借款人联系电话：13912345678")
    document.save(report)
    pages = [[f"第{page}页 交易明细 {'摘要' * 30}" for _ in range(40)] for page in range(100)]
    pages[-1][-1] = "客户手机：13712345678"
    return {1: statement(RECEIPT), 2: statement(pages), 3: report.getvalue(), 4: PNG_HEAD + b"\x00" * 100,
            5: OLE2_MAGIC + b"\x00" * 600, 6: b"%PDF-1.4\n" + b"\x00" * 100}


def documents_db(path, values: dict[int, bytes], keyed: bool = True) -> str:
    """Write ``values`` by id to the table ``archive_doc`` (id, body BLOB) of a SQLite file; return its URL."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(f"CREATE TABLE archive_doc (id INTEGER {'PRIMARY KEY' if keyed else ''}, body BLOB)")
        db.executemany("INSERT INTO archive_doc VALUES (?, ?)", list(values.items()))
        db.commit()
    return f"sqlite:///{path}"


@pytest.mark.parametrize("keyed", [True, False])
def test_documents_in_a_blob_are_read_at_their_row_and_column(tmp_path, key, keyed):
    """Contracts, receipts and reports kept in a BLOB were counted "binary value(s) not read":
    each is now read as the file it is, its findings at its row and column, one with more than
    BINARY_PREFIX bytes fetched again by its key once the rows are read (without a key: a notice)."""
    values = stored_documents()
    assert len(values[2]) > BINARY_PREFIX >= len(values[1])
    occurrences, coverage = scan(documents_db(tmp_path / "docs.db", values, keyed), key, sample_rows=None)
    found = [(o.location["row"], o.entity_type, o.location.get("page"), o.location.get("line"))
             for o in occurrences]
    row = (lambda n: {"id": n}) if keyed else (lambda n: n)
    expected = [(row(1), "CN_BANK_CARD", 2, 3), (row(1), "CN_MOBILE_PHONE", 2, 2), (row(1), "CN_RESIDENT_ID", 1, 2),
                (row(3), "CN_MOBILE_PHONE", None, 1)]
    if keyed:
        expected.insert(3, (row(2), "CN_MOBILE_PHONE", 100, 40))
    assert sorted(found, key=str) == sorted(expected, key=str)
    assert {o.container for o in occurrences} == {"archive_doc.body"}
    assert {k for o in occurrences for k in o.location} <= {"url", "table", "column", "row", "page", "line",
                                                            "start", "end"}
    assert [p.where.startswith("archive_doc.body row") and "stored pdf document" in p.reason
            for p in coverage.problems] == [True]
    notes = [n.reason for n in coverage.notices]
    assert coverage.images_unread == {NOT_ASKED: 1}  # the PNG
    assert any("OLE2 value of no kind read" in n for n in notes)
    assert keyed or any("no primary key to fetch them by" in n for n in notes)
    written = output_bytes(occurrences, coverage)
    assert b"13712345678" not in written and b"11010519491231002X" not in written


def scanned_by(url: str, key, tmp_path, jobs: int, **options):
    """Scan ``url`` in full with ``jobs`` workers; return the result and its JSONL."""
    from pii_audit.scan import scan_targets

    out = tmp_path / f"jobs{jobs}.jsonl"
    with open(out, "wb") as jsonl:
        (result,) = scan_targets([url], ScanOptions(jobs=jobs, sample_rows=None, **options), key, jsonl=jsonl)
    return result, out.read_bytes()


def test_the_workers_read_the_documents_a_blob_holds_each_at_its_row(tmp_path, key, parent_reads):
    """With --jobs 2 the process reading the table hands each stored PDF and .docx (and the long
    PDF fetched again by its key) to a worker: it reads none itself, and the findings, their rows
    and places inside the documents, the JSONL, the damaged PDF's one problem line and the notices
    are those of one process."""
    url = documents_db(tmp_path / "docs.db", stored_documents())
    by_workers = scanned_by(url, key, tmp_path, 2)
    assert parent_reads == []
    alone = scanned_by(url, key, tmp_path, 1)
    assert sorted(parent_reads) == ["document.docx", "document.pdf", "document.pdf", "document.pdf"]
    assert_same_scan(alone, by_workers)
    result, jsonl = by_workers
    places = {(o["location"]["row"]["id"], o["location"].get("page")) for o in map(json.loads, jsonl.splitlines())}
    assert places == {(1, 1), (1, 2), (2, 100), (3, None)}
    assert [(p.where, "stored pdf document" in p.reason) for p in result.coverage.problems] == [
        ('archive_doc.body row {"id": 6}', True)]
    assert [n.reason for n in result.coverage.notices] == [n.reason for n in alone[0].coverage.notices]
    written = jsonl + repr(result).encode()
    assert not any(raw.encode() in written for raw in ("11010519491231002X", "13812345678", "6222021234567890128",
                                                       "13912345678", "13712345678"))


@needs_tesseract
def test_the_workers_read_the_images_a_blob_holds_by_ocr(tmp_path, key, parent_ocr_runs):
    """With --ocr and --jobs 2 a scanned form kept in a BLOB is read by a worker (no tesseract in
    this process), its text located at its row as one process locates it."""
    runs = parent_ocr_runs
    url = documents_db(tmp_path / "scans.db", {7: encoded(form(), "PNG")})
    by_workers = scanned_by(url, key, tmp_path, 2, ocr=True)
    assert runs == []
    alone = scanned_by(url, key, tmp_path, 1, ocr=True)
    assert runs
    assert_same_scan(alone, by_workers)
    locations = [json.loads(line)["location"] for line in by_workers[1].splitlines()]
    assert {(l["row"]["id"], l["ocr"]) for l in locations} == {(7, True)}
    assert ID18.encode() not in by_workers[1] and MOBILE.encode() not in by_workers[1]


def test_each_stored_document_goes_to_the_workers_alone_with_its_value_only(tmp_path):
    """Read by the main process for a pool, a table of 40 receipts is a block of rows, then one
    unit a receipt holding that value and its row's place (no connection, no other row): the
    scan's window (16 units a worker, BLOCKS_AHEAD_BYTES) then bounds the values in flight,
    whatever the table's size."""
    import pickle

    from pii_audit import scan
    from pii_audit.sources.images import Deferred

    receipt = stored_documents()[1]
    url = documents_db(tmp_path / "docs.db", dict.fromkeys(range(1, 41), receipt))
    planned = scan.Unit(0, (scan.ReadHere(url),), 0, last=True)
    units = list(scan._block_units(planned, ScanOptions(jobs=2, sample_rows=None)))
    items = [pickle.loads(unit.parts[0].items) for unit in units]
    assert all(len(group) == 1 for group in items)
    receipts = [(unit, group[0]) for unit, group in zip(units, items) if type(group[0]) is Deferred]
    assert len(receipts) == 40 and len(units) - len(receipts) == 1  # one block of rows
    assert max(len(unit.parts[0].items) for unit, _ in receipts) < len(receipt) + 1000
    assert [deferred.read.args[2]["row"] for _, deferred in receipts] == [{"id": n} for n in range(1, 41)]
