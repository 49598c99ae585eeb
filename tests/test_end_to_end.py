"""One real flow through the command line on the synthetic demo estate: scan into a ledger,
write both reports, export; then no output byte holds a raw value and every file is 0600.

The raw values are what the real detector matches in the estate's own texts (database cells,
sheet cells, log lines after gzip and GBK decoding); they stay in memory and are only counted.
"""

from __future__ import annotations

import gc
import gzip
import io
import json
import random
import shutil
import sqlite3
import stat
import tarfile
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ledger_helpers import KEY, detector
from ole2_helpers import UNICODE, compound_file, outlook_message
from pii_audit.cli import main
from pii_audit.demo_estate import build_estate, docx_bytes, pdf_bytes
from recognizers import MASKED_KEY
from recognizers.base import to_halfwidth
from tests_corpus import resident_id

MIN_CHARS = 6  # shorter matches also occur as ordinary words, numbers and labels


def estate_texts(paths: dict[str, Path]):
    """Yield every text of the estate: database cells, sheet cells and decoded log lines."""
    with sqlite3.connect(f"file:{paths['core']}?mode=ro", uri=True) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in db.execute(f'SELECT * FROM "{table}"'):
                yield from (str(v) for v in row if v is not None)
    workbook = openpyxl.load_workbook(paths["export"], read_only=True)
    for row in workbook.active.iter_rows(values_only=True):
        yield from (str(v) for v in row if v is not None)
    workbook.close()
    for path in sorted(paths["logs"].rglob("*")):
        if path.name.endswith(".tar.gz"):
            with tarfile.open(path) as archive:
                for member in archive.getmembers():
                    yield from archive.extractfile(member).read().decode("utf-8").splitlines()
        elif path.is_file():
            data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            yield from data.decode("utf-8" if "gateway" not in path.parts else "gbk").splitlines()


def raw_values(texts) -> set[str]:
    """Return every plaintext value the real detector matches in ``texts``, as written and normalised."""
    det, found = detector(KEY), set()
    for text in texts:
        half = to_halfwidth(text)
        for result in det.analyze(half):
            if result.recognition_metadata.get(MASKED_KEY):
                continue
            value = half[result.start:result.end]
            found.update({value, text[result.start:result.end],
                          det.by_entity[result.entity_type].normalize(value)})
    return {v for v in found if len(v) >= MIN_CHARS}


def names_and_addresses(paths: dict[str, Path]) -> set[str]:
    """Return the estate's generated names (three characters and more) and addresses, read from
    their columns: the detector finds names by their column, which a bare cell does not show."""
    with sqlite3.connect(f"file:{paths['core']}?mode=ro", uri=True) as db:
        values = {v for row in db.execute("SELECT khxm, jtzz FROM kh_jbxx") for v in row}
    workbook = openpyxl.load_workbook(paths["export"], read_only=True)
    values |= {row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)}
    workbook.close()
    return {v for v in values if v and len(v) >= 3}


def needles(values: set[str]) -> set[bytes]:
    """Return the byte forms a value could take in an output: UTF-8, GBK and JSON-escaped."""
    forms = set()
    for value in values:
        forms.add(value.encode("utf-8"))
        gbk = value.encode("gbk", "ignore")
        if len(gbk) >= 8:  # a 3-character name is 6 GBK bytes: too short to tell from chance bytes
            forms.add(gbk)
        forms.add(json.dumps(value)[1:-1].encode("ascii"))
    return {f for f in forms if f}


def output_blobs(paths: list[Path]) -> dict[str, bytes]:
    """Return each output file's bytes, plus each member of an xlsx, by name."""
    blobs = {}
    for path in paths:
        blobs[str(path)] = path.read_bytes()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as workbook:
                for member in workbook.namelist():
                    blobs[f"{path}!{member}"] = workbook.read(member)
    return blobs


def run(capfd, *args: str) -> tuple[int, str]:
    """Run ``pii-audit ARGS`` in this process; return its exit code and everything it printed."""
    try:
        main(list(args))
        code = 0
    except SystemExit as done:
        code = done.code or 0
    out, err = capfd.readouterr()
    return code, out + err


@pytest.fixture
def estate(tmp_path, monkeypatch):
    paths = build_estate(tmp_path / "estate")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PII_AUDIT_KEY", KEY.hex())
    monkeypatch.delenv("PII_AUDIT_LEDGER", raising=False)
    return paths


def test_scan_report_export_never_write_a_raw_value(estate, tmp_path, capfd):
    ledger = f"sqlite:///{tmp_path}/ledger.db"
    targets = [str(estate["core"]), str(estate["export"]), str(estate["logs"])]
    outputs = []
    code, scan_output = run(capfd, "scan", *targets, "--full", "--jobs", "1", "--quiet",
                            "--jsonl", "out.jsonl", "--ledger", ledger, "--by", "审计员")
    assert code == 1, scan_output  # personal information found, every target read
    steps = [("report", "--format", "html", "--out", "report.html", "--ledger", ledger),
             ("report", "--format", "xlsx", "--out", "ledger.xlsx", "--ledger", ledger),
             ("export", "--out", "export", "--ledger", ledger)]
    printed = [scan_output]
    for step in steps:
        code, output = run(capfd, *step)
        assert code == 0, output
        printed.append(output)

    # A ledger connection that garbage collection has not closed yet keeps ledger.db-shm (and
    # -wal) alive; closing it removes them between listing and reading (seen once in CI runs).
    gc.collect()
    files = sorted(p for p in tmp_path.iterdir() if p.is_file()) + sorted((tmp_path / "export").iterdir())
    names = {p.name for p in files}
    assert {"ledger.db", "out.jsonl", "report.html", "ledger.xlsx", "items.jsonl", "scans.jsonl",
            "report.xlsx", "MANIFEST.sha256"} <= names
    assert [p.name for p in files if stat.S_IMODE(p.stat().st_mode) != 0o600] == []

    items = [json.loads(line) for line in (tmp_path / "export" / "items.jsonl").read_text("utf-8").splitlines()]
    assert {i["target"] for i in items} == set(targets)  # each system found something
    assert sum(1 for _ in open(tmp_path / "out.jsonl", "rb")) >= sum(i["occurrences"] for i in items) > 0
    archived = "app-2024-10.tar.gz!logs/app.log"  # the month's archive was read, its rotations one stream
    assert any(i["container"].endswith(archived) for i in items)
    assert any(i["container"].endswith("!客户名单!批注") for i in items)  # a clerk's comment was read

    values = raw_values(estate_texts(estate))
    assert len(values) > 500  # the estate holds hundreds of IDs, mobiles and cards
    values |= names_and_addresses(estate)
    forms = needles(values)
    sources = output_blobs([estate["core"], estate["export"], estate["logs"] / "app.log",
                            estate["logs"] / "gateway" / "gateway.log"])
    assert sum(any(form in blob for form in forms) for blob in sources.values()) >= 4  # the search finds them
    blobs = output_blobs(files) | {f"printed {n}": text.encode("utf-8") for n, text in enumerate(printed)}
    hits = sorted({name for name, blob in blobs.items() for form in forms if form in blob})
    assert hits == [], f"{len(hits)} outputs hold a raw value: {hits}"  # names only: never the value


def test_values_in_names_reach_no_output(tmp_path, capfd, monkeypatch):
    """The places a scan names come from the scanned data too: a folder and a file named after a
    customer's ID number, a sheet per customer, a headerless export, an archive member and a
    table named by phone number, a comment, a Word report and the workbook embedded in it, a PDF, a Word 97 .doc, an Outlook .msg. Scan, report and export all of it into a ledger; no
    output holds any of the numbers, nor the headerless export's names and addresses."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PII_AUDIT_KEY", KEY.hex())
    rng = random.Random(9)
    ids = ["11010519491231002X", resident_id(rng), resident_id(rng)]  # valid: checksums and dates
    phones = ["13812345678", "13987654321", "15011112222"]
    words = ["王建国", "北京市朝阳区建国路88号", "上海市浦东新区世纪大道100号"]
    root = tmp_path / "estate"
    (root / f"客户{ids[0]}").mkdir(parents=True)
    (root / f"客户{ids[0]}" / f"{phones[0]}.log").write_text(f"开户 身份证号{ids[1]}\n", "utf-8")
    book = openpyxl.Workbook()
    book.active.title = ids[2]
    book.active.append(["手机号"])
    book.active.append([int(phones[1])])
    book.active["A2"].comment = openpyxl.comments.Comment(f"核对身份证号{ids[1]}", "柜员")
    headerless = book.create_sheet("名单")
    headerless.append([words[0], words[1], phones[2]])
    headerless.append(["李秀英", words[2], phones[1]])
    book.save(root / "exports.xlsx")
    with zipfile.ZipFile(root / "backup.zip", "w") as packed:
        packed.writestr(f"客户{phones[2]}/app.log", f"手机={phones[0]}\n")
    # A Word report named after a customer, with his workbook embedded, and a PDF receipt.
    embedded = io.BytesIO()
    book.save(embedded)
    (root / f"授信报告{ids[2]}.docx").write_bytes(docx_bytes([f"借款人身份证号：{ids[0]}", f"电话 {phones[2]}"]))
    with zipfile.ZipFile(root / f"授信报告{ids[2]}.docx", "a") as report:
        report.writestr(f"word/embeddings/客户{phones[0]}.xlsx", embedded.getvalue())
    (root / f"回单{phones[1]}.pdf").write_bytes(pdf_bytes([f"付款人 {words[0]}", f"联系电话：{phones[2]}"]))
    # A Word 97 report LibreOffice wrote (tests/data/word97: ids[0], phones[0] and doc_values), named
    # after a phone number.
    shutil.copy(Path(__file__).parent / "data" / "word97" / "report.doc", root / f"档案{phones[1]}.doc")
    # An Outlook message named after a phone number, its attachment after an ID number.
    (root / f"审批{phones[2]}.msg").write_bytes(compound_file(outlook_message(
        [(0x0037, UNICODE, f"客户{words[0]}资料"), (0x1000, UNICODE, f"身份证 {ids[1]}")],
        attachments=[{"name": f"{ids[2]}.txt", "data": f"手机 {phones[0]}\n".encode()}])))
    with sqlite3.connect(root / "core.db") as db:
        db.execute(f'CREATE TABLE "kh_{phones[1]}" ("bz_{ids[0]}" TEXT)')
        db.execute(f'INSERT INTO "kh_{phones[1]}" VALUES (\'证件号{ids[2]}\')')
    db.close()

    ledger = f"sqlite:///{tmp_path}/ledger.db"
    code, printed = run(capfd, "scan", str(root), str(root / "core.db"), "--full", "--jobs", "1",
                        "--jsonl", "out.jsonl", "--ledger", ledger)
    assert code == 1, printed
    written = (tmp_path / "out.jsonl").read_text("utf-8")  # the Word report, its workbook and the PDF read
    assert "!word/embeddings/客户138****5678.xlsx!" in written and '"page": 1' in written
    assert "档案139****4321.doc" in written and "审批150****2222.msg!" in written
    outputs = [printed]
    for step in (("report", "--format", "html", "--out", "report.html", "--ledger", ledger),
                 ("report", "--format", "xlsx", "--out", "ledger.xlsx", "--ledger", ledger),
                 ("export", "--out", "export", "--ledger", ledger)):
        code, text = run(capfd, *step)
        assert code == 0, text
        outputs.append(text)
    gc.collect()
    files = [p for p in tmp_path.iterdir() if p.is_file()] + list((tmp_path / "export").iterdir())
    blobs = output_blobs(files) | {f"printed {n}": text.encode() for n, text in enumerate(outputs)}
    assert sum(b"110105********002X" in blob for blob in blobs.values()) >= 3  # the masked forms are there
    doc_values = ["44030519900101123X", "15912345670", "13912345678", "6222020200112345679"]
    forms = needles(set(ids + phones + words + doc_values))
    hits = sorted({name for name, blob in blobs.items() for form in forms if form in blob})
    assert hits == [], f"{len(hits)} outputs hold a raw value: {hits}"
