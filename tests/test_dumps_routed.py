"""A database dump reaches one worker, read in order, wherever it lies: attached to an e-mail (as
it is or in an attached archive), compressed inside an archive under a name that says nothing,
and in an archive cut short inside it (told once). Its COPY rows take their columns from the
COPY line before them, which blocks shared among the workers lose."""

from __future__ import annotations

import bz2
import datetime
import email.message
import gzip
import io
import lzma
import random
import zipfile

import pytest

from ledger_helpers import T0, record_scan
from ole2_helpers import UNICODE, compound_file, outlook_message
from pii_audit import scan
from pii_audit.ledger import Ledger
from pii_audit.sources import files
from pii_audit.sources.streams import zstd
from scan_helpers import scan_one
from test_sql_statements import LOG_LINE, by_member, customers, nested_archive, pg_dump
from tests_corpus import card


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Blocks of 16 KiB: a dump of 1,000 rows (75 KB) spans several, each a unit of its own with a pool."""
    monkeypatch.setattr(files, "BLOCK", 16 << 10)
    monkeypatch.setattr(scan, "GROUP_BYTES", 16 << 10)


def zipped(name: str, data: bytes) -> bytes:
    """Return a zip holding one member."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(name, data)
    return buffer.getvalue()


def eml(attachment: str, data: bytes) -> bytes:
    """Return an e-mail with a line of text and ``data`` attached as ``attachment``."""
    message = email.message.EmailMessage()
    message["Subject"], message["From"], message["To"] = "备份", "dba@bank.example", "ops@bank.example"
    message.set_content("见附件。\n")
    message.add_attachment(data, maintype="application", subtype="octet-stream", filename=attachment)
    return message.as_bytes()


def msg(attachment: str, data: bytes) -> bytes:
    """Return an Outlook .msg with a body and ``data`` attached as ``attachment``."""
    streams = outlook_message([(0x0037, UNICODE, "备份"), (0x1000, UNICODE, "见附件。")],
                              attachments=[{"name": attachment, "data": data}])
    return compound_file(streams)


ATTACHED = {  # the attachment's name and bytes, from the dump's text
    "core.sql": lambda text: ("core.sql", text),
    "core-20261102.gz": lambda text: ("core-20261102.gz", gzip.compress(text)),
    "zip!core.sql": lambda text: ("backup.zip", zipped("dump/core.sql", text)),
}


@pytest.mark.parametrize("attached", list(ATTACHED))
@pytest.mark.parametrize("mail", ["eml", "msg"])
def test_a_dump_attached_to_an_email_is_read_in_order_by_one_worker(tmp_path, key, mail, attached):
    """The parent reads a mail and its blocks go to the workers side by side: a dump attached as
    it is, gzipped under a name that says nothing, or in an attached zip, lost its COPY columns
    past its first block with --jobs 2 (here 172 of 1,000 names in an .eml, 347 in a .msg). It is
    handed to one worker whole."""
    text = pg_dump(customers(1000, seed=5)).encode()
    assert len(text) > 4 * scan.GROUP_BYTES
    name, data = ATTACHED[attached](text)
    path = tmp_path / f"mail.{mail}"
    path.write_bytes((eml if mail == "eml" else msg)(name, data))
    result = scan_one(path, key, jobs=2)
    names = sum(finding.occurrences for (where, entity), finding in result.findings.items() if entity == "PERSON")
    assert (names, result.coverage.files, result.coverage.problems) == (1000, 2, [])


@pytest.mark.parametrize("name, kind", [("core-20261102.gz", "tar"), ("daily.txt.bz2", "zip"),
                                        ("daily.txt.xz", "tar.gz!zip"), ("core-20261102.zst", "7z")])
def test_a_compressed_dump_named_otherwise_inside_an_archive_is_told_by_its_header(tmp_path, key, name, kind):
    """A compressed dump whose name does not say "sql" is told by the header it inflates to, inside
    an archive as on disk, and handed to one worker whole: its rows keep their columns (told by
    its name only, it lost them past its first block: 347 of 1,000 names)."""
    text = pg_dump(customers(1000, seed=5)).encode()
    compress = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress, "zst": zstd.compress}
    data = compress[name.rpartition(".")[2]](text)
    archive = nested_archive(tmp_path, kind, [(f"backup/{name}", data), ("app.log", LOG_LINE.encode())])
    result = scan_one(archive, key, jobs=2)
    assert by_member(result)[(files.stream_name(f"backup/{name}"), "PERSON")] == 1000
    assert by_member(result)[("app.log", "CN_MOBILE_PHONE")] == 1


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("kind, rows", [("tar.gz", 1000), ("rar", 4000)])
def test_an_archive_cut_short_inside_a_dump_is_told_once_and_verifies_nothing(tmp_path, key, jobs, kind, rows):
    """A backup.tar.gz or .rar cut short in the middle of its dump's COPY block: the parent, going
    past the dump it handed on, and the worker reading it, each told the cut (twice with --jobs 2;
    the RAR's worker as a corrupt member, "I/O error when unstoring file", and with --jobs 1 so
    too). Told once, as the archive's; the rows before the cut are found (libarchive gives a
    stored RAR member 64 KiB at a time, and those whole before the cut only: more rows here); and
    the dump, read in part, verifies nothing: the cards of the table after the cut, not read, stay
    open (they were verified, with --jobs 1 too)."""
    rng = random.Random(8)
    cards = "".join(f"{n}\t{card(rng)}\n" for n in range(1, 51))
    text = pg_dump(customers(rows, seed=5)) + f"COPY public.t_card (cust_id, card_no) FROM stdin;\n{cards}\\.\n"
    backup = nested_archive(tmp_path, kind, [("dump/core.sql", text.encode()), ("app.log", LOG_LINE.encode())])
    ledger = Ledger.open(f"sqlite:///{tmp_path}/ledger.db", key)
    record_scan(ledger, [scan_one(backup, key, jobs=jobs)], T0)
    backup.write_bytes(backup.read_bytes()[:backup.stat().st_size // 2])
    result = scan_one(backup, key, jobs=jobs)
    assert rows // 4 < by_member(result)[("dump/core.sql", "PERSON")] < rows
    [(where, reason)] = [(problem.where, problem.reason) for problem in result.coverage.problems]
    assert where == str(backup) and reason.startswith("corrupt or truncated archive (")
    assert reason.endswith("); not read further")
    if kind == "tar.gz":
        assert reason == "corrupt or truncated archive (unexpected end of data); not read further"
    record_scan(ledger, [result], T0 + datetime.timedelta(days=1))
    assert {item.entity_type: item.status for item in ledger.items() if item.container.endswith("core.sql")} == {
        "PERSON": "open", "CN_RESIDENT_ID": "open", "CN_MOBILE_PHONE": "open", "CN_ADDRESS": "open",
        "CN_BANK_CARD": "open"}
    ledger.close()
