"""Personal information inside base64: a JWT's payload, a request body a gateway logs encoded,
a JSON document stored encoded in a table's column (``pii_audit.escapes``). Base64 is an
encoding, not a protection: such values are reported as the same values in plain text are,
located over the base64 characters that encode them. Values are synthetic, check digits right."""

from __future__ import annotations

import base64
import csv
import gzip
import json
import random
import sqlite3

import pytest

from scan_helpers import scan_one, scanned_jsonl
from tests_corpus import card, mobile, resident_id

KEY = "cd" * 32


def encoded(document, url_safe: bool = True, ensure_ascii: bool = False) -> str:
    """Return a JSON document base64-encoded as a JWT's segment (URL-safe, unpadded) or as a body."""
    data = json.dumps(document, ensure_ascii=ensure_ascii).encode("utf-8")
    return base64.urlsafe_b64encode(data).decode().rstrip("=") if url_safe else base64.b64encode(data).decode()


def jwt(claims: dict) -> str:
    """Return a JWT (HS256 header, the claims as PyJWT writes them, escaped ASCII; a made-up signature)."""
    header = encoded({"alg": "HS256", "typ": "JWT"})
    return f"{header}.{encoded(claims, ensure_ascii=True)}.{base64.urlsafe_b64encode(bytes(32)).decode().rstrip('=')}"


def scanned(tmp_path, lines: list[str], name: str = "gateway.log") -> tuple[list[dict], str]:
    """Scan a log of ``lines`` with ``pii-audit scan``; return its JSONL records and the output."""
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return scanned_jsonl(tmp_path, path, KEY)


def test_a_jwt_payload_is_read_decoded_and_located_over_its_base64(tmp_path):
    rng = random.Random(1)
    rid, phone = resident_id(rng), mobile(rng)
    token = jwt({"sub": "u1001", "name": "孙丽华", "idNo": rid, "mobile": phone, "exp": 1780000000})
    line = f"2024-06-01 12:00:00 INFO [gw] GET /api/acct Authorization: Bearer {token} 200"
    records, output = scanned(tmp_path, ["2024-06-01 12:00:00 INFO [gw] start", line])
    found = {r["entity_type"]: r for r in records}
    assert set(found) == {"CN_RESIDENT_ID", "CN_MOBILE_PHONE", "PERSON"}
    payload = token.split(".")[1]
    first, last = line.index(payload), line.index(payload) + len(payload)
    for record in found.values():
        where = record["location"]
        assert where["line"] == 2 and first <= where["start"] < where["end"] <= last
    # Each value is placed over the base64 characters that encode it: decoded again, they hold it.
    where = found["CN_MOBILE_PHONE"]["location"]
    start = where["start"] - (where["start"] - first) % 4
    piece = line[start:where["end"] + (-(where["end"] - start)) % 4]
    assert phone.encode() in base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4))
    assert found["CN_MOBILE_PHONE"]["masked"] == phone[:3] + "****" + phone[-4:]
    assert found["PERSON"]["masked"].startswith("孙")
    written = json.dumps(records, ensure_ascii=False) + output
    assert not any(value in written for value in (rid, phone, "孙丽华", payload))


def test_a_value_encoded_and_in_plain_text_is_one_distinct_value(tmp_path):
    phone = mobile(random.Random(2))
    body = encoded({"mobile": phone, "channel": "APP"}, url_safe=False)
    records, output = scanned(tmp_path, [f"INFO 注册 手机号 {phone}", f"DEBUG request body={body}"])
    assert [(r["entity_type"], r["location"]["line"]) for r in records] == [
        ("CN_MOBILE_PHONE", 1), ("CN_MOBILE_PHONE", 2)]
    assert records[0]["fingerprint"] == records[1]["fingerprint"]
    assert "2 occurrence(s), 1 distinct" in output


def test_a_pretty_printed_body_keeps_the_lines_after_it_in_place(tmp_path):
    """Its line breaks are read as spaces: the block's lines are not shifted."""
    rng = random.Random(3)
    rid, other = resident_id(rng), resident_id(rng)
    body = base64.b64encode(json.dumps({"custName": "王建国", "certNo": rid}, indent=2,
                                       ensure_ascii=False).encode()).decode()
    records, _ = scanned(tmp_path, [f"req={body}", "INFO ok", f"INFO 开户 身份证号 {other}"])
    assert sorted((r["entity_type"], r["location"]["line"]) for r in records) == [
        ("CN_RESIDENT_ID", 1), ("CN_RESIDENT_ID", 3), ("PERSON", 1)]


@pytest.mark.parametrize("look_alike", [
    pytest.param(lambda rng: "".join(rng.choice("0123456789abcdef") for _ in range(32)), id="hex-trace-id"),
    pytest.param(lambda rng: "eyJ" + base64.b64encode(rng.randbytes(45)).decode(), id="bytes-after-eyJ"),
    pytest.param(lambda rng: base64.b64encode(rng.randbytes(48)).decode(), id="random-token"),
    pytest.param(lambda rng: encoded({"orderNo": "20240601" + "".join(rng.choice("0123456789") for _ in range(10)),
                                      "amount": "13812345.67"}), id="json-without-personal-values"),
])
def test_tokens_and_bytes_are_not_decoded_into_findings(tmp_path, look_alike):
    rng = random.Random(4)
    records, _ = scanned(tmp_path, [f"INFO traceId={look_alike(rng)} token={look_alike(rng)}" for _ in range(50)])
    assert records == []


def test_a_column_holding_encoded_json_is_read_decoded(tmp_path):
    """A table's ``ext_info`` column holding each customer's details as base64 JSON is read as the
    same column holding them as JSON is (well-known test cards, 4111…, are reported in neither);
    and so is a CSV export of it."""
    rng = random.Random(5)
    values = [card(rng) for _ in range(20)]
    found = {}
    for form in ("json", "base64"):
        database = tmp_path / f"{form}.db"
        with sqlite3.connect(database) as connection:
            connection.execute("CREATE TABLE t_cust (id INTEGER PRIMARY KEY, ext_info TEXT)")
            connection.executemany("INSERT INTO t_cust (ext_info) VALUES (?)", [
                (json.dumps(details, ensure_ascii=False) if form == "json" else encoded(details, url_safe=False),)
                for details in ({"cardNo": value, "level": "金卡"} for value in values)])
        connection.close()
        result = scan_one(database, bytes(32), sample_rows=None)
        found[form] = result.findings[("t_cust.ext_info", "CN_BANK_CARD")].occurrences
    assert found["base64"] == found["json"] > 10
    export = tmp_path / "cust.csv"
    with open(export, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "ext_info"]] + [[n, encoded({"cardNo": v})] for n, v in enumerate(values)])
    in_export = scan_one(export, bytes(32)).findings
    assert sum(f.occurrences for (_, entity), f in in_export.items() if entity == "CN_BANK_CARD") == found["json"]


def test_a_line_with_values_in_plain_text_and_in_base64_reports_both(tmp_path):
    """The recognizers the line wakes as stored and those its decoded runs wake are all run."""
    rng = random.Random(6)
    phone, rid = mobile(rng), resident_id(rng)
    records, _ = scanned(tmp_path, [f"INFO 开户 手机号={phone} ext={encoded({'certNo': rid}, url_safe=False)}",
                                    "INFO ok " + encoded({"sub": "u1001", "roles": ["admin"]})])
    assert sorted((r["entity_type"], r["location"]["line"]) for r in records) == [
        ("CN_MOBILE_PHONE", 1), ("CN_RESIDENT_ID", 1)]


def test_an_esb_message_in_gbk_logged_as_base64_is_read_in_its_declared_encoding(tmp_path):
    """A service bus's XML in GBK (its declaration says so), logged base64-encoded: read as GB18030."""
    rng = random.Random(7)
    rid = resident_id(rng)
    message = (f'<?xml version="1.0" encoding="GBK"?><Body><CustNm>欧阳娜娜</CustNm><IdNo>{rid}</IdNo>'
               '<Addr>浙江省杭州市西湖区文三路90号</Addr></Body>').encode("gbk")
    records, _ = scanned(tmp_path, [f"DEBUG ESB recv msg={base64.b64encode(message).decode()}"])
    found = {r["entity_type"]: r for r in records}
    assert {"PERSON", "CN_RESIDENT_ID", "CN_ADDRESS"} <= set(found)
    assert found["PERSON"]["masked"].startswith("欧阳")


def test_a_body_gzipped_then_encoded_is_inflated_and_located_over_its_whole_run(tmp_path):
    """``H4sI…``: a message queue's body compressed, then encoded. Its bytes have no place in the
    run once inflated: every value is located over the whole run."""
    rng = random.Random(8)
    rid, phone = resident_id(rng), f"139{rng.randrange(10**8):08d}"
    body = base64.b64encode(gzip.compress(json.dumps(
        {"custName": "李秀英", "idNo": rid, "mobile": phone, "remark": "开户"}, ensure_ascii=False).encode())).decode()
    line = f"INFO MQ consume topic=cust.open payload={body} ok"
    records, output = scanned(tmp_path, [line])
    assert {r["entity_type"] for r in records} == {"PERSON", "CN_RESIDENT_ID", "CN_MOBILE_PHONE"}
    assert {(r["location"]["start"], r["location"]["end"]) for r in records} == {
        (line.index(body), line.index(body) + len(body.rstrip("=")))}
    assert not any(value in json.dumps(records, ensure_ascii=False) + output for value in (rid, phone, "李秀英"))


def test_a_gzip_bomb_in_base64_is_inflated_only_so_far(tmp_path):
    """A run of gzipped zeros inflates to at most 20 times its bytes (64 KiB at least), not 20 MB."""
    rid = resident_id(random.Random(9))
    bomb = base64.b64encode(gzip.compress(b'{"idNo":"' + rid.encode() + b'","pad":"' + b' ' * (20 << 20))).decode()
    assert len(bomb) < 200_000
    records, _ = scanned(tmp_path, [f"payload={bomb}"])
    assert [r["entity_type"] for r in records] == ["CN_RESIDENT_ID"]


def test_a_long_escaped_line_keeps_its_places_as_machine_integers():
    """Where each character of a rewritten line stands is kept for the whole line: as Python
    ints, a 1 MiB line of JSON with \\u escapes peaked at 115 MB and one of base64 JSON at 127 MB
    (a plain one 60). A long line's places are arrays of machine integers (66 and 69 MB), and
    they still place each value where it is stored."""
    from array import array

    from pii_audit.escapes import LONG_TEXT, unescape

    body = json.dumps([{"custName": "张伟", "mobile": "13812345678"}] * 6000)  # \u escapes, ~250 KB
    line = "INFO body=" + body + " b64=" + encoded({"name": "李娜"}, url_safe=False)
    assert len(line) > LONG_TEXT
    text, starts, ends = unescape(line)
    assert isinstance(starts, array) and isinstance(ends, array) and len(starts) == len(text)
    last = text.rindex("13812345678")
    assert line[starts[last]:ends[last + 10]] == "13812345678"
    name = text.rindex("李娜")
    assert base64.b64decode(line[line.index(" b64=") + 5:]).decode().find("李娜") > 0 and starts[name] > line.index(" b64=")


def test_a_base64_body_in_a_line_read_in_pieces_is_decoded_whole_or_told(tmp_path, monkeypatch):
    """A line longer than LINE_LIMIT is read in pieces, and base64 is decoded from the start of
    its run only (``eyJ``: ``{"`` encoded): a piece cut inside a body lost every value after the
    cut, silently. A body that began in a piece is carried whole to the next; one longer than a
    piece is decoded in part (after the cut, only from a ``{"`` that falls on a whole base64
    quantum), and the line is a problem line."""
    from pii_audit.sources import files

    monkeypatch.setattr(files, "LINE_LIMIT", 4096)
    monkeypatch.setattr(files, "BLOCK", 4096)
    phones = [f"138{n:08d}" for n in range(12)]
    bodies = [encoded({"custName": "孙丽华", "memo": "正常" * 700, "mobile": phone}, url_safe=False)
              for phone in phones]  # 5,700 characters each, the mobile at the end: more than a piece's last 4,096
    path = tmp_path / "gateway.log"
    path.write_text("start\n" + " ".join(f"req={body}, ok" for body in bodies) + "\n", "utf-8")
    result = scan_one(path, bytes.fromhex(KEY))
    counts = {f.entity_type: f.occurrences for f in result.findings.values()}
    assert counts == {"PERSON": 12, "CN_MOBILE_PHONE": 12} and result.coverage.complete

    longest = encoded({"custName": "孙丽华", "memo": "正常" * 7000, "mobile": phones[0]}, url_safe=False)
    path.write_text("start\n" + f"req={bodies[1]}, big={longest}, ok" + "\n", "utf-8")
    result = scan_one(path, bytes.fromhex(KEY))
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(path), "line 2: a base64 body of over 4,096 characters: decoded in part")]
