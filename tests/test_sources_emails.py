"""Saved e-mails (.eml): headers and text parts decoded, whatever their charset and transfer
encoding, and attachments read as the files they are."""

from __future__ import annotations

import email
import email.policy
import io
import random
import tracemalloc
import zipfile
from email.message import EmailMessage

import openpyxl
import pytest

from pii_audit.demo_estate import pdf_bytes
from pii_audit.sources import ScanOptions
from pii_audit.sources import emails, mime
from scan_helpers import scan_one

ID18 = "11010519491231002X"  # FORMATS.md vector, synthetic
MOBILE = "13812345678"
CARD = "6222021234567890128"


def customer_list() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["客户姓名", "手机号"])
    book.active.append(["王建国", int(MOBILE)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def mail(body_charset: str = "gb2312") -> bytes:
    """Return a message as Chinese mail clients send one: a GB2312 body in base64, an HTML
    alternative, a customer list and a receipt attached."""
    message = EmailMessage()
    message["From"] = "客户经理 <manager@bank.example>"
    message["To"] = "审批岗 <approver@bank.example>"
    message["Subject"] = "客户资料，请审批"
    message.set_content(f"您好：\n借款人身份证号：{ID18}\n谢谢", charset=body_charset, cte="base64")
    message.add_alternative(f"<p>还款卡号：<b>{CARD}</b></p><table><tr><td>手机</td><td>{MOBILE}</td><td>5</td>"
                            "</tr></table>", subtype="html", charset="utf-8", cte="quoted-printable")
    message.add_attachment(customer_list(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="客户名单.xlsx")
    message.add_attachment(pdf_bytes([f"联系电话：{MOBILE}"]), maintype="application", subtype="pdf",
                           filename="回单.pdf")
    return bytes(message)


def test_a_mail_is_read_part_by_part_and_its_attachments_as_files(tmp_path, key):
    """Read as a text file, the body was base64 and its ID number unseen."""
    raw = mail()
    assert ID18.encode() not in raw  # base64; the quoted-printable HTML keeps its digits as they are
    (tmp_path / "审批.eml").write_bytes(raw)
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    where = str(tmp_path / "审批.eml")
    found = sorted((f.container, f.entity_type, s.location.get("part"), s.location.get("line"))
                   for f in result.findings.values() for s in f.samples)
    assert found == sorted([
        (where, "EMAIL_ADDRESS", "headers", 1), (where, "EMAIL_ADDRESS", "headers", 2),
        (where, "CN_RESIDENT_ID", "2 text/plain", 2), (where, "CN_BANK_CARD", "3 text/html", 1),
        (where, "CN_MOBILE_PHONE", "3 text/html", 2),
        (f"{where}!客户名单.xlsx!Sheet!客户姓名", "PERSON", None, None),
        (f"{where}!客户名单.xlsx!Sheet!手机号", "CN_MOBILE_PHONE", None, None),
        (f"{where}!回单.pdf", "CN_MOBILE_PHONE", None, 1)])


@pytest.mark.parametrize("damage", [
    pytest.param(lambda raw: raw.replace(b"Content-Type: multipart/mixed", b"Co\x9btent-Type: multipart/mixed", 1),
                 id="a-header-name"),
    pytest.param(lambda raw: raw.replace(b"From:", b"From\xd3", 1), id="the-first-headers-colon"),
    pytest.param(lambda raw: raw.replace(b"MIME-Version:", b"MIME\x9fVersion:", 1), id="a-header-before-the-type"),
])
def test_a_line_in_the_headers_that_is_no_header_is_a_problem_line(tmp_path, key, damage):
    """One damaged byte in a header's name or colon: the headers after it, the type among them,
    were read as the body, read as plain text, base64 and all, and the mail passed as complete
    without its ID number (5 of 10 silent losses in 400 randomly damaged copies). It is read so
    still, and one problem line says it."""
    raw = damage(mail())
    (tmp_path / "审批.eml").write_bytes(raw)
    result = scan_one(tmp_path, key)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(tmp_path / "审批.eml"),
         "part 0: a line in its headers is no header (damaged?): the headers after it were read as its body")]
    assert "CN_RESIDENT_ID" not in {f.entity_type for f in result.findings.values()}


def test_a_type_no_mail_holds_is_a_problem_line(tmp_path, key):
    """One damaged byte of multipart/mixed (multi\\x1aart/mixed): the message was a part of no
    type read, no text and no file, skipped without a word."""
    (tmp_path / "审批.eml").write_bytes(mail().replace(b"multipart/mixed", b"multi\x1aart/mixed", 1))
    result = scan_one(tmp_path, key)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(tmp_path / "审批.eml"), "part 0: a type no mail holds (damaged?); not read")]


def test_lines_of_a_base64_part_that_are_no_base64_are_a_problem_line(tmp_path, key):
    """One damaged byte of the delimiter before the HTML part: that part (its headers, its
    quoted-printable text) was decoded as the plain text's base64, the card number in it lost
    without a word. The plain text is read as before, and one problem line says why not all."""
    raw = mail()
    boundary = raw.split(b'boundary="', 2)[2].split(b'"', 1)[0]  # the alternative's
    before_html = raw.index(b"\n--" + boundary + b"\n", raw.index(b"--" + boundary + b"\n") + 1)
    raw = raw[:before_html + 5] + b"\x16" + raw[before_html + 6:]
    (tmp_path / "审批.eml").write_bytes(raw)
    result = scan_one(tmp_path, key)
    (problem,) = result.coverage.problems
    assert problem.where == str(tmp_path / "审批.eml") and problem.reason.startswith("part 2: its base64 holds ")
    assert problem.reason.endswith(" line(s) that are no base64 (the next part's delimiter damaged?): what they "
                                   "hold was not read")
    found = {f.entity_type for f in result.findings.values()}
    assert "CN_RESIDENT_ID" in found and "CN_BANK_CARD" not in found


@pytest.mark.parametrize("where", ["header", "delimiters", "none"])
def test_a_multipart_in_which_no_part_is_found_is_a_problem_line(tmp_path, key, where):
    """A multipart whose delimiter never appears, its boundary damaged in its header or on its
    lines, or that names none: all it held was read as its preamble, which is skipped, and the
    mail passed as complete with its headers alone (its body, its attachments unread). It is now
    one problem line; the headers are still read."""
    raw = mail()
    boundary = raw.split(b'boundary="', 1)[1].split(b'"', 1)[0]
    if where == "header":
        raw = raw.replace(b'boundary="' + boundary, b'boundary="' + boundary[:-3] + b"x==", 1)
    elif where == "delimiters":
        raw = raw.replace(b"\n--" + boundary, b"\n--" + boundary[:-3] + b"x==")
    else:
        raw = raw.replace(b'; boundary="' + boundary + b'"', b"", 1)
    (tmp_path / "审批.eml").write_bytes(raw)
    result = scan_one(tmp_path, key)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(tmp_path / "审批.eml"), "part 0: a multipart part in which no part is found (a damaged boundary?); "
                                    "not read")]
    assert {f.entity_type for f in result.findings.values()} == {"EMAIL_ADDRESS"}


@pytest.mark.parametrize("charset", ["gbk", "utf-8", "gb18030"])
def test_every_chinese_charset_decodes(tmp_path, key, charset):
    (tmp_path / "a.eml").write_bytes(mail(charset))
    result = scan_one(tmp_path, key)
    assert result.findings[(str(tmp_path / "a.eml"), "CN_RESIDENT_ID")].occurrences == 1


def test_a_part_over_the_cap_is_one_problem_line_and_the_parts_after_it_are_read(tmp_path, key, monkeypatch):
    """The customer list (about 4,900 bytes) is over a cap of 2,000; the receipt after it is read,
    and so is a mail inside a zip."""
    monkeypatch.setattr(mime, "MAX_PART_BYTES", 2000)
    raw = mail()
    (tmp_path / "big.eml").write_bytes(raw)
    size = len(standard_parts(raw)[2][3])  # the workbook as the standard parser decodes it (openpyxl's vary)
    with zipfile.ZipFile(tmp_path / "mailbox.zip", "w") as packed:
        packed.writestr("2024/small.eml", f"Subject: hi\n\n手机 {MOBILE}\n")
    result = scan_one(tmp_path, key)
    where = str(tmp_path / "big.eml")
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (f"{where}!客户名单.xlsx", f"a part of {size:,} bytes decoded, over 2,000, is not read; save it apart and scan it")]
    assert sorted((f.container, f.entity_type) for f in result.findings.values()) == sorted([
        (where, "EMAIL_ADDRESS"), (where, "CN_RESIDENT_ID"), (where, "CN_BANK_CARD"), (where, "CN_MOBILE_PHONE"),
        (f"{where}!回单.pdf", "CN_MOBILE_PHONE"), (f"{tmp_path / 'mailbox.zip'}!2024/small.eml", "CN_MOBILE_PHONE")])


def forwarded(depth: int, linesep: str) -> bytes:
    """Return a mail that forwards a mail (as message/rfc822) that forwards ... ``depth`` times,
    each level with a preamble, a text, a GBK quoted-printable HTML part and an attachment."""
    inner = EmailMessage()
    inner["Subject"] = "原始邮件"
    inner.set_content(f"身份证 {ID18}\n", charset="utf-8", cte="8bit")
    for level in range(depth):
        outer = EmailMessage()
        outer["Subject"] = f"转发 {level}"
        outer.preamble = "This is a multi-part message in MIME format."
        outer.set_content(f"第{level}层 手机{MOBILE}", charset="gb18030", cte="base64")
        outer.add_alternative(f"<p>卡号 {CARD}</p>", subtype="html", charset="gbk", cte="quoted-printable")
        outer.add_attachment(f"附件{level}\n".encode() * 50, maintype="text", subtype="plain",
                             filename=f"明细{level}.txt")
        outer.add_attachment(inner)
        outer.epilogue = "epilogue"
        inner = outer
    return inner.as_bytes(policy=email.policy.default.clone(linesep=linesep))


def standard_parts(raw: bytes) -> list[tuple]:
    """Return (number, type, file name, decoded body) of each part the standard parser holds content in."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return [(number, part.get_content_type(), part.get_filename(), part.get_payload(decode=True) or b"")
            for number, part in enumerate(message.walk()) if not part.is_multipart()]


@pytest.mark.parametrize("depth", [0, 1, 3])
@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
def test_the_streamed_parts_are_the_standard_parsers(depth, linesep):
    """Parts, numbers, types, names and decoded bodies as ``email``'s parser has them (a body's
    last line break aside: the standard parser keeps it for some parts and not others)."""
    raw = forwarded(depth, linesep)
    streamed = [(leaf.number, leaf.headers.get_content_type(), leaf.headers.get_filename(), leaf.body)
                for leaf in mime.MessageReader(io.BytesIO(raw)).leaves()]
    expected = standard_parts(raw)
    assert [entry[:3] for entry in streamed] == [entry[:3] for entry in expected]
    for (*_, body), (*_, want) in zip(streamed, expected):
        assert body.rstrip(b"\r\n") == want.rstrip(b"\r\n")


def test_a_digests_parts_are_messages_as_the_standard_parser_has_them():
    """A mailing list's digest: parts without a Content-Type are messages (RFC 2046 5.1.5)."""
    raw = (b'Subject: digest\nContent-Type: multipart/digest; boundary="d"\n\n'
           b"--d\n\nSubject: one\n\n\xe6\x89\x8b\xe6\x9c\xba 13812345678\n"
           b"--d\nContent-Type: text/plain\n\nplain part\n--d--\n")
    streamed = [(leaf.number, leaf.headers.get_content_type(), leaf.body.rstrip(b"\n"))
                for leaf in mime.MessageReader(io.BytesIO(raw)).leaves()]
    assert streamed == [(number, kind, body.rstrip(b"\n")) for number, kind, _, body in standard_parts(raw)]
    assert [number for number, *_ in streamed] == [2, 3]


def test_a_mail_of_35_mib_is_read_in_bounded_memory(tmp_path, key):
    """Twenty-five attachments of 1.2 MiB each, then a text part with an ID number: all read, and
    the reader holds one part at a time (the standard parser held about 10 MB a MiB: 8.5 MiB traced
    here for a 60 MiB mail)."""
    message = EmailMessage()
    message["Subject"] = "月度导出"
    message.set_content("见附件")
    for number in range(25):
        message.add_attachment(f"{number:06d} 交易成功\n".encode() * 70_000, maintype="text", subtype="plain",
                               filename=f"交易{number}.log")
    message.add_attachment(f"客户身份证号 {ID18}\n".encode("gbk"), maintype="text", subtype="plain",
                           filename="客户.txt")
    path = tmp_path / "导出.eml"
    with open(path, "wb") as handle:
        handle.write(bytes(message))
    del message
    assert path.stat().st_size > 35 << 20
    tracemalloc.start()
    try:
        result = scan_one(path, key)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.coverage.problems == []
    assert [(f.container, f.entity_type) for f in result.findings.values()] == [(f"{path}!客户.txt", "CN_RESIDENT_ID")]
    assert peak < 24 << 20, f"{peak / 2**20:.1f} MiB traced"


@pytest.mark.parametrize("raw, reason", [
    (b"Subject: x\nX-Pad: " + b"a" * (2 << 20) + b"\n\nbody", "a block of headers over 1,048,576 bytes"),
    (b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (n, n) for n in range(100)),
     "parts nested more than 64 deep"),
], ids=["huge-headers", "nested"])
def test_a_hostile_mail_is_one_problem_line(tmp_path, key, raw, reason):
    (tmp_path / "bad.eml").write_bytes(raw)
    (tmp_path / "good.eml").write_bytes(mail())
    result = scan_one(tmp_path, key)
    (problem,) = result.coverage.problems
    assert problem.where == str(tmp_path / "bad.eml") and reason in problem.reason


def test_a_mail_cut_short_keeps_what_was_read(tmp_path, key):
    """No closing boundary, no newline at the end, a line of 3 MiB: what was read is scanned."""
    raw = mail()
    cut = raw[:raw.index(b"filename*=") - 200] + b"x" * (3 << 20)
    (tmp_path / "cut.eml").write_bytes(cut)
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert {f.entity_type for f in result.findings.values()} >= {"CN_RESIDENT_ID", "CN_BANK_CARD", "CN_MOBILE_PHONE"}


def test_no_raw_value_reaches_the_jsonl_or_the_summary(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from pii_audit.cli import cli

    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    (tmp_path / "审批.eml").write_bytes(mail())
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "审批.eml"), "--jsonl", str(out)])
    assert result.exit_code == 1, result.output
    written = out.read_text("utf-8")
    for value in (ID18, MOBILE, CARD, "王建国"):
        assert value not in result.output and value not in written
    assert "2 text/plain line 2" in result.output


def test_mutated_mails_never_escape_as_errors():
    """300 copies of a mail with random bytes changed: each is read, or its damage told in one
    line for each part it is in (headers of several parts damaged are a line each), never twice."""
    from pii_audit.sources import TargetCoverage

    rng = random.Random(5)
    original = mail()
    for number in range(300):
        data = bytearray(original)
        for _ in range(rng.choice([1, 8, 64])):
            data[rng.randrange(len(data))] = rng.choice([rng.randrange(256), ord("-"), ord("\n")])
        coverage = TargetCoverage(f"m{number}.eml")
        list(emails.read_email(f"m{number}.eml", ScanOptions(), coverage, bytes(data)))
        told = [p.reason for p in coverage.problems if p.where == f"m{number}.eml"]
        assert len(told) == len(set(told))
        for problem in coverage.problems:
            assert "\n" not in problem.reason and MOBILE not in problem.reason and ID18 not in problem.reason


def test_headers_the_standard_parser_fails_on_cost_only_their_part(tmp_path, key):
    """Python's header parser raises IndexError on some damaged values: an unclosed address is
    read as stored, and a part whose headers fail is one problem line; the other parts are read."""
    raw = (f"From: 客户经理 <manager@bank.example\nSubject: 名单\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
           f"--b\nContent-Type: text/plain; charset=utf-8\n\n身份证 {ID18}\n"
           f"--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename*\n\n手机 {MOBILE}\n"
           f"--b\nContent-Type: text/plain; charset=utf-8\n\n卡号 {CARD}\n--b--\n").encode("utf-8")
    (tmp_path / "a.eml").write_bytes(raw)
    result = scan_one(tmp_path, key)
    where = str(tmp_path / "a.eml")
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (where, "part 2: unreadable headers (IndexError); not read")]
    assert sorted((f.entity_type, s.location["part"]) for f in result.findings.values() for s in f.samples) == [
        ("CN_BANK_CARD", "3 text/plain"), ("CN_RESIDENT_ID", "1 text/plain"), ("EMAIL_ADDRESS", "headers")]


def test_a_rich_text_part_is_read_as_rtf(tmp_path, key):
    """A text/rtf part (rich text sent by Outlook) is read by the RTF reader: GBK escapes decoded,
    so the name after 姓名 is found, located in its line."""
    from test_sources_rtf import gbk_record

    message = EmailMessage()
    message["Subject"] = "登记"
    message.set_content("见正文")
    message.add_alternative(gbk_record(), maintype="text", subtype="rtf", cte="base64")
    (tmp_path / "a.eml").write_bytes(bytes(message))
    result = scan_one(tmp_path, key)
    where = str(tmp_path / "a.eml")
    assert result.coverage.problems == []
    found = sorted((f.container, f.entity_type, s.location.get("part"), s.location.get("line"))
                   for f in result.findings.values() for s in f.samples)
    entities = ("PERSON", "CN_RESIDENT_ID", "CN_MOBILE_PHONE")
    assert found == sorted((where, entity, "2 text/rtf", 3) for entity in entities)


@pytest.mark.parametrize("charset", ["undefined", "punycode", "gb\x00k"], ids=["undefined", "punycode", "nul"])
def test_a_charset_whose_codec_fails_otherwise_is_read_as_a_text_file_is(charset):
    """A part naming a codec that raises UnicodeError, not UnicodeDecodeError ("undefined" always,
    "punycode" on most text), or a charset holding a NUL (ValueError from the codec lookup, found
    by fuzzing), made the whole mail "unreadable e-mail (...)" and lost the parts after it: its
    bytes are decoded as those of an unnamed charset are."""
    from pii_audit.sources import TargetCoverage

    raw = (f'Subject: x\nContent-Type: multipart/mixed; boundary="b"\n\n'
           f"--b\nContent-Type: text/plain; charset={charset}\n\nmobile {MOBILE}.\n"
           f"--b\nContent-Type: text/plain; charset=utf-8\n\n身份证 {ID18}\n--b--\n").encode("utf-8")
    coverage = TargetCoverage("a.eml")
    texts = [chunk.text for chunk in emails.read_email("a.eml", ScanOptions(), coverage, raw)]
    assert texts == ["Subject: x", f"mobile {MOBILE}.", f"身份证 {ID18}"]
    assert coverage.problems == []


def test_a_content_type_the_standard_parser_fails_on_costs_only_its_part(tmp_path, key):
    """Python's header parser raises IndexError on a parameter cut after its "*" as soon as it
    parses the block (``charset*``): that escaped the reader, so the whole mail was "unreadable
    e-mail (IndexError)" and the parts after it lost. Now its part is one problem line; the
    others are read. A message's own Content-Type so damaged is a problem line too."""
    raw = (f'Subject: 名单\nContent-Type: multipart/mixed; boundary="b"\n\n'
           f"--b\nContent-Type: text/plain; charset*\n\n手机 {MOBILE}\n"
           f"--b\nContent-Type: text/plain; charset=utf-8\n\n身份证 {ID18}\n--b--\n").encode("utf-8")
    (tmp_path / "a.eml").write_bytes(raw)
    (tmp_path / "b.eml").write_bytes(f"Subject: x\nContent-Type: text/plain; name*\n\n身份证 {ID18}\n".encode())
    result = scan_one(tmp_path, key)
    where, whole = str(tmp_path / "a.eml"), str(tmp_path / "b.eml")
    assert sorted((p.where, p.reason) for p in result.coverage.problems) == [
        (where, "part 1: unreadable headers (IndexError); not read"),
        (whole, "part 0: unreadable headers (IndexError); not read")]
    assert [(f.container, f.entity_type, s.location["part"]) for f in result.findings.values() for s in f.samples] == [
        (where, "CN_RESIDENT_ID", "2 text/plain")]


@pytest.mark.parametrize("junk", ["<", "<br", "<p "], ids=["lt", "br", "p"])
def test_a_tag_never_runs_past_the_next_lt(junk):
    """A tag ended at the next ">" wherever it was: each "<" with no ">" after it made the tag
    patterns scan to the part's end and back (40 KB of "<" took 3-9 s, a 1 MB part hours), and
    a stray "<" swallowed the text up to the next tag, an ID number in it included. A tag now
    stops at the next "<"."""
    from pii_audit.sources import TargetCoverage

    body = junk * 2_000 + f" 金额 < 1000 身份证 {ID18} <b>注</b><br>下一行"
    raw = (b"Subject: x\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
           + body.encode("utf-8") + b"\n")
    texts = [chunk.text for chunk in emails.read_email("a.eml", ScanOptions(), TargetCoverage("a.eml"), raw)]
    assert any(f"身份证 {ID18}" in text for text in texts) and texts[-1].rstrip().endswith("下一行")


def test_headers_too_long_for_the_standard_parser_are_not_given_to_it(tmp_path, key):
    """Python's header parser takes time growing with the square of a value's length (20 KB of
    backslashes in a To: 18 s; 8 KB of quotes in a Content-Type: seconds a call, and a part asks
    several times), and a block of headers may hold 1 MiB: hours for one mail. A long address
    header is read as stored; a long Content-* header makes its part one problem line; each
    Content-* header is parsed once."""
    from pii_audit.sources import TargetCoverage

    raw = (b'To: a@bank.example, ' + b"\\" * 20_000 + b'\nSubject: x\nContent-Type: multipart/mixed; boundary="b"\n\n'
           b'--b\nContent-Type: text/plain; name="' + b'"' * 8_000 + b'"\n\nhidden\n'
           b"--b\nContent-Type: text/plain; charset=utf-8\n\n" + f"身份证 {ID18}\n--b--\n".encode())
    coverage = TargetCoverage("a.eml")
    texts = [chunk.text for chunk in emails.read_email("a.eml", ScanOptions(), coverage, raw)]
    assert texts[0].startswith("To: a@bank.example, \\\\") and texts[1:] == [f"身份证 {ID18}"]
    assert [p.reason for p in coverage.problems] == [
        f"part 1: unreadable headers (Content-Type over {mime.MAX_PARSED_BYTES:,} bytes); not read"]


def test_a_long_address_header_read_as_stored_has_its_encoded_words_decoded():
    """A To of 100 recipients and a long Subject are over mime.MAX_PARSED_BYTES, so read as stored
    (above): their encoded words (RFC 2047, base64 or quoted-printable) are still decoded, so an
    ID number in a Subject sent base64-encoded is seen."""
    from email.header import Header

    from pii_audit.sources import TargetCoverage

    names = ", ".join(f"{Header(f'客户{n}', 'gb2312').encode()} <c{n}@bank.example>" for n in range(100))
    subject = Header(f"身份证 {ID18} " + "附件说明" * 300, "utf-8").encode()
    quoted = "=?utf-8?q?=E6=89=8B=E6=9C=BA_" + MOBILE + "?="
    raw = f"To: {names}\nCc: {quoted}, {'x' * 2100}@bank.example\nSubject: {subject}\n\nbody\n".encode()
    assert len(names) > mime.MAX_PARSED_BYTES and ID18 not in raw.decode()
    chunk = next(emails.read_email("a.eml", ScanOptions(), TargetCoverage("a.eml"), raw))
    to, cc, subject_line = chunk.text.split("\n")
    assert to.startswith("To: 客户0 <c0@bank.example>, 客户1 <c1@bank.example>") and "客户99 <c99" in to
    assert cc.startswith(f"Cc: 手机 {MOBILE}, xxx")
    assert subject_line.startswith(f"Subject: 身份证 {ID18} 附件说明")


def attached_in_turn(depth: int, inner: bytes) -> bytes:
    """Return a message attaching (as a file, 8bit) a message attaching ... ``inner``, ``depth`` times."""
    for level in range(depth):
        inner = (b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\nContent-Type: application/octet-stream\n'
                 b'Content-Disposition: attachment; filename="fwd.eml"\n\n' % (level, level) + inner
                 + b"\n--b%d--\n" % level)
    return inner


def test_messages_attached_in_messages_are_read_to_a_bounded_depth():
    """Each message attached as a file was read with the depth of an archive on disk, so messages
    attached in messages went on: 100 levels round a 1 MB text held 280 MiB (a copy of the rest a
    level; a 32 MiB mail would hold GBs), and 400 levels spent 140 s to end in RecursionError.
    Attachments of a message attached ATTACHED_MAX deep are one problem line."""
    from pii_audit.sources import TargetCoverage

    inner = f"Subject: x\n\n手机 {MOBILE}\n".encode()
    coverage = TargetCoverage("a.eml")
    items = list(emails.read_email("a.eml", ScanOptions(), coverage, attached_in_turn(emails.ATTACHED_MAX, inner)))
    assert any(MOBILE in item.text for item in items) and coverage.problems == []
    coverage = TargetCoverage("a.eml")
    items = list(emails.read_email("a.eml", ScanOptions(), coverage, attached_in_turn(400, inner)))
    where = "a.eml" + "!fwd.eml" * (emails.ATTACHED_MAX + 1)
    assert [(p.where, p.reason) for p in coverage.problems] == [
        (where, f"an attachment of a message attached {emails.ATTACHED_MAX} deep in messages is not read; "
                "save it apart and scan it")]


def test_an_attachment_named_with_a_line_break_is_named_on_one_line(tmp_path, key):
    """An attachment's name may hold a line break (RFC 2231's %0A): the problem and the finding
    placed at ``mail!attachment`` were two lines; the break shows as ?, as in a zip member's name."""
    raw = (f"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           f"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename*=utf-8''%E5%AE%A2%0A1.txt"
           f"\r\n\r\n手机 {MOBILE}\r\n"
           f"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
           f"filename*=utf-8''%E5%9D%8F%0A2.xlsx\r\n\r\nPK\x03\x04 damaged\r\n--b--\r\n")
    (tmp_path / "m.eml").write_bytes(raw.encode())
    result = scan_one(tmp_path, key)
    where = str(tmp_path / "m.eml")
    assert [p.where for p in result.coverage.problems] == [f"{where}!坏?2.xlsx"]
    assert [container for container, _ in result.findings] == [f"{where}!客?1.txt"]


def test_an_attachments_name_holding_a_line_break_is_shown_on_one_line(tmp_path, key):
    """An encoded file name (RFC 2231) may hold a line break: the attachment's problem line, and
    where its findings are, show it as "?", on one line (the line break split the problem line)."""
    raw = (b'Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n'
           b"--b\nContent-Type: text/plain\n\nhi\n"
           b"--b\nContent-Type: application/octet-stream\n"
           b"Content-Disposition: attachment; filename*=utf-8''%E5%AE%A2%E6%88%B7%0A%E5%90%8D%E5%8D%95.xlsx\n\n"
           b"PK\x03\x04junk\n"
           b"--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename*=utf-8''a%0D%0Ab.txt\n\n"
           + f"手机 {MOBILE}\n".encode() + b"--b--\n")
    (tmp_path / "a.eml").write_bytes(raw)
    result = scan_one(tmp_path, key)
    where = str(tmp_path / "a.eml")
    assert [problem.where for problem in result.coverage.problems] == [f"{where}!客户?名单.xlsx"]
    assert [f.container for f in result.findings.values()] == [f"{where}!a??b.txt"]
