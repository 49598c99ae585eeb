"""The contract every recognizer keeps: examples found, look-alikes not, junk never crashes."""

from __future__ import annotations

import pkgutil
import re
import sys

import pytest

import recognizers
from pii_audit.detector import Detector
from pii_audit.models import Chunk
from recognizers import ALL_RECOGNIZERS, build_analyzer
from recognizers.context import field_key_regex

IDS = [cls.__name__ for cls in ALL_RECOGNIZERS]


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer()


@pytest.mark.parametrize("cls", ALL_RECOGNIZERS, ids=IDS)
def test_examples_with_context(cls, analyzer):
    module = sys.modules[cls.__module__]
    keyword = cls.CONTEXT[0]
    for value in module.EXAMPLES["valid"]:
        found = analyzer.analyze(f"{keyword}：{value}。", language="zh", entities=[cls.ENTITY])
        assert [(r.start, r.end) for r in found] == [(len(keyword) + 1, len(keyword) + 1 + len(value))], value
    for value in module.EXAMPLES["invalid"]:
        assert not analyzer.analyze(f"{keyword}：{value}。", language="zh", entities=[cls.ENTITY]), value


FIELD_FORMS = ["{key}={value}, ", '{{"{key}":"{value}"}}', "<{key}>{value}</{key}>", "{key}: {value} "]


@pytest.mark.parametrize("cls", ALL_RECOGNIZERS, ids=IDS)
def test_examples_after_a_fields_key(cls, analyzer):
    """A log line names a field as a table names a column (custName=张三, "lxdh":"…",
    <mtpNo>…</mtpNo>): every example is found after a key its column hints name, camelCase or
    snake_case, in Presidio and past the detector's screen. Before, a name, an address and the
    numbers that need context were missed after such a key (landline, passport, permits, plate)."""
    module, detector = sys.modules[cls.__module__], Detector(bytes(32))
    keys = [cls.COLUMN_HINTS[0], cls.COLUMN_HINTS[-1], cls.COLUMN_HINTS[-1].upper()]
    keys.append(keys[1][:2] + "_" + keys[1][2:])  # custname as cust_name
    for value in module.EXAMPLES["valid"]:
        for key in keys:
            for form in FIELD_FORMS:
                text = form.format(key=key, value=value)
                start = text.index(value)
                found = analyzer.analyze(text, language="zh", entities=[cls.ENTITY])
                assert [(r.start, r.end) for r in found] == [(start, start + len(value))], text
                assert [(o.location["start"], o.entity_type) for o in detector.detect_chunk(
                    Chunk(text, {"path": "a.log"}, "a.log"))] == [(start, cls.ENTITY)], text


@pytest.mark.parametrize("text,found", [
    ("mailingAddress=北京市朝阳区建国路88号, ", ("CN_ADDRESS", "北京市朝阳区建国路88号")),
    ('{"reg_addr":"上海市浦东新区世纪大道100号"}', ("CN_ADDRESS", "上海市浦东新区世纪大道100号")),
    ("borrowerName=张伟, ", ("PERSON", "张伟")),
    ('{"cardHolder":"李娜"}', ("PERSON", "李娜")),
    ("idNumber=110105491231002, ", ("CN_RESIDENT_ID", "110105491231002")),
    ("twPermitNo=12345678, ", ("CN_TAIWAN_PERMIT", "12345678")),
    ("serverAddress=北京机房, ", None),
    ('"legalPerson":"北京某某科技有限公司"', None),
    ("deliveryAddress=同上, ", None),
])
def test_the_keys_a_banks_services_log_give_context(text, found):
    """Keys a bank's Java services log fields by: an address's key ending in Address or addr, a
    person's role (borrower, guarantor, card holder), an ID's number (idNumber, certificateNo).
    Before, all of these but the last three (which must stay unreported) went unreported."""
    detector = Detector(bytes(32))
    got = [(o.entity_type, text[o.location["start"]:o.location["end"]])
           for o in detector.detect_chunk(Chunk(text, {"path": "a.log"}, "a.log"))]
    assert got == ([found] if found else [])


def test_a_fields_key_gives_back_none_of_the_spaces_it_took():
    """What parts a key from its value is taken whole: a pattern's own spaces after it got each
    split of a run of spaces to try, and a key followed by 16,000 spaces took 43 s to fail."""
    key = re.compile(field_key_regex(["custname"]) + "[ ]x")
    assert key.match("custName=  x") is None and key.match("custName=x") is None
    assert re.compile(field_key_regex(["custname"]) + "x").match('custName" :  "x')


def test_every_module_is_registered():
    modules = {name for _, name, _ in pkgutil.iter_modules(recognizers.__path__)
               if name.startswith(("cn_", "hk_", "mo_", "tw_")) or name in {"email_address", "ip_address", "person", "cn_address"}}
    registered = {cls.__module__.split(".")[-1] for cls in ALL_RECOGNIZERS}
    assert modules <= registered


def test_entity_names_are_unique_and_stable():
    names = [cls.ENTITY for cls in ALL_RECOGNIZERS]
    assert len(names) == len(set(names))
    stable = {"CN_RESIDENT_ID", "CN_BANK_CARD", "CN_BANK_ACCOUNT", "CN_MOBILE_PHONE", "CN_LANDLINE_PHONE", "CN_PASSPORT",
              "CN_HK_MACAU_PERMIT", "CN_TAIWAN_PERMIT", "CN_FOREIGN_PERMANENT_RESIDENT_ID", "CN_USCC",
              "CN_LICENSE_PLATE", "EMAIL_ADDRESS", "IP_ADDRESS", "PERSON", "CN_ADDRESS",
              "HK_ID_CARD", "MO_ID_CARD", "TW_ID_CARD", "CN_MILITARY_ID",
              "CARD_TRACK_DATA", "CARD_CVN", "CARD_EXPIRY", "AUTH_PASSWORD", "AUTH_OTP", "BIOMETRIC_TEMPLATE"}
    assert set(names) <= stable


@pytest.mark.parametrize("cls", ALL_RECOGNIZERS, ids=IDS)
@pytest.mark.parametrize("junk", [
    "", "\x00\x01\x02" * 100, "\ud800\udfff\ud83d", "9" * 10_000, "1" * 17 + "X" + "中" * 50,
    "身份证" * 1000, "*" * 500 + "1234", "@" * 300, "京" * 200, "-" * 1000 + "1",
], ids=["empty", "control", "surrogates", "digits", "mixed", "keywords", "stars", "ats", "plates", "dashes"])
def test_junk_never_raises(cls, junk):
    recognizer = cls()
    results = recognizer.analyze(junk, None)
    recognizer.enhance_using_context(junk, results, [], None, ["sfzh"])


@pytest.mark.parametrize("cls", ALL_RECOGNIZERS, ids=IDS)
def test_screen_covers_every_example(cls):
    """The detector skips text its screen does not pick, so it must pick every example that its
    recognizer reports: after a keyword, alone, and glued to the characters around it."""
    from pii_audit.detector import Detector
    from recognizers import MIN_SCORE
    from recognizers.base import to_halfwidth
    module, detector = sys.modules[cls.__module__], Detector(bytes(32))
    number = next(n for n, r in enumerate(detector.recognizers) if isinstance(r, cls))
    recognizer = detector.recognizers[number]
    for value in module.EXAMPLES["valid"]:
        for text in (f"{cls.CONTEXT[0]}：{value}。", value, f"编号{value}，", f"+{value}", f"\n{value}\n"):
            text = to_halfwidth(text)
            results = recognizer.enhance_using_context(text, recognizer.analyze(text, None), [], None, [])
            if any(r.score >= MIN_SCORE for r in results):
                assert number in set().union(*detector.screen(text).values()), text


@pytest.mark.parametrize("line", [
    '"total_memory": "17179869184",',  # a Node.js diagnostic report
    r"version\:6.1.0-34-amd64,processors\:6,maxMemory\:16769056768,maxSwap\:128849014784]",  # jtreg
    "JVM 堆内存上限 17179869184", "磁盘剩余空间 13958643712 字节", "file size=15032385536",
])
def test_sizes_in_bytes_are_not_mobile_numbers(analyzer, line):
    """An 11-digit byte count in an assigned segment, after a word for a size, is no phone number."""
    assert not analyzer.analyze(line, language="zh", entities=["CN_MOBILE_PHONE"])


def test_a_size_word_does_not_hide_a_phone_named_as_such(analyzer):
    found = analyzer.analyze("内存告警 通知手机13812345678", language="zh", entities=["CN_MOBILE_PHONE"])
    assert [(r.start, r.end) for r in found] == [(9, 20)]


CARD = "6222021234567890128"  # Luhn-valid, ICBC's BIN


@pytest.mark.parametrize("text", [
    f"score=0.{CARD}", f"风险分 0.{CARD}", "ddfma0223  fma  739945255.563  13672312784.1  -994381.53572",
    "rate 0.13812345678", f"金额 {CARD}.55", "13812345678.05",
])
def test_a_decimal_holds_no_card_or_mobile_number(analyzer, text):
    """Amounts and fractions (a model's score printed as a float) are look-alikes, not values."""
    assert not analyzer.analyze(text, language="zh", entities=["CN_BANK_CARD", "CN_MOBILE_PHONE"])


@pytest.mark.parametrize("text, value", [
    ("手机 13812345678.0", "13812345678"),  # a phone number stored as a number
    ("sjhm=13812345678.00", "13812345678"),
    ("请回电13812345678.", "13812345678"), (f"已绑定卡号{CARD}.", CARD),
    (f"卡号:{CARD}.0", CARD),
])
def test_a_value_next_to_a_dot_is_still_found(analyzer, text, value):
    found = analyzer.analyze(text, language="zh", entities=["CN_BANK_CARD", "CN_MOBILE_PHONE"])
    assert [text[r.start:r.end] for r in found] == [value]


@pytest.mark.parametrize("label", ["收款人信息", "借款人信息：", "申请人单位 ", "紧急联系人关系", "付款人户名："])
def test_a_field_label_after_a_keyword_is_no_name(analyzer, label):
    """Forms and receipts print labels right after the keyword; 信, 单, 关 and 户 are surnames."""
    assert not analyzer.analyze(label, language="zh", entities=["PERSON"])


@pytest.mark.parametrize("text, name", [
    ("收款人张三已确认", "张三"), ("更新收款人:王欣已登记", "王欣"), ("客户联系人=牛柳办理业务", "牛柳"),
    ("收款人王桂珍已登记", "王桂珍"), ("收款人王五的账户", "王五"), ("联系人王小明先生来电", "王小明"),
    ("持卡人欧阳娜娜本人到场", "欧阳娜娜"), ("户名：王**已登记", "王**"),
])
def test_a_name_glued_to_the_words_after_it_is_found(analyzer, text, name):
    """Chinese puts no space after a name: it ends where a word that begins no given name starts."""
    found = analyzer.analyze(text, language="zh", entities=["PERSON"])
    assert [text[r.start:r.end] for r in found] == [name]


@pytest.mark.parametrize("text", ["请输入用户名和密码的凭据", "Git 提供用户名和口令", "借款人于今日已还款",
                                  "申请人已提交", "收款人信息已确认", "客户名单如下：", "导出账户名单列表"])
def test_no_name_in_a_username_a_day_or_a_verb(analyzer, text):
    """用户名 is a login, not a person's name, 客户名单 a list; 于 is a surname, 今日 no given name."""
    assert not analyzer.analyze(text, language="zh", entities=["PERSON"])


def test_a_round_number_is_a_card_only_in_context(analyzer):
    """81000000000000000 passes Luhn with a UnionPay prefix: a product in decimal test data. A
    card whose account digits repeat one digit is found where the text calls it a card."""
    assert not analyzer.analyze("ddfma2116 fma 9 9000000000000000 0e+384 -> 81000000000000000", language="zh",
                                entities=["CN_BANK_CARD"])
    found = analyzer.analyze("测试卡号：6222020000000000000", language="zh", entities=["CN_BANK_CARD"])
    assert [(r.start, r.end) for r in found] == [(5, 24)]


@pytest.mark.parametrize("text, found", [
    ("M653 2190 9023 355-10-195-4444-1860-5822-3465", []),  # SVG path data, negative coordinates
    ("批次 2024-138-1234-5678-01", []),
    ("张三-13812345678", ["13812345678"]), ("手机:138-1234-5678。", ["138-1234-5678"]),
])
def test_a_mobile_number_is_no_piece_of_a_dashed_run(analyzer, text, found):
    results = analyzer.analyze(text, language="zh", entities=["CN_MOBILE_PHONE"])
    assert [text[r.start:r.end] for r in results] == found


@pytest.mark.parametrize("text, found", [
    ("短信网关 mobile=8613812345678 status=0", ["8613812345678"]),  # as SMS gateways log it
    ("手机：86-138-1234-5678", ["86-138-1234-5678"]),
    ("客户手机 013812345678", ["013812345678"]),  # a trunk 0, as old customer records keep it
    ("联系电话:(86)13812345678", ["(86)13812345678"]),
    ("8613812345678", []), ("013812345678", []),  # no context: an account's or order's number as likely
    ("订单号 013812345678", []), ("手机 0013812345678", []), ("手机 8613812345678901", []),
])
def test_a_bare_86_or_a_trunk_0_before_a_mobile_is_read_beside_its_context(text, found):
    """FORMATS.md: a bare 86 prefix parses as valid, "accept it only with context"; so does a
    trunk 0, which dialling another city's mobile once took. Neither was read: a gateway's log of
    8613812345678 held no mobile number. Masked and fingerprinted as the bare 11 digits."""
    from recognizers.cn_mobile_phone import CnMobilePhoneRecognizer

    results = sorted(Detector(bytes(32)).analyze(text), key=lambda r: r.start)
    assert [text[r.start:r.end] for r in results if r.entity_type == "CN_MOBILE_PHONE"] == found
    recognizer = CnMobilePhoneRecognizer()
    assert {recognizer.normalize(value) for value in found} <= {"13812345678"}
    assert {recognizer.mask(value) for value in found} <= {"138****5678"}


@pytest.mark.parametrize("text, found", [
    ("Debian (1.2.5.1-2)", []),  # a package version and its revision (dpkg.log, changelogs)
    ("libfoo 1.2.5.1-2ubuntu1", []),
    ("登录IP 202.96.134.133-202.96.134.140 段", ["202.96.134.133", "202.96.134.140"]),  # a range keeps both
    ("客户登录IP: 202.96.134.133-", ["202.96.134.133"]),
])
def test_ip_versions_with_a_revision_are_no_addresses(text, found):
    results = sorted(Detector(bytes(32)).analyze(text), key=lambda r: r.start)
    assert [text[r.start:r.end] for r in results if r.entity_type == "IP_ADDRESS"] == found


@pytest.mark.parametrize("text, found", [
    ('36.112.8.7 - - [29/Nov/2026:10:00:00 +0800] "GET /static/app.js HTTP/1.1" 200 5123 "-" "Mozilla/5.0 '
     '(Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36 '
     'Edg/119.0.0.0"', ["36.112.8.7"]),
    ("Mozilla/5.0 (Linux; Android 13) Chrome/116.0.0.0 Mobile Safari/537.36 OPR/105.0.0.0", []),
    ("登录IP 0.0.0.0", []), ("server listening on 0.0.0.0:8080", []),
    # An app's version after its name and a slash: QQ's, Baidu's, a bank's own app.
    ("Mobile/15E148 QQ/8.9.78.12 V1_IPH_SQ_8.9.78_1_APP_A", []), ("T7/13.45 baiduboxapp/13.45.5.10 (Baidu; P1 13)", []),
    ("CMBC-MobileBank/7.1.0.1 (iPhone; iOS 16.6; Scale/3.00)", []),
    ("GET http://202.96.134.133/login 客户端IP/202.96.134.134", ["202.96.134.133"]),
])
def test_a_browsers_version_in_a_user_agent_is_no_address(analyzer, text, found):
    """Chrome, Edge and Opera give their version as four numbers, the last three 0, in every
    User-Agent, and apps theirs after their name and a slash: an access log's line in two
    reported one as the client's address. A URL's host after its two slashes is still one."""
    results = analyzer.analyze(text, language="zh", entities=["IP_ADDRESS"])
    assert [text[r.start:r.end] for r in results] == found


@pytest.mark.parametrize("text, found", [
    ("[1]: ObjectId: 2.5.29.19 Criticality=true", []),  # Java's TLS debug log: an X.509 extension
    ("object identifier 2.5.4.10 organizationName", []),
    ("登录IP 2.5.29.19", ["2.5.29.19"]),  # the same digits called an address are one
])
def test_an_object_identifier_of_four_arcs_is_no_address(analyzer, text, found):
    results = analyzer.analyze(text, language="zh", entities=["IP_ADDRESS"])
    assert [text[r.start:r.end] for r in results] == found
