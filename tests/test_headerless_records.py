"""Customers' names in headerless records: a batch file's `|`-delimited lines (GBK `.dat`, UTF-8
`.txt`) and a headerless CSV's rows, through ``pii-audit scan``. A name-shaped field is a name
where its record holds an ID number, a card or a mobile number; a branch, a product, a status, a
common word, a place or an English name in its place is not, nor a name in a record without one.
Values are synthetic, with valid check digits."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from pii_audit.cli import cli
from tests_corpus import card, resident_id

RNG = random.Random(20240601)
# Customers' names and their masks: the first lines of a file, as a real one holds customers
# mostly (a sheet's header is sought in its first ten rows).
CUSTOMERS = [("王建国", "王**"), ("欧阳娜娜", "欧阳**"), ("蔡琳", "蔡*"), ("李秀英", "李**"), ("张伟", "张*"),
             ("刘洋", "刘*"), ("陈静", "陈*"), ("赵敏", "赵*"), ("孙丽华", "孙**"), ("吴桂芳", "吴**")]
LOOK_ALIKES = ["北京分行营业部", "城东支行", "定期存款", "黄金", "金卡", "正常", "成功", "方便", "高明", "金平",
               "John Smith"]
ALONE = "谭晓梅"  # a name in a record without any ID, card or mobile number: stays unreported


def _records(delimiter: str) -> tuple[list[str], dict[int, str], list[str]]:
    """Return a batch file's lines, {line number: the mask of the name on it}, and every raw value."""
    lines, names, raw = [], {}, []
    for number, word in enumerate([name for name, _ in CUSTOMERS] + LOOK_ALIKES, 1):
        rid, mobile, number_card = resident_id(RNG), f"139{RNG.randrange(10**8):08d}", card(RNG)
        fields = ["20240601", f"{number:04d}", word, rid, mobile, number_card, "1000.00", "北京分行营业部", "正常"]
        lines.append(delimiter.join(fields))
        raw += [rid, mobile, number_card]
        masks = dict(CUSTOMERS)
        if word in masks:
            names[number] = masks[word]
            raw += [word, word[1:]]
    lines.append(delimiter.join(["20240601", "9999", ALONE, "1000.00", "北京分行营业部", "正常"]))
    return lines, names, raw


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """Scan a folder of a GBK .dat, a UTF-8 .txt and a headerless .csv once; return
    ``({file name: (names by line, raw values)}, the JSONL written)``."""
    folder = tmp_path_factory.mktemp("records")
    written = {}
    for name, encoding, delimiter in (("DZ_20240601_001.dat", "gbk", "|"), ("KHXX_20240601.txt", "utf-8", "|"),
                                      ("客户导出.csv", "utf-8", ",")):
        lines, names, raw = _records(delimiter)
        (folder / name).write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
        written[name] = (names, raw + [ALONE])
    out = folder.parent / "records-found.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PII_AUDIT_KEY", "ab" * 32)
        result = CliRunner().invoke(cli, ["scan", str(folder), "--jsonl", str(out), "--jobs", "1", "--full"])
    assert result.exit_code == 1, result.output
    return written, out.read_text(encoding="utf-8")


def _persons(jsonl: str, file_name: str) -> dict[int, str]:
    """Return {line or row: masked name} of the plaintext names the scan wrote for one file."""
    persons = {}
    for record in map(json.loads, jsonl.splitlines()):
        where = record["location"]
        if record["entity_type"] == "PERSON" and where["path"].endswith(file_name) and not record["already_masked"]:
            persons[where.get("line") or int(where["cell"].lstrip("ABCDEFGHI"))] = record["masked"]
    return persons


@pytest.mark.parametrize("file_name", ["DZ_20240601_001.dat", "KHXX_20240601.txt", "客户导出.csv"])
def test_a_customers_name_in_a_headerless_record_is_found_masked_and_never_written(scanned, file_name):
    """Each customer's name is found on its line (row), masked; the look-alikes in the name's
    place and the name in a record without an identifier are not; no raw value is written."""
    written, jsonl = scanned
    names, raw = written[file_name]
    assert _persons(jsonl, file_name) == names
    assert [value for value in raw if value in jsonl] == []


def test_a_headerless_csvs_name_is_located_in_its_cell(scanned):
    """A row of a headerless CSV is read as cells: the name is located in column C, not in a line."""
    _, jsonl = scanned
    cells = {record["location"]["cell"] for record in map(json.loads, jsonl.splitlines())
             if record["entity_type"] == "PERSON" and record["location"]["path"].endswith(".csv")}
    assert cells == {f"C{row}" for row in range(1, len(CUSTOMERS) + 1)}


def test_a_masked_name_in_a_masked_record_is_counted_masked(tmp_path, monkeypatch):
    """A batch file already masked (王*, 110105********0021, 138****5678) held its names as
    nothing: only its masked identifiers were counted. A masked name in a record holding an
    identifier is counted as a masked name now, in a line and in a headerless CSV's row alike;
    in a record without one it stays nothing."""
    lines = [f"20240601|{n:04d}|{masked}|{resident_id(RNG)[:6]}********{n:04d}|138****{n:04d}|正常"
             for n, (_, masked) in enumerate(CUSTOMERS, 1)] + ["20240601|9999|谭*|1000.00|正常"]
    (tmp_path / "KHXX_masked.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "masked.csv").write_text("\n".join(line.replace("|", ",") for line in lines) + "\n", encoding="utf-8")
    out = tmp_path / "found.jsonl"
    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "KHXX_masked.txt"), str(tmp_path / "masked.csv"),
                                      "--jsonl", str(out), "--jobs", "1", "--full"])
    assert result.exit_code == 0, result.output  # masked values only: nothing in plaintext
    persons = sorted((r["location"]["path"].rsplit(".", 1)[1], r["masked"], r["already_masked"])
                     for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())
                     if r["entity_type"] == "PERSON")
    assert persons == sorted((suffix, masked, True) for suffix in ("csv", "txt") for _, masked in CUSTOMERS)
