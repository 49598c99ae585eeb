"""A fixed-width batch file no ``[[layouts]]`` names, read with the layout its first records show
(``pii_audit.sources.layout_guess``): its ID and card fields, which run into the fields beside
them, found where they pass their checks line after line; the rest split where padding ends.
Files of other shapes are read as text, as before. Values are synthetic, with valid check digits."""

from __future__ import annotations

import bz2
import datetime
import gzip
import json
import lzma
import random
import zipfile

import pytest
from click.testing import CliRunner

from pii_audit import scan
from ledger_helpers import T0, record_scan
from pii_audit.cli import cli
from pii_audit.ledger import Ledger
from pii_audit.sources import files
from pii_audit.sources.layout_guess import HEAD_BYTES as GUESS_HEAD_BYTES
from pii_audit.sources.layout_guess import guess_layout, guessed
from pii_audit.sources.layouts import Layout
from scan_helpers import scan_one
from stdnum import luhn

from tests_corpus import resident_id

KEY = "ab" * 32
NAMES = ["王建国", "欧阳娜娜", "李秀英", "孙丽华", "吴桂芳", "陈洋", "高志强"]


def card(rng: random.Random, length: int) -> str:
    """Return a synthetic UnionPay card number of ``length`` digits, its Luhn digit right."""
    body = "622202" + "".join(str(rng.randrange(10)) for _ in range(length - 7))
    return body + luhn.calc_check_digit(body)


def _field(text: str, width: int, right: bool = False, fill: bytes = b" ") -> bytes:
    data = text.encode("gbk")
    assert len(data) <= width
    return fill * (width - len(data)) + data if right else data + fill * (width - len(data))


def batch_file(records: int = 40, seed: int = 1, zero_padded_cards: bool = False) -> tuple[bytes, list[str]]:
    """Return a GBK fixed-width file (record number, date, card, name, certificate type, ID,
    mobile, amount, currency) and its raw values: the card runs into the date before it, the ID
    into the certificate type. With ``zero_padded_cards``, cards of 16 and 19 digits right-aligned
    in 22 bytes padded with zeros."""
    rng = random.Random(seed)
    lines, raw = [], []
    for number in range(1, records + 1):
        name, rid, mobile = rng.choice(NAMES), resident_id(rng), f"139{rng.randrange(10**8):08d}"
        bank_card = card(rng, 19 if zero_padded_cards and number % 2 else 16)
        raw += [rid, mobile, bank_card]
        card_field = _field(bank_card, 22, right=True, fill=b"0") if zero_padded_cards else _field(bank_card, 20)
        lines.append(_field(f"{number:010d}", 10) + b"20240601" + card_field + _field(name, 20) + b"01"
                     + _field(rid, 20) + _field(mobile, 12) + f"{rng.randrange(10**9):015d}".encode() + b"CNY")
    return b"\r\n".join(lines) + b"\r\n", raw


def scanned(tmp_path, data: bytes, name: str = "KHXX_20240601.dat", *options: str) -> tuple[list[dict], str]:
    """Scan one file through ``pii-audit scan``; return its JSONL records and the output."""
    path = tmp_path / name
    path.write_bytes(data)
    out = tmp_path / "found.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PII_AUDIT_KEY", KEY)
        result = CliRunner().invoke(cli, ["scan", str(path), "--jsonl", str(out), "--jobs", "1", *options])
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()], result.output


def _by_entity(records: list[dict]) -> dict[str, list[tuple[int, str]]]:
    found: dict[str, list[tuple[int, str]]] = {}
    for record in records:
        if not record["already_masked"]:
            found.setdefault(record["entity_type"], []).append(
                (record["location"]["line"], record["location"].get("column", "")))
    return {entity: sorted(places) for entity, places in found.items()}


def test_a_fixed_width_file_is_read_with_the_layout_its_records_show(tmp_path):
    data, raw = batch_file()
    records, output = scanned(tmp_path, data)
    found = _by_entity(records)
    assert found["CN_RESIDENT_ID"] == [(line, "证件号码") for line in range(1, 41)]
    assert found["CN_BANK_CARD"] == [(line, "银行卡号") for line in range(1, 41)]
    mobile_column = found["CN_MOBILE_PHONE"][0][1]
    assert found["CN_MOBILE_PHONE"] == [(line, mobile_column) for line in range(1, 41)]
    # Each name is in a field of its own, and its record holds an ID: a PERSON, as in a headerless CSV.
    name_column = found["PERSON"][0][1]
    assert found["PERSON"] == [(line, name_column) for line in range(1, 41)] and name_column.startswith("字段")
    identifier = next(r for r in records if r["entity_type"] == "CN_RESIDENT_ID")
    assert identifier["container"].endswith("KHXX_20240601.dat!证件号码")
    assert (identifier["location"]["start"], identifier["location"]["end"]) == (0, 18)
    note = next(line for line in output.splitlines() if "layout guessed" in line)
    assert "银行卡号 bytes 19 to 34" in note and "证件号码 bytes 61 to 78" in note, note
    written = json.dumps(records, ensure_ascii=False) + output
    assert not any(value in written for value in raw)


def test_without_the_guess_the_abutting_fields_are_lost(tmp_path):
    """What the guess is for: read as text, the card after the date and the ID after the ``01``
    are pieces of long runs of digits, rejected as order numbers are."""
    data, _ = batch_file()
    path = tmp_path / "KHXX_20240601.dat"
    path.write_bytes(data)
    result = scan_one(path, bytes(32), guess_layouts=False)
    entities = {entity for _, entity in result.findings}
    assert "CN_MOBILE_PHONE" in entities
    assert not entities & {"CN_RESIDENT_ID", "CN_BANK_CARD", "PERSON"}


def test_right_aligned_cards_padded_with_zeros_are_found_by_where_they_end(tmp_path):
    data, _ = batch_file(zero_padded_cards=True)
    layout = guessed(data, "x.dat")
    start = sum(layout.widths[:layout.columns.index("银行卡号")])
    assert (start, start + layout.widths[layout.columns.index("银行卡号")]) == (21, 40)
    found = _by_entity(scanned(tmp_path, data)[0])
    assert found["CN_BANK_CARD"] == [(line, "银行卡号") for line in range(1, 41)]


def test_a_header_and_a_trailer_of_other_lengths_are_read_and_said(tmp_path):
    data, _ = batch_file()
    data = b"H20240601000040\r\n" + data + b"TRL0000000040\r\n"
    records, output = scanned(tmp_path, data)
    assert _by_entity(records)["CN_RESIDENT_ID"] == [(line, "证件号码") for line in range(2, 42)]
    assert "2 of 42 records not of the layout's" in output


def test_a_layout_in_the_configuration_is_taken_instead(tmp_path):
    data, _ = batch_file()
    path = tmp_path / "KHXX_20240601.dat"
    path.write_bytes(data)
    mine = Layout(("KHXX_*.dat",), ("全部",), (200,))
    result = scan_one(path, bytes(32), layouts=(mine,))
    assert {container.rsplit("!", 1)[-1] for container, _ in result.findings} == {"全部"}


def test_read_whole_by_one_worker_when_cut_into_ranges_otherwise(tmp_path, monkeypatch):
    """A guessed file is read record by record by one worker: ranges of 16 KiB would cut records."""
    monkeypatch.setattr(files, "BLOCK", 16 << 10)
    monkeypatch.setattr(scan, "GROUP_BYTES", 16 << 10)
    data, _ = batch_file(records=600)
    path = tmp_path / "KHXX_20240601.dat"
    path.write_bytes(data)
    assert len(data) > 4 * (16 << 10)
    result = scan_one(path, bytes(32), jobs=2)
    finding = result.findings[(f"{path}!证件号码", "CN_RESIDENT_ID")]
    assert finding.occurrences == 600


@pytest.mark.parametrize("lines", [
    pytest.param([f"2024-06-01 12:00:{n % 60:02d} 开户成功 身份证号={resident_id(random.Random(n))}"
                  + " x" * (n % 7) for n in range(60)], id="lines-of-many-lengths"),
    pytest.param([f"{n:06d}  {resident_id(random.Random(n))}  {card(random.Random(n), 16)}  OK"
                  for n in range(60)], id="identifiers-standing-apart-no-chinese"),
    pytest.param([f"{n:06d} 正常 {resident_id(random.Random(n))} {card(random.Random(n), 16)} 正常"
                  for n in range(60)], id="identifiers-standing-apart-no-padding"),
    pytest.param([f"2024{random.Random(n).randrange(10**26):026d}DD" for n in range(60)],
                 id="order-numbers-of-one-length"),
    pytest.param([f"{n:010d}20240601{card(random.Random(n), 16)}" for n in range(15)], id="too-few-records"),
])
def test_other_files_are_not_guessed(tmp_path, lines):
    path = tmp_path / "KHXX_20240601.dat"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    assert guess_layout(str(path)) is None


def padded_records(records: int = 40) -> tuple[bytes, list[str]]:
    """Return a GBK fixed-width file whose ID and mobile stand apart, padded with spaces, a name
    in a field of its own; and its raw values."""
    rng = random.Random(3)
    lines, raw = [], []
    for number in range(records):
        name, rid, mobile = rng.choice(NAMES), resident_id(rng), f"139{rng.randrange(10**8):08d}"
        raw += [rid, mobile]
        lines.append(_field(f"{number:06d}", 8) + _field(name, 12) + _field(rid, 20) + _field(mobile, 12) + _field("正常", 6))
    return b"\n".join(lines) + b"\n", raw


def test_names_in_padded_records_whose_identifiers_stand_apart(tmp_path):
    """Read as text, the ID and mobile are found but no name (nothing delimits it); read as a
    table, the name is a field of its own in a record holding an ID."""
    data, raw = padded_records()
    records, output = scanned(tmp_path, data)
    found = _by_entity(records)
    assert found["CN_RESIDENT_ID"] == [(line, "证件号码") for line in range(1, 41)]
    assert found["CN_MOBILE_PHONE"] == [(line, "手机号") for line in range(1, 41)]
    assert found["PERSON"] == [(line, "字段2") for line in range(1, 41)]
    assert not any(value in json.dumps(records, ensure_ascii=False) + output for value in raw)
    text = scan_one(tmp_path / "KHXX_20240601.dat", bytes(32), guess_layouts=False)
    assert "PERSON" not in {entity for _, entity in text.findings}


@pytest.mark.parametrize("name", ["app.log", "app.log.1", "catalina.out"])
def test_a_log_is_read_as_a_log_whatever_its_lines(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(padded_records()[0])
    assert guess_layout(str(path)) is None


def test_a_file_read_as_text_keeps_its_line_offsets(tmp_path):
    lines = [f"{n:06d}  {resident_id(random.Random(n))}  OK" for n in range(60)]
    records, output = scanned(tmp_path, ("\n".join(lines) + "\n").encode("utf-8"), "ids.txt")
    assert len(records) == 60 and all("column" not in r["location"] for r in records)
    assert "layout guessed" not in output


CONFIG = """\
[key]
env = "PII_AUDIT_KEY"

[defaults]
guess_layouts = {guess}

[[targets]]
name = "批量文件"
kind = "files"
owner = "张伟"
paths = ["batch"]
schedule = "0 2 * * *"
"""


@pytest.mark.parametrize("guess", ["true", "false"])
def test_audit_toml_may_turn_the_guess_off(tmp_path, guess):
    (tmp_path / "batch").mkdir()
    (tmp_path / "batch" / "KHXX_20240601.dat").write_bytes(batch_file()[0])
    config = tmp_path / "audit.toml"
    config.write_text(CONFIG.format(guess=guess), "utf-8")
    out = tmp_path / "found.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PII_AUDIT_KEY", KEY)
        result = CliRunner().invoke(cli, ["scan", "--config", str(config), "--jsonl", str(out), "--jobs", "1"])
    assert result.exit_code == 1, result.output
    found = _by_entity([json.loads(line) for line in out.read_text("utf-8").splitlines()])
    assert ("CN_RESIDENT_ID" in found) == (guess == "true")
    assert ("layout guessed" in result.output) == (guess == "true")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_batch_file_delivered_zipped_is_guessed_too(tmp_path, jobs):
    """``JYMX_20240601.zip!CUST_20240601.dat``: the member's first 32 KiB read ahead and again;
    with a pool, the archive's reader hands it to one worker, as a member a layout names."""
    data, _ = batch_file(records=300)
    archive = tmp_path / "JYMX_20240601.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("CUST_20240601.dat", data)
        bundle.writestr("app.log", "2024-06-01 INFO 心跳检测正常\n")
    result = scan_one(archive, bytes(32), jobs=jobs)
    member = f"{archive}!CUST_20240601.dat"
    assert result.findings[(f"{member}!证件号码", "CN_RESIDENT_ID")].occurrences == 300
    assert result.findings[(f"{member}!银行卡号", "CN_BANK_CARD")].occurrences == 300
    assert any("layout guessed" in notice.reason for notice in result.coverage.notices)
    assert not result.coverage.problems


def test_a_file_guessed_now_keeps_its_old_items_open_and_opens_its_columns(tmp_path, key):
    """Scanned as text before (guessing off here, as in the code before it), then guessed: the
    file is still on disk and its old container is no longer read, so its items are not marked
    fixed; the columns' items open beside them."""
    data, _ = padded_records()
    path = tmp_path / "batch" / "KHXX_20240601.dat"
    path.parent.mkdir()
    path.write_bytes(data)
    ledger = Ledger.open(f"sqlite:///{tmp_path}/ledger.db", key)
    record_scan(ledger, [scan_one(path.parent, key, guess_layouts=False)], T0)
    record_scan(ledger, [scan_one(path.parent, key)], T0 + datetime.timedelta(days=1))
    statuses = {(item.container.rsplit("/", 1)[-1], item.entity_type): item.status for item in ledger.items()}
    ledger.close()
    assert statuses == {
        ("KHXX_20240601.dat", "CN_RESIDENT_ID"): "open", ("KHXX_20240601.dat", "CN_MOBILE_PHONE"): "open",
        ("KHXX_20240601.dat!证件号码", "CN_RESIDENT_ID"): "open", ("KHXX_20240601.dat!手机号", "CN_MOBILE_PHONE"): "open",
        ("KHXX_20240601.dat!字段2", "PERSON"): "open"}


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress], ids=["gzip", "bzip2", "xz"])
def test_a_compressed_batch_file_is_guessed_and_inflated_as_it_is_read(tmp_path, compress):
    data, _ = batch_file()
    found = _by_entity(scanned(tmp_path, compress(data), "KHXX_20240601.dat.gz")[0])
    assert found["CN_RESIDENT_ID"] == [(line, "证件号码") for line in range(1, 41)]
    assert found["CN_BANK_CARD"] == [(line, "银行卡号") for line in range(1, 41)]


def test_a_compressed_batch_file_cut_short_is_read_up_to_the_cut_and_verifies_nothing(tmp_path):
    data, _ = batch_file(records=600)
    packed = gzip.compress(data)
    path = tmp_path / "KHXX_20240601.dat.gz"
    path.write_bytes(packed[:len(packed) * 3 // 4])
    result = scan_one(path, bytes(32))
    found = result.findings[(f"{path}!证件号码", "CN_RESIDENT_ID")].occurrences
    assert 100 < found < 600
    [problem] = result.coverage.problems
    assert problem.reason.startswith("truncated gzip file: read up to line ")
    assert not result.coverage.containers[f"{path}!证件号码"].complete


def test_a_configured_layout_reads_a_compressed_file_its_glob_matches(tmp_path):
    data, _ = batch_file()
    path = tmp_path / "KHXX_20240601.dat.gz"
    path.write_bytes(gzip.compress(data))
    mine = Layout(("KHXX_*.dat.gz",), ("全部",), (200,))
    result = scan_one(path, bytes(32), layouts=(mine,))
    assert {container.rsplit("!", 1)[-1] for container, _ in result.findings} == {"全部"}


def test_a_compressed_batch_file_damaged_from_its_start_is_one_problem_line(tmp_path):
    """Its layout named in the config (a damaged file is guessed nothing: read as text, it says so
    there); the data never inflates, so no record is read."""
    path = tmp_path / "KHXX_20240601.dat.gz"
    path.write_bytes(gzip.compress(batch_file()[0])[:10] + b"\x00" * 4000)
    result = scan_one(path, bytes(32), layouts=(Layout(("KHXX_*.dat.gz",), ("全部",), (200,)),))
    assert [problem.reason for problem in result.coverage.problems] == ["corrupt gzip data after line 0"]
    assert not result.findings


@pytest.mark.parametrize("target", ["folder", "file"])
def test_a_compressed_batch_file_with_two_workers(tmp_path, target):
    """A compressed file named as a target is read by the main process, one in a folder by a
    worker: both read it whole, record by record, with its guessed layout."""
    data, _ = batch_file(records=500)
    path = tmp_path / "batch" / "KHXX_20240601.dat.gz"
    path.parent.mkdir()
    path.write_bytes(gzip.compress(data))
    result = scan_one(path.parent if target == "folder" else path, bytes(32), jobs=2)
    assert result.findings[(f"{path}!证件号码", "CN_RESIDENT_ID")].occurrences == 500
    assert result.findings[(f"{path}!银行卡号", "CN_BANK_CARD")].occurrences == 500


def varying_file(side: str, records: int = 40, seed: int = 5) -> tuple[bytes, list[str]]:
    """Return a GBK fixed-width file whose records differ in length, and its raw values. ``first``:
    a serial of 12 to 20 digits, not padded to its width, runs into the date and card after it, so
    the fields stand at fixed bytes only counted from the record's end (``bench/probe.py``'s
    ``batch-fixed``). ``last``: a remark of 0 to 30 bytes ends the record, its padding trimmed by
    the system that wrote it; the card runs into the date, the ID into the certificate type and
    the mobile, the name into the mobile."""
    rng = random.Random(seed)
    lines, raw = [], []
    for number in range(1, records + 1):
        name, rid, mobile = rng.choice(NAMES), resident_id(rng), f"139{rng.randrange(10**8):08d}"
        bank_card = card(rng, rng.choice([16, 19]))
        raw += [rid, mobile, bank_card]
        if side == "first":
            serial = "2024" + "".join(str(rng.randrange(10)) for _ in range(rng.randrange(8, 17)))
            lines.append(f"{number:010d}{serial}20240601".encode() + _field(bank_card, 20) + _field(name, 20)
                         + b"01" + _field(rid, 20) + _field(mobile, 12) + f"{rng.randrange(10**9):015d}CNY".encode())
        else:
            remark = rng.choice(["", "正常", "冻结 客户申请", "销户 已结清全部贷款余额"])
            lines.append(f"{number:010d}20240601".encode() + _field(bank_card, 20) + b"01" + rid.encode()
                         + mobile.encode() + _field(name, 20) + f"{rng.randrange(10**9):015d}".encode()
                         + remark.encode("gbk"))
    return b"\r\n".join(lines) + b"\r\n", raw


@pytest.mark.parametrize("side", ["first", "last"])
def test_records_of_many_lengths_are_read_from_the_side_their_fields_keep(tmp_path, side):
    """Before, a file whose lines differ in length was read as text: its cards, IDs and names lost
    as in ``test_without_the_guess_the_abutting_fields_are_lost``."""
    data, raw = varying_file(side)
    layout = guessed(data, "KHXX_20240601.dat")
    assert layout is not None and layout.varying == side
    records, output = scanned(tmp_path, data)
    found = _by_entity(records)
    assert found["CN_RESIDENT_ID"] == [(line, "证件号码") for line in range(1, 41)]
    assert found["CN_BANK_CARD"] == [(line, "银行卡号") for line in range(1, 41)]
    name_column = found["PERSON"][0][1]
    assert found["PERSON"] == [(line, name_column) for line in range(1, 41)] and name_column.startswith("字段")
    assert all((r["location"]["start"], r["location"]["end"]) == (0, 18)
               for r in records if r["entity_type"] == "CN_RESIDENT_ID")
    note = next(line for line in output.splitlines() if "layout guessed" in line)
    assert ("counted from each record's end" in note) == (side == "first"), note
    assert "records not of the layout's" not in output
    written = json.dumps(records, ensure_ascii=False) + output
    assert not any(value in written for value in raw)
    text = scan_one(tmp_path / "KHXX_20240601.dat", bytes(32), guess_layouts=False)
    assert not {entity for _, entity in text.findings} & {"CN_BANK_CARD", "PERSON"}


def test_fields_counted_from_the_end_say_where_they_are_and_a_short_trailer(tmp_path):
    """The first field takes what the others leave; a trailer too short for them is one notice."""
    data, _ = varying_file("first")
    layout = guessed(data, "KHXX_20240601.dat")
    tail = sum(layout.widths[1:])
    card_from_end = tail - sum(layout.widths[1:layout.columns.index("银行卡号")])
    assert card_from_end == 20 + 20 + 2 + 20 + 12 + 18  # the card field's bytes before the record's end
    records, output = scanned(tmp_path, data + b"TRL0000000040\r\n")
    assert len([r for r in records if r["entity_type"] == "CN_BANK_CARD"]) == 40
    assert f"银行卡号 bytes -{card_from_end} to" in output, output
    assert f"1 of 41 records not of the layout's {tail} bytes at least (the first at line 41)" in output, output


def test_a_tail_trimmed_of_its_padding_is_never_an_odd_record(tmp_path):
    """Records ending in a remark, or short of the field it is in (trimmed into the name's padding:
    a record whose amount and remark are empty), are whole."""
    data, _ = varying_file("last")
    layout = guessed(data, "KHXX_20240601.dat")
    assert layout is not None and layout.varying == "last"
    lines = data.split(b"\r\n")
    shortest = min(len(line) for line in lines if line)
    no_remark = [n for n, line in enumerate(lines) if len(line) == shortest]
    assert len(no_remark) >= 5
    for n in no_remark:
        lines[n] = lines[n][:sum(layout.widths[:-1]) - 5].rstrip()
    data = b"\r\n".join(lines)
    records, output = scanned(tmp_path, data)
    assert len([r for r in records if r["entity_type"] == "CN_RESIDENT_ID"]) == 40
    assert "records not of the layout's" not in output


def test_a_name_right_after_a_date_is_a_field_of_its_own(tmp_path):
    """``20240601王建国``: no padding between the date and the name, but Chinese text starts at the
    same byte in every record; read as one field, ``20240601王建国`` was no name's shape."""
    rng = random.Random(9)
    lines = []
    for number in range(1, 41):
        name, rid, mobile = rng.choice(NAMES), resident_id(rng), f"139{rng.randrange(10**8):08d}"
        lines.append(f"{number:010d}01{rid}20240601".encode() + _field(name, 12) + mobile.encode()
                     + f"{rng.randrange(10**9):015d}".encode())
    layout = guessed(b"\n".join(lines) + b"\n", "KHXX_20240601.dat")
    assert layout.widths[:4] == (12, 18, 8, 12), layout
    found = _by_entity(scanned(tmp_path, b"\n".join(lines) + b"\n")[0])
    assert found["PERSON"] == [(line, "字段4") for line in range(1, 41)]
    assert found["CN_RESIDENT_ID"] == [(line, "证件号码") for line in range(1, 41)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_batch_file_compressed_inside_an_archive_is_guessed_inflated(tmp_path, jobs):
    """``JYMX_20240601.zip!CUST_20240601.dat.gz``: read as text before (its layout neither
    configured nor guessed for a compressed member), its cards and IDs lost."""
    data, _ = batch_file(records=300)
    archive = tmp_path / "JYMX_20240601.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("CUST_20240601.dat.gz", gzip.compress(data))
        bundle.writestr("app.log", "2024-06-01 INFO 心跳检测正常\n")
    result = scan_one(archive, bytes(32), jobs=jobs)
    member = f"{archive}!CUST_20240601.dat.gz"
    assert result.findings[(f"{member}!证件号码", "CN_RESIDENT_ID")].occurrences == 300
    assert result.findings[(f"{member}!银行卡号", "CN_BANK_CARD")].occurrences == 300
    assert not result.coverage.problems


def test_a_compressed_member_damaged_inside_is_its_own_problem_and_the_archive_goes_on(tmp_path):
    """Cut inside its first 32 KiB inflated, it is guessed from what inflates (it was read as text)
    and read up to the cut, its columns incomplete; the member after it in the archive is read."""
    data, _ = batch_file(records=400)
    packed = gzip.compress(data)
    archive = tmp_path / "JYMX_20240601.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("CUST_20240601.dat.gz", packed[:len(packed) // 2])
        bundle.writestr("app.log", f"2024-06-01 INFO 开户 手机号 139{random.Random(1).randrange(10**8):08d}\n")
    result = scan_one(archive, bytes(32))
    member = f"{archive}!CUST_20240601.dat.gz"
    [(where, reason)] = [(p.where, p.reason) for p in result.coverage.problems]
    assert where == member and reason.startswith("truncated gzip file: read up to line ")
    lines = int(reason.rsplit(" ", 1)[1])
    assert 100 < lines and lines * len(data.split(b"\n")[0]) < GUESS_HEAD_BYTES
    assert result.findings[(f"{member}!证件号码", "CN_RESIDENT_ID")].occurrences == lines
    assert not result.coverage.containers[f"{member}!证件号码"].complete
    assert (f"{archive}!app.log", "CN_MOBILE_PHONE") in result.findings


def test_a_configured_layout_reads_a_member_compressed_inside_an_archive(tmp_path):
    archive = tmp_path / "JYMX_20240601.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("CUST_20240601.dat.gz", gzip.compress(batch_file()[0]))
    result = scan_one(archive, bytes(32), layouts=(Layout(("CUST_*.dat.gz",), ("全部",), (200,)),))
    assert {container.rsplit("!", 1)[-1] for container, _ in result.findings} == {"全部"}
