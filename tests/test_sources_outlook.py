"""Outlook messages (.msg): headers, bodies (Unicode, or 8-bit in the message's code page),
attachments and attached messages read as an .eml's parts are; a bad one is one problem line."""

from __future__ import annotations

import random
import zipfile

import compressed_rtf
import pytest

from ole2_helpers import BINARY, STRING8, UNICODE, compound_file, outlook_message
from pii_audit.sources import ScanOptions, mime, outlook
from pii_audit.sources.embedded import NOT_A_WORKBOOK
from test_sources_emails import customer_list
from test_sources_rtf import escaped, gbk_record
from xls_helpers import cfb, small_workbook_stream, workbook_stream
from scan_helpers import scan_one

ID18 = "11010519491231002X"  # FORMATS.md vector, synthetic
MOBILE, OTHER_MOBILE = "13812345678", "13912345678"
CARD = "6222021234567890128"


def found(result):
    """Return sorted (container, entity, part, line) of a scan's samples."""
    return sorted((f.container, f.entity_type, s.location.get("part"), s.location.get("line"))
                  for f in result.findings.values() for s in f.samples)


def approval(body_kind: int = UNICODE, codepage: int | None = None, attachments: list[dict] | None = None) -> bytes:
    """Return a .msg as Outlook saves one: subject, sender, recipients, a plain and an HTML body,
    a customer list and a forwarded message attached."""
    forwarded = outlook_message([(0x0037, UNICODE, "转发：回访记录"), (0x1000, UNICODE, f"回访客户手机 {OTHER_MOBILE}")],
                                header=24)
    streams = outlook_message(
        [(0x0037, UNICODE, "客户资料，请审批"), (0x0C1A, UNICODE, "客户经理"), (0x0C1F, UNICODE, "manager@bank.example"),
         (0x0E04, UNICODE, "审批岗"), (0x1000, body_kind, f"您好：\n借款人身份证号：{ID18}\n谢谢"),
         (0x1013, BINARY, f"<p>还款卡号：<b>{CARD}</b></p><table><tr><td>手机</td><td>{MOBILE}</td></tr></table>"
                          .encode("utf-8")),
         (0x007D, UNICODE, "Received: from mail.bank.example ([10.1.2.3])\r\nReply-To: boss@bank.example\r\n")],
        recipients=[[(0x3001, UNICODE, "审批岗"), (0x39FE, UNICODE, "approver@bank.example")]],
        attachments=attachments if attachments is not None else [
            {"name": "客户名单.xlsx", "data": customer_list()}, {"name": "回访记录", "message": forwarded}],
        codepage=codepage)
    return compound_file(streams)


def test_a_message_is_read_part_by_part_and_its_attachments_as_files(tmp_path, key):
    (tmp_path / "审批.msg").write_bytes(approval())
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    where = str(tmp_path / "审批.msg")
    assert found(result) == sorted([
        (where, "EMAIL_ADDRESS", "headers", 3), (where, "EMAIL_ADDRESS", "headers", 5),
        (where, "EMAIL_ADDRESS", "headers", 6), (where, "CN_RESIDENT_ID", "text/plain", 2),
        (where, "CN_BANK_CARD", "text/html", 1), (where, "CN_MOBILE_PHONE", "text/html", 2),
        (f"{where}!客户名单.xlsx!Sheet!客户姓名", "PERSON", None, None),
        (f"{where}!客户名单.xlsx!Sheet!手机号", "CN_MOBILE_PHONE", None, None),
        (f"{where}!回访记录.msg", "CN_MOBILE_PHONE", "text/plain", 1)])
    # The Internet headers give Reply-To; their Received line (a server's address) is not read.
    assert "IP_ADDRESS" not in {f.entity_type for f in result.findings.values()}


@pytest.mark.parametrize("codepage", [936, None])
def test_an_8_bit_body_is_decoded_by_the_messages_code_page(tmp_path, key, codepage):
    """Outlook before 2003, and messages kept in ANSI form, store strings in the code page (GBK
    on Chinese Windows); without one given, GB18030 reads them."""
    (tmp_path / "a.msg").write_bytes(approval(body_kind=STRING8, codepage=codepage))
    result = scan_one(tmp_path, key)
    finding = result.findings[(str(tmp_path / "a.msg"), "CN_RESIDENT_ID")]
    assert finding.occurrences == 1 and finding.samples[0].score == 1.0  # 身份证号 decoded: context found


def test_an_attachment_over_the_cap_is_one_problem_line_and_the_rest_is_read(tmp_path, key, monkeypatch):
    monkeypatch.setattr(mime, "MAX_PART_BYTES", 5000)
    big = f"交易 {OTHER_MOBILE}\n".encode() * 400
    (tmp_path / "a.msg").write_bytes(approval(attachments=[{"name": "大.log", "data": big},
                                                           {"name": "小.log", "data": f"手机 {MOBILE}\n".encode()}]))
    result = scan_one(tmp_path, key)
    where = str(tmp_path / "a.msg")
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (f"{where}!大.log", f"an attachment of {len(big):,} bytes, over 5,000, is not read; save it apart and scan it")]
    assert (f"{where}!小.log", "CN_MOBILE_PHONE", None, 1) in found(result)


@pytest.mark.parametrize("as_file", [False, True], ids=["attached-message", "attached-msg-file"])
def test_messages_attached_in_messages_stop_where_an_emls_do(as_file):
    """A message attached to a .msg was followed 8 deep (outlook.MAX_DEPTH), one attached to an .eml
    4 (emails.ATTACHED_MAX), and a .msg attached as a file to a .msg was not counted at all: such
    a chain went on without end. Both formats count one depth, and word the same problem line."""
    from pii_audit.sources import TargetCoverage, emails
    from pii_audit.sources.emails import read_email

    message = None
    for level in range(emails.ATTACHED_MAX + 3, -1, -1):  # the innermost first
        attachments = [] if message is None else [
            {"name": "转发.msg", **({"data": compound_file(message)} if as_file else {"message": message})}]
        message = outlook_message([(0x1000, UNICODE, f"手机 {13812340000 + level}")], attachments=attachments,
                                  header=24 if level and not as_file else 32)  # an attached message's table is shorter
    coverage = TargetCoverage("a.msg")
    items = list(read_email("a.msg", ScanOptions(), coverage, compound_file(message)))
    assert [item.text for item in items if item.location.get("part") == "text/plain"] == [
        f"手机 {13812340000 + level}" for level in range(emails.ATTACHED_MAX + 1)]
    assert [(p.where, p.reason) for p in coverage.problems] == [
        ("a.msg" + "!转发.msg" * (emails.ATTACHED_MAX + 1),
         f"an attachment of a message attached {emails.ATTACHED_MAX} deep in messages is not read; save it apart "
         "and scan it")]


def eml_attaching(name: str, data: bytes) -> bytes:
    """Return an .eml attaching ``data`` as the file ``name``, in base64."""
    import base64

    return (b'Subject: fwd\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nfwd\n'
            b'--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n'
            b'Content-Disposition: attachment; filename="' + name.encode() + b'"\n\n'
            + base64.encodebytes(data) + b"--b--\n")


def test_an_eml_and_a_msg_attached_in_turn_count_one_depth():
    """An .eml attaching a .msg attaching an .eml ...: each format counted its own depth (the
    .msg's from 0 again), so the chain was followed past either limit."""
    from pii_audit.sources import TargetCoverage, emails
    from pii_audit.sources.emails import read_email
    inner = f"Subject: x\n\n手机 {MOBILE}\n".encode()
    for level in range(emails.ATTACHED_MAX + 2):
        name = "fwd.msg" if level % 2 else "fwd.eml"
        inner = eml_attaching(name, inner) if level % 2 else compound_file(outlook_message(
            [(0x1000, UNICODE, "转发")], attachments=[{"name": name, "data": inner}]))
    coverage = TargetCoverage("a.msg")
    items = list(read_email("a.msg", ScanOptions(), coverage, inner))
    assert not any(MOBILE in item.text for item in items if hasattr(item, "text"))
    assert [p.reason for p in coverage.problems] == [
        f"an attachment of a message attached {emails.ATTACHED_MAX} deep in messages is not read; save it apart "
        "and scan it"]
    assert coverage.problems[0].where.count("!") == emails.ATTACHED_MAX + 1


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_bytes(approval()[:3000]), "corrupt Outlook message"),
    (lambda p: p.write_bytes(cfb(bytes(5000))), "not an Outlook message: the OLE2 file holds no message properties"),
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)), "corrupt Outlook message: OLE2 version 0"),
], ids=["truncated", "no-properties", "zeros"])
def test_a_bad_message_is_one_problem_line_and_the_scan_goes_on(tmp_path, key, make, reason):
    make(tmp_path / "bad.msg")
    (tmp_path / "good.msg").write_bytes(approval())
    result = scan_one(tmp_path, key)
    (problem,) = result.coverage.problems
    assert problem.where == str(tmp_path / "bad.msg") and reason in problem.reason, problem
    assert {f.container for f in result.findings.values()} >= {str(tmp_path / "good.msg")}


def test_a_message_in_a_zip_and_a_mime_message_named_msg_are_read(tmp_path, key):
    """Some mail tools save MIME text under .msg: it is read as the e-mail it is."""
    with zipfile.ZipFile(tmp_path / "mailbox.zip", "w") as packed:
        packed.writestr("2024/审批.msg", approval())
    (tmp_path / "导出.msg").write_text(f"Subject: hi\n\n手机 {MOBILE}\n")
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    containers = {f.container for f in result.findings.values()}
    assert {f"{tmp_path / 'mailbox.zip'}!2024/审批.msg", str(tmp_path / "导出.msg")} <= containers


def test_an_attachments_8_bit_name_is_in_its_messages_code_page(tmp_path, key):
    """An attachment has no code page of its own: a UTF-8 message's names are UTF-8 (read in the
    default GB18030, this one was garbled)."""
    streams = outlook_message([(0x1000, UNICODE, "见附件")], codepage=65001,
                              attachments=[{"name": "客户名单.txt", "name_kind": STRING8, "data": f"手机 {MOBILE}\n".encode()}])
    (tmp_path / "a.msg").write_bytes(compound_file(streams))
    result = scan_one(tmp_path, key)
    assert found(result) == [(f"{tmp_path / 'a.msg'}!客户名单.txt", "CN_MOBILE_PHONE", None, 1)]


def test_mutated_messages_never_escape_as_errors(tmp_path):
    """300 copies of a message with random bytes changed: each is read or refused in one line."""
    from pii_audit.sources import TargetCoverage
    from pii_audit.sources.emails import read_email

    rng = random.Random(11)
    original = approval()
    for number in range(300):
        data = bytearray(original)
        for _ in range(rng.choice([1, 4, 16])):
            data[rng.randrange(len(data))] = rng.randrange(256)
        coverage = TargetCoverage(f"m{number}.msg")
        list(read_email(f"m{number}.msg", ScanOptions(), coverage, bytes(data)))
        assert len([p for p in coverage.problems if p.where == f"m{number}.msg"]) <= 1
        for problem in coverage.problems:
            assert "\n" not in problem.reason and MOBILE not in problem.reason and ID18 not in problem.reason


def test_internet_headers_the_standard_parser_fails_on_are_read_as_stored(tmp_path, key):
    """An address the standard header parser chokes on ("To: <" raised IndexError from it) lost
    the whole message ("unreadable e-mail (IndexError)"); it is read as stored, as in an .eml."""
    streams = outlook_message([(0x007D, UNICODE, f"To: <{MOBILE}\r\nCc: \"\r\n"), (0x1000, UNICODE, f"身份证 {ID18}")])
    (tmp_path / "a.msg").write_bytes(compound_file(streams))
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert found(result) == [(str(tmp_path / "a.msg"), "CN_MOBILE_PHONE", "headers", 1),
                             (str(tmp_path / "a.msg"), "CN_RESIDENT_ID", "text/plain", 1)]


def test_a_message_of_thousands_of_attachments_is_read_in_linear_time(monkeypatch):
    """Each attachment's streams were found by a pass over every stream of the file: a 1 MB
    message of 4,000 empty attachments took 9-18 s (quadratic), a 2 MB one four times that.
    Counted, not timed: the paths looked at in all are about the streams the file holds once."""
    from pii_audit.sources import TargetCoverage, outlook
    from pii_audit.sources.emails import read_email

    looked_at, real = [], outlook._Storage.below

    def below(self, folder):
        looked_at.append(real(self, folder))
        return looked_at[-1]

    monkeypatch.setattr(outlook._Storage, "below", below)
    streams = outlook_message([(0x1000, UNICODE, f"手机 {MOBILE}")])
    streams.update({f"__attach_version1.0_#{k:08X}/__substg1.0_37050003": bytes(4) for k in range(4000)})
    coverage = TargetCoverage("a.msg")
    chunks = list(read_email("a.msg", ScanOptions(), coverage, compound_file(streams)))
    assert (coverage.problems, coverage.notices) == ([], [])
    assert [chunk.text for chunk in chunks if chunk.location.get("part") == "text/plain"] == [f"手机 {MOBILE}"]
    assert sum(map(len, looked_at)) < 3 * len(streams)


def test_the_mini_stream_is_chained_once_for_all_the_small_properties(monkeypatch):
    """Each property under 4,096 bytes (nearly all of a message's) lives in the mini stream, whose
    sector chain ole2 walked again for each one: a 2.6 MB message of 8,000 recipients took 13 s.
    It is chained once a file."""
    from pii_audit.sources import TargetCoverage, ole2
    from pii_audit.sources.emails import read_email

    chained = []
    monkeypatch.setattr(ole2, "_chained", lambda *args, real=ole2._chained: chained.append(1) or real(*args))
    streams = outlook_message([(0x1000, UNICODE, f"手机 {MOBILE}")],
                              recipients=[[(0x3001, UNICODE, f"客户经理{n}")] for n in range(300)])
    coverage = TargetCoverage("a.msg")
    chunks = list(read_email("a.msg", ScanOptions(), coverage, compound_file(streams)))
    assert coverage.problems == [] and chunks[0].text.count("Recipient: 客户经理") == 300
    assert len(chained) == 3  # the directory, the mini stream and its allocation table


def test_every_object_attached_to_a_message_is_read_from_the_message_opened_once(monkeypatch):
    """Each OLE object attached to a message was read by opening the whole message again (from a
    copy of it in memory): 2,000 small workbook objects in a 2.2 MB .msg took 305 s, so past a
    budget of entries walked the rest were one notice. Their streams are read from the message
    opened once, its directory walked once: every object is read."""
    from pii_audit.models import Cells
    from pii_audit.sources import TargetCoverage
    from pii_audit.sources.emails import read_email
    from test_sources_word97 import directory_reads

    count = 300
    streams = outlook_message([(0x1000, UNICODE, "见表")], attachments=[
        {"name": f"表{k}", "message": {"Workbook": small_workbook_stream("手机号", f"1381234{k:04d}"),
                                       "\x01CompObj": bytes(80)}} for k in range(count)])
    reads = directory_reads(monkeypatch)
    coverage = TargetCoverage("a.msg")
    values = {(chunk.container, chunk.text) for item in read_email("a.msg", ScanOptions(), coverage,
                                                                   compound_file(streams))
              if isinstance(item, Cells) for chunk in item.chunks() if chunk.text != "手机号"}
    assert (coverage.problems, coverage.notices) == ([], [])
    assert values == {(f"a.msg!表{k}!客户!手机号", f"1381234{k:04d}") for k in range(count)}
    assert reads["files"] == 1
    assert reads["entries"] <= 2 * (len(streams) + 3 * count)  # each attachment holds 3 storages


def test_a_header_property_over_the_cap_is_skipped_and_the_body_read(tmp_path, key, monkeypatch):
    """A subject of gigabytes would be held whole; a header property over MAX_STRING_BYTES is
    skipped, the body (under its own cap) is still read."""
    monkeypatch.setattr(outlook, "MAX_STRING_BYTES", 40)
    streams = outlook_message([(0x0037, UNICODE, f"客户 {MOBILE} 的资料，请审批，谢谢"), (0x0C1A, UNICODE, "经理"),
                               (0x1000, UNICODE, f"身份证 {ID18}")])
    (tmp_path / "a.msg").write_bytes(compound_file(streams))
    result = scan_one(tmp_path, key)
    assert found(result) == [(str(tmp_path / "a.msg"), "CN_RESIDENT_ID", "text/plain", 1)]


def test_a_message_whose_attached_message_is_cleaned_verifies_its_items(tmp_path, monkeypatch):
    """The attached message is a container of its own: once the mobile number in it is masked
    and the folder scanned again in full, its item verifies."""
    from click.testing import CliRunner

    from ledger_helpers import statuses_by_file
    from pii_audit.cli import cli

    def write(body: str) -> None:
        attached = outlook_message([(0x1000, UNICODE, body)], header=24)
        (folder / "审批.msg").write_bytes(compound_file(outlook_message(
            [(0x1000, UNICODE, "见附件")], attachments=[{"name": "回访", "message": attached}])))

    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    folder, ledger = tmp_path / "mail", f"sqlite:///{tmp_path / 'ledger.db'}"
    folder.mkdir()
    scan = lambda: CliRunner().invoke(cli, ["scan", str(folder), "--ledger", ledger]).exit_code  # noqa: E731
    write(f"回访客户手机 {MOBILE}")
    assert scan() == 1 and statuses_by_file(ledger) == {"审批.msg!回访.msg": {"open"}}
    write("回访客户手机 138****5678")
    assert scan() == 0 and statuses_by_file(ledger) == {"审批.msg!回访.msg": {"verified"}}


def test_an_excel_object_in_a_rich_text_message_is_read(tmp_path, key):
    """A message written in Outlook's rich text keeps a pasted table as an OLE object in the
    attachment (its data a storage, not a message): read as the .xls it is. Another object is a notice."""
    workbook = workbook_stream([("客户姓名", "手机号"), ("王建国", MOBILE), ("李秀英", OTHER_MOBILE)])
    streams = outlook_message([(0x1000, UNICODE, "见表")], attachments=[
        {"name": "表格", "message": {"Workbook": workbook, "\x01CompObj": bytes(80)}},
        {"name": "公式", "message": {"Equation Native": bytes(200)}}])
    (tmp_path / "a.msg").write_bytes(compound_file(streams))
    result = scan_one(tmp_path, key)
    where = str(tmp_path / "a.msg")
    assert result.coverage.problems == []
    assert [(n.where, n.reason) for n in result.coverage.notices] == [(f"{where}!公式", NOT_A_WORKBOOK)]
    assert result.findings[(f"{where}!表格!客户!手机号", "CN_MOBILE_PHONE")].occurrences == 2


def test_many_attached_objects_that_hold_no_file_are_a_bounded_number_of_notices():
    """A message's OLE objects that are no workbook, Word document or packaged file: a notice each
    for the first MAX_OTHER_NOTICES, then one for the rest (each was a notice of its own)."""
    from pii_audit.sources import TargetCoverage
    from pii_audit.sources.embedded import MAX_OTHER_NOTICES
    from pii_audit.sources.emails import read_email

    streams = outlook_message([(0x1000, UNICODE, "见附件")], attachments=[
        {"name": f"公式{k}", "message": {"Equation Native": bytes(100)}} for k in range(MAX_OTHER_NOTICES + 3)])
    coverage = TargetCoverage("a.msg")
    list(read_email("a.msg", ScanOptions(), coverage, compound_file(streams)))
    assert coverage.problems == []
    assert [(n.where, n.reason) for n in coverage.notices] == [
        *((f"a.msg!公式{k}", NOT_A_WORKBOOK) for k in range(MAX_OTHER_NOTICES)),
        ("a.msg", "3 more embedded object(s) that are no workbook, Word document or packaged file (equations, "
                  "drawings) not read")]


def rich_text_message(rtf: bytes, *properties, packed: bytes | None = None) -> bytes:
    """Return a .msg whose body Outlook kept only as compressed RTF (PR_RTF_COMPRESSED), after
    ``properties`` (a plain body, say)."""
    packed = compressed_rtf.compress(rtf) if packed is None else packed
    return compound_file(outlook_message([(0x0037, UNICODE, "开户登记"), *properties, (0x1009, BINARY, packed)]))


# An HTML message as Outlook encapsulates it in RTF: the tags in \*\htmltag groups, the text as RTF.
HTML_IN_RTF = (b"{\\rtf1\\ansi\\ansicpg936\\fromhtml1 \\deff0{\\fonttbl{\\f0\\fswiss\\fcharset134 SimSun;}}\r\n"
               b"{\\*\\htmltag19 <html>}{\\*\\htmltag34 <head>}{\\*\\htmltag241 <style>p \\{color:red\\}</style>}"
               b"{\\*\\htmltag41 </head>}{\\*\\htmltag50 <body>}{\\*\\htmltag64 <p>}\\htmlrtf {\\htmlrtf0 "
               + escaped(f"姓名：王建国，手机 {MOBILE}") + b"{\\*\\htmltag84 &nbsp;}\\htmlrtf \\'a1\\'a1\\htmlrtf0 "
               b"{\\*\\htmltag244 <o:p>}{\\*\\htmltag252 </o:p>}\\htmlrtf\\par}\\htmlrtf0\r\n"
               b"{\\*\\htmltag72 </p>}{\\*\\htmltag58 </body>}{\\*\\htmltag27 </html>}}")


@pytest.mark.parametrize("compressed", [True, False], ids=["LZFu", "stored"])
def test_a_body_kept_only_as_compressed_rtf_is_read_line_by_line(tmp_path, key, compressed):
    """Chinese in it is GBK escapes: the name after 姓名 is found, located in its line."""
    packed = compressed_rtf.compress(gbk_record(), compressed)
    (tmp_path / "a.msg").write_bytes(rich_text_message(b"", packed=packed))
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    where = str(tmp_path / "a.msg")
    assert found(result) == sorted((where, entity, "text/rtf", 3)
                                   for entity in ("PERSON", "CN_RESIDENT_ID", "CN_MOBILE_PHONE"))


def test_html_kept_in_rtf_is_read_as_its_text_without_its_tags():
    from pii_audit.sources import TargetCoverage
    from pii_audit.sources.emails import read_email

    coverage = TargetCoverage("a.msg")
    chunks = list(read_email("a.msg", ScanOptions(), coverage, rich_text_message(HTML_IN_RTF)))
    (body,) = [chunk for chunk in chunks if chunk.location.get("part") == "text/rtf"]
    assert body.text == f"姓名：王建国，手机 {MOBILE}\u3000" and coverage.problems == []


def test_the_rtf_body_is_not_read_beside_a_plain_one(tmp_path, key):
    """Outlook keeps a plain body beside the rich one, with the same text: each value counts once."""
    (tmp_path / "a.msg").write_bytes(rich_text_message(gbk_record(), (0x1000, UNICODE, f"手机 {MOBILE}")))
    result = scan_one(tmp_path, key)
    assert found(result) == [(str(tmp_path / "a.msg"), "CN_MOBILE_PHONE", "text/plain", 1)]
    assert result.findings[(str(tmp_path / "a.msg"), "CN_MOBILE_PHONE")].occurrences == 1


@pytest.mark.parametrize("packed, problem, notice", [
    (b"\x10\x00\x00\x00\x00\x00\x00\x00ZIP!\x00\x00\x00\x00", "not compressed RTF (unknown compression type)", None),
    (compressed_rtf.compress(gbk_record())[:-30], None, "its compressed RTF is cut short"),
], ids=["unknown-type", "cut-short"])
def test_a_damaged_rtf_body_is_one_line_and_the_rest_is_read(tmp_path, key, packed, problem, notice):
    (tmp_path / "a.msg").write_bytes(rich_text_message(b"", packed=packed))
    result = scan_one(tmp_path, key)
    assert [p.reason for p in result.coverage.problems] == ([f"its rich-text body is not read: {problem}"]
                                                          if problem else [])
    notices = [n.reason for n in result.coverage.notices]
    if notice:  # what came before the cut was read; the RTF, cut short too, left a group open
        assert notices == ["damaged or cut short: 1 group(s) left open at the end; all it holds was read",
                           f"rich-text body: {notice}; read as far as it goes"]
        assert (str(tmp_path / "a.msg"), "PERSON", "text/rtf", 3) in found(result)
    else:
        assert notices == []


def test_mutated_compressed_rtf_bodies_never_escape_as_errors():
    """300 compressed bodies with random bytes changed: each is read, or refused, in one line."""
    from pii_audit.sources import TargetCoverage
    from pii_audit.sources.emails import read_email

    rng = random.Random(12)
    original = compressed_rtf.compress(gbk_record())
    for number in range(300):
        packed = bytearray(original)
        for _ in range(rng.choice([1, 4, 16])):
            packed[rng.randrange(len(packed))] = rng.randrange(256)
        coverage = TargetCoverage("a.msg")
        list(read_email("a.msg", ScanOptions(), coverage, rich_text_message(b"", packed=bytes(packed))))
        for item in coverage.problems + coverage.notices:
            assert "\n" not in item.reason and MOBILE not in item.reason and ID18 not in item.reason


def test_an_attachments_name_holding_a_line_break_is_shown_on_one_line(tmp_path, key):
    """Outlook stores the name as given: a line break in it is "?" in the attachment's problem
    line and in where its findings are, as in an .eml (the line break split the problem line)."""
    streams = outlook_message([(0x1000, UNICODE, "见附件")], attachments=[
        {"name": "客户\n名单.xlsx", "data": b"PK\x03\x04junk"}, {"name": "a\r\nb.txt", "data": f"手机 {MOBILE}".encode()}])
    (tmp_path / "a.msg").write_bytes(compound_file(streams))
    result = scan_one(tmp_path, key)
    where = str(tmp_path / "a.msg")
    assert [problem.where for problem in result.coverage.problems] == [f"{where}!客户?名单.xlsx"]
    assert [f.container for f in result.findings.values()] == [f"{where}!a??b.txt"]
