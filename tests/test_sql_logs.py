"""SQL logged with its parameters (MyBatis): each value read under its column's name, located as stored."""

from __future__ import annotations

import pytest

from pii_audit.detector import Detector
from pii_audit.models import Chunk
from pii_audit.sql_logs import SqlNames, placeholder_columns
from scan_helpers import detector_for, scan_one

INSERT = [
    "2026-11-02 10:12:01.123 DEBUG [http-nio-8080-exec-3] c.b.m.CustMapper.insert - ==>  Preparing: "
    "INSERT INTO t_cust (cust_name, id_no, mobile, addr, card_no) VALUES (?, ?, ?, ?, ?)",
    "2026-11-02 10:12:01.124 DEBUG [http-nio-8080-exec-3] c.b.m.CustMapper.insert - ==> Parameters: "
    "张伟(String), 11010519491231002X(String), 13812345678(String), 北京市朝阳区建国路(String), "
    "6222021234567890128(String)",
]
SELECT = [
    "2026-11-02 10:12:02.001 DEBUG [http-nio-8080-exec-4] c.b.m.CustMapper.select - ==>  Preparing: "
    "SELECT * FROM t_cust WHERE cust_name = ? AND id_no = ?",
    "2026-11-02 10:12:02.002 DEBUG [http-nio-8080-exec-4] c.b.m.CustMapper.select - ==> Parameters: "
    "李秀英(String), 11010519491231002X(String)",
    "2026-11-02 10:12:02.010 TRACE [http-nio-8080-exec-4] c.b.m.CustMapper.select - <==    Columns: "
    "cust_id, cust_name, id_no, mobile",
    "2026-11-02 10:12:02.010 TRACE [http-nio-8080-exec-4] c.b.m.CustMapper.select - <==        Row: "
    "1001, 王芳, 11010519491231002X, 13912345678",
    "2026-11-02 10:12:02.011 DEBUG [http-nio-8080-exec-4] c.b.m.CustMapper.select - <==      Total: 1",
]


def found(detector, lines, first_line=1, path="app.log"):
    """Return (line, entity, stored text) of what the detector finds in ``lines`` as one block."""
    chunk = Chunk("\n".join(lines) + "\n", {"path": path, "line": first_line}, path, multiline=True)
    return [(o.location["line"], o.entity_type, lines[o.location["line"] - first_line][o.location["start"]:o.location["end"]])
            for o in detector.detect_chunk(chunk)]


def names_found(result):
    return sorted((line, text) for line, entity, text in result if entity in ("PERSON", "CN_ADDRESS"))


def test_parameters_and_rows_are_read_under_their_columns_names(key):
    """The probe of a bank's Java service log: the names and the address in the parameters and
    the row were missed, only the bare numbers found."""
    got = found(detector_for(key), INSERT + SELECT)
    assert names_found(got) == [(2, "北京市朝阳区建国路"), (2, "张伟"), (4, "李秀英"), (6, "王芳")]
    assert {(line, entity) for line, entity, _ in got} >= {
        (2, "CN_RESIDENT_ID"), (2, "CN_MOBILE_PHONE"), (2, "CN_BANK_CARD"), (4, "CN_RESIDENT_ID"),
        (6, "CN_RESIDENT_ID"), (6, "CN_MOBILE_PHONE")}
    assert all(text in INSERT[1] + SELECT[1] + SELECT[3] for _, _, text in got)  # located as stored


def test_only_columns_that_name_personal_data_give_their_values_context(key):
    """A branch's name, an amount, a date, a remark, an order number and a name in a column named
    for none give nothing but the bare numbers; a row whose values outnumber its columns (a value
    holding ", ") takes no column's name, but is a comma-delimited record holding an ID number, its
    names found as a headerless record's (tests/test_headerless_records.py); the row of the same
    result set whose values match its columns, a name."""
    lines = [
        "10:00:00.001 DEBUG [exec-1] c.b.m.OrderMapper.insert - ==>  Preparing: INSERT INTO t_order "
        "(order_no, amount, trade_date, branch_name, status, remark) VALUES (?, ?, ?, ?, ?, ?)",
        "10:00:00.002 DEBUG [exec-1] c.b.m.OrderMapper.insert - ==> Parameters: 2026110212345678901(String), "
        "13812.50(BigDecimal), 2026-11-02(Date), 北京分行(String), 1(Integer), 王府井营业部办理(String)",
        "10:00:00.003 DEBUG [exec-1] c.b.m.OrderMapper.select - ==>  Preparing: SELECT * FROM t_order WHERE "
        "status = ? AND created_at >= ?",
        "10:00:00.004 DEBUG [exec-1] c.b.m.OrderMapper.select - ==> Parameters: 张伟(String), "
        "2026-11-02 10:00:00.0(Timestamp)",
        SELECT[2],
        SELECT[3].replace("王芳", "王芳, 张伟"),
        SELECT[3],
    ]
    got = found(detector_for(key), lines)
    assert names_found(got) == [(6, "张伟"), (6, "王芳"), (7, "王芳")]
    assert [(line, entity) for line, entity, _ in got] == [
        (6, "PERSON"), (6, "PERSON"), (6, "CN_RESIDENT_ID"), (6, "CN_MOBILE_PHONE"),
        (7, "PERSON"), (7, "CN_RESIDENT_ID"), (7, "CN_MOBILE_PHONE")]


def test_a_statement_is_told_by_its_logger_and_thread_not_by_its_time(key):
    """Two requests run one dynamic statement at once with different columns: each Parameters
    line takes its own thread's statement; another statement's parameters take none."""
    head = "2026-11-02 10:12:0{n}.00{n} DEBUG [exec-{thread}] c.b.m.CustMapper.{statement} - "
    lines = [
        head.format(n=1, thread=1, statement="find") + "==>  Preparing: SELECT * FROM t WHERE cust_name = ?",
        head.format(n=2, thread=2, statement="find") + "==>  Preparing: SELECT * FROM t WHERE branch_no = ?",
        head.format(n=3, thread=2, statement="find") + "==> Parameters: 李秀英(String)",
        head.format(n=4, thread=1, statement="find") + "==> Parameters: 王芳(String)",
        head.format(n=5, thread=1, statement="count") + "==> Parameters: 张伟(String)",
    ]
    assert names_found(found(detector_for(key), lines)) == [(4, "王芳")]


def test_a_parameters_line_after_a_blocks_end_takes_its_statement_from_the_block_before(key):
    """A file is read in blocks of lines: the Preparing line may end one and its Parameters line
    begin the next. The detector that read the one carries its statements to the next; a block
    read on its own (another worker's), or again from the file's start, carries nothing."""
    detector = Detector(key)
    assert found(detector, INSERT[:1], first_line=1) == []
    assert names_found(found(detector, INSERT[1:], first_line=2)) == [(2, "北京市朝阳区建国路"), (2, "张伟")]
    assert names_found(found(detector, INSERT[1:], first_line=2)) == []  # not the block after the last one
    assert names_found(found(Detector(key), INSERT[1:], first_line=2)) == []
    assert found(detector, INSERT[:1], first_line=1, path="other.log") == []
    assert names_found(found(detector, INSERT[1:], first_line=2)) == []  # another file's block came between


def test_coloured_mybatis_lines_give_what_the_plain_lines_give(key):
    """A console appender colours the level and the logger: the statement is still told by them,
    and the values located in the line as stored."""
    coloured = [line.replace("DEBUG", "\x1b[32mDEBUG\x1b[0m").replace("TRACE", "\x1b[36mTRACE\x1b[0m")
                .replace(" c.b.m.", " \x1b[35mc.b.m.").replace(" - ", "\x1b[0m - ") for line in INSERT + SELECT]
    got = found(detector_for(key), coloured)
    assert names_found(got) == [(2, "北京市朝阳区建国路"), (2, "张伟"), (4, "李秀英"), (6, "王芳")]
    assert [(line, entity) for line, entity, _ in got] == [
        (line, entity) for line, entity, _ in found(detector_for(key), INSERT + SELECT)]


def test_nested_queries_values_with_commas_and_nulls(key):
    """A nested query's arrows are longer (``====>``); a value may hold ", " (its type ends it);
    a null has no type; an UPDATE's SET and an IN list name their placeholders."""
    lines = [
        "DEBUG c.b.m.AddrMapper.update - ====>  Preparing: UPDATE t_addr SET remark = ?, contact_addr = ?, "
        "lxr = ? WHERE cust_id IN (?, ?)",
        "DEBUG c.b.m.AddrMapper.update - ====> Parameters: null, 北京市朝阳区建国路, 3单元(String), 李秀英(String), "
        "1001(Long), 1002(Long)",
    ]
    names = SqlNames()
    assert names.read(lines[0]) is None
    assert names.read(lines[1])[0].endswith("Parameters: contact_addr=北京市朝阳区建国路, 3单元, lxr=李秀英, "
                                            "cust_id=1001, cust_id=1002")
    assert names_found(found(detector_for(key), lines)) == [(2, "北京市朝阳区建国路"), (2, "李秀英")]


@pytest.mark.parametrize("sql, columns", [
    pytest.param("INSERT INTO t (a, `id_no`, ts) VALUES (?, ?, now())", ["a", "id_no"], id="insert"),
    pytest.param("insert into t(a,b) values (?,?),(?,?)", ["a", "b", "a", "b"], id="insert-rows"),
    pytest.param("INSERT INTO t (a, b) VALUES (?, to_date(?, 'yyyy')) ON DUPLICATE KEY UPDATE c = ?",
                 ["a", "b", "c"], id="insert-upsert"),
    pytest.param("INSERT INTO t (a, b) VALUES (?)", [None], id="insert-short-row"),
    pytest.param("SELECT * FROM t x WHERE x.xm LIKE CONCAT('%', ?, '%') AND sjhm<>? AND note = 'a?b'",
                 ["xm", "sjhm"], id="like-concat-literal"),
    pytest.param("DELETE FROM t WHERE id IN (?, ?, ?) AND amt BETWEEN ? AND ? LIMIT ?",
                 ["id", "id", "id", None, None, None], id="in-between-limit"),
    pytest.param('SELECT * FROM "T" WHERE "ZJHM" = ? AND x NOT IN (?, ?)', ["ZJHM", "x", "x"], id="quoted"),
])
def test_placeholder_columns(sql, columns):
    assert placeholder_columns(sql) == columns


def test_a_log_file_read_through_the_file_source(tmp_path, key):
    """A MyBatis log scanned as a target: the names are findings of the log's stream, located in
    their lines as stored."""
    log = tmp_path / "app.log"
    log.write_text("\n".join(["2026-11-02 10:12:00.000 INFO  [main] c.b.Application - started"] + INSERT + SELECT) + "\n",
                   encoding="utf-8")
    result = scan_one(log, key)
    findings = {entity: finding for (_, entity), finding in result.findings.items()}
    assert findings["PERSON"].occurrences == 3 and findings["CN_ADDRESS"].occurrences == 1
    lines = log.read_text(encoding="utf-8").split("\n")
    located = {lines[o.location["line"] - 1][o.location["start"]:o.location["end"]] for o in findings["PERSON"].samples}
    assert located == {"张伟", "李秀英", "王芳"}


def test_names_remembered_are_bounded():
    names = SqlNames()
    for n in range(5000):
        names.read(f"DEBUG c.b.m.M.s{n} - ==>  Preparing: SELECT * FROM t WHERE xm = ?")
    assert names.read("DEBUG c.b.m.M.s4999 - ==> Parameters: 张伟(String)")[0].endswith("xm=张伟")
    assert names.read("DEBUG c.b.m.M.s0 - ==> Parameters: 张伟(String)") is None


def test_a_detector_that_screens_nothing_names_the_values_too(key):
    """Below the screening score every line runs every recognizer, without the screen's marks:
    MyBatis' lines are still read with their columns' names."""
    got = found(Detector(key, min_score=0.1), INSERT + SELECT)
    assert {(2, "张伟"), (4, "李秀英"), (6, "王芳")} <= {(line, text) for line, entity, text in got if entity == "PERSON"}
