"""Authentication data kept in a form that is not plain: encrypted CVNs and track data, PIN
blocks and biometric templates, which PCI DSS 3.3 and JR/T 0171-2020 forbid keeping however
stored. Found under a key or column that names them (a BLOB's bytes too), masked so that no
character of the value shows, and nothing reported where the key names something else (a trace
id, a certificate's or a device's fingerprint)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from click.testing import CliRunner

from pii_audit.cli import cli
from pii_audit.detector import Detector
from pii_audit.models import Chunk
from pii_audit.sources import ScanOptions, TargetCoverage
from pii_audit.sources.databases import read_database
from recognizers import build_analyzer, fingerprint
from scan_helpers import detector_for

HEX16 = "9F3A0C7B1D2E4F68"
HEX32 = "8E1F0A2B3C4D5E6F708192A3B4C5D6E7"
BASE64 = "q8Zt3Yw1Lk0Pn5Rb2sXc7A=="
ENC = "ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)"
TEMPLATE_B64 = "Rk1SACAyMAAAAAFiAAABQAHgAMUAxQEAAABkJ0CNAC9oAEB+ADRwAEDQAD9eAECmAEZrAEB0AElwAA8zAEtoAA=="
TEMPLATE_HEX = "3f1a9c0e7b2d4f68a1c3e5079b2d4f6813579bdf02468ace1122334455667788"
EMBEDDING = "[" + ", ".join(f"{(n * 37 % 200 - 100) / 1000:.4f}" for n in range(128)) + "]"
SHA256 = "5d41402abc4b2a76b9719d911017c592ae7d4fa3c1b6e2b5d9f0a8c7e6d5b4a3"
CIPHER, PIN = "***(密文)", "******(PIN块)"


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer()


def detected(text, context=()):
    """Return ``(entity, stored text, mask)`` of what the detector reports in a line or, with
    ``context``, a cell under that column: through its screen, as a scan runs it."""
    chunk = Chunk(text, {"path": "app.log"}, "app.log", tuple(context))
    return [(o.entity_type, text[o.location["start"]:o.location["end"]], o.masked)
            for o in detector_for(bytes(32)).detect_chunk(chunk)]


@pytest.mark.parametrize("text,value,entity,mask", [
    (f"auth req cvv2_enc={HEX16}, termId=10000001", HEX16, "CARD_CVN", CIPHER),
    (f'{{"encCvn2":"{BASE64}","amt":"100.00"}}', BASE64, "CARD_CVN", CIPHER),
    (f"cvn2_cipher={ENC}", ENC, "CARD_CVN", CIPHER),
    (f"<cvv2Enc>{HEX32}</cvv2Enc>", HEX32, "CARD_CVN", CIPHER),
    (f"安全码密文：{HEX16}", HEX16, "CARD_CVN", CIPHER),
    (f"POS 报文 track2_data={HEX32} 终端号 10000001", HEX32, "CARD_TRACK_DATA", CIPHER),
    (f'{{"cdxx":"{BASE64}"}}', BASE64, "CARD_TRACK_DATA", CIPHER),
    (f"encTrack2: {HEX32} ", HEX32, "CARD_TRACK_DATA", CIPHER),
    (f"磁道信息密文：{HEX32}", HEX32, "CARD_TRACK_DATA", CIPHER),
    (f"交易 pinBlock={HEX16}&termId=10000001", HEX16, "AUTH_PASSWORD", PIN),
    (f"pin_block: {HEX16} ", HEX16, "AUTH_PASSWORD", PIN),
    (f'{{"pinblk":"{HEX16}"}}', HEX16, "AUTH_PASSWORD", PIN),
    (f"PIN密文：{HEX16}", HEX16, "AUTH_PASSWORD", PIN),
    (f"encPinBlock={HEX32}, ", HEX32, "AUTH_PASSWORD", PIN),  # ISO 9564 format 4, under AES
    (f"face_feature={TEMPLATE_B64}, ", TEMPLATE_B64, "BIOMETRIC_TEMPLATE", "[特征数据 64 字节]"),
    (f'{{"faceTemplate":"{TEMPLATE_HEX}"}}', TEMPLATE_HEX, "BIOMETRIC_TEMPLATE", "[特征数据 32 字节]"),
    (f'{{"finger_template":{EMBEDDING}}}', EMBEDDING, "BIOMETRIC_TEMPLATE", "[特征向量 128 维]"),
    (f"zwtz={TEMPLATE_HEX} ", TEMPLATE_HEX, "BIOMETRIC_TEMPLATE", "[特征数据 32 字节]"),
    (f"<rlsbtz>{TEMPLATE_B64}</rlsbtz>", TEMPLATE_B64, "BIOMETRIC_TEMPLATE", "[特征数据 64 字节]"),
    (f"人脸特征值：{EMBEDDING}", EMBEDDING, "BIOMETRIC_TEMPLATE", "[特征向量 128 维]"),
    (f"指纹模板 {TEMPLATE_B64}", TEMPLATE_B64, "BIOMETRIC_TEMPLATE", "[特征数据 64 字节]"),
    (f"声纹特征={TEMPLATE_HEX}", TEMPLATE_HEX, "BIOMETRIC_TEMPLATE", "[特征数据 32 字节]"),
])
def test_a_value_kept_encrypted_or_as_a_template_after_its_key(text, value, entity, mask, analyzer):
    assert detected(text) == [(entity, value, mask)]
    presidio = analyzer.analyze(text, language="zh", score_threshold=0.5)
    assert [(r.entity_type, text[r.start:r.end]) for r in presidio] == [(entity, value)]


@pytest.mark.parametrize("text", [
    "cvv2_enc=${CVV2_CIPHER}, cvn2_cipher=, cvv2Enc=null",
    "cvv2_enc=FFFFFFFFFFFFFFFF cvv2_enc=0123456789ABCDEF cvv2_enc=ENC()",
    "cvv2Result=000 cvvFlag=1 cvv2_enc_flag=1 isCvvEncrypted=true",
    f"traceId={HEX16} sessionId={HEX16} spanId={HEX16} requestId={HEX32}",
    f"trackingNo={HEX32} track_status=SHIPPED trackNo={HEX16}",
    f"pinBlockFormat=ISO0 pinBlock={HEX16}00 pinBlock=0000000000000000",
    f"device_fingerprint={SHA256} cert_fingerprint={SHA256} sha256_fingerprint={SHA256}",
    f"fingerprint={SHA256} fingerprint={TEMPLATE_B64}",
    f"feature_vector={EMBEDDING} embedding={TEMPLATE_B64}",  # whose: a model's, a product's
    f"face_feature={BASE64} face_feature=[{', '.join(['0.0'] * 128)}] faceTemplate={'0' * 64}",
    "faceFeatureVersion=3 face_feature_count=128 人脸特征比对结果：通过",
])
def test_nothing_where_the_key_names_something_else_or_the_value_is_no_ciphertext(text):
    """Only the one ciphertext under a CVN's key at the end of the line is reported."""
    line = f"{text} cvv2_enc={HEX16}"
    assert detected(line) == [("CARD_CVN", HEX16, CIPHER)]


def test_a_card_number_under_a_tracks_key_is_a_card_not_an_encrypted_track():
    assert detected(f"track2_data=6222021234567890128 track2_data={HEX32}") == [
        ("CN_BANK_CARD", "6222021234567890128", "622202*********0128"), ("CARD_TRACK_DATA", HEX32, CIPHER)]


@pytest.mark.parametrize("value,column,entity,mask", [
    (HEX16, "cvv2_enc", "CARD_CVN", CIPHER),
    (BASE64, "encCvn2", "CARD_CVN", CIPHER),
    (ENC, "安全码密文", "CARD_CVN", CIPHER),
    (HEX32, "track2_data", "CARD_TRACK_DATA", CIPHER),
    (HEX32, "CDXX", "CARD_TRACK_DATA", CIPHER),
    (HEX16, "pin_block", "AUTH_PASSWORD", PIN),
    (TEMPLATE_B64, "face_feature", "BIOMETRIC_TEMPLATE", "[特征数据 64 字节]"),
    (EMBEDDING[1:-1], "人脸特征值", "BIOMETRIC_TEMPLATE", "[特征向量 128 维]"),
    (TEMPLATE_HEX, "指纹模板", "BIOMETRIC_TEMPLATE", "[特征数据 32 字节]"),
])
def test_a_cell_under_a_column_that_names_it(value, column, entity, mask):
    assert detected(value, [column]) == [(entity, value, mask)]
    assert detected(value, ["remark"]) == []


@pytest.mark.parametrize("value,column,named,entity", [
    (HEX32, "track_no", "track2", "CARD_TRACK_DATA"), (HEX32, "trace_id", "cdxx", "CARD_TRACK_DATA"),
    (SHA256, "device_fingerprint", "fingerprint_template", "BIOMETRIC_TEMPLATE"),
    (SHA256, "cert_fingerprint", "zwtz", "BIOMETRIC_TEMPLATE"),
    (SHA256, "fingerprint", "fingerprintFeature", "BIOMETRIC_TEMPLATE"),
    (TEMPLATE_B64, "feature_vector", "face_vector", "BIOMETRIC_TEMPLATE"),
    (HEX16, "cvv2_result", "cvv2_cipher", "CARD_CVN"), (HEX16, "session_id", "pin_blk", "AUTH_PASSWORD"),
])
def test_no_cell_where_the_column_names_something_else(value, column, named, entity):
    """The value is reported under the column that names it, and not under the look-alike."""
    assert [found[0] for found in detected(value, [named])] == [entity]
    assert detected(value, [column]) == []


def test_no_cell_where_the_value_is_no_ciphertext():
    assert [detected(value, ["cvv2_enc"]) for value in ("N/A", "null", "0" * 16, HEX16)] == [
        [], [], [], [("CARD_CVN", HEX16, CIPHER)]]


def test_the_fingerprint_is_of_the_value_as_stored():
    """One ciphertext logged as upper-case hex and as lower-case hex, and dumped as mysqldump
    --hex-blob and pg_dump write a BLOB, shares one fingerprint: that of its hex digits; base64
    is fingerprinted as it is."""
    lines = (f"cvv2_enc={HEX16} encCvv2={HEX16.lower()} cvn2_cipher={BASE64}\n"
             f"INSERT INTO `t_card` (`id`, `cvv2_enc`) VALUES (1, 0x{HEX16}), (2, X'{HEX16}');\n"
             f"COPY public.t_card (id, cvv2_enc) FROM stdin;\n3\t\\\\x{HEX16.lower()}\n\\.\n")
    chunk = Chunk(lines, {"path": "a.sql", "line": 1}, "a.sql", multiline=True)
    found = [(o.entity_type, o.masked, o.fingerprint) for o in detector_for(bytes(32)).detect_chunk(chunk)]
    hexed = ("CARD_CVN", CIPHER, fingerprint("CARD_CVN", HEX16.lower(), bytes(32)))
    assert found == [hexed, hexed, ("CARD_CVN", CIPHER, fingerprint("CARD_CVN", BASE64, bytes(32))),
                     hexed, hexed, hexed]


def _blob_rows(rng: random.Random) -> list[tuple]:
    """Rows of a card table that keeps authentication data as bytes: an encrypted CVN, an
    encrypted track, a PIN block, a face template, and a photo and a device fingerprint that are none."""
    return [(n, rng.randbytes(16), rng.randbytes(48), rng.randbytes(8), rng.randbytes(512),
             rng.randbytes(300), rng.randbytes(32)) for n in range(1, 6)]


COLUMNS = ("id", "cvv2_enc", "track2_enc", "pin_block", "face_feature", "attachment", "device_fingerprint")
EXPECTED = {("CARD_CVN", CIPHER), ("CARD_TRACK_DATA", CIPHER), ("AUTH_PASSWORD", PIN),
            ("BIOMETRIC_TEMPLATE", "[特征数据 512 字节]")}


def _leaked(rows: list[tuple], data: bytes) -> list[str]:
    """Return the columns of which some value's bytes, hex or base64 appear in ``data``."""
    import base64
    found = set()
    for row in rows:
        for name, value in zip(COLUMNS[1:], row[1:]):
            forms = (value, value.hex().encode(), value.hex().upper().encode(), base64.b64encode(value))
            if any(form in data for form in forms):
                found.add(name)
    return sorted(found)


def test_blobs_in_sqlite_are_reported_and_their_bytes_written_nowhere(tmp_path, key):
    """A BLOB under a column that names authentication data is reported masked; under any other
    column it is counted as binary data not read, as before. Through the CLI's JSONL, the ledger
    and the HTML report, none of the bytes is written, as bytes, hex or base64."""
    rows = _blob_rows(random.Random(7))
    path = tmp_path / "cards.db"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE wt_secrets_cards (id INTEGER PRIMARY KEY, cvv2_enc BLOB, track2_enc BLOB, "
                   "pin_block BLOB, face_feature BLOB, attachment BLOB, device_fingerprint BLOB)")
        db.executemany("INSERT INTO wt_secrets_cards VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    jsonl, ledger, html = tmp_path / "found.jsonl", f"sqlite:///{tmp_path}/ledger.db", tmp_path / "report.html"
    env = {"PII_AUDIT_KEY": key.hex()}
    scan = CliRunner().invoke(cli, ["scan", str(path), "--full", "--jobs", "1", "--quiet", "--jsonl", str(jsonl),
                                    "--ledger", ledger], env=env)
    assert scan.exit_code == 1, scan.output
    report = CliRunner().invoke(cli, ["report", "--format", "html", "--out", str(html), "--ledger", ledger], env=env)
    assert report.exit_code == 0, report.output
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert {(line["entity_type"], line["masked"]) for line in lines} == EXPECTED
    assert {line["location"]["column"] for line in lines} == {"cvv2_enc", "track2_enc", "pin_block", "face_feature"}
    assert len(lines) == 4 * len(rows)
    # A BLOB's fingerprint is that of its bytes' hex: the same ciphertext in a log line matches it.
    assert {line["fingerprint"] for line in lines if line["location"]["column"] == "cvv2_enc"} == \
        {fingerprint("CARD_CVN", row[1].hex(), key) for row in rows}
    html_text = html.read_text(encoding="utf-8")
    assert "生物识别特征" in html_text and "***(密文)" in html_text
    written = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and p.name != "cards.db")
    assert _leaked(rows, written + scan.output.encode() + report.output.encode()) == []


@pytest.fixture(params=[pytest.param("PII_AUDIT_TEST_POSTGRES_URL", marks=pytest.mark.postgres, id="postgresql"),
                        pytest.param("PII_AUDIT_TEST_MARIADB_URL", marks=pytest.mark.mariadb, id="mariadb")])
def server(request):
    from test_sources_databases_servers import scratch_on
    with scratch_on(request.param) as made:
        yield made


def test_blobs_on_postgresql_and_mariadb_are_reported_and_their_bytes_go_nowhere(server, key):
    """BYTEA on PostgreSQL, VARBINARY and BLOB on MariaDB: the same findings as SQLite's."""
    from test_sources_databases import output_bytes
    rows = _blob_rows(random.Random(11))
    blob = sa.LargeBinary().with_variant(mysql.BLOB(), "mysql", "mariadb")
    short = sa.LargeBinary().with_variant(mysql.VARBINARY(64), "mysql", "mariadb")
    meta = sa.MetaData(schema=server.schema)
    table = sa.Table("wt_secrets_cards", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                     *(sa.Column(name, short if name in ("cvv2_enc", "pin_block") else blob) for name in COLUMNS[1:]))
    with server.admin.begin() as connection:
        meta.create_all(connection)
        connection.execute(table.insert(), [dict(zip(COLUMNS, row)) for row in rows])
    coverage = TargetCoverage(str(server.url))
    occurrences = list(Detector(key).detect(read_database(server.url, ScanOptions(schemas=(server.schema,),
                                                                                   sample_rows=None), coverage)))
    assert {(o.entity_type, o.masked) for o in occurrences} == EXPECTED and len(occurrences) == 4 * len(rows)
    assert [p.reason for p in coverage.problems] == []
    # Random bytes under another column are counted as binary data, or read as text when they
    # decode as such (files.sniff): never hex.
    assert [p.where for p in coverage.notices if not p.where.endswith(COLUMNS[-2:])] == []
    assert _leaked(rows, output_bytes(occurrences, coverage)) == []
