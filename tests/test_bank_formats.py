"""Text formats of real bank systems that bench/probe.py found missed or misread: an ESB's SOAP
messages (CDATA sections, abbreviated tags), CNAPS2's (ISO 20022) parties, pinyin keys of payees
and payers, a field's own key (the field after an account's, an amount in fen under its key), and
what a bare `name` key holds (a payment brand or a staff role, no person; a person named as a
district is, beside an ID number's key). Values are synthetic, with valid check digits."""

from __future__ import annotations

import random

import pytest

from pii_audit.models import Chunk
from scan_helpers import detector_for, found, samples_of, written
from tests_corpus import resident_id

RNG = random.Random(20240601)
RID = resident_id(RNG)
MOBILE = "13912345678"
ACCOUNT = "310066012345678"  # a settlement account: no card's, ID's or phone's shape


def esb_message(name: str) -> list[str]:
    """Return an ESB's logged SOAP request, pretty-printed, its customer's name in a CDATA section."""
    return ["2024-06-01 10:23:45.123 [esb-worker-3] INFO  c.b.esb.MsgLogger - REQ msgId=ESB2024060110234500012 body=",
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:s="http://esb/cust">',
            "  <soapenv:Body><s:OpnAcctReq>",
            f"    <s:CustNm><![CDATA[{name}]]></s:CustNm>",
            f"    <s:CertTp>101</s:CertTp><s:CertNo>{RID}</s:CertNo>",
            "    <s:BrchNm><![CDATA[招商银行深圳分行]]></s:BrchNm><s:TxnAmt>1500.00</s:TxnAmt>",
            "  </s:OpnAcctReq></soapenv:Body></soapenv:Envelope>"]


def in_block(lines: list[str]) -> list[tuple[int, str, str]]:
    """Return ``(line, entity, value as stored)`` of what the detector finds in lines of a log."""
    chunk = Chunk("\n".join(lines), {"path": "esb.log", "line": 1}, "esb.log", multiline=True)
    return [(o.location["line"], o.entity_type, lines[o.location["line"] - 1][o.location["start"]:o.location["end"]])
            for o in detector_for(bytes(32)).detect_chunk(chunk) if not o.already_masked]


def test_a_name_in_a_cdata_section_is_found_where_it_is_stored():
    """`<CustNm><![CDATA[张三]]></CustNm>`: the section's marker stood between the tag and the
    name, and the name was missed, pretty-printed or on one line; a branch's name stays none."""
    lines = esb_message("潘海燕")
    assert in_block(lines) == [(4, "PERSON", "潘海燕"), (5, "CN_RESIDENT_ID", RID)]
    one_line = "".join(lines)
    assert in_block([one_line, "tail"]) == [(1, "PERSON", "潘海燕"), (1, "CN_RESIDENT_ID", RID)]
    # A value of a table or a message read alone (not a block of a log) is read so too.
    single = list(detector_for(bytes(32)).detect_chunk(Chunk("<CustNm><![CDATA[张三]]></CustNm>", {"row": 1}, "t")))
    assert [(o.entity_type, o.location["start"], o.location["end"]) for o in single] == [("PERSON", 17, 19)]


def test_a_scanned_esb_log_writes_the_masked_name_and_never_the_name(tmp_path, key):
    path = tmp_path / "esb-20240601.log"
    path.write_text("\n".join(esb_message("潘海燕") + esb_message("宋志强")) + "\n", encoding="utf-8")
    samples = samples_of(path, key, "PERSON")
    assert sorted(s.masked for s in samples) == ["宋**", "潘**"]
    assert "海燕" not in written(samples) and "志强" not in written(samples)


@pytest.mark.parametrize("text, expected", [
    pytest.param("<AcctNm>张伟</AcctNm><AcctNo>310066012345678</AcctNo>",
                 [("PERSON", "张伟"), ("CN_BANK_ACCOUNT", ACCOUNT)], id="esb-account-name"),
    pytest.param("<s:PyeeNm>李娜</s:PyeeNm><s:PyerNm>王强</s:PyerNm>", [("PERSON", "李娜"), ("PERSON", "王强")],
                 id="esb-payee-payer"),
    pytest.param(f'{{"skrmc":"刘洋","skrzh":"{ACCOUNT}","fkrmc":"陈静"}}',
                 [("PERSON", "刘洋"), ("CN_BANK_ACCOUNT", ACCOUNT), ("PERSON", "陈静")], id="pinyin-payee"),
    pytest.param(f"fkrhm=杨磊|fkrzh={ACCOUNT}|dfhm=赵敏", [("PERSON", "杨磊"), ("CN_BANK_ACCOUNT", ACCOUNT),
                                                         ("PERSON", "赵敏")], id="pinyin-payer-counterparty"),
    pytest.param("<BrchNm>高新支行</BrchNm><OrgNm>招商银行</OrgNm><PrdNm>金葵花</PrdNm>", [], id="esb-not-people"),
])
def test_abbreviated_keys_of_payees_and_payers_name_people_and_accounts(text, expected):
    """A service bus abbreviates its tags (AcctNm, PyeeNm, PyerNm) and a core system's files
    key payees and payers by pinyin (收款人名称 skrmc, 付款人账号 fkrzh, 对方户名 dfhm): the
    names and accounts after them were missed."""
    assert found(text) == expected


@pytest.mark.parametrize("text, expected", [
    pytest.param("name=支付宝", [], id="payment-brand"),
    pytest.param('{"name":"云闪付","code":"UP01"}', [], id="payment-brand-json"),
    pytest.param("<name>华为</name>", [], id="wallet-brand-xml"),
    pytest.param('{"name":"高管","level":1}', [], id="role-json"),
    pytest.param("OrgDTO(name=余额宝, type=2)", [], id="wealth-brand-lombok"),
    pytest.param("NAME=管户", [], id="role"),
    pytest.param("custName=阳光", [("PERSON", "阳光")], id="after-a-persons-key"),
    pytest.param("姓名：华为", [("PERSON", "华为")], id="after-a-keyword"),
])
def test_a_payment_brand_or_a_staff_role_under_a_bare_name_key_is_no_person(text, expected):
    """A bank's channel, product and role tables name 支付宝, 华为 (Huawei Pay), 高管 under a
    bare `name`: jieba tags some as persons' names, and each was reported as one. After a key or
    a keyword that says whose name it is, such a word is still a name."""
    assert found(text) == expected


@pytest.mark.parametrize("text, name", [
    pytest.param(f'{{"name":"宁德","idNo":"{RID}"}}', "宁德", id="json-id"),
    pytest.param(f"CustomerDTO(name=余杭, mobile={MOBILE}, level=2)", "余杭", id="lombok-mobile"),
    pytest.param(f"<name>萧山</name><certNo>{RID}</certNo>", "萧山", id="xml-cert"),
])
def test_a_person_named_as_a_district_is_a_name_beside_an_ids_key(text, name):
    """A bare `name` holding a district's name (宁德) is a district's in a dictionary table; in a
    record that also holds a person's ID or mobile number it is a person's, and was missed."""
    assert ("PERSON", name) in found(text)


@pytest.mark.parametrize("text, expected", [
    pytest.param('{"code":"350900","name":"宁德","level":2}', [], id="dictionary"),
    pytest.param("areaCode=330109, name=萧山", [], id="key-value"),
    pytest.param(f'{{"name":"宁德","idNo":"{RID}"}} {{"code":"330110","name":"余杭","sort":1}}',
                 [("PERSON", "宁德"), ("CN_RESIDENT_ID", RID)], id="the-next-record"),
])
def test_a_district_under_a_bare_name_without_a_persons_key_stays_none(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text, expected", [
    pytest.param(f"<AcctNo>{ACCOUNT}</AcctNo><TxnSrlNo>2024060112345678</TxnSrlNo>",
                 [("CN_BANK_ACCOUNT", ACCOUNT)], id="esb-serial"),
    pytest.param(f"<PyeeAcctNo>{ACCOUNT}</PyeeAcctNo><TxnAmt>150000000</TxnAmt>",
                 [("CN_BANK_ACCOUNT", ACCOUNT)], id="esb-amount-in-fen"),
    pytest.param(f"skzh={ACCOUNT}&ddh=20240601123&jyje=100.00", [("CN_BANK_ACCOUNT", ACCOUNT)], id="pinyin-order-no"),
    pytest.param(f"CustAcctDTO(acctNo={ACCOUNT}, seq=20240601123)", [("CN_BANK_ACCOUNT", ACCOUNT)], id="lombok-seq"),
    pytest.param(f"对方账号 {ACCOUNT}，付款账号：{ACCOUNT[::-1]}", [("CN_BANK_ACCOUNT", ACCOUNT),
                                                            ("CN_BANK_ACCOUNT", ACCOUNT[::-1])], id="keywords"),
])
def test_the_field_after_an_accounts_field_is_no_account(text, expected):
    """An account's key stood within reach of the next field's value, and a serial or an amount
    there was reported as an account: after a field's own key, only that key says what it holds."""
    assert found(text) == expected


def test_a_cnaps2_credit_transfer_names_its_debtor_and_creditor_and_their_accounts():
    """CNAPS2 (ISO 20022) nests a party's name in <Dbtr><Nm> and its account in
    <DbtrAcct><Id><Othr><Id>: all four were missed; the bank code and the IDs stay unreported."""
    message = ('<Document><CdtTrfTxInf><PmtId><TxId>2024060110234500012345</TxId></PmtId>'
               f'<Dbtr><Nm>张伟</Nm></Dbtr><DbtrAcct><Id><Othr><Id>{ACCOUNT}</Id></Othr></Id></DbtrAcct>'
               '<DbtrAgt><BrnchId><Id>102100099996</Id></BrnchId></DbtrAgt><Cdtr><Nm>李娜</Nm></Cdtr>'
               '<CdtrAcct><Id><Othr><Id>6228480402564890018</Id></Othr></Id></CdtrAcct>'
               '<IntrBkSttlmAmt Ccy="CNY">1500.00</IntrBkSttlmAmt></CdtTrfTxInf></Document>')
    assert found(message) == [("PERSON", "张伟"), ("CN_BANK_ACCOUNT", ACCOUNT), ("PERSON", "李娜"),
                              ("CN_BANK_CARD", "6228480402564890018")]


@pytest.mark.parametrize("text, expected", [
    pytest.param("<TxnAmt>13912345670</TxnAmt>", [], id="esb-amount"),
    pytest.param(f"sjhm={MOBILE}&jyje=13912345670", [("CN_MOBILE_PHONE", MOBILE)], id="pinyin-after-a-mobile"),
    pytest.param('{"ye":"15012345678","ddh":"6222021234567890128"}', [], id="balance-order-no"),
    pytest.param(f"balanceNotifyMobile={MOBILE}", [("CN_MOBILE_PHONE", MOBILE)], id="a-mobiles-key"),
])
def test_a_fields_own_key_that_names_an_amount_or_an_order_outweighs_the_shape(text, expected):
    """A field's key is read as a column's name: an amount in fen with a mobile number's shape
    under `jyje` or `<TxnAmt>`, a card's shape under `ddh`, was reported, as under such a column
    it was not."""
    assert found(text) == expected
