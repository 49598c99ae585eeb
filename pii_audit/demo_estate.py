"""A small synthetic bank estate for ``make demo``: a core-banking SQLite database with pinyin
column names, an Excel customer-list export, a folder of UTF-8 and GBK logs with a gzip rotation
and a month's logs in a tar.gz, and a credit department's Word report and PDF receipt. Every value
is generated here (valid checksums, no real person).
"""

from __future__ import annotations

import gzip
import io
import random
import sqlite3
import tarfile
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from stdnum import luhn
from stdnum.iso7064 import mod_11_2

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
AREAS = ("110105", "310101", "440305", "510104", "330106", "420102", "320102")
STREETS = ("中山路", "人民路", "建设大街", "解放路", "长江路", "和平街")
CITIES = ("北京市朝阳区", "上海市黄浦区", "广东省深圳市南山区", "四川省成都市锦江区", "浙江省杭州市西湖区")
MOBILE_PREFIXES = ("138", "139", "186", "150", "177", "199", "135")
BINS = ("622202", "621700", "622848", "625908", "621661")


def resident_id(rng: random.Random) -> str:
    """Return a synthetic resident ID with a valid area, date and check character."""
    body = (rng.choice(AREAS) + f"{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            + f"{rng.randint(0, 999):03d}")
    return body + mod_11_2.calc_check_digit(body)


def mobile(rng: random.Random) -> str:
    """Return a synthetic mobile number in an assigned segment."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


def bank_card(rng: random.Random) -> str:
    """Return a synthetic 19-digit UnionPay card number that passes Luhn."""
    body = rng.choice(BINS) + "".join(str(rng.randint(0, 9)) for _ in range(12))
    return body + luhn.calc_check_digit(body)


def name(rng: random.Random) -> str:
    """Return a synthetic Chinese name."""
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def address(rng: random.Random) -> str:
    """Return a synthetic street address."""
    return f"{rng.choice(CITIES)}{rng.choice(STREETS)}{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 2505)}室"


def write_core_banking(path: Path, rng: random.Random, customers: int = 200) -> None:
    """Write the core-banking database: customers, transactions and an SMS log without a key."""
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE kh_jbxx (khh TEXT PRIMARY KEY, khxm TEXT, sfzh TEXT, sjhm INTEGER,
                                  jtzz TEXT, khrq TEXT);
            CREATE TABLE jy_ls (lsh TEXT PRIMARY KEY, khh TEXT, yhkh TEXT, je NUMERIC, jysj TEXT, bz TEXT);
            CREATE TABLE dx_rz (fssj TEXT, nr TEXT);
        """)
        for n in range(customers):
            db.execute("INSERT INTO kh_jbxx VALUES (?,?,?,?,?,?)",
                       (f"KH{n:08d}", name(rng), resident_id(rng), int(mobile(rng)), address(rng),
                        f"20{rng.randint(10, 24)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"))
        for n in range(customers * 3):
            note = rng.choice(["", "柜面转账", f"客户来电{mobile(rng)}要求修改", "批量代发工资"])
            db.execute("INSERT INTO jy_ls VALUES (?,?,?,?,?,?)",
                       (f"2024{n:014d}", f"KH{rng.randrange(customers):08d}", bank_card(rng),
                        rng.randint(100, 10_000_000) / 100, "2024-05-01 10:00:00", note))
        for _ in range(customers):
            db.execute("INSERT INTO dx_rz VALUES (?,?)",
                       ("2024-05-01 10:00:00", f"尊敬的客户，您尾号{rng.randint(1000, 9999)}的账户已向"
                                               f"{mobile(rng)}发送验证码"))


def write_customer_export(path: Path, rng: random.Random, rows: int = 150) -> None:
    """Write the customer-list export an operations team would email around."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "客户名单"
    sheet.append(["客户姓名", "身份证号", "手机号码", "银行卡号", "开户网点", "备注"])
    for n in range(rows):
        card = bank_card(rng)
        shown_card = card if n % 3 else card[:6] + "*" * 9 + card[-4:]
        row = [name(rng), resident_id(rng), int(mobile(rng)), shown_card,
               rng.choice(["朝阳支行", "黄浦支行", "南山支行"]), ""]
        sheet.append(row)
        if n == 7:  # a clerk's note on the remarks cell: comments (批注) are scanned too
            sheet.cell(sheet.max_row, 6).comment = Comment(f"客户来电核对身份证号{row[1]}", "柜员")
    workbook.save(path)


def log_lines(rng: random.Random, count: int) -> list[str]:
    """Return application log lines, a few of which log personal information in plaintext (and a
    temporary password: authentication data)."""
    lines = []
    for n in range(count):
        stamp = f"2024-05-0{rng.randint(1, 9)} 1{rng.randint(0, 9)}:{rng.randint(10, 59)}:{rng.randint(10, 59)},{n % 1000:03d}"
        kind = rng.randrange(10)
        if kind == 0:
            lines.append(f"{stamp} INFO  [open-account] 开户成功 客户={name(rng)} 身份证号={resident_id(rng)}")
        elif kind == 1:
            lines.append(f"{stamp} WARN  [sms] 短信发送失败 手机号:{mobile(rng)} 错误码=E1023")
        elif kind == 2:
            card = bank_card(rng)
            lines.append(f"{stamp} INFO  [pay] 绑卡 卡号 {card[:6]}*********{card[-4:]} 结果=成功")
        elif kind == 3 and n % 5 == 0:  # a temporary password logged in clear: C3 authentication data
            password = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(8))
            lines.append(f"{stamp} DEBUG [auth] 重置登录密码 userId={rng.randint(1000, 9999)} tempPwd={password}")
        else:
            lines.append(f"{stamp} DEBUG [http] GET /api/v1/accounts/{rng.randint(1, 99999)} 200 {rng.randint(2, 900)}ms")
    return lines


def write_logs(folder: Path, rng: random.Random) -> None:
    """Write UTF-8 logs with a gzip rotation, a GBK-encoded gateway log, and last month's logs
    archived as a tar.gz."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.log").write_text("\n".join(log_lines(rng, 400)) + "\n", encoding="utf-8")
    with gzip.open(folder / "app.log.1.gz", "wt", encoding="utf-8") as rotated:
        rotated.write("\n".join(log_lines(rng, 400)) + "\n")
    gateway = folder / "gateway"
    gateway.mkdir(exist_ok=True)
    (gateway / "gateway.log").write_bytes(("\n".join(log_lines(rng, 300)) + "\n").encode("gbk"))
    (folder / "archive").mkdir(exist_ok=True)
    with tarfile.open(folder / "archive" / "app-2024-10.tar.gz", "w:gz") as archived:
        for day in ("20241030", "20241031"):
            data = ("\n".join(log_lines(rng, 200)) + "\n").encode("utf-8")
            member = tarfile.TarInfo(f"logs/app.log-{day}")
            member.size, member.mtime = len(data), 1730332800
            archived.addfile(member, io.BytesIO(data))


def write_credit_files(folder: Path, rng: random.Random) -> None:
    """Write a credit department's files: a credit report in Word and an electronic receipt in PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    borrower = name(rng)
    report = ["个人授信调查报告", f"借款人：{borrower}", f"身份证号：{resident_id(rng)}",
              f"联系电话：{mobile(rng)}", f"还款账户：{bank_card(rng)}", f"居住地址：{address(rng)}",
              "调查结论：借款人收入稳定，同意授信。"]
    (folder / "授信调查报告.docx").write_bytes(docx_bytes(report))
    receipt = ["中国银行 电子回单", f"付款人：{borrower}", f"付款账号：{bank_card(rng)}",
               f"收款人：{name(rng)}", f"收款账号：{bank_card(rng)}", "金额：12,800.00 元"]
    (folder / "电子回单.pdf").write_bytes(pdf_bytes(receipt))


def docx_bytes(paragraphs: list[str]) -> bytes:
    """Return a Word document (the smallest package Word opens) holding these paragraphs."""
    from xml.sax.saxutils import escape

    main = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p>" for text in paragraphs)
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
        'org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
        'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
        'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{main}"><w:body>'
                             f'{body}</w:body></w:document>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for part, xml in parts.items():
            package.writestr(part, xml)
    return out.getvalue()


def pdf_bytes(lines: list[str]) -> bytes:
    """Return a one-page PDF of these lines in Adobe's STSong-Light, which PDF readers carry, so
    no font is embedded: the text is UCS-2 through the UniGB-UCS2-H CMap, as banks' systems print."""
    shown = "".join(f"BT /F1 12 Tf 60 {780 - 20 * n} Td <{line.encode('utf-16-be').hex()}> Tj ET\n"
                    for n, line in enumerate(lines)).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(shown) + shown + b"endstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /FontDescriptor 7 0 R"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /DW 1000 >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880]"
        b" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    return pdf_file(objects)


def pdf_file(objects: list[bytes]) -> bytes:
    """Return a PDF file of these objects, numbered from 1 (the catalog), with its cross-reference
    table and trailer."""
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    table = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, table))
    return out.getvalue()


def build_estate(root: Path, seed: int = 20241127) -> dict[str, Path]:
    """Create the sample estate under ``root`` and return the path of each system in it."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    paths = {"core": root / "core_banking.db", "export": root / "exports" / "客户名单.xlsx",
             "logs": root / "logs", "credit": root / "credit"}
    write_core_banking(paths["core"], rng)
    paths["export"].parent.mkdir(exist_ok=True)
    write_customer_export(paths["export"], rng)
    write_logs(paths["logs"], rng)
    write_credit_files(paths["credit"], rng)
    return paths


def remediate_core_banking(path: Path) -> None:
    """Do what the core-banking owner would: mask the ID-number column in place."""
    with sqlite3.connect(path) as db:
        db.execute("UPDATE kh_jbxx SET sfzh = substr(sfzh, 1, 6) || '********' || substr(sfzh, 15, 4)")
