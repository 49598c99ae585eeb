"""Headerless batch files read under audit.toml's ``[[layouts]]``: a GBK fixed-width ``.dat`` and a
UTF-8 ``|``-delimited ``.txt``, each field a cell under its column's name, through
``pii-audit scan --config``; records of another shape and bytes that do not decode said in one line
a file; a file no layout matches read as before; a wrong layout refused by ``config check``.
Values are synthetic, with valid check digits; none may reach the JSONL, the ledger or the output."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from pii_audit.cli import cli
from pii_audit.config_load import check
from tests_corpus import card, resident_id
from xlsb_helpers import zipped

RNG = random.Random(20240601)
KEY = "ab" * 32
NAMES = ["王建国", "欧阳娜娜", "李秀英", "孙丽华", "吴桂芳"]
ADDRESS = "北京市海淀区中关村大街27号"
WIDTHS = [8, 4, 20, 18, 11, 19, 12, 40]
COLUMNS = ["交易日期", "序号", "姓名", "证件号码", "手机号", "银行卡号", "金额", "地址"]
CONFIG = """\
[key]
env = "PII_AUDIT_KEY"

[[targets]]
name = "批量文件"
kind = "files"
owner = "张伟"
paths = ["batch"]
schedule = "0 2 * * *"

[[layouts]]
files = ["**/CUST_*.dat"]
encoding = "gb18030"
widths = {widths}
columns = {columns}
skip_lines = 1

[[layouts]]
files = ["JYMX_*.txt"]
delimiter = "|"
columns = ["流水号", "姓名", "金额", "地址", "状态"]
"""


def _field(text: str, width: int) -> bytes:
    """Return a field as a fixed-width file holds it: GBK bytes, padded with spaces."""
    data = text.encode("gbk")
    assert len(data) <= width
    return data + b" " * (width - len(data))


def _fixed_width(rng: random.Random = RNG) -> tuple[bytes, list[str]]:
    """Return a GBK fixed-width file (a totals line, five records, one with a byte GBK does not
    decode, a trailer) and every raw value in it."""
    lines, raw = [b"H20240601000005"], []
    for number, name in enumerate(NAMES, 1):
        rid, mobile, bank_card = resident_id(rng), f"139{rng.randrange(10**8):08d}", card(rng)
        raw += [name, rid, mobile, bank_card]
        fields = ["20240601", f"{number:04d}", name, rid, mobile, bank_card, "000000123456", ADDRESS]
        record = b"".join(_field(text, width) for text, width in zip(fields, WIDTHS))
        if number == 3:  # a damaged amount: the record is still read, its byte replaced
            record = record.replace(b"000000123456", b"00000012345\x80")
        lines.append(record)
    lines.append(b"TRL0000000005")
    return b"\r\n".join(lines) + b"\r\n", raw


def _delimited() -> tuple[bytes, list[str]]:
    """Return a UTF-8 ``|``-delimited file of names with no ID, card or mobile beside them."""
    lines = [f"2024060100{number:02d}|{name}|1000.00|{ADDRESS}|正常" for number, name in enumerate(NAMES, 1)]
    lines.append("TRL|000005")
    return ("\n".join(lines) + "\n").encode("utf-8"), list(NAMES)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """Scan a folder of a fixed-width .dat, a delimited .txt and a .dat no layout matches through
    ``pii-audit scan --config``; return (occurrences of the JSONL by file name, the output, the
    raw values, the folder)."""
    folder = tmp_path_factory.mktemp("layouts")
    (folder / "batch").mkdir()
    fixed, raw = _fixed_width()
    delimited, names = _delimited()
    (folder / "batch" / "CUST_20240601.dat").write_bytes(fixed)
    (folder / "batch" / "KHXX_20240601.dat").write_bytes(fixed)  # no layout matches it
    (folder / "batch" / "JYMX_20240601.txt").write_bytes(delimited)
    config = folder / "audit.toml"
    config.write_text(CONFIG.format(widths=json.dumps(WIDTHS), columns=json.dumps(COLUMNS, ensure_ascii=False)),
                      "utf-8")
    out = folder / "found.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PII_AUDIT_KEY", KEY)
        result = CliRunner().invoke(cli, ["scan", "--config", str(config), "--jsonl", str(out), "--jobs", "1"])
    assert result.exit_code == 1, result.output
    by_file: dict[str, list[dict]] = {}
    for record in map(json.loads, out.read_text("utf-8").splitlines()):
        name = record["location"]["path"].rsplit("/", 1)[-1]
        by_file.setdefault(name, []).append(record)
    return by_file, result.output, raw + names, folder


def _found(records: list[dict], entity: str) -> list[tuple[int, str, str]]:
    return sorted((r["location"]["line"], r["location"].get("column", ""), r["container"].rsplit("!", 1)[-1])
                  for r in records if r["entity_type"] == entity and not r["already_masked"])


@pytest.mark.parametrize("entity, column", [
    ("CN_RESIDENT_ID", "证件号码"), ("CN_BANK_CARD", "银行卡号"), ("CN_MOBILE_PHONE", "手机号"),
    ("PERSON", "姓名"), ("CN_ADDRESS", "地址")])
def test_each_field_of_a_fixed_width_record_is_read_under_its_column(scanned, entity, column):
    found = _found(scanned[0]["CUST_20240601.dat"], entity)
    # Lines 2-6: line 1 is the totals line skipped; line 4's damaged amount does not lose the rest.
    assert found == [(line, column, column) for line in range(2, 7)]


def test_a_fixed_width_value_is_located_by_line_column_and_offset_in_the_field(scanned):
    record = next(r for r in scanned[0]["CUST_20240601.dat"] if r["entity_type"] == "CN_RESIDENT_ID")
    where = record["location"]
    assert (where["line"], where["column"], where["start"], where["end"]) == (2, "证件号码", 0, 18)
    assert record["container"].endswith("batch/CUST_20240601.dat!证件号码")


def test_a_delimited_record_names_its_name_and_address_without_an_id_beside_them(scanned):
    records = scanned[0]["JYMX_20240601.txt"]
    assert _found(records, "PERSON") == [(line, "姓名", "姓名") for line in range(1, 6)]
    assert _found(records, "CN_ADDRESS") == [(line, "地址", "地址") for line in range(1, 6)]


def test_odd_records_and_undecodable_bytes_are_one_line_a_file(scanned):
    notes = [line for line in scanned[1].splitlines() if "not of the layout's" in line]
    assert len(notes) == 2, scanned[1]
    fixed = next(line for line in notes if "CUST_20240601.dat" in line)
    assert "1 of 6 records not of the layout's 132 bytes (the first at line 7)" in fixed
    assert "1 records with bytes that do not decode as gb18030, replaced" in fixed
    delimited = next(line for line in notes if "JYMX_20240601.txt" in line)
    assert "1 of 6 records not of the layout's 5 fields (the first at line 6)" in delimited


def test_a_file_no_layout_matches_is_read_as_before(scanned):
    records = scanned[0]["KHXX_20240601.dat"]
    assert records and all("column" not in r["location"] for r in records)
    # Its abutting digit fields are one run of digits, rejected as an order number is.
    assert not _found(records, "CN_RESIDENT_ID")


def test_no_raw_value_is_written(scanned):
    by_file, output, raw, folder = scanned
    written = [json.dumps(by_file, ensure_ascii=False), output]
    written += [path.read_bytes().decode("utf-8", "replace") for path in folder.glob("pii-audit-ledger.db*")]
    assert len(written) >= 3
    for value in raw:
        assert not any(value in text for text in written), "a raw value was written"


LAYOUT = '[[layouts]]\nfiles = ["*.dat"]\n'


@pytest.mark.parametrize("text, line, key, message", [
    pytest.param(LAYOUT + 'widths = [8, 4]\ncolumns = ["日期", "序号", "姓名"]\n', 3, "layouts[0].widths",
                 "2 widths for 3 columns", id="widths-and-columns-differ"),
    pytest.param(LAYOUT + 'widths = [8]\ndelimiter = "|"\ncolumns = ["日期"]\n', 3, "layouts[0].widths",
                 "not both and not neither", id="widths-and-delimiter"),
    pytest.param(LAYOUT + 'columns = ["日期"]\n', 1, "layouts[0].widths", "not both and not neither",
                 id="neither"),
    pytest.param(LAYOUT + 'delimiter = "|"\ncolumns = []\n', 4, "layouts[0].columns",
                 "at least one field", id="no-columns"),
    pytest.param(LAYOUT + 'delimiter = "|"\n', 1, "layouts[0].columns", "missing", id="columns-missing"),
    pytest.param('[[layouts]]\nfiles = ["batch/[0-9.dat"]\ndelimiter = "|"\ncolumns = ["a"]\n', 2,
                 "layouts[0].files[0]", "unclosed [ ]", id="bad-glob"),
    pytest.param('[[layouts]]\nfiles = ["batch/"]\ndelimiter = "|"\ncolumns = ["a"]\n', 2,
                 "layouts[0].files[0]", "names a folder", id="folder-glob"),
    pytest.param(LAYOUT + 'delimiter = "|"\ncolumns = ["a"]\nencoding = "gbkk"\n', 5,
                 "layouts[0].encoding", "unknown encoding", id="unknown-encoding"),
    pytest.param(LAYOUT + 'delimiter = "|"\ncolumns = ["a"]\nencoding = "utf-16"\n', 5,
                 "layouts[0].encoding", "lines of bytes", id="utf-16"),
    pytest.param(LAYOUT + 'delimiter = "|"\ncolumns = ["a", "a"]\n', 4, "layouts[0].columns[1]",
                 "duplicate column name", id="duplicate-column"),
    pytest.param(LAYOUT + 'widths = [8, 0]\ncolumns = ["a", "b"]\n', 3, "layouts[0].widths",
                 "whole numbers ≥ 1", id="zero-width"),
])
def test_config_check_reports_a_wrong_layout_with_its_place(tmp_path, text, line, key, message):
    path = tmp_path / "audit.toml"
    path.write_text(text, "utf-8")
    config, issues = check(path)
    assert config is None and len(issues) == 1, [str(i) for i in issues]
    assert (issues[0].line, issues[0].key) == (line, key), str(issues[0])
    assert message in issues[0].message


def test_config_check_lists_a_valid_layout(tmp_path):
    path = tmp_path / "audit.toml"
    path.write_text(LAYOUT + 'widths = [8, 4]\ncolumns = ["日期", "序号"]\n', "utf-8")
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "layout for *.dat: 2 columns, fixed-width, 12 bytes" in result.output


def test_the_rest_of_a_line_too_long_for_a_record_is_read_as_text_at_its_place(tmp_path, monkeypatch):
    from pii_audit.sources import layouts
    from pii_audit.sources.layouts import Layout
    from scan_helpers import scan_one

    monkeypatch.setattr(layouts, "MAX_RECORD_BYTES", 64)  # a line past it is read in pieces of 64 bytes
    rid = resident_id(RNG)
    line = "20240601|张伟|" + "x" * 60 + f" sfzh={rid} "
    (tmp_path / "JYMX_1.txt").write_bytes((line + "\n").encode("utf-8"))
    layout = Layout(("JYMX_*.txt",), ("日期", "姓名"), delimiter="|")
    result = scan_one(tmp_path, bytes(32), layouts=(layout,))
    (sample,) = result.findings[(str(tmp_path / "JYMX_1.txt"), "CN_RESIDENT_ID")].samples
    assert (sample.location["line"], sample.location["start"]) == (1, line.index(rid))
    assert "column" not in sample.location
    assert any("1 of 1 records not of the layout's 2 fields" in n.reason for n in result.coverage.notices)


def _scan_into(ledger, folder, now, **options) -> None:
    """Scan ``folder``, in full unless ``options`` sample, and record it in ``ledger``."""
    from ledger_helpers import record_scan
    from scan_helpers import scan_one

    record_scan(ledger, [scan_one(folder, bytes.fromhex(KEY), **({"sample_rows": None} | options))], now)


@pytest.mark.parametrize("after, verified", [
    pytest.param("deleted", True, id="deleted"),
    pytest.param("no-layout", False, id="a-layout-no-longer-matches-it"),
    pytest.param("excluded", False, id="the-config-leaves-it-out"),
    pytest.param("deleted-with-a-problem", False, id="deleted-the-folder-read-with-a-problem"),
    pytest.param("deleted-sampled", False, id="deleted-the-scan-sampled"),
])
def test_a_batch_file_deleted_verifies_its_column_items(tmp_path, after, verified):
    """A layout-read file's items are its columns (``CUST.dat!证件号码``): the file deleted, the
    remedy an owner chose, a full scan of its folder without a problem verifies them, as a CSV's;
    the file still on disk (read without its layout, or left out) or a scan that was not full
    verifies nothing."""
    import datetime
    import os

    from ledger_helpers import T0
    from pii_audit.ledger import Ledger
    from pii_audit.sources.layouts import Layout

    folder = tmp_path / "batch"
    folder.mkdir()
    fixed, raw = _fixed_width(random.Random(5))
    batch = folder / "CUST_20240601.dat"
    batch.write_bytes(fixed)
    layout = Layout(("**/CUST_*.dat",), tuple(COLUMNS), widths=tuple(WIDTHS), encoding="gb18030", skip_lines=1)
    ledger = Ledger.open(f"sqlite:///{tmp_path}/ledger.db", bytes.fromhex(KEY))
    _scan_into(ledger, folder, T0, layouts=(layout,))
    items = {item.container.rsplit("!", 1)[-1] for item in ledger.items()}
    assert {"证件号码", "银行卡号", "手机号", "姓名"} <= items
    options: dict = {"layouts": (layout,)}
    if after.startswith("deleted"):
        batch.unlink()
    if after == "no-layout":
        options = {}
    if after == "excluded":
        options["exclude"] = ("CUST_*.dat",)
    if after == "deleted-with-a-problem":
        os.mkfifo(folder / "pipe")  # not a regular file: a problem line, the scan partial
    if after == "deleted-sampled":
        (folder / "rates.csv").write_text("币种,汇率\n" + "USD,7.1\n" * 5, "utf-8")
        options["sample_rows"] = 2
    _scan_into(ledger, folder, T0 + datetime.timedelta(days=7), **options)
    columns = [item for item in ledger.items() if "!" in item.container]
    statuses = {item.container.rsplit("!", 1)[-1]: item.status for item in columns}
    assert statuses and set(statuses.values()) == {"verified" if verified else "open"}, statuses
    assert all(item.last_seen == T0 for item in columns)  # not read again: absent, not found
    stored = "".join(p.read_bytes().decode("utf-8", "replace") for p in tmp_path.glob("ledger.db*"))
    assert not any(value in stored for value in raw)
    ledger.close()


def _tar_gz(members: dict[str, bytes]) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


FIXED_LAYOUT_ARGS = (("**/CUST_*.dat",), tuple(COLUMNS))


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("archive, pack, member", [
    pytest.param("JYMX_20240601.zip", zipped, "CUST_20240601.dat", id="zip"),
    pytest.param("JYMX_20240601.zip", zipped, "20240601/CUST_20240601.dat", id="zip-in-a-folder"),
    pytest.param("JYMX_20240601.tar.gz", _tar_gz, "CUST_20240601.dat", id="tar.gz"),
])
def test_a_batch_file_in_an_archive_is_read_with_its_layout(tmp_path, jobs, archive, pack, member):
    """Daily batches come zipped: a member whose path in the archive a layout's glob matches (by
    any tail, as on disk) is read with the layout and located in the archive as its members are;
    one the globs do not match is read as text, as before."""
    from pii_audit.sources.layouts import Layout
    from scan_helpers import scan_one, written

    fixed, raw = _fixed_width(random.Random(5))  # no test card (4111 1111 1111 1111), which is not reported
    (tmp_path / archive).write_bytes(pack({member: fixed, "KHXX_20240601.dat": fixed}))
    layout = Layout(*FIXED_LAYOUT_ARGS, widths=tuple(WIDTHS), encoding="gb18030", skip_lines=1)
    result = scan_one(tmp_path, bytes(32), jobs=jobs, layouts=(layout,), sample_rows=None)
    inside = f"{tmp_path / archive}!{member}"
    for entity, column in [("CN_RESIDENT_ID", "证件号码"), ("CN_BANK_CARD", "银行卡号"), ("PERSON", "姓名")]:
        finding = result.findings[(f"{inside}!{column}", entity)]
        assert finding.occurrences == 5
        where = finding.samples[0].location
        assert (where["path"], where["line"], where["column"]) == (inside, 2, column)
    unmatched = [key for key in result.findings if "KHXX_20240601.dat" in key[0]]
    assert unmatched and all(container.endswith("KHXX_20240601.dat") for container, _ in unmatched)
    assert not any(key[1] == "CN_RESIDENT_ID" for key in unmatched)  # one run of digits, as before
    record = result.coverage.containers[f"{inside}!证件号码"]
    assert record.complete and record.units == 5
    text = written([s for f in result.findings.values() for s in f.samples])
    assert not any(value in text for value in raw)


def test_a_batch_file_in_an_archive_is_handed_to_one_worker(tmp_path):
    """Where the scan hands units on, the archive's reader leaves a batch file in it to one worker,
    as a dump (``Deferred``): read there whole, its records in order."""
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.archives import read_archive
    from pii_audit.sources.images import Deferred, read_deferred
    from pii_audit.sources.layouts import Layout

    fixed, _ = _fixed_width(random.Random(5))
    path = tmp_path / "JYMX_20240601.zip"
    path.write_bytes(zipped({"CUST_20240601.dat": fixed, "readme.txt": b"batch of 2024-06-01\n"}))
    layout = Layout(*FIXED_LAYOUT_ARGS, widths=tuple(WIDTHS), encoding="gb18030", skip_lines=1)
    options = ScanOptions(layouts=(layout,), defer_dumps=True)
    items = list(read_archive(str(path), options, TargetCoverage("t")))
    deferred = [item for item in items if type(item) is Deferred]
    assert len(deferred) == 1 and len(items) == 2  # the batch file handed on, the readme read here
    worker = TargetCoverage("t")
    cells = [item for item in read_deferred(deferred, options, worker) if hasattr(item, "columns")]
    assert cells and {c.container.rsplit("!", 1)[-1] for c in cells[0].columns} >= {"证件号码", "银行卡号"}
    assert worker.containers[f"{path}!CUST_20240601.dat!证件号码"].units == 5


def test_a_batch_file_in_an_archive_cut_short_is_read_in_part(tmp_path):
    """A tar.gz cut inside its batch file: what was read of it is reported, its columns are
    incomplete (they verify nothing) and the archive's break is one problem line."""
    from pii_audit.sources.layouts import Layout
    from scan_helpers import scan_one

    fixed, _ = _fixed_width(random.Random(5))
    records = fixed.split(b"\r\n")[1:6] * 400  # 2,000 records, some 260 KB
    data = _tar_gz({"CUST_20240601.dat": b"\r\n".join(records) + b"\r\n"})
    (tmp_path / "JYMX_20240601.tar.gz").write_bytes(data[:len(data) // 2])
    layout = Layout(*FIXED_LAYOUT_ARGS, widths=tuple(WIDTHS), encoding="gb18030")
    result = scan_one(tmp_path, bytes(32), layouts=(layout,), sample_rows=None)
    record = result.coverage.containers[f"{tmp_path / 'JYMX_20240601.tar.gz'}!CUST_20240601.dat!证件号码"]
    assert 0 < record.units < 2000 and not record.complete
    assert [p.reason for p in result.coverage.problems if "corrupt or truncated" in p.reason]


def test_a_zero_padded_card_id_or_mobile_is_found_after_its_zeros(tmp_path):
    """A fixed-width file right-aligns numbers padded with zeros (a 22-byte card field): under a
    column naming a card, an ID or a mobile, the zeros do not hide the value, which is located
    after them; a landline keeps its 0, an account (some begin with 0) and a column naming none
    (an amount) are not stripped. A CSV's cell is read so too."""
    from pii_audit.sources.layouts import Layout
    from scan_helpers import scan_one

    rng = random.Random(7)
    bank_card, rid, mobile = card(rng), resident_id(rng), f"139{rng.randrange(10**8):08d}"
    assert not bank_card.startswith("411111")
    phone = "010" + str(rng.randrange(2 * 10**7, 9 * 10**7))  # a Beijing landline: its 0 is no padding
    fields = [bank_card.zfill(22), rid.zfill(20), mobile.zfill(14), phone.zfill(14), bank_card.zfill(22)]
    columns = ("卡号", "证件号码", "手机号", "联系电话", "金额")
    (tmp_path / "CUST_1.dat").write_text("".join(fields) + "\n", "ascii")
    (tmp_path / "export.csv").write_text(f"卡号\n{bank_card.zfill(22)}\n", "utf-8")  # a table's cell too
    layout = Layout(("CUST_*.dat",), columns, widths=(22, 20, 14, 14, 22))
    result = scan_one(tmp_path, bytes(32), layouts=(layout,), sample_rows=None)
    where = {}
    for (container, entity), finding in result.findings.items():
        location = finding.samples[0].location
        file, column = container.rsplit("/", 1)[-1].split("!")[0], container.rsplit("!", 1)[-1]
        where[file, column, entity] = (location.get("start"), location.get("end"))
    assert where == {("CUST_1.dat", "卡号", "CN_BANK_CARD"): (22 - len(bank_card), 22),
                     ("CUST_1.dat", "证件号码", "CN_RESIDENT_ID"): (2, 20),
                     ("CUST_1.dat", "手机号", "CN_MOBILE_PHONE"): (3, 14),
                     ("export.csv", "卡号", "CN_BANK_CARD"): (22 - len(bank_card), 22)}
    written = json.dumps([s.masked for f in result.findings.values() for s in f.samples], ensure_ascii=False)
    assert bank_card not in written and rid not in written
