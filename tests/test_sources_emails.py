"""Saved e-mails (.eml): headers and text parts decoded, whatever their charset and transfer
encoding, and attachments read as the files they are."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage

import openpyxl
import pytest

from pii_audit.demo_estate import pdf_bytes
from pii_audit.scan import scan_targets
from pii_audit.sources import ScanOptions
from pii_audit.sources import emails

ID18 = "11010519491231002X"  # FORMATS.md vector, synthetic
MOBILE = "13812345678"
CARD = "6222021234567890128"


def scan_one(target, key):
    (result,) = scan_targets([str(target)], ScanOptions(jobs=1), key)
    return result


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


@pytest.mark.parametrize("charset", ["gbk", "utf-8", "gb18030"])
def test_every_chinese_charset_decodes(tmp_path, key, charset):
    (tmp_path / "a.eml").write_bytes(mail(charset))
    result = scan_one(tmp_path, key)
    assert result.findings[(str(tmp_path / "a.eml"), "CN_RESIDENT_ID")].occurrences == 1


def test_a_mail_over_the_cap_is_one_problem_line_and_a_mail_in_a_zip_is_read(tmp_path, key, monkeypatch):
    monkeypatch.setattr(emails, "MAX_EMAIL_BYTES", 1000)
    (tmp_path / "big.eml").write_bytes(mail())
    with zipfile.ZipFile(tmp_path / "mailbox.zip", "w") as packed:
        packed.writestr("2024/small.eml", f"Subject: hi\n\n手机 {MOBILE}\n")
    result = scan_one(tmp_path, key)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(tmp_path / "big.eml"), "an e-mail larger than 1,000 bytes is not read; save its attachments apart "
                                    "and scan them")]
    assert [(f.container, f.entity_type) for f in result.findings.values()] == [
        (f"{tmp_path / 'mailbox.zip'}!2024/small.eml", "CN_MOBILE_PHONE")]


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
