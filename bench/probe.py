"""Probe realistic bank-system text formats: what the scan finds, misses and wrongly reports.

    python bench/probe.py [--other CHECKOUT] [--seed 20240601] [--lines 30]

Writes 30 messages, statements or records per format (``--lines``) into ``bench/out/probe/``,
each line with its gold spans: an ESB's SOAP/XML messages (one a line, and pretty-printed;
namespaced tags, CDATA), CNAPS2's ISO 20022 credit transfers as a front-end processor logs them,
a core system's headerless batch files in GBK (``|``-delimited and fixed-width; ``^``, tab and
``,``-delimited with look-alikes in a name's place; records with no ID, card or mobile number,
whose names are not gold: nothing says such a record is a customer's; the fixed-width file again,
every field its width, read with its layout as an audit.toml ``[[layouts]]`` reads it, and zipped
as a day's batches are delivered, its card and mobile fields padded with zeros, and once more
without its layout, which the checkout guesses from the file's first records), MyBatis and
p6spy SQL logs, nginx access logs with percent-encoded query strings (UTF-8 and GBK), Java
``toString`` output (Lombok's and the ``{x='y'}`` form) and JSON with ``\\uXXXX`` escapes,
pinyin-abbreviated keys, an API gateway's log of bearer JWTs and base64-encoded bodies, and a
POS front end's log of ISO 8583 messages (hex, ASCII, hex dumps; track 2). Each line also holds look-alikes that must not be reported: order
numbers, serials, timestamps, amounts (in fen, some of a mobile number's shape), bank codes,
organisation names, a bank's or a payment brand's name or a job title under a bare ``name`` key,
a district's in a region dictionary. Each file is scanned
as ``pii-audit scan`` scans it (``scan_unit``), in a child process that imports this checkout,
and OTHER's too when given (``git worktree add --detach /tmp/old main``). Prints per format and
entity: gold spans, found, missed and false positives (other → this checkout). A prediction is
found when it overlaps an unmatched gold span of the same entity on the same line; IP addresses
are left out (an access log's client address is not what this probe is about). Values are
synthetic (Faker zh_CN, stdnum check digits); only counts are printed, never a value.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import urllib.parse
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "probe"
ENTITIES = ("PERSON", "CN_RESIDENT_ID", "CN_MOBILE_PHONE", "CN_BANK_CARD", "CN_BANK_ACCOUNT", "CN_ADDRESS")
IGNORED = {"IP_ADDRESS"}



class Values:
    """Synthetic values and look-alikes, drawn from one seed."""

    def __init__(self, seed: int):
        from faker import Faker
        from stdnum import luhn

        from bench import corpus
        from recognizers import cn_bank_account

        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self._corpus, self._luhn, self._account = corpus, luhn, cn_bank_account

    def name(self) -> str:
        return self.fake.name()

    def rid(self) -> str:
        return self.fake.ssn()

    def mobile(self) -> str:
        return self.fake.phone_number()

    def card(self) -> str:
        body = self.rng.choice(self._corpus.BINS)
        body += self.digits(self.rng.choice([16, 19]) - len(body) - 1)
        return body + self._luhn.calc_check_digit(body)

    def account(self) -> str:
        while True:  # a company's or a passbook's account: no card's, ID's or phone's shape
            number = self.rng.choice("1234579") + self.digits(self.rng.choice([12, 15, 17, 18, 20]))
            if self._account.is_valid(number):
                return number

    def address(self) -> str:
        rng = self.rng
        room = rng.choice(["", f"{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元{rng.randint(1, 30)}0{rng.randint(1, 4)}室"])
        return f"{rng.choice(self._corpus.PLACES)}{self.fake.street_name()}{rng.randint(1, 999)}号{room}"

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def serial(self) -> str:
        """A transaction serial or order number: a date, then digits (12-32 long)."""
        return f"2024{self.rng.randint(1, 12):02d}{self.rng.randint(1, 28):02d}" + self.digits(self.rng.choice([4, 6, 8, 12, 14, 18, 24]))

    def millis(self) -> str:
        return str(self.rng.randint(1_700_000_000_000, 1_730_000_000_000))

    def amount(self) -> str:
        return f"{self.rng.randint(1, 9_999_999)}.{self.rng.randint(0, 99):02d}"

    def fen(self) -> str:
        """An amount in fen with a mobile number's shape (13,800,000.00 yuan is 1380000000 fen)."""
        return "1" + self.rng.choice("3456789") + self.digits(9)

    def company(self) -> str:
        return self.rng.choice([self.fake.company(), "中国工商银行深圳分行", "招商银行股份有限公司上海分行",
                                "中国建设银行北京朝阳支行", "平安银行"])

    def time(self) -> str:
        return f"2024-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d} {self.rng.randint(0, 23):02d}:" \
               f"{self.rng.randint(0, 59):02d}:{self.rng.randint(0, 59):02d}.{self.rng.randint(0, 999):03d}"


def esb_message(v: Values, prefixed: bool) -> list[list]:
    """Return one ESB SOAP message as XML elements (each a line's parts), namespaced or not, its
    tags as different services abbreviate them."""
    p = "s:" if prefixed else ""

    def element(tag: str, *parts) -> list:
        return [f"<{p}{tag}>", *parts, f"</{p}{tag}>"]

    name = ("PERSON", v.name())
    name_tag = v.rng.choice(["CustNm", "CustNm", "AcctNm", "PyeeNm", "PyerNm"])
    acct = ("CN_BANK_CARD", v.card()) if v.rng.random() < 0.6 else ("CN_BANK_ACCOUNT", v.account())
    return [
        ['<?xml version="1.0" encoding="UTF-8"?>'],
        ['<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
         + (' xmlns:s="http://esb.bank.com.cn/cust/v1">' if prefixed else ">")],
        ["<soapenv:Header>", f"<{p}SysHead>"],
        element("SvcCd", "S01001000", v.digits(3)),
        element("CnsmrSeqNo", v.serial()),
        element("TxnDt", "20240601") + element("TxnTm", "102345"),
        [f"</{p}SysHead>", "</soapenv:Header>", "<soapenv:Body>", f"<{p}OpnAcctReq>"],
        element(name_tag, "<![CDATA[", name, "]]>") if v.rng.random() < 0.3 else element(name_tag, name),
        element("CertTp", "101"),
        element(v.rng.choice(["CertNo", "CtfNo", "IdNo"]), ("CN_RESIDENT_ID", v.rid())),
        element(v.rng.choice(["MblNo", "MobNo", "CtcTel"]), ("CN_MOBILE_PHONE", v.mobile())),
        element(v.rng.choice(["AcctNo", "PyeeAcctNo", "CardNo"]) if acct[0] == "CN_BANK_CARD"
                else v.rng.choice(["AcctNo", "PyeeAcctNo"]), acct) + element("TxnSrlNo", v.serial()),
        element(v.rng.choice(["Addr", "CtcAddr", "FmlAddr"]), ("CN_ADDRESS", v.address())),
        element("TxnAmt", v.rng.choice([v.amount(), v.fen()])),
        element("OrdrNo", v.serial()),
        element("BrchNm", v.company()),
        [f"</{p}OpnAcctReq>", "</soapenv:Body>", "</soapenv:Envelope>"],
    ]


def esb_lines(v: Values, count: int) -> list[list]:
    """An ESB's log: ``count`` messages, each on one line after the logger's prefix or pretty-printed."""
    lines: list[list] = []
    for _ in range(count):
        elements = esb_message(v, prefixed=v.rng.random() < 0.5)
        head = f"{v.time()} [esb-worker-{v.rng.randint(1, 8)}] INFO  c.b.esb.MsgLogger - REQ msgId={v.serial()} body="
        if v.rng.random() < 0.5:
            lines.append([head] + [part for element in elements for part in element])
        else:
            lines.append([head])
            lines.extend([["    " * min(depth, 3)] + element for depth, element in enumerate(elements)])
    return lines


def cnaps_lines(v: Values, count: int) -> list[list]:
    """A front-end processor's log of CNAPS2 credit transfers (ISO 20022's pacs.008 as the
    clearing system shapes it): debtor and creditor names, accounts nested in <Id><Othr><Id>,
    bank codes (12 digits), message and transaction IDs, amounts."""
    lines = []
    for _ in range(count):
        debtor = ("CN_BANK_CARD", v.card()) if v.rng.random() < 0.5 else ("CN_BANK_ACCOUNT", v.account())
        lines.append([
            f"{v.time()} INFO [cnaps-recv] MsgLogger - hvps.111 <?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            '<Document xmlns="urn:cnaps:std:hvps:2010:tech:xsd:hvps.111.001.01"><FIToFICstmrCdtTrf><GrpHdr>'
            f"<MsgId>{v.serial()}</MsgId><CreDtTm>2024-06-01T10:23:45</CreDtTm></GrpHdr><CdtTrfTxInf><PmtId>"
            f"<EndToEndId>{v.serial()}</EndToEndId><TxId>{v.serial()}</TxId></PmtId>"
            f'<IntrBkSttlmAmt Ccy="CNY">{v.amount()}</IntrBkSttlmAmt><Dbtr><Nm>', ("PERSON", v.name()),
            "</Nm><PstlAdr><AdrLine>", ("CN_ADDRESS", v.address()), "</AdrLine></PstlAdr></Dbtr>"
            "<DbtrAcct><Id><Othr><Id>", debtor, "</Id></Othr></Id></DbtrAcct><DbtrAgt><BrnchId><Id>",
            f"{v.rng.choice(['102', '103', '104', '105', '308'])}{v.digits(9)}</Id></BrnchId></DbtrAgt><Cdtr><Nm>",
            ("PERSON", v.name()), "</Nm></Cdtr><CdtrAcct><Id><Othr><Id>", ("CN_BANK_ACCOUNT", v.account()),
            f"</Id></Othr></Id></CdtrAcct><RmtInf><Ustrd>货款 {v.company()}</Ustrd></RmtInf></CdtTrfTxInf>"
            "</FIToFICstmrCdtTrf></Document>"])
    return lines


def batch_lines(v: Values, count: int) -> list[list]:
    """A headerless reconciliation file sent to a clearing house: ``|``-delimited fields."""
    lines = []
    for n in range(1, count + 1):
        lines.append([v.serial(), "|20240601|", f"{n:08d}", "|", ("CN_BANK_CARD", v.card()), "|",
                      ("PERSON", v.name()), "|01|", ("CN_RESIDENT_ID", v.rid()), "|",
                      ("CN_MOBILE_PHONE", v.mobile()), "|", v.amount(), "|CNY|",
                      ("CN_ADDRESS", v.address()), "|", v.company(), "|00|交易成功|"])
    return lines


# What a batch record's name field holds when it holds no name: a branch, a product, a status, a
# common word, a district that is also a name's shape (高明 of 高明区, 金平 of 金平区), an English name.
RECORD_LOOK_ALIKES = ("北京分行营业部", "城东支行", "江北行", "定期存款", "黄金", "金卡", "白金卡", "余额宝", "正常",
                      "成功", "冻结", "方便", "高级", "高明", "金平", "白云", "John Smith", "招商银行")


def record_lines(v: Values, count: int) -> list[list]:
    """A customer file exported headerless by another system (``^``, tab or ``,``, quoted or not):
    a name, its ID, mobile or card, and a look-alike in the name's place on every third line."""
    lines = []
    for n in range(1, count + 1):
        delimiter = v.rng.choice(["^", "\t", ","])
        quote = '"' if delimiter == "," and v.rng.random() < 0.5 else ""
        who = ("PERSON", v.name()) if n % 3 else v.rng.choice(RECORD_LOOK_ALIKES)
        number = v.rng.choice([("CN_RESIDENT_ID", v.rid()), ("CN_MOBILE_PHONE", v.mobile()), ("CN_BANK_CARD", v.card())])
        fields = [f"{n:06d}", who, number, v.rng.choice(["正常", "冻结", "销户"]), v.amount(), v.company()]
        line: list = []
        for field in fields:
            line += [delimiter] if line else []
            line += [quote, field, quote]
        lines.append(line)
    return lines


def no_id_record_lines(v: Values, count: int) -> list[list]:
    """Headerless records with no ID, card or mobile number: a name there, its look-alikes and
    common words are not reported (nothing says the record is a customer's); gold holds none."""
    return [[f"{v.serial()}|{n:04d}|{v.name() if n % 2 else v.rng.choice(RECORD_LOOK_ALIKES)}|{v.amount()}|CNY|"
             f"{v.company()}|{v.rng.choice(['正常', '成功', '失败'])}|"] for n in range(1, count + 1)]


def fixed_width_lines(v: Values, count: int) -> list[list]:
    """The same file fixed-width: fields padded with spaces to widths counted in GBK bytes."""
    def pad(text: str, width: int) -> str:
        return " " * (width - len(text.encode("gbk")))

    lines = []
    for n in range(1, count + 1):
        name, rid, mobile, acct = v.name(), v.rid(), v.mobile(), v.card()
        lines.append([f"{n:010d}", v.serial()[:20], "20240601", ("CN_BANK_CARD", acct), pad(acct, 20),
                      ("PERSON", name), pad(name, 20), "01", ("CN_RESIDENT_ID", rid), pad(rid, 20),
                      ("CN_MOBILE_PHONE", mobile), pad(mobile, 12), f"{v.rng.randint(1, 10**9):015d}", "CNY0000"])
    return lines


# The batch-fixed file's interface specification, for its case read with a layout: bytes per field.
FIXED_LAYOUT = {"widths": (10, 20, 8, 20, 20, 2, 20, 12, 15, 7),
                "columns": ("记录号", "流水号", "交易日期", "卡号", "户名", "证件类型", "证件号码", "手机号", "金额", "币种")}


def fixed_layout_lines(v: Values, count: int) -> list[list]:
    """The batch-fixed file as its interface specification writes it, every field its width (the
    serial too), for ``pii-audit scan`` with an audit.toml layout (``FIXED_LAYOUT``)."""
    def pad(text: str, width: int) -> str:
        return " " * (width - len(text.encode("gbk")))

    lines = []
    for n in range(1, count + 1):
        name, rid, mobile, acct, serial = v.name(), v.rid(), v.mobile(), v.card(), v.serial()[:20]
        lines.append([f"{n:010d}", serial, pad(serial, 20), "20240601", ("CN_BANK_CARD", acct), pad(acct, 20),
                      ("PERSON", name), pad(name, 20), "01", ("CN_RESIDENT_ID", rid), pad(rid, 20),
                      ("CN_MOBILE_PHONE", mobile), pad(mobile, 12), f"{v.rng.randint(1, 10**9):015d}", "CNY0000"])
    return lines


# The batch file zipped as its day's batches are delivered (``JYMX_20240601.zip!CUST_20240601.dat``),
# its card and mobile fields right-aligned, padded with zeros (a 22-byte card field): bytes per field.
ZIPPED_LAYOUT = {"widths": (10, 20, 8, 22, 20, 2, 20, 12, 15, 7), "columns": FIXED_LAYOUT["columns"]}


def zipped_layout_lines(v: Values, count: int) -> list[list]:
    """The batch-layout file with its card and mobile fields padded with zeros, not spaces."""
    def pad(text: str, width: int) -> str:
        return " " * (width - len(text.encode("gbk")))

    lines = []
    for n in range(1, count + 1):
        name, rid, mobile, acct, serial = v.name(), v.rid(), v.mobile(), v.card(), v.serial()[:20]
        lines.append([f"{n:010d}", serial, pad(serial, 20), "20240601", "0" * (22 - len(acct)), ("CN_BANK_CARD", acct),
                      ("PERSON", name), pad(name, 20), "01", ("CN_RESIDENT_ID", rid), pad(rid, 20),
                      "0", ("CN_MOBILE_PHONE", mobile), f"{v.rng.randint(1, 10**9):015d}", "CNY0000"])
    return lines


def mybatis_lines(v: Values, count: int) -> list[list]:
    """MyBatis' statement and parameter lines, a row read back, and p6spy's statement line."""
    lines: list[list] = []
    for _ in range(count):
        head = f"{v.time()} DEBUG [http-nio-8080-exec-{v.rng.randint(1, 9)}] c.b.c.mapper.CustMapper"
        kind = v.rng.randrange(4)
        if kind == 0:
            lines.append([f"{head}.insert - ==>  Preparing: INSERT INTO t_cust (cust_name, id_no, mobile, card_no, "
                          "addr, order_no, amt, create_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"])
            lines.append([f"{head}.insert - ==> Parameters: ", ("PERSON", v.name()), "(String), ",
                          ("CN_RESIDENT_ID", v.rid()), "(String), ", ("CN_MOBILE_PHONE", v.mobile()), "(String), ",
                          ("CN_BANK_CARD", v.card()), "(String), ", ("CN_ADDRESS", v.address()), "(String), ",
                          v.serial(), "(String), ", v.amount(), "(BigDecimal), ", v.time()[:19], "(Timestamp)"])
            lines.append([f"{head}.insert - <==    Updates: 1"])
        elif kind == 1:
            lines.append([f"{head}.selectByIdNo - ==>  Preparing: SELECT id, cust_name, mobile FROM t_cust "
                          "WHERE id_no = ? AND status = ?"])
            lines.append([f"{head}.selectByIdNo - ==> Parameters: ", ("CN_RESIDENT_ID", v.rid()), "(String), 1(Integer)"])
            lines.append([f"{head}.selectByIdNo - <==    Columns: id, cust_name, mobile"])
            lines.append([f"{head}.selectByIdNo - <==        Row: {v.rng.randint(1, 10**6)}, ", ("PERSON", v.name()),
                          ", ", ("CN_MOBILE_PHONE", v.mobile())])
            lines.append([f"{head}.selectByIdNo - <==      Total: 1"])
        elif kind == 2:
            lines.append([f"{head}.updateAcct - ==>  Preparing: UPDATE t_acct SET acct_name = ?, acct_no = ?, "
                          "update_time = ? WHERE txn_seq = ?"])
            lines.append([f"{head}.updateAcct - ==> Parameters: ", ("PERSON", v.name()), "(String), ",
                          ("CN_BANK_ACCOUNT", v.account()), "(String), ", v.time()[:19], "(Timestamp), ",
                          v.serial(), "(String)"])
        else:
            name, rid = v.name(), v.rid()
            lines.append([f"{v.time()[:19]} | took {v.rng.randint(1, 90)}ms | statement | connection "
                          f"{v.rng.randint(1, 99)}| url jdbc:mysql://10.2.3.4:3306/core|INSERT INTO t_cust "
                          "(cust_name,id_no,order_no) VALUES (?,?,?)|INSERT INTO t_cust (cust_name,id_no,order_no) "
                          "VALUES ('", ("PERSON", name), "','", ("CN_RESIDENT_ID", rid), f"','{v.serial()}')"])
    return lines


def _pct(text: str, encoding: str = "utf-8") -> str:
    return urllib.parse.quote(text, safe="", encoding=encoding)


def access_lines(v: Values, count: int) -> list[list]:
    """nginx's combined format and a request-body field: query strings percent-encoded in UTF-8 or GBK."""
    lines = []
    for _ in range(count):
        encoding = "gbk" if v.rng.random() < 0.3 else "utf-8"
        ip = f"10.{v.rng.randint(0, 255)}.{v.rng.randint(0, 255)}.{v.rng.randint(1, 254)}"
        when = f"[{v.rng.randint(1, 28):02d}/Jun/2024:10:{v.rng.randint(0, 59):02d}:{v.rng.randint(0, 59):02d} +0800]"
        if v.rng.random() < 0.5:
            lines.append([f'{ip} - - {when} "GET /api/cust/query?name=', ("PERSON", _pct(v.name(), encoding)),
                          "&idNo=", ("CN_RESIDENT_ID", v.rid()), "&mobile=", ("CN_MOBILE_PHONE", v.mobile()),
                          f"&orderNo={v.serial()}&_t={v.millis()} HTTP/1.1\" 200 {v.rng.randint(100, 9999)} "
                          '"-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" ', f"0.0{v.rng.randint(10, 99)}"])
        else:
            lines.append([f'{ip} - - {when} "POST /transfer/submit HTTP/1.1" 200 {v.rng.randint(100, 999)} '
                          f'"-" "okhttp/3.12.0" "payerAcct=', ("CN_BANK_CARD", v.card()), "&payeeName=",
                          ("PERSON", _pct(v.name(), encoding)), "&payeeAcct=", ("CN_BANK_ACCOUNT", v.account()),
                          f"&amount={v.amount()}&remark=", _pct(v.company(), encoding),
                          "&addr=", ("CN_ADDRESS", _pct(v.address(), encoding)), '"'])
    return lines


# Under a bare `name` key: what a bank's dictionary tables name, no person (recognizers.person's
# common words), and districts' names that are also a person's (宁 and 德 are a surname and a given name).
BRANDS = ["招商银行", "浦发银行", "支付宝", "花呗", "云闪付", "微信支付", "华为"]
TITLES = ["客户经理", "理财经理", "柜员", "高管", "管户", "行长"]
DISTRICT_NAMES = ["宁德", "余杭", "萧山", "龙岗"]


def _escaped(text: str) -> str:
    return json.dumps(text)[1:-1]


def tostring_lines(v: Values, count: int) -> list[list]:
    """Java objects as Lombok's @ToString and an IDE's toString write them, and JSON with \\u escapes."""
    lines = []
    for _ in range(count):
        head = f"{v.time()} INFO  [main] c.b.c.service.CustService - "
        kind = v.rng.randrange(5)
        if kind == 0:
            lines.append([head, "save customer: CustomerDTO(custName=", ("PERSON", v.name()), ", idNo=",
                          ("CN_RESIDENT_ID", v.rid()), ", mobile=", ("CN_MOBILE_PHONE", v.mobile()), ", cardNo=",
                          ("CN_BANK_CARD", v.card()), ", address=", ("CN_ADDRESS", v.address()),
                          f", orderNo={v.serial()}, amount={v.amount()}, createTime=2024-06-01T10:23:45)"])
        elif kind == 1:
            lines.append([head, "CustomerDTO{custName='", ("PERSON", v.name()), "', idNo='", ("CN_RESIDENT_ID", v.rid()),
                          "', mobile='", ("CN_MOBILE_PHONE", v.mobile()), "', acctNo='", ("CN_BANK_ACCOUNT", v.account()),
                          f"', txnSeq='{v.serial()}', orgName='{v.company()}', ts={v.millis()}}}"])
        elif kind == 2:
            lines.append([head, '{"custName":"', ("PERSON", _escaped(v.name())), '","idNo":"',
                          ("CN_RESIDENT_ID", v.rid()), '","mobile":"', ("CN_MOBILE_PHONE", v.mobile()),
                          '","addr":"', ("CN_ADDRESS", _escaped(v.address())), f'","orderNo":"{v.serial()}"'
                          f',"amount":{v.amount()},"branch":"{_escaped(v.company())}"}}'])
        elif kind == 3:  # a bare `name` key: a bank's, a payment brand's or a job title's in a dictionary
            lines.append([head, f"OrgDTO(name={v.rng.choice(BRANDS)}, code=0{v.rng.randint(100, 999)}, manager="
                          "StaffDTO(name=", ("PERSON", v.name()), f', title=客户经理)) {{"name":"{v.rng.choice(TITLES)}"'
                          ',"level":3}'])
        else:  # a person named as a district is (宁德) beside an ID; a district's dictionary entry
            lines.append([head, '{"name":"', ("PERSON", v.rng.choice(DISTRICT_NAMES)), '","idNo":"',
                          ("CN_RESIDENT_ID", v.rid()), f'"}} {{"code":"{v.digits(6)}","name":"{v.rng.choice(DISTRICT_NAMES)}"'
                          ',"level":2}'])
    return lines


def pinyin_lines(v: Values, count: int) -> list[list]:
    """Fields under pinyin-abbreviated keys (FORMATS.md §10): key=value pairs and JSON."""
    lines = []
    for _ in range(count):
        head = f"{v.time()} INFO  [pool-2-thread-{v.rng.randint(1, 9)}] c.b.core.TxnLog - "
        if v.rng.random() < 0.5:
            lines.append([head, "khxm=", ("PERSON", v.name()), "&zjlx=01&zjhm=", ("CN_RESIDENT_ID", v.rid()),
                          "&sjhm=", ("CN_MOBILE_PHONE", v.mobile()), "&yhkh=", ("CN_BANK_CARD", v.card()),
                          "&jtzz=", ("CN_ADDRESS", v.address()), "&skzh=", ("CN_BANK_ACCOUNT", v.account()),
                          f"&jylsh={v.serial()}&jyje={v.fen()}"])
        else:
            payee = v.rng.choice([("skrxm", "skzh"), ("skrmc", "skrzh")])
            payer = v.rng.choice([("fkrxm", "fkzh"), ("fkrmc", "fkrzh")])
            lines.append([head, f'{{"{payee[0]}":"', ("PERSON", v.name()), f'","{payee[1]}":"',
                          ("CN_BANK_ACCOUNT", v.account()), f'","jylsh":"{v.serial()}","jyje":"{v.fen()}',
                          f'","{payer[0]}":"', ("PERSON", v.name()), f'","{payer[1]}":"', ("CN_BANK_CARD", v.card()),
                          '","dfhm":"', ("PERSON", v.name()),
                          '","lxdh":"', ("CN_MOBILE_PHONE", v.mobile()), f'","ddh":"{v.serial()}","jyje":"{v.amount()}"'
                          f',"jgmc":"{v.company()}","jysj":"{v.millis()}"}}'])
    return lines


def rendered(line: list) -> tuple[str, list[tuple[str, int, int]]]:
    """Return a line's text and its gold spans ``(entity, start, end)``. A part that is a
    ``Base64`` is its parts' text base64-encoded, each gold span inside it the base64 characters
    that encode its bytes."""
    text, gold = "", []
    for part in line:
        if isinstance(part, Base64):
            inner, inner_gold = rendered(part.parts)
            data = inner.encode("utf-8")
            data = gzip.compress(data, mtime=0) if part.gzipped else data
            encoded = (base64.urlsafe_b64encode(data).decode().rstrip("=") if part.url_safe
                       else base64.b64encode(data).decode())
            for entity, start, end in inner_gold:
                first, last = len(inner[:start].encode()), len(inner[:end].encode())
                if part.gzipped:  # inflated, a value has no bytes of its own: the whole run
                    gold.append((entity, len(text), len(text) + len(encoded)))
                else:
                    gold.append((entity, len(text) + first * 4 // 3, len(text) + -(-last * 4 // 3)))
            part = encoded
        elif isinstance(part, tuple):
            gold.append((part[0], len(text), len(text) + len(part[1])))
            part = part[1]
        text += part
    return text, gold


@dataclass(frozen=True)
class Base64:
    """Parts of a line (text, and gold ``(entity, value)``) that the line holds base64-encoded:
    a JWT's segment (URL-safe, unpadded) or a body a gateway logs encoded."""

    parts: list
    url_safe: bool = True
    gzipped: bool = False  # compressed, then encoded (``H4sI…``)


def gateway_lines(v: Values, count: int) -> list[list]:
    """An API gateway's log: bearer JWTs whose claims hold a customer's name (escaped as PyJWT's
    ``json.dumps`` writes it, or not), mobile and ID number; request bodies logged base64-encoded
    (JSON, some pretty-printed, some gzipped first); and, not gold, trace ids, session tokens of random bytes, JWTs
    and bodies without personal claims (order numbers, amounts, a user id)."""
    header = Base64(['{"alg":"HS256","typ":"JWT"}'])
    lines = []
    for _ in range(count):
        trace = "".join(v.rng.choice("0123456789abcdef") for _ in range(32))
        signature = base64.urlsafe_b64encode(v.rng.randbytes(32)).decode().rstrip("=")
        head = f"{v.time()} INFO [gw-{v.rng.randint(1, 8)}] traceId={trace} "
        name = v.name()
        written = _escaped(name) if v.rng.random() < 0.5 else name
        kind = v.rng.randrange(3)
        if kind == 0:
            claims = Base64(['{"sub":"u', v.digits(6), '","name":"', ("PERSON", written), '","mobile":"',
                             ("CN_MOBILE_PHONE", v.mobile()), '","idNo":"', ("CN_RESIDENT_ID", v.rid()),
                             f'","iat":{v.millis()[:10]}}}'])
            lines.append([head, "GET /api/v1/acct/balance Authorization: Bearer ", header, ".", claims, ".",
                          signature, f" 200 {v.rng.randint(3, 900)}ms"])
        elif kind == 1:
            indent = "\n  " if v.rng.random() < 0.3 else ""
            body = Base64(["{", indent, '"custName": "', ("PERSON", name), '",', indent, '"cardNo": "',
                           ("CN_BANK_CARD", v.card()), '",', indent, f'"orderNo": "{v.serial()}", "amt": "{v.amount()}"',
                           "\n}" if indent else "}"], url_safe=False, gzipped=v.rng.random() < 0.3)
            lines.append([head, "POST /api/v1/transfer body(base64)=", body])
        else:
            claims = Base64([f'{{"sub":"u{v.digits(6)}","roles":["teller"],"orderNo":"{v.serial()}",'
                             f'"iat":{v.millis()[:10]}}}'])
            token = base64.b64encode(v.rng.randbytes(48)).decode()
            lines.append([head, "GET /api/v1/order Authorization: Bearer ", header, ".", claims, ".", signature,
                          f" sessionToken={token} 200"])
    return lines


def _bcd_field(digits: str) -> str:
    """An LLVAR numeric field in packed BCD, in hex: two digits of length, the digits padded to whole bytes."""
    return f"{len(digits):02d}" + digits + ("0" if len(digits) % 2 else "")


def _dump_rows(head: str, card: str | None, tail: str, prefix: str = "") -> list[list]:
    """A front end's hex dump (``0000: 60 00 …  text``) of the bytes ``head`` + ``card`` + ``tail``
    (hex digits), each row behind ``prefix`` (a log's time, level and thread, where each row is
    logged on its own), the card's gold on the row where it begins, over its digits on that row."""
    data = bytes.fromhex(head + (card or "") + tail)
    first, last = len(head), len(head) + len(card or "")  # in hex digits
    rows = []
    for offset in range(0, len(data), 16):
        pairs = [f"{b:02X}" for b in data[offset:offset + 16]]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in data[offset:offset + 16])
        row = f"{offset:04X}: {' '.join(pairs):<47}  {text}"
        if card and offset * 2 <= first < offset * 2 + 32:
            start = 6 + (first - offset * 2) // 2 * 3
            end = 6 + (min(last, offset * 2 + 32) - offset * 2 - 1) // 2 * 3 + 2
            rows.append([prefix + row[:start], ("CN_BANK_CARD", row[start:end]), row[end:]])
        else:
            rows.append([prefix + row])
    return rows


def _ic_data(v: Values) -> str:
    """Field 55 of a chip card's purchase, in hex: its EMV tags (cryptogram, terminal results,
    date, amount, AID...) as tag, length and value, with its length (LLLVAR, in bytes) before it."""
    hex_digits = lambda n: "".join(v.rng.choice("0123456789ABCDEF") for _ in range(n))  # noqa: E731
    tags = ("9F2608" + hex_digits(16) + "9F270180" + "9F1013" + hex_digits(38) + "9F3704" + hex_digits(8)
            + "9F3602" + hex_digits(4) + "9505" + hex_digits(10) + "9A03" + v.digits(6) + "9C0100"
            + "9F0206" + v.digits(12) + "5F2A020156" + "82027C00" + "9F1A020156" + "9F0306000000000000"
            + "9F3303E0F8C8" + "9F3403" + hex_digits(6) + "9F350122" + "9F1E08" + v.digits(8).encode().hex().upper()
            + "8407A0000003330101")
    return f"{len(tags) // 2:04d}" + tags


def posp_lines(v: Values, count: int) -> list[list]:
    """A POS and ATM front end's log of ISO 8583 messages: in hex on one line (packed BCD, after the
    TPDU), chip purchases ending with their IC data (field 55) and MAC, a chip's records (EMV tags
    57 and 5A) as a terminal's kernel logs them, as ASCII text (an ATM's, a secondary bitmap), hex
    dumps, and messages holding track 2 but no field 2; not gold: sign-on messages, MACs, terminal
    and merchant numbers, serials."""
    lines: list[list] = []
    for _ in range(count):
        head = f"{v.time()} INFO [POSP-{v.rng.randint(1, 8)}] serial={v.serial()} "
        card = v.card()
        rest = "000000" + f"{v.rng.randint(1, 999999):012d}" + v.digits(6) + "021000" + v.digits(16) \
            + "".join(f"{ord(c):02X}" for c in f"{v.rng.randint(10000000, 99999999)}8981000{v.digits(8)}")
        mac = "".join(v.rng.choice("0123456789ABCDEF") for _ in range(16))
        kind = v.rng.randrange(6)
        if kind == 5:  # a chip's records as a terminal's EMV kernel logs them: tags 57, 5A, 5F24...
            track = card + "D" + f"{v.rng.randint(25, 35)}{v.rng.randint(1, 12):02d}" + "201" + v.digits(10)
            track += "F" if len(track) % 2 else ""
            pan = card + ("F" if len(card) % 2 else "")
            lines.append([head, "IC readRecord SFI=01 REC=01 data=70", f"{(len(track) + len(pan)) // 2 + 14:02X}",
                          f"57{len(track) // 2:02X}", ("CARD_TRACK_DATA", track), f"5A{len(pan) // 2:02X}",
                          ("CN_BANK_CARD", card), pan[len(card):], f"5F2403{v.rng.randint(25, 35)}1231", "5F3401", v.digits(2)])
        elif kind == 4:  # a chip purchase: fields 2, 3, 4, 11, 22, 25, 41, 42, 55, 64
            before = "6000030000" + "0200" + "7020048000C00201" + f"{len(card):02d}"
            after = ("0" if len(card) % 2 else "") + rest + _ic_data(v) + mac
            lines.append([head, ">>> send hex=", before, ("CN_BANK_CARD", card), after])
        elif kind == 0:
            before = "6000030000" + v.rng.choice(["0200", "0210", "0400"]) + "7020048000C00000" + f"{len(card):02d}"
            after = ("0" if len(card) % 2 else "") + rest + mac
            lines.append([head, f">>> send len={len(before + card + after) // 2} hex=", before, ("CN_BANK_CARD", card), after])
        elif kind == 1:
            before = "0200F23C448108E080000000000000000010" + f"{len(card):02d}"
            lines.append([head, "ATMP <<< ", before, ("CN_BANK_CARD", card), rest + mac])
        elif kind == 2:
            before = "6000030000" + "0200" + "7020048000C00000" + f"{len(card):02d}"
            after = ("0" if len(card) % 2 else "") + rest + mac
            lines.append([head, f">>> send {len(before + card + after) // 2} bytes:"])
            prefix = f"{v.time()} DEBUG [POSP-{v.rng.randint(1, 8)}] " if v.rng.random() < 0.5 else ""
            lines.extend(_dump_rows(before, card, after, prefix))
        else:
            track = card + "D" + f"{v.rng.randint(25, 35)}{v.rng.randint(1, 12):02d}" + "201" + v.digits(36 - len(card) - 8)
            before = "6000030000" + "0200" + "3020058020C00000" + rest[:30] + f"{len(track):02d}"
            lines.append([head, ">>> send hex=", before, ("CARD_TRACK_DATA", track), ("F" if len(track) % 2 else "") + mac])
        sign_on = "6000030000" + "0800" + "0020000000C00016" + v.digits(6) + "".join(f"{ord(c):02X}" for c in v.digits(8))
        lines.append([f"{v.time()} INFO [POSP-1] sign-on hex={sign_on} mac={mac}"])
    return lines


# name, file name, encoding, generator
FORMATS = [
    ("esb-xml", "esb-20240601.log", "utf-8", esb_lines),
    ("cnaps2-xml", "cnaps-front-20240601.log", "utf-8", cnaps_lines),
    ("batch-pipe", "DZ_20240601_001.dat", "gbk", batch_lines),
    ("batch-fixed", "KHXX_20240601.txt", "gbk", fixed_width_lines),
    ("mybatis-p6spy", "core-sql.log", "utf-8", mybatis_lines),
    ("access-log", "access.log", "utf-8", access_lines),
    ("tostring-json", "cust-service.log", "utf-8", tostring_lines),
    ("pinyin-keys", "txn.log", "utf-8", pinyin_lines),
    # Last, so that the formats before draw the values they drew before these were added.
    ("records", "CUST_EXPORT_20240601.txt", "gbk", record_lines),
    ("records-no-id", "JYMX_20240601.dat", "gbk", no_id_record_lines),
    ("batch-layout", "KHXX_LAYOUT_20240601.dat", "gbk", fixed_layout_lines),  # read with FIXED_LAYOUT
    ("layout-zip", "JYMX_20240601.zip!CUST_20240601.dat", "gbk", zipped_layout_lines),  # ZIPPED_LAYOUT
    # The batch-layout file without its layout: the checkout guesses it from its first records.
    ("layout-guessed", "KHXX_20240602.dat", "gbk", fixed_layout_lines),
    ("gateway-base64", "gateway-20240601.log", "utf-8", gateway_lines),
    ("posp-iso8583", "posp-20240601.log", "utf-8", posp_lines),
]
LAYOUT_FILES = {"KHXX_LAYOUT_20240601.dat": FIXED_LAYOUT, "CUST_20240601.dat": ZIPPED_LAYOUT}


def write_probe(seed: int, count: int) -> dict[str, tuple[Path, list]]:
    """Write each format's file; return ``{format: (path, gold per line)}``."""
    OUT.mkdir(parents=True, exist_ok=True)
    values, written = Values(seed), {}
    for name, file_name, encoding, generate in FORMATS:
        texts, golds = zip(*(rendered(line) for line in generate(values, count)))
        data = ("\n".join(texts) + "\n").encode(encoding)
        archive, _, member = file_name.partition("!")
        path = OUT / archive
        if member:  # a file delivered zipped: the archive holds it alone
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
                bundle.writestr(member, data)
        else:
            path.write_bytes(data)
        written[name] = (path, list(golds))
    return written


def child(checkout: str, paths: list[str]) -> None:
    """Import the project from ``checkout``, scan each path; print one JSON line per occurrence."""
    sys.path.insert(0, checkout)
    from pii_audit.scan import Unit, make_detector, scan_unit
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.files import plan_file

    options = ScanOptions(jobs=1, sample_rows=None)
    detector = make_detector(os.urandom(32), options)
    with tempfile.TemporaryDirectory() as scratch:
        for path in paths:
            size = os.path.getsize(path)
            unit = Unit(0, tuple(plan_file(path, size, TargetCoverage(path))), size)
            layout, read_with = _layout(path, options)
            if layout is not None or path.endswith(".zip"):  # read whole: record by record, member by member
                unit = Unit(0, (path,), size)
            part = scan_unit(unit, path, read_with, scratch, detector).jsonl_part
            with open(part, encoding="utf-8") as handle:
                for record in map(json.loads, handle):
                    where = record["location"]
                    start = _field_start(path, where, layout) if "column" in where else 0
                    print(json.dumps([path, where["line"], start + where["start"], start + where["end"],
                                      record["entity_type"], record["already_masked"]]))


def _layout(path: str, options):
    """Return the layout of a file the probe reads with one (its own, or the one the checkout
    guesses) and the options that read it, where the checkout scanned reads layouts
    (``pii_audit.sources.layouts``); else None and ``options``."""
    import dataclasses

    name = _zipped_member(path) or os.path.basename(path)
    spec = LAYOUT_FILES.get(name)
    try:
        from pii_audit.sources.layouts import Layout
    except ImportError:
        return None, options
    if spec is None:  # a layout the checkout guesses from the file's first records, if it does
        from pii_audit.sources.layouts import layout_for

        return (None if path.endswith(".zip") else layout_for(path, options)), options
    layout = Layout((name,), spec["columns"], spec["widths"], encoding="gb18030")
    return layout, dataclasses.replace(options, layouts=(layout,))


def _zipped_member(path: str) -> str | None:
    """Return the name of the batch file a zip of the probe holds (its one member), else None."""
    if not path.endswith(".zip"):
        return None
    with zipfile.ZipFile(path) as bundle:
        return bundle.namelist()[0]


def _field_start(path: str, where: dict, layout) -> int:
    """Return where a field found by a layout starts in its line, in characters (the gold's
    offsets are the line's): the bytes of the fields before it, decoded, and its padding."""
    member = _zipped_member(path)
    if member:
        with zipfile.ZipFile(path) as bundle:
            data = bundle.read(member)
    else:
        with open(path, "rb") as handle:
            data = handle.read()
    line = data.split(b"\n")[where["line"] - 1]
    line = line.rstrip(b"\r")
    index = layout.columns.index(where["column"])
    widths = layout.widths
    if getattr(layout, "varying", None):  # a guessed layout whose first or last field's width varies
        from pii_audit.sources.layouts import _record_widths

        widths = _record_widths(layout, len(line))[0]
    before = sum(widths[:index])
    field = line[before:before + widths[index]].decode("gb18030")
    return len(line[:before].decode("gb18030")) + len(field) - len(field.lstrip())


def found(checkout: Path, paths: list[Path]) -> dict[str, list]:
    """Return ``{path: [(line, start, end, entity)]}`` for the plaintext values a checkout reports."""
    done = subprocess.run([sys.executable, __file__, "--child", str(checkout), *map(str, paths)],
                          capture_output=True, text=True, env={**os.environ, "PII_AUDIT_KEY": "ab" * 32})
    if done.returncode != 0:
        raise SystemExit(f"the scan failed for {checkout}: {done.stderr.strip().splitlines()[-1:]}")
    predictions = defaultdict(list)
    for path, line, start, end, entity, masked in map(json.loads, done.stdout.splitlines()):
        if not masked and entity not in IGNORED:
            predictions[path].append((line, start, end, entity))
    return predictions


def score(gold: list, predictions: list) -> dict[str, Counter]:
    """Count gold, found and false positives per entity for one file."""
    counts: dict[str, Counter] = defaultdict(Counter)
    unmatched = {(n, *span) for n, spans in enumerate(gold, 1) for span in spans}
    for _, entity, _, _ in unmatched:
        counts[entity]["gold"] += 1
    for line, start, end, entity in sorted(predictions):
        hit = next((g for g in sorted(unmatched) if g[0] == line and g[1] == entity and g[2] < end and start < g[3]), None)
        if hit is None:
            counts[entity]["fp"] += 1
        else:
            unmatched.discard(hit)
            counts[entity]["found"] += 1
    return counts


def main() -> int:
    """Write the probe, scan it with each checkout, print the table."""
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", type=Path, help="a directory holding another version of the project")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--lines", type=int, default=30, help="lines (messages, statements) per format")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    probe = write_probe(args.seed, args.lines)
    paths = [path for path, _ in probe.values()]
    runs = ([found(args.other.resolve(), paths)] if args.other else []) + [found(ROOT, paths)]
    print(f"probe: {len(probe)} formats in {OUT}, seed {args.seed}"
          + (f"; figures are {args.other} → this checkout" if args.other else ""))
    print(f"{'format':15} {'entity':16} {'gold':>5} {'found':>10} {'missed':>10} {'false pos':>10}")
    totals = [Counter() for _ in runs]
    for name, (path, gold) in probe.items():
        scores = [score(gold, run[str(path)]) for run in runs]
        # PERSON always: a format whose records hold no gold shows its false positives, if none.
        for entity in sorted(set().union(*scores, ["PERSON"]), key=lambda e: (e not in ENTITIES, e)):
            cells = [[s[entity]["found"], s[entity]["gold"] - s[entity]["found"], s[entity]["fp"]] for s in scores]
            for total, s in zip(totals, scores):
                total.update(s[entity])
            columns = [" → ".join(str(c[i]) for c in cells) for i in range(3)]
            print(f"{name:15} {entity:16} {scores[-1][entity]['gold']:5} {columns[0]:>10} {columns[1]:>10} {columns[2]:>10}")
    columns = [" → ".join(str(t[key] if key != "missed" else t["gold"] - t["found"]) for t in totals)
               for key in ("found", "missed", "fp")]
    print(f"{'all':15} {'':16} {totals[-1]['gold']:5} {columns[0]:>10} {columns[1]:>10} {columns[2]:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
