"""Card numbers and track data inside ISO 8583 messages, as a POS or ATM front end logs them: in
hex on one line, as ASCII text, in hex dumps of several layouts, in a table's column
(``pii_audit.iso8583``). Each is reported as the same card in plain text is, located over the
digits that hold it. Values are synthetic, check digits right."""

from __future__ import annotations

import csv
import random
import sqlite3

import pytest
from stdnum import luhn

from scan_helpers import scanned_jsonl

KEY = "ef" * 32
TPDU = "6000030000"


def card(rng: random.Random, length: int = 16) -> str:
    """Return a synthetic card number of a Chinese issuer (UnionPay 622202, ICBC's Visa 436742)."""
    body = rng.choice(["622202", "621700", "436742"]) + "".join(str(rng.randint(0, 9)) for _ in range(length - 7))
    return body + luhn.calc_check_digit(body)


def bcd_field(digits: str) -> str:
    """Return an LLVAR numeric field in packed BCD, written in hex: its length, its digits padded to whole bytes."""
    return f"{len(digits):02d}" + digits + ("0" if len(digits) % 2 else "")


def message(pan: str, mti: str = "0200", bitmap: str = "7020048000C00000") -> str:
    """Return a purchase request in hex: MTI, a bitmap with field 2, fields 2, 3, 4, 11, 22, 25, 41, 42."""
    return (mti + bitmap + bcd_field(pan) + "000000" + "000000010000" + "000123" + "0210" + "00"
            + "3132333435363738" + "313233343536373839303132333435")


def dump(hex_digits: str, layout: str) -> list[str]:
    """Return the bytes as a front end's dump: ``colon`` (``0000: 60 00 …  text``), ``hexdump``
    (``hexdump -C``), ``jpos`` (jPOS's ``ISOUtil.hexdump``: two groups of eight) or ``logged``
    (``colon``'s rows each logged on its own, behind the log's time, level and thread)."""
    data = bytes.fromhex(hex_digits)
    lines = []
    for offset in range(0, len(data), 16):
        row = data[offset:offset + 16]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        pairs = [f"{b:02X}" for b in row]
        if layout in ("colon", "logged"):
            prefix = f"2024-06-01 10:00:03.{offset:03d} DEBUG [POSP-2] " if layout == "logged" else ""
            lines.append(f"{prefix}{offset:04X}: {' '.join(pairs):<47}  {text}")
        elif layout == "hexdump":
            halves = " ".join(pairs[:8]) + "  " + " ".join(pairs[8:])
            lines.append(f"{offset:08x}  {halves.lower():<48}  |{text}|")
        else:
            halves = " ".join(pairs[:8]) + "  " + " ".join(pairs[8:])
            lines.append(f"{offset:04X}  {halves:<48}  {text}")
    return lines


def scanned(tmp_path, lines: list[str], name: str = "posp.log") -> tuple[list[dict], str]:
    """Scan a log of ``lines`` with ``pii-audit scan``; return its JSONL records and the output."""
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return scanned_jsonl(tmp_path, path, KEY)


def spans(records: list[dict], lines: list[str]) -> list[tuple[str, int, str]]:
    """Return (entity, line number, the text its location spans) of each record."""
    return [(r["entity_type"], r["location"]["line"],
             lines[r["location"]["line"] - 1][r["location"]["start"]:r["location"]["end"]]) for r in records]


def test_a_card_in_a_message_logged_in_hex_is_found_over_its_digits(tmp_path):
    rng = random.Random(1)
    pan = card(rng)
    lines = ["2024-06-01 10:00:01.120 INFO [POSP-3] connect 10.1.2.3:5000",
             f"2024-06-01 10:00:01.123 INFO [POSP-3] send len=77 hex={TPDU}{message(pan)}",
             f"2024-06-01 10:00:01.125 DEBUG [POSP-3] send hex={TPDU}{message(pan).lower()}"]
    records, output = scanned(tmp_path, lines)
    assert spans(records, lines) == [("CN_BANK_CARD", 2, pan), ("CN_BANK_CARD", 3, pan)]
    assert {r["masked"] for r in records} == {pan[:6] + "*" * 6 + pan[-4:]}
    assert len({r["fingerprint"] for r in records}) == 1
    text = (tmp_path / "found.jsonl").read_text("utf-8") + output
    assert pan not in text


def test_ascii_messages_secondary_bitmaps_and_19_digit_cards(tmp_path):
    """An ATM's ASCII message as text and as its bytes' hex digits; a response with a 16-digit card."""
    rng = random.Random(2)
    short, long = card(rng), card(rng, 19)
    # An ASCII message as text: its lengths are ASCII digits, its odd length unpadded; a secondary
    # bitmap (the first hex digit F) before field 2.
    ascii_message = "0200" + "F23C448108E08000" + "0000000000000010" + "19" + long + "000000" + "000000010000"
    # The same message as its bytes' hex digits, as a front end dumps what it received.
    raw = ascii_message.encode("ascii").hex().upper()
    lines = [f"[ATMP] <<< {ascii_message}",
             f"[POSP] >>> {message(short, mti='0210', bitmap='7220000002C00000')}",
             f"[ATMP] raw={raw}"]
    records, _ = scanned(tmp_path, lines)
    assert spans(records, lines)[:2] == [("CN_BANK_CARD", 1, long), ("CN_BANK_CARD", 2, short)]
    hex_of_card = long.encode("ascii").hex().upper()
    assert spans(records, lines)[2:] == [("CN_BANK_CARD", 3, hex_of_card)]
    assert len({r["fingerprint"] for r in records if r["masked"] == long[:6] + "*" * 9 + long[-4:]}) == 1
    assert len(records) == 3


# A chip card's EMV data as a terminal sends it in field 55 (tag, length, value, in hex): the
# cryptogram, its data, the terminal's results, dates, amounts, the AID.
IC_DATA = ("9F2608A1B2C3D4E5F6A7B89F2701809F101307010103A0A000010A010000000000ABCDEF019F3704C3D4E5F6"
           "9F36020123950500000000009A032406019C01009F02060000000100005F2A02015682027C009F1A020156"
           "9F03060000000000009F330360F8C89F34033F00009F3501229F1E0831323334353637388407A0000003330101")


def test_a_chip_purchase_ending_in_its_ic_data_and_mac_is_read(tmp_path):
    """A chip card's purchase ends with field 55 (its EMV data, letters among its hex digits) and
    field 64 (a MAC): the card in field 2 is found whatever the message's last fields are.
    Before, the screen marked a run for reading only where the 15 digits 35 from its end were
    decimal (a terminal's and a merchant's ids in ASCII, as this file's other messages end): a
    chip purchase logged whole was missed."""
    rng = random.Random(9)
    pan, mac = card(rng), "4B2AF09C1D3E5A77"
    # Fields 2, 3, 4, 11, 22, 25, 41, 42, 55 (LLLVAR, its length in bytes), 64.
    fields = message(pan, bitmap="7020048000C00201") + f"{len(IC_DATA) // 2:04d}" + IC_DATA
    lines = [f"2024-06-01 10:00:03.001 INFO [POSP-2] send hex={TPDU}{fields}{mac}",
             f"2024-06-01 10:00:03.002 INFO [POSP-2] send hex={TPDU}{fields}0013220000010005{mac[:8]}"]
    records, output = scanned(tmp_path, lines)
    assert spans(records, lines) == [("CN_BANK_CARD", 1, pan), ("CN_BANK_CARD", 2, pan)]
    assert pan not in output and pan not in (tmp_path / "found.jsonl").read_text("utf-8")


def test_the_card_number_and_track_in_a_chips_ic_data_are_found(tmp_path):
    """IC data (field 55) holds the card number (EMV tag 5A) and the track 2 equivalent (tag 57):
    a front end that masks field 2 may still log it whole, on its own or inside the message. A
    19-digit number is padded with an F, which is no part of it; a value of the wrong length, a
    bad check digit or a 57 without its separator are not reported."""
    rng = random.Random(11)
    pan, long = card(rng), card(rng, 19)
    track = pan + "D2612" + "201" + "00000123456" + "F"  # 16 + 1 + 7 + 11 + 1 = 36 digits, 18 bytes
    ic_data = IC_DATA[:22] + "5A08" + pan + "5F340101" + "5712" + track + IC_DATA[22:]
    bad = pan[:-1] + str((int(pan[-1]) + 1) % 10)
    lines = [f"2024-06-01 10:00:04.001 INFO [POSP-2] F2=622202******{pan[-4:]} F55={ic_data}",
             f"2024-06-01 10:00:04.002 INFO [POSP-2] icData={IC_DATA[:22]}5A0A{long}F5F3401019F360201239505",
             f"2024-06-01 10:00:04.003 INFO [POSP-2] icData={IC_DATA[:22]}5A08{bad}5F34010157129999{pan}5F3401",
             f"2024-06-01 10:00:04.004 INFO [POSP-2] icData={IC_DATA[:22]}5A09{pan}5F34010157127777{pan}5F3401"]
    records, output = scanned(tmp_path, lines)
    found = [item for item in spans(records, lines) if "*" not in item[2]]  # the masked field 2: a masked value seen
    assert found == [("CN_BANK_CARD", 1, pan), ("CARD_TRACK_DATA", 1, track), ("CN_BANK_CARD", 2, long)]
    assert pan not in output and long not in (tmp_path / "found.jsonl").read_text("utf-8")


def test_track_2_in_a_message_is_reported_as_track_data(tmp_path):
    rng = random.Random(3)
    pan = card(rng)
    track = pan + "D" + "2612" + "201" + "0000012345678"  # 37 characters
    assert len(track) == 37
    # No field 2 (the bitmap's bit 2 clear): field 35 after 3, 4, 11, 22, 25.
    hex_message = "0200" + "3020058020C00000" + "000000" + "000000010000" + "000123" + "0210" + "00" + "37" + track + "F"
    lines = [f"2024-06-01 10:00:02 INFO [POSP-1] send hex={TPDU}{hex_message}"]
    records, output = scanned(tmp_path, lines)
    assert spans(records, lines) == [("CARD_TRACK_DATA", 1, track)]
    assert records[0]["masked"].startswith(pan[:6] + "*")
    assert pan not in output and pan not in (tmp_path / "found.jsonl").read_text("utf-8")


@pytest.mark.parametrize("layout", ["colon", "hexdump", "jpos", "logged"])
def test_a_card_in_a_hex_dump_is_found_on_the_line_where_it_begins(tmp_path, layout):
    rng = random.Random(4)
    pan = card(rng)
    dumped = dump(TPDU + message(pan), layout)
    lines = ["2024-06-01 10:00:03.001 DEBUG [POSP-2] send 77 bytes:", *dumped,
             "2024-06-01 10:00:03.002 DEBUG [POSP-2] sent"]
    records, output = scanned(tmp_path, lines)
    # Field 2 begins in the second row of the dump (byte 18, after TPDU, MTI, bitmap and its length).
    assert len(records) == 1 and records[0]["entity_type"] == "CN_BANK_CARD"
    where = records[0]["location"]
    row = lines[where["line"] - 1]
    assert where["line"] == 3
    covered = row[where["start"]:where["end"]].replace(" ", "").upper()
    assert covered == pan  # its eight bytes all on that row
    assert pan not in output


def test_an_ascii_message_in_a_dump_cut_by_a_row_is_located_on_its_first_row(tmp_path):
    rng = random.Random(5)
    pan = card(rng)
    ascii_message = "0200" + "7020048000C00000" + "16" + pan + "000000" + "000000010000"
    lines = dump(ascii_message.encode("ascii").hex(), "jpos")
    records, _ = scanned(tmp_path, lines)
    assert len(records) == 1
    where = records[0]["location"]
    assert where["line"] == 2  # bytes 16-31: "0000" of the bitmap, "16", then the card's first ten digits
    covered = bytes.fromhex(lines[1][where["start"]:where["end"]].replace(" ", "")).decode("ascii")
    assert covered == pan[:10]


def test_look_alikes_are_not_reported(tmp_path):
    rng = random.Random(6)
    pan = card(rng)
    wrong_check = pan[:-1] + str((int(pan[-1]) + 1) % 10)
    lines = [
        # A message whose card fails Luhn; one whose bitmap says no field 2 (the digits after "16"
        # are field 3 onwards); a card field's length that does not match the digits after it.
        f"send hex={message(wrong_check)}",
        f"send hex=0200" + "3020048000C00000" + "16" + pan + "000000",
        f"send hex=0200" + "7020048000C00000" + "19" + pan + "00",
        # A SHA-256, an order number of digits only, a trace id.
        "sha256=4f2a9c0e7b1d3a5f6e8c0b2d4f6a8c0e1b3d5f7a9c0e2b4d6f8a0c2e4b6d8f0a",
        "orderNo=20240601103015000123456789012345678901",
        "traceId=0af7651916cd43dd8448eb211c80319c",
        *dump(bytes(rng.getrandbits(8) for _ in range(96)).hex(), "colon"),
    ]
    records, _ = scanned(tmp_path, lines)
    assert records == []


def test_a_message_in_a_table_column_and_a_csv_cell(tmp_path):
    rng = random.Random(7)
    pan, other = card(rng), card(rng)
    database = tmp_path / "posp.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE t_msg_log (id INTEGER PRIMARY KEY, msg_hex TEXT)")
        connection.execute("INSERT INTO t_msg_log VALUES (1, ?), (2, ?)", (TPDU + message(pan), "0800822000000000"))
    records, _ = scanned_jsonl(tmp_path, database, KEY)
    assert [(r["location"]["row"], r["masked"]) for r in records] == [({"id": 1}, pan[:6] + "******" + pan[-4:])]
    value = TPDU + message(pan)
    assert (records[0]["location"]["start"], records[0]["location"]["end"]) == (value.index(pan), value.index(pan) + 16)
    sheet = tmp_path / "msg.csv"
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["时间", "报文"], ["10:00:01", message(other)]])
    records, _ = scanned_jsonl(tmp_path, sheet, KEY)
    assert [(r["location"]["cell"], r["masked"]) for r in records] == [("B2", other[:6] + "******" + other[-4:])]


def test_messages_are_read_where_nothing_is_screened():
    """Below the reporting threshold (audit.toml's ``min_score``) the detector screens nothing and
    reads every line: a message and a dump are still read for their card fields."""
    from pii_audit.detector import Detector
    from pii_audit.models import Chunk

    rng = random.Random(8)
    pan = card(rng)
    lines = [f"send hex={TPDU}{message(pan)}", *dump(TPDU + message(pan), "colon")]
    chunk = Chunk("\n".join(lines) + "\n", {"path": "posp.log", "line": 1}, "posp.log", multiline=True)
    found = [o for o in Detector(bytes.fromhex(KEY), min_score=0.3).detect([chunk]) if o.entity_type == "CN_BANK_CARD"]
    assert [(o.location["line"], o.masked) for o in found] == [(1, pan[:6] + "******" + pan[-4:]), (3, pan[:6] + "******" + pan[-4:])]


@pytest.mark.parametrize("cut", ["block", "range"])
def test_a_dump_cut_by_a_block_or_a_range_is_read_whole(tmp_path, monkeypatch, cut):
    """A file is read a block at a time and a large one in ranges, each cut after a line: a cut
    inside a dump, before its card field, lost the card (the message's type and bitmap in one
    block, its field 2 in the next)."""
    from pii_audit.sources import files

    monkeypatch.setattr(files, "BLOCK" if cut == "block" else "SPLIT_BYTES", 4096)
    rng = random.Random(9)
    lines, pans, card_lines = [], [], []
    for number in range(200):
        pans.append(card(rng))
        lines.append(f"2024-06-01 10:00:{number % 60:02d}.001 DEBUG [POSP-2] send 77 bytes:")
        card_lines.append(len(lines) + 2)  # field 2 begins on the dump's second row
        lines += dump(TPDU + message(pans[-1]), rng.choice(["colon", "hexdump", "jpos", "logged"]))
    records, output = scanned(tmp_path, lines)
    assert sum(len(line) + 1 for line in lines) > 12 * 4096  # cut a dozen times at least
    assert sorted(record["location"]["line"] for record in records) == card_lines
    assert all(pan not in output for pan in pans)
