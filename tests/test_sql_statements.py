"""SQL with its values: statements with inline values, mysqldump and pg_dump files, Hibernate's and
JdbcTemplate's bind lines; each value read under its column's name, located as stored."""

from __future__ import annotations

import gzip
import io
import json
import random
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest
from stdnum.iso7064 import mod_11_2

from archive_makers import write_7z, write_rar
from pii_audit import scan
from pii_audit.detector import Detector
from pii_audit.models import Chunk
from pii_audit.sources import TargetCoverage, files
from scan_helpers import detector_for, scan_one

NAMES = ["王建国", "李秀英", "赵丽", "张伟", "刘洋", "陈静", "杨帆", "黄敏"]
STREETS = ["北京市朝阳区建国路{}号", "上海市浦东新区世纪大道{}号", "广州市天河区体育西路{}号", "深圳市南山区科技园路{}号"]


def resident_id(rng: random.Random) -> str:
    """Return a synthetic resident ID number with a valid check digit."""
    body = f"110105{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(100, 999)}"
    return body + mod_11_2.calc_check_digit(body)


def customers(count: int, seed: int = 7) -> list[tuple[int, str, str, str, str]]:
    """Return synthetic customers: (id, name, resident ID, mobile, address)."""
    rng = random.Random(seed)
    return [(n + 1, rng.choice(NAMES), resident_id(rng), f"13{rng.randint(5, 9)}{rng.randint(10**7, 10**8 - 1)}",
             rng.choice(STREETS).format(rng.randint(1, 300))) for n in range(count)]


def mysqldump(rows, rows_per_insert: int = 3) -> str:
    """Return a dump as mysqldump writes it: header, CREATE TABLE, extended INSERTs with no column list."""
    head = [
        "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)",
        "--",
        "-- Host: 10.1.2.3    Database: core",
        "-- ------------------------------------------------------",
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;",
        "DROP TABLE IF EXISTS `t_cust`;",
        "/*!40101 SET @saved_cs_client     = @@character_set_client */;",
        "CREATE TABLE `t_cust` (",
        "  `cust_id` bigint NOT NULL AUTO_INCREMENT,",
        "  `cust_name` varchar(50) NOT NULL COMMENT '客户姓名',",
        "  `id_no` varchar(18) DEFAULT NULL COMMENT '证件号码（身份证）',",
        "  `mobile` varchar(20) DEFAULT NULL,",
        "  `addr` varchar(200) DEFAULT NULL COMMENT '联系地址',",
        "  `remark` text,",
        "  `balance` decimal(18,2) DEFAULT '0.00',",
        "  PRIMARY KEY (`cust_id`),",
        "  UNIQUE KEY `uk_id_no` (`id_no`),",
        "  KEY `idx_mobile` (`mobile`)",
        ") ENGINE=InnoDB AUTO_INCREMENT=1001 DEFAULT CHARSET=utf8mb4 COMMENT='客户信息';",
        "LOCK TABLES `t_cust` WRITE;",
        "/*!40000 ALTER TABLE `t_cust` DISABLE KEYS */;",
    ]
    inserts = []
    for first in range(0, len(rows), rows_per_insert):
        values = ",".join(f"({n},'{name}','{id_no}','{mobile}','{addr}','客户\\'s 备注 O''Brien\\\\',12345.60)"
                          for n, name, id_no, mobile, addr in rows[first:first + rows_per_insert])
        inserts.append(f"INSERT INTO `t_cust` VALUES {values};")
    tail = ["/*!40000 ALTER TABLE `t_cust` ENABLE KEYS */;", "UNLOCK TABLES;", "-- Dump completed on 2026-11-02 10:00:00"]
    return "\n".join(head + inserts + tail) + "\n"


def pg_dump(rows) -> str:
    """Return a dump as pg_dump writes it by default: CREATE TABLE, then a COPY block of rows."""
    head = [
        "--",
        "-- PostgreSQL database dump",
        "--",
        "SET statement_timeout = 0;",
        "SET client_encoding = 'UTF8';",
        "CREATE TABLE public.t_cust (",
        "    cust_id bigint NOT NULL,",
        "    cust_name character varying(50),",
        "    id_no character varying(18),",
        "    mobile character varying(20),",
        "    addr text,",
        "    remark text",
        ");",
        "ALTER TABLE public.t_cust OWNER TO core;",
        "COPY public.t_cust (cust_id, cust_name, id_no, mobile, addr, remark) FROM stdin;",
    ]
    body = [f"{n}\t{name}\t{id_no}\t{mobile}\t{addr}\t" + ("\\N" if n % 2 else "第一行\\n第二行\\t\\\\")
            for n, name, id_no, mobile, addr in rows]
    tail = ["\\.", "", "ALTER TABLE ONLY public.t_cust ADD CONSTRAINT t_cust_pkey PRIMARY KEY (cust_id);"]
    return "\n".join(head + body + tail) + "\n"


def found(detector, lines, first_line=1, path="app.log"):
    """Return (line, entity, stored text) of what the detector finds in ``lines`` as one block."""
    chunk = Chunk("\n".join(lines) + "\n", {"path": path, "line": first_line}, path, multiline=True)
    return [(o.location["line"], o.entity_type,
             lines[o.location["line"] - first_line][o.location["start"]:o.location["end"]])
            for o in detector.detect_chunk(chunk)]


def names_found(result):
    return sorted((line, text) for line, entity, text in result if entity in ("PERSON", "CN_ADDRESS"))


def located(result, path) -> dict[str, list[str]]:
    """Return {entity: [stored text at each sample's location]} of a scan of one file."""
    lines = path.read_bytes().decode("utf-8").split("\n") if path.suffix != ".gz" else \
        gzip.decompress(path.read_bytes()).decode("utf-8").split("\n")
    return {entity: [lines[s.location["line"] - 1][s.location["start"]:s.location["end"]] for s in finding.samples]
            for (_, entity), finding in result.findings.items()}


def counts(result) -> dict[str, int]:
    return {entity: finding.occurrences for (_, entity), finding in result.findings.items()}


def test_inline_values_of_insert_update_and_where_are_read_under_their_columns(key):
    """A statement's literals, in a multi-row INSERT, an UPDATE's SET and WHERE and an IN list,
    anywhere in a log line (p6spy's last field, JdbcTemplate's update): the names and addresses
    were missed, only the bare numbers found."""
    lines = [
        "2026-11-02 10:00:00.004 INFO [exec-2] p6spy - 1700000000|3|statement|connection 5|url jdbc:mysql://db/core|"
        "insert into customer (cust_name, addr) values (?, ?)|insert into customer (cust_name, addr) values "
        "('李秀英', '上海市浦东新区世纪大道100号'), ('张伟', '广州市天河区体育西路1号')",
        "2026-11-02 10:00:01.004 DEBUG [exec-8] o.s.jdbc.core.JdbcTemplate - Executing SQL update "
        "[UPDATE customer SET addr = '深圳市南山区科技园路8号', mobile = 13812345678 WHERE cust_name = '赵丽']",
        "2026-11-02 10:00:02.004 DEBUG [exec-9] c.b.dao.Query - select * from customer where xm IN ('王建国', NULL, "
        "'陈静') and status = '1'",
    ]
    got = found(detector_for(key), lines)
    assert names_found(got) == [(1, "上海市浦东新区世纪大道100号"), (1, "广州市天河区体育西路1号"), (1, "张伟"),
                                (1, "李秀英"), (2, "深圳市南山区科技园路8号"), (2, "赵丽"), (3, "王建国"), (3, "陈静")]
    assert (2, "CN_MOBILE_PHONE", "13812345678") in got


def test_quotes_escapes_numbers_and_nulls(key):
    """A literal with a doubled quote or MySQL's backslash escapes is read as the database holds
    it and located as stored; a number and NULL take their places in a row."""
    from pii_audit.sql_statements import literal_values

    sql = r"INSERT INTO t (remark, cust_name, n, addr) VALUES ('O''Brien \'x\' \\', '张伟', -3.5, NULL)"
    assert [(sql[s:e], column) for s, e, column, _ in literal_values(sql)] == [
        (r"O''Brien \'x\' \\", "remark"), ("张伟", "cust_name"), ("-3.5", "n")]
    line = r"INSERT INTO t (note, cust_name) VALUES ('a\'b''c', '\u738b\u5efa\u56fd')"
    assert names_found(found(detector_for(key), [line])) == [(1, r"\u738b\u5efa\u56fd")]


def test_mysqldump_rows_take_the_columns_of_the_create_table_before_them(tmp_path, key):
    """mysqldump's INSERTs have no column list: their values take the CREATE TABLE's columns.
    Every name, ID, mobile and address is found, each located in its line as stored; the remark
    (a name-like word in it) and the balance are not."""
    rows = customers(30)
    dump = tmp_path / "core.sql"
    dump.write_text(mysqldump(rows), encoding="utf-8")
    result = scan_one(dump, key)
    assert counts(result) == {"PERSON": 30, "CN_RESIDENT_ID": 30, "CN_MOBILE_PHONE": 30, "CN_ADDRESS": 30}
    where = located(result, dump)
    assert set(where["PERSON"]) <= set(NAMES) and all(text.endswith("号") for text in where["CN_ADDRESS"])


def test_pg_dump_copy_rows_take_the_copy_lines_columns(tmp_path, key):
    """pg_dump's COPY block: tab-separated rows up to ``\\.``, ``\\N`` a NULL, backslash escapes
    in a field; a row after the block's end is read as it is: a tab-delimited record, its name
    found beside its mobile number as a headerless record's (tests/test_headerless_records.py)."""
    rows = customers(20)
    text = pg_dump(rows) + "21\t王建国\t\\N\t13912345678\t北京市朝阳区建国路\t\\N\n"
    dump = tmp_path / "core.sql"
    dump.write_text(text, encoding="utf-8")
    result = scan_one(dump, key)
    assert counts(result) == {"PERSON": 21, "CN_RESIDENT_ID": 20, "CN_MOBILE_PHONE": 21, "CN_ADDRESS": 20}
    assert set(located(result, dump)["PERSON"]) <= set(NAMES) | {"王建国"}


def test_a_copy_field_with_escapes_is_located_as_stored(key):
    """A field read with its escapes undone (``\\t`` a tab) is located at its characters as stored."""
    lines = ["COPY t (cust_name, remark) FROM stdin;", "\\t王建国\tx", "\\."]
    assert found(Detector(key), lines) == [(2, "PERSON", "王建国")]


def test_a_stray_copy_line_ends_at_the_first_line_that_is_no_row_of_it(key):
    """A ``COPY … FROM stdin`` line in an application log (a script echoed, a DBA's notes) with no
    rows after it: pg_dump writes each row with one field a column, so the first line without
    that many ends the block, and the statements after it are read as usual. Where a COPY's
    columns are unknown, its first row sets the width."""
    lines = ["COPY public.t_cust (cust_name, remark) FROM stdin;",
             "2026-11-02 10:00:01 INFO  c.b.App - 批量导入结束",
             "2026-11-02 10:00:02 DEBUG jdbc.sqlonly - insert into customer (cust_name) values ('李秀英')"]
    assert names_found(found(Detector(key), lines)) == [(3, "李秀英")]
    unknown = ["COPY t_cust FROM stdin;", "1\t黄敏\tx", "2\t杨帆\ty", "导入完成",
               "update customer set cust_name = '赵丽' where id = 7"]
    assert names_found(found(Detector(key), unknown)) == [(5, "赵丽")]


def test_hibernate_5_and_6_and_jdbctemplate_binds_take_their_threads_statement(key):
    """Hibernate binds a statement's values one line each, on another logger than the statement's;
    each takes the placeholders of the last statement of its own thread."""
    lines = [
        "2026-11-02 10:00:00.001 DEBUG [exec-1] org.hibernate.SQL - insert into customer (cust_name, mobile, addr) "
        "values (?, ?, ?)",
        "2026-11-02 10:00:00.001 DEBUG [exec-2] org.hibernate.SQL - select c.id from customer c where c.branch_no=?",
        "2026-11-02 10:00:00.002 TRACE [exec-1] o.h.type.descriptor.sql.BasicBinder - binding parameter [1] as "
        "[VARCHAR] - [王建国]",
        "2026-11-02 10:00:00.002 TRACE [exec-2] o.h.type.descriptor.sql.BasicBinder - binding parameter [1] as "
        "[VARCHAR] - [李秀英]",
        "2026-11-02 10:00:00.003 TRACE [exec-1] o.h.type.descriptor.sql.BasicBinder - binding parameter [3] as "
        "[VARCHAR] - [北京市朝阳区建国路88号]",
        "2023-04-08T09:31:54.232+01:00 DEBUG 164224 --- [           main] org.hibernate.SQL                        "
        ": select c1_0.id from customer c1_0 where c1_0.cust_name=? and c1_0.addr like ?",
        "2023-04-08T09:31:54.233+01:00 TRACE 164224 --- [           main] org.hibernate.orm.jdbc.bind              "
        ": binding parameter (1:VARCHAR) <- [赵丽]",
        "2023-04-08T09:31:54.233+01:00 TRACE 164224 --- [           main] org.hibernate.orm.jdbc.bind              "
        ": binding parameter (2:VARCHAR) <- [null]",
        "2026-11-02 10:00:01.001 DEBUG [exec-7] o.s.jdbc.core.JdbcTemplate - Executing prepared SQL statement "
        "[insert into customer (cust_name, mobile, addr) values (?, ?, ?)]",
        "2026-11-02 10:00:01.002 TRACE [exec-7] o.s.jdbc.core.StatementCreatorUtils - Setting SQL statement parameter "
        "value: column index 1, parameter value [张伟], value class [java.lang.String], SQL type 12",
        "2026-11-02 10:00:01.003 TRACE [exec-7] o.s.jdbc.core.StatementCreatorUtils - Setting SQL statement parameter "
        "value: column index 3, parameter value [上海市浦东新区世纪大道100号], value class [java.lang.String], SQL type 12",
    ]
    assert names_found(found(detector_for(key), lines)) == [
        (3, "王建国"), (5, "北京市朝阳区建国路88号"), (7, "赵丽"), (10, "张伟"), (11, "上海市浦东新区世纪大道100号")]


def test_values_that_are_not_personal_under_personal_columns_are_not_reported(key):
    """A test customer's name, an address left as N/A, a placeholder mobile: the column gives
    context, the value must still be one."""
    lines = ["INSERT INTO t_cust (cust_name, addr, mobile) VALUES ('测试客户', 'N/A', '0'), ('系统管理员', '见附件', ''), "
             "('王建国', '北京市朝阳区建国路88号', NULL)",
             "UPDATE t_cust SET cust_name = '已注销' WHERE addr = '无'"]
    assert found(detector_for(key), lines) == [(1, "PERSON", "王建国"), (1, "CN_ADDRESS", "北京市朝阳区建国路88号")]


def test_statements_of_amounts_and_order_numbers_yield_nothing_new(key):
    """Under columns that name nothing personal, an order number, an amount, a date, a branch and
    a remark that reads like a name give nothing, as they gave nothing read as plain text; the
    payee's name in the next statement is found."""
    lines = ["INSERT INTO t_order (order_no, amount, trade_date, branch_name, status, remark) VALUES "
             "('2026110212345678901', 13812.50, '2026-11-02', '北京分行', 1, '王府井营业部办理'), "
             "('2026110212345678902', 99.00, '2026-11-03', '朝阳支行', 2, '张江园区代缴')",
             "UPDATE t_order SET status = 3 WHERE order_no IN ('2026110212345678901', '2026110212345678902') "
             "AND branch_name = '王府井支行'",
             "INSERT INTO t_payee (order_no, payee_name, amount) VALUES ('2026110212345678901', '李秀英', 13812.50)"]
    assert found(detector_for(key), lines) == [(3, "PERSON", "李秀英")]


def test_a_long_extended_insert_is_read_in_pieces_cut_between_rows(tmp_path, key, monkeypatch):
    """An INSERT line of several MB (mysqldump with a large net_buffer_length) is read in pieces
    (of a MiB; here, of 16 KiB), so memory stays bounded; each piece is cut between two rows and
    its rows take the columns of the first piece's statement: every value is named, located in
    the line."""
    monkeypatch.setattr(files, "BLOCK", 16 << 10)
    monkeypatch.setattr(files, "LINE_LIMIT", 16 << 10)
    rows = customers(2000, seed=11)
    dump = tmp_path / "big.sql"
    dump.write_text(mysqldump(rows, rows_per_insert=len(rows)), encoding="utf-8")
    longest = max(len(line) for line in dump.read_bytes().split(b"\n"))
    assert longest > 10 * files.LINE_LIMIT  # read in pieces
    result = scan_one(dump, key)
    assert counts(result) == {"PERSON": 2000, "CN_RESIDENT_ID": 2000, "CN_MOBILE_PHONE": 2000, "CN_ADDRESS": 2000}
    where = located(result, dump)
    assert set(where["PERSON"]) <= set(NAMES) and all(text.endswith("号") for text in where["CN_ADDRESS"])


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("name", ["core.sql", "core.sql.gz", "core-20261102.txt", "core-20261102.gz"])
def test_a_copy_block_runs_on_across_blocks_and_workers(tmp_path, key, monkeypatch, jobs, name):
    """A COPY block longer than a block of lines (1 MiB; here 16 KiB) and than the ranges a big
    file is cut into for the workers: a dump, told by its name or by pg_dump's header, is read
    in order by one worker, plain or gzipped, so every row takes the COPY line's columns."""
    monkeypatch.setattr(files, "BLOCK", 16 << 10)
    monkeypatch.setattr(files, "SPLIT_BYTES", 32 << 10)  # a big file: cut into ranges of this
    monkeypatch.setattr(scan, "BATCH_BYTES", 16 << 10)  # each range a unit of its own
    monkeypatch.setattr(scan, "GROUP_BYTES", 16 << 10)  # a compressed file's blocks: a unit each
    rows = customers(2000, seed=3)
    text = pg_dump(rows)
    assert len(text.encode()) > 2 * files.SPLIT_BYTES > files.BLOCK
    dump = tmp_path / name
    dump.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    result = scan_one(dump, key, jobs=jobs)
    assert counts(result)["PERSON"] == counts(result)["CN_ADDRESS"] == 2000


LOG_LINE = "2026-11-02 10:00:00 INFO 客户身份证号11010519491231002X 手机13812345678\n"


def write_archive(path: Path, members: list[tuple[str, bytes]]) -> None:
    """Write ``members`` (name, data; a name may come twice in a zip or tar) into the archive
    ``path`` of the kind its name tells: zip, tar, tar.gz, 7z (libarchive) or RAR 5 (by hand)."""
    if path.name.endswith(".7z"):
        write_7z(path, dict(members))
    elif path.name.endswith(".rar"):
        write_rar(path, dict(members))
    elif path.name.endswith(".zip"):
        with warnings.catch_warnings(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
            warnings.filterwarnings("ignore", "Duplicate name", UserWarning)  # zipfile writes it all the same
            for name, data in members:
                bundle.writestr(name, data)
    else:
        with tarfile.open(path, "w:gz" if path.name.endswith(".gz") else "w") as bundle:
            for name, data in members:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                bundle.addfile(info, io.BytesIO(data))


def nested_archive(folder: Path, kind: str, members: list[tuple[str, bytes]]) -> Path:
    """Write ``members`` into ``backup.<kind>``; a kind ``outer!inner`` (``tar.gz!zip``) is an
    archive holding ``monthly.<inner>``, which holds them."""
    outer, _, inner = kind.partition("!")
    if inner:
        write_archive(folder / f"monthly.{inner}", members)
        members = [(f"monthly.{inner}", (folder / f"monthly.{inner}").read_bytes())]
    write_archive(folder / f"backup.{outer}", members)
    return folder / f"backup.{outer}"


def by_member(result) -> dict[tuple[str, str], int]:
    """Return the occurrences found in each member of an archive (by its name in the archive it
    lies in), by entity."""
    return {(where.rpartition("!")[2], entity): finding.occurrences
            for (where, entity), finding in result.findings.items()}


def dump_and_log(customers_in_dump: int) -> dict[tuple[str, str], int]:
    """Return what ``by_member`` gives for an archive of ``dump/core.sql`` and ``app.log`` (``LOG_LINE``)."""
    dump = {("dump/core.sql", entity): customers_in_dump
            for entity in ("PERSON", "CN_RESIDENT_ID", "CN_MOBILE_PHONE", "CN_ADDRESS")}
    return {**dump, ("app.log", "CN_RESIDENT_ID"): 1, ("app.log", "CN_MOBILE_PHONE"): 1}


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("kind", ["tar.gz", "zip", "7z", "rar", "tar.gz!zip", "zip!zip", "7z!tar"])
def test_a_dump_inside_an_archive_is_read_in_order_by_one_worker(tmp_path, key, monkeypatch, jobs, kind):
    """The parent reads an archive and its blocks go to the workers side by side: a dump's COPY
    rows in the blocks after the first had lost their columns (a 40 MB pg_dump in a tar.gz,
    --jobs 2: 20,873 of 400,000 names; in a 7z, a RAR, or a zip in a tar.gz or in a zip, here 347
    of 2,000 names until these were handed on too). The dump is handed to one worker whole, which
    opens the archive on disk again and goes down to it; the log beside it is still read in the
    parent's blocks, and each is counted once."""
    monkeypatch.setattr(files, "BLOCK", 16 << 10)
    monkeypatch.setattr(scan, "GROUP_BYTES", 16 << 10)  # an archive's blocks: a unit each
    text = pg_dump(customers(2000, seed=5))
    assert len(text.encode()) > 4 * scan.GROUP_BYTES
    archive = nested_archive(tmp_path, kind, [("dump/core.sql", text.encode()), ("app.log", LOG_LINE.encode())])
    result = scan_one(archive, key, jobs=jobs)
    assert by_member(result) == dump_and_log(2000)
    assert (result.coverage.files, result.coverage.problems) == (2, [])


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("kind", ["tar.gz", "7z"])
def test_a_dump_named_otherwise_inside_an_archive_is_told_by_its_header(tmp_path, key, monkeypatch, jobs, kind):
    """A dump whose name says nothing (backup/core-20261102.txt) is told by pg_dump's header, inside
    an archive as on disk, and handed to one worker whole: its rows keep their columns."""
    monkeypatch.setattr(files, "BLOCK", 16 << 10)
    monkeypatch.setattr(scan, "GROUP_BYTES", 16 << 10)
    text = pg_dump(customers(2000, seed=5))
    archive = nested_archive(tmp_path, kind, [("backup/core-20261102.txt", text.encode()),
                                              ("app.log", LOG_LINE.encode())])
    result = scan_one(archive, key, jobs=jobs)
    assert by_member(result)[("backup/core-20261102.txt", "PERSON")] == 2000


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_two_dumps_of_one_name_in_an_archive_are_each_read_once(tmp_path, key, monkeypatch, jobs, kind):
    """A tar may hold two members of one name (a dump appended again with ``tar -r``), and a zip
    too. Each is handed to a worker by its place in the archive's listing: chosen by name, each
    worker read both, and the rows and files were counted twice (3,600 names for 1,800)."""
    monkeypatch.setattr(files, "BLOCK", 16 << 10)
    monkeypatch.setattr(scan, "GROUP_BYTES", 16 << 10)
    first, again = pg_dump(customers(1200, seed=5)), pg_dump(customers(600, seed=6))
    archive = nested_archive(tmp_path, kind, [("dump/core.sql", first.encode()), ("app.log", LOG_LINE.encode()),
                                              ("dump/core.sql", again.encode())])
    result = scan_one(archive, key, jobs=jobs)
    assert by_member(result) == dump_and_log(1800)
    assert (result.coverage.files, result.coverage.problems) == (3, [])


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_worker_given_a_dump_reads_the_archive_no_further(tmp_path, key, monkeypatch, jobs):
    """A backup cut short after its dump: the parent, reading on, tells it once. The worker given
    the dump stops at it (nothing after it is inflated); it had read on to the cut and told it again."""
    monkeypatch.setattr(files, "BLOCK", 16 << 10)
    monkeypatch.setattr(scan, "GROUP_BYTES", 16 << 10)
    noise = random.Random(3).randbytes(150_000).hex().encode()  # does not shrink in the gzip stream
    whole = nested_archive(tmp_path, "tar.gz", [("dump/core.sql", pg_dump(customers(1000, seed=5)).encode()),
                                                ("app.log", LOG_LINE.encode()), ("later.log", noise)])
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole.read_bytes()[:-100_000])
    result = scan_one(cut, key, jobs=jobs)
    assert by_member(result)[("dump/core.sql", "PERSON")] == 1000
    assert [(problem.where, problem.reason) for problem in result.coverage.problems] == [
        (str(cut), "corrupt or truncated archive (unexpected end of data); not read further")]


def test_a_log_with_a_copy_block_is_still_cut_for_the_workers(tmp_path, key, monkeypatch):
    """Only a dump is read whole: a log as big, a COPY block in it but no dump's header, is still
    cut into ranges (the rows past a cut are read as they are)."""
    monkeypatch.setattr(files, "SPLIT_BYTES", 32 << 10)
    log = tmp_path / "app.log"
    log.write_text("2026-11-02 10:00:00 INFO  psql -f core.sql\n" + pg_dump(customers(2000, seed=3)), encoding="utf-8")
    assert len(list(files.plan_file(str(log), log.stat().st_size, TargetCoverage(str(log))))) > 1
    dump = tmp_path / "core.sql"
    dump.write_bytes(log.read_bytes())
    assert len(list(files.plan_file(str(dump), dump.stat().st_size, TargetCoverage(str(dump))))) == 1


def test_json_logged_sql_is_located_as_stored(key):
    """A JSON log line holding the statement with its Chinese as \\u escapes: read unescaped,
    each value named, located at its escapes in the line as stored."""
    message = "insert into t_cust (cust_name, addr) values ('王建国', '北京市朝阳区建国路88号')"
    line = json.dumps({"level": "DEBUG", "logger": "jdbc.sqlonly", "message": message})
    got = names_found(found(detector_for(key), [line]))
    assert [json.loads(f'"{text}"') for _, text in got] == ["北京市朝阳区建国路88号", "王建国"]


def test_a_detector_that_screens_nothing_reads_statements_too(key):
    """Below the screening score every line runs every recognizer: statements are still read."""
    lines = ["insert into customer (cust_name, addr) values ('李秀英', '上海市浦东新区世纪大道100号')"]
    got = found(Detector(key, min_score=0.1), lines)
    assert {(1, "PERSON", "李秀英"), (1, "CN_ADDRESS", "上海市浦东新区世纪大道100号")} <= set(got)


def test_a_statement_hibernate_formats_over_several_lines_names_its_binds(key):
    """With hibernate.format_sql the statement is on the indented lines after org.hibernate.SQL's."""
    lines = [
        "2026-11-02 10:00:00.001 DEBUG [exec-1] org.hibernate.SQL - ",
        "    insert ",
        "    into",
        "        customer",
        "        (cust_name, mobile, addr) ",
        "    values",
        "        (?, ?, ?)",
        "2026-11-02 10:00:00.002 TRACE [exec-1] o.h.type.descriptor.sql.BasicBinder - binding parameter [1] as "
        "[VARCHAR] - [王建国]",
        "2026-11-02 10:00:00.003 TRACE [exec-1] o.h.type.descriptor.sql.BasicBinder - binding parameter [3] as "
        "[VARCHAR] - [北京市朝阳区建国路88号]",
    ]
    assert names_found(found(detector_for(key), lines)) == [(8, "王建国"), (9, "北京市朝阳区建国路88号")]
