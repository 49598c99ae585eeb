"""Synthetic tables for the database source's tests, the same on SQLite, PostgreSQL and MariaDB.

Every value is generated (valid checksums from stdnum); ``Corpus.raw`` lists every raw value
written, so a test can search any output for all of them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import sqlalchemy as sa

from tests_corpus import card, mobile, resident_id

CUSTOMERS = "客户信息"  # a Chinese table name
NO_KEY = "NoKey Table"  # mixed case and a space: must be quoted
HOSTILE = 'x"; DROP TABLE y; --'  # a name that breaks out of naive quoting
ID_KEYED = "id_keyed"  # primary key is itself a resident ID
ROWS = 12


@dataclass
class Corpus:
    """What was written: raw values by (table, column, row key), and every raw value."""

    expected: dict = field(default_factory=dict)  # (table, column, row) -> entity
    raw: set = field(default_factory=set)
    blob_values: set = field(default_factory=set)


PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"  # an image's first bytes: NULs, so binary


def tables(schema: str | None) -> tuple[sa.MetaData, dict[str, sa.Table]]:
    """Return the synthetic tables, in ``schema`` (None: the default one)."""
    meta = sa.MetaData(schema=schema)
    made = {
        CUSTOMERS: sa.Table(
            CUSTOMERS, meta,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("姓名", sa.Unicode(20)),
            sa.Column("SFZH", sa.String(18)),
            sa.Column("sjhm", sa.BigInteger),
            sa.Column("photo", sa.LargeBinary),
            sa.Column("balance", sa.Numeric(12, 2)),
            # SQLAlchemy binds NUMERIC as a float on SQLite, which would round a 19-digit card.
            sa.Column("yhkh", sa.Numeric(20, 0).with_variant(sa.BigInteger(), "sqlite")),
            sa.Column("opened", sa.Date),
            sa.Column("备注", sa.UnicodeText),
        ),
        NO_KEY: sa.Table(NO_KEY, meta, sa.Column("Remark", sa.UnicodeText), sa.Column("Phone", sa.BigInteger)),
        HOSTILE: sa.Table(HOSTILE, meta, sa.Column("c", sa.String(200))),
        ID_KEYED: sa.Table(ID_KEYED, meta, sa.Column("zjhm", sa.String(18), primary_key=True),
                           sa.Column("name", sa.Unicode(20))),
    }
    return meta, made


def fill(connection: sa.Connection, made: dict[str, sa.Table], shown: dict[str, str],
         seed: int = 1) -> Corpus:
    """Insert the synthetic rows; ``shown`` maps a table name to its name in locations."""
    rng, corpus = random.Random(seed), Corpus()
    customers = []
    for i in range(1, ROWS + 1):
        rid, phone, card_no, note_phone = resident_id(rng), mobile_valid(rng), card_valid(rng), mobile_valid(rng)
        blob_id = resident_id(rng)
        # A BLOB holds a photo in odd rows (binary: counted, not read) and text in even ones.
        photo = PNG_HEAD + blob_id.encode() if i % 2 else blob_id.encode()
        row = {"id": i, "姓名": "张三丰", "SFZH": rid if i % 4 else None, "sjhm": int(phone),
               "photo": photo, "balance": 1234567.89, "yhkh": int(card_no),
               "opened": None, "备注": f"客户来电，手机{note_phone}，已核实"}
        customers.append(row)
        key = {"id": i}
        if row["SFZH"]:
            corpus.expected[(shown[CUSTOMERS], "SFZH", repr(key))] = "CN_RESIDENT_ID"
        corpus.expected[(shown[CUSTOMERS], "sjhm", repr(key))] = "CN_MOBILE_PHONE"
        corpus.expected[(shown[CUSTOMERS], "yhkh", repr(key))] = "CN_BANK_CARD"
        corpus.expected[(shown[CUSTOMERS], "备注", repr(key))] = "CN_MOBILE_PHONE"
        corpus.expected[(shown[CUSTOMERS], "姓名", repr(key))] = "PERSON"  # the column names it
        if i % 2 == 0:
            corpus.expected[(shown[CUSTOMERS], "photo", repr(key))] = "CN_RESIDENT_ID"
        corpus.raw |= {rid, phone, note_phone, card_no}
        corpus.blob_values.add(blob_id)
        corpus.raw.add(blob_id)
    connection.execute(made[CUSTOMERS].insert(), customers)
    phones = [mobile_valid(rng) for _ in range(3)]
    connection.execute(made[NO_KEY].insert(), [{"Remark": None, "Phone": int(p)} for p in phones])
    for n, p in enumerate(phones, 1):
        corpus.expected[(shown[NO_KEY], "Phone", repr(n))] = "CN_MOBILE_PHONE"
    corpus.raw |= set(phones)
    hostile_id = resident_id(rng)
    connection.execute(made[HOSTILE].insert(), [{"c": f"身份证号：{hostile_id}"}])
    corpus.expected[(shown[HOSTILE], "c", repr(1))] = "CN_RESIDENT_ID"
    keyed_id = resident_id(rng)
    connection.execute(made[ID_KEYED].insert(), [{"zjhm": keyed_id, "name": "李四"}])
    corpus.expected[(shown[ID_KEYED], "zjhm", repr(1))] = "CN_RESIDENT_ID"
    corpus.expected[(shown[ID_KEYED], "name", repr(1))] = "PERSON"
    corpus.raw |= {hostile_id, keyed_id, "张三丰", "李四"}
    return corpus


def mobile_valid(rng: random.Random) -> str:
    """Return a mobile number in an assigned segment (tests_corpus.mobile may pick unassigned ones)."""
    while True:
        number = mobile(rng)
        if number[:3] not in ("154", "174", "146"):
            return number


def card_valid(rng: random.Random) -> str:
    """Return a card number with a Chinese BIN (the recognizer leaves foreign test BINs alone)."""
    while True:
        number = card(rng)
        if not number.startswith("411111"):
            return number


def found(occurrences) -> dict:
    """Return the occurrences keyed like ``Corpus.expected`` (plain-text ones only)."""
    return {(o.location["table"], o.location["column"], repr(o.location["row"])): o.entity_type
            for o in occurrences if not o.already_masked}
