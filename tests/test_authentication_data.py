"""Authentication data, JR/T 0171-2020's C3: passwords and PINs, card verification numbers,
expiry dates and track data (and its C2 auxiliary one-time codes), found where a key, a column
or their own shape names them, never written in clear, and nothing reported where the key names
something else."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from pii_audit.cli import cli
from pii_audit.models import Chunk
from recognizers import build_analyzer
from scan_helpers import detector_for, scan_one

BCRYPT = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
TRACK2 = "6222021234567890128=24121010000012345678"  # Luhn-valid number, Dec 2024, service code 101
TAG57 = "6222021234567890128D24122010000012345678F"
TRACK1 = "B4367420123456781^ZHANG/SAN^2412101000000000000000"


def detected(text, context=()):
    """Return ``(entity, stored text, already masked)`` of what the detector reports in a line
    or, with ``context``, a cell under that column: through its screen, as a scan runs it."""
    chunk = Chunk(text, {"path": "app.log"}, "app.log", tuple(context))
    return [(o.entity_type, text[o.location["start"]:o.location["end"]], o.already_masked)
            for o in detector_for(bytes(32)).detect_chunk(chunk)]


@pytest.mark.parametrize("text,value", [
    ("2026-11-02 10:00:01 INFO  c.b.LoginService - loginPwd=Abc@1234, userId=1001", "Abc@1234"),
    ('{"event":"pay","tranPwd":"123456","amt":"100.00"}', "123456"),
    ("<req><userId>1001</userId><pwd>Xy7!k2pq</pwd></req>", "Xy7!k2pq"),
    ("短信已发送：您的初始密码为 Xy7k2p9q，请及时修改", "Xy7k2p9q"),
    ("交易密码：135790 验证通过", "135790"),
    ("重置登录密码 a1b2c3d4 已下发", "a1b2c3d4"),
    ("spring.datasource.password=Db#2024prod", "Db#2024prod"),
    ("GET /login?user=zhang&pwd=qwer1234&lang=zh", "qwer1234"),
    ("card pin=246810 accepted", "246810"),
    ("User(id=7, PASS_WORD=P@ssw0rd!)", "P@ssw0rd!"),
    ("spring.security.user.password={noop}Secret123", "{noop}Secret123"),  # noop: no encoding at all
])
def test_a_password_in_clear_after_its_key(text, value):
    assert detected(text) == [("AUTH_PASSWORD", value, False)]


@pytest.mark.parametrize("text", [
    "pwdErrCount=3, passwordExpireDays=90",
    "密码错误次数：3，密码修改成功",
    "password=${DB_PASSWORD}",
    "password=ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)",
    'password=null, "pwd":"", passwd=xxxxxx',
    f"passwordHash={BCRYPT}",
    f"password={{bcrypt}}{BCRYPT}, password={{SSHA}}abcdEFGH1234, password={{cipher}}AQBcd1234efgh5678",
    "pwd=e10adc3949ba59abbe56e057f20f883e",  # an unsalted MD5: hashed, whatever its strength
    "password=U2FsdGVkX1+f3kP0q9ZxY2w8bA==",
    "mapping=/api/pin ping=ok spin=1234 pinyin=zhang",
    "登录密码是否正确：是",
    "密码 reset ok, 密码 expired",
    "reset password: success, User(password=[PROTECTED]), password: <hidden>",
    "LoginRequest(userId=1001, password=[C@5e2de80c, tranPwd=com.bank.Secret@1b6d3586)",
])
def test_no_password_where_the_key_names_something_else_or_the_value_is_none(text):
    assert detected(text) == []


@pytest.mark.parametrize("text,entity,value", [
    ("password=******, user=zhang", "AUTH_PASSWORD", "******"),
    ("交易密码：******", "AUTH_PASSWORD", "******"),
    ("cvv2=***&expDate=2812", "CARD_CVN", "***"),
])
def test_stars_after_the_key_count_as_masked(text, entity, value):
    assert (entity, value, True) in detected(text)


@pytest.mark.parametrize("value,column,entity", [("******", "login_pwd", "AUTH_PASSWORD"), ("***", "cvv2", "CARD_CVN")])
def test_stars_in_a_column_that_names_it_count_as_masked(value, column, entity):
    assert detected(value, [column]) == [(entity, value, True)]
    assert detected(value, ["remark"]) == []


@pytest.mark.parametrize("text,found", [
    ("auth req cardNo=622202******0128&cvv2=123&expDate=2812",
     [("CARD_CVN", "123", False), ("CARD_EXPIRY", "2812", False)]),
    ('{"cvn2":"907","validThru":"12/28"}', [("CARD_CVN", "907", False), ("CARD_EXPIRY", "12/28", False)]),
    ("信用卡安全码：045，卡有效期：03/2029", [("CARD_CVN", "045", False), ("CARD_EXPIRY", "03/2029", False)]),
    ("CVV2 318 卡有效期1228", [("CARD_CVN", "318", False), ("CARD_EXPIRY", "1228", False)]),
])
def test_a_cards_verification_number_and_expiry_after_their_keys(text, found):
    assert [item for item in detected(text) if item[0] != "CN_BANK_CARD"] == found


@pytest.mark.parametrize("text", [
    "cvv2Result=000 cvvFlag=1",
    "图形验证码：5821",  # a picture's code, no card's verification number nor a one-time code
    "卡有效期至2028-12-31 证件有效期：2040",
    "tokenExpDate=2812 expire_time=0930",
    "有效期：1228",  # whose: a token's, an SMS code's, an ID card's
])
def test_no_verification_number_or_expiry_where_nothing_says_a_cards(text):
    assert detected(text) == []


@pytest.mark.parametrize("text,value", [
    ("2026-11-02 10:00:01 INFO  c.b.SmsService - 发送短信 mobile=138****5678 smsCode=482913", "482913"),
    ('{"event":"login","verifyCode":"4829"}', "4829"),
    ("短信验证码：482913，5分钟内有效", "482913"),
    ("动态口令 10293847 校验通过", "10293847"),
    ("动态密码：482913", "482913"),
])
def test_a_one_time_code_after_its_key(text, value):
    assert [item for item in detected(text) if item[0] != "CN_MOBILE_PHONE"] == [("AUTH_OTP", value, False)]


@pytest.mark.parametrize("text", [
    "验证码发送成功, 验证码错误次数：3, 验证码有效期：300秒",
    "图形验证码：4821 captcha=9921",
    "smsCodeLength=6 verifyCodeTtl=300",
    "验证码 2024-11-02 已发送, otp=12:30, 安全码 123.45",
])
def test_no_one_time_code_where_the_key_names_something_else(text):
    assert detected(text) == []


@pytest.mark.parametrize("text,value", [
    (f"POS 报文 track2=;{TRACK2}? 终端号 10000001", TRACK2),
    (f"IC卡 tag57={TAG57} ARQC=9A3F", TAG57),
    (f"读卡 %{TRACK1}? 完成", TRACK1),
    (f"二磁道信息{TRACK2}", TRACK2),
])
def test_track_data_is_found_bare_and_its_card_number_not_counted_twice(text, value):
    assert detected(text) == [("CARD_TRACK_DATA", value, False)]


@pytest.mark.parametrize("text", [
    "6222021234567890127=24121010000012345678",  # a wrong check digit
    "6222021234567890128=24131010000012345678",  # month 13
    "6222021234567890128=24123010000012345678",  # service code 3xx
    "orderNo=20241102123456789=1",
])
def test_no_track_data_where_its_structure_fails(text):
    assert [item for item in detected(text) if item[0] == "CARD_TRACK_DATA"] == []


@pytest.mark.parametrize("value,column,entity", [
    ("Abc@1234", "login_pwd", "AUTH_PASSWORD"),
    ("135790", "交易密码", "AUTH_PASSWORD"),
    ("123", "card_cvv2", "CARD_CVN"),
    ("2812", "yxq", "CARD_EXPIRY"),
    ("12/28", "信用卡有效期", "CARD_EXPIRY"),
    ("482913", "sms_code", "AUTH_OTP"),
])
def test_a_cell_under_a_column_that_names_it(value, column, entity):
    assert detected(value, [column]) == [(entity, value, False)]
    assert detected(value, ["remark"]) == []
    presidio = build_analyzer().analyze(value, language="zh", context=[column], score_threshold=0.5)
    assert [r.entity_type for r in presidio] == [entity]


@pytest.mark.parametrize("value,column", [
    ("2024-01-01", "password_updated_at"),
    (BCRYPT, "password"),
    ("e10adc3949ba59abbe56e057f20f883e", "login_pwd"),
    ("000", "cvv_result"),
    ("2040", "证件有效期"),
    ("3", "pwd_err_count"),
])
def test_no_cell_where_the_column_names_something_else_or_the_value_is_hashed(value, column):
    assert detected(value, [column]) == []


def test_a_database_table_of_plaintext_passwords_is_found_and_written_masked(tmp_path, key):
    """A user table whose login_pwd column holds passwords in clear, beside a column of bcrypt
    hashes and a column of change dates: the clear ones are C3 findings, masked, and no
    password reaches the JSONL file or the summary."""
    path = tmp_path / "core.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t_user (user_id INTEGER PRIMARY KEY, login_pwd TEXT, pwd_hash TEXT, "
                   "password_updated_at TEXT, card_cvv2 TEXT)")
        db.executemany("INSERT INTO t_user VALUES (?, ?, ?, ?, ?)",
                       [(n, f"Pw{n:04d}!x", BCRYPT, "2024-01-01", f"{n % 1000:03d}") for n in range(1, 51)])
    result = scan_one(path, key, sample_rows=None)
    counts = {entity: finding.occurrences for (_, entity), finding in result.findings.items()}
    assert counts == {"AUTH_PASSWORD": 50, "CARD_CVN": 50}
    jsonl = tmp_path / "found.jsonl"
    run = CliRunner().invoke(cli, ["scan", str(path), "--full", "--jobs", "1", "--jsonl", str(jsonl)],
                             env={"PII_AUDIT_KEY": key.hex()})
    assert run.exit_code == 1, run.output
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert {(line["entity_type"], line["masked"], line["risk"]["category"]) for line in lines} == \
        {("AUTH_PASSWORD", "******", "C3"), ("CARD_CVN", "***", "C3")}
    written = jsonl.read_text(encoding="utf-8") + run.output
    assert "Pw0007!x" not in written and "Pw0050!x" not in written
