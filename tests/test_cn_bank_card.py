"""Bank card numbers a spreadsheet kept as numbers: Excel keeps 15 significant digits."""

from __future__ import annotations

import openpyxl
import pytest
from stdnum import luhn

from recognizers.base import fingerprint
from recognizers.cn_bank_card import CnBankCardRecognizer, lost_its_last_digits
from scan_helpers import scan_one

CARD_16 = "6222021234567894"  # UnionPay, Luhn-valid
CARD_19 = "622202123456789012" + luhn.calc_check_digit("622202123456789012")


def found(text, context=()):
    """Return the card numbers reported in ``text`` with ``context`` (a column's header)."""
    recognizer = CnBankCardRecognizer()
    results = recognizer.enhance_using_context(text, recognizer.analyze(text, None), [], None, list(context))
    return [text[r.start:r.end] for r in results if r.score >= 0.5]


@pytest.mark.parametrize("text,context,expected", [
    pytest.param("6222021234567890", ["银行卡号"], ["6222021234567890"], id="16-header"),
    pytest.param("6222021234567890000", ["银行卡号"], ["6222021234567890000"], id="19-header"),
    pytest.param("卡号：6222021234567890000", [], ["6222021234567890000"], id="19-keyword"),
    pytest.param("6222021234567890", [], [], id="16-bare"),
    pytest.param("6222021234567890000", [], [], id="19-bare"),
    pytest.param("6222021234567890000", ["交易流水号"], [], id="serial-column"),
    pytest.param("4111111111111110", ["银行卡号"], [], id="not-a-chinese-issuer"),
    pytest.param("6222021234567891", ["银行卡号"], [], id="16th-digit-kept-and-wrong"),
])
def test_a_card_whose_last_digits_excel_lost(text, context, expected):
    """A card lost its last digits only where all past the 15th read as zeros; context decides."""
    assert found(text, context) == expected


def test_lost_digits_need_zeros_past_the_fifteenth_and_a_failed_check():
    assert lost_its_last_digits("6222021234567890") and lost_its_last_digits("6222021234567890000")
    assert not lost_its_last_digits(CARD_16)  # a whole card, found as one
    assert not lost_its_last_digits("6222021234567891000")  # 16 significant digits: not Excel's
    assert not lost_its_last_digits("110105194912310000")  # an ID number's (its own recognizer's)


def test_a_workbook_column_of_cards_kept_as_numbers_is_reported_with_one_fingerprint(tmp_path, key):
    """The 16-digit card gets its check digit back: in the sheet and in a log it is one value."""
    book = openpyxl.Workbook()
    book.active.append(["客户姓名", "银行卡号"])
    for number in (CARD_16, CARD_19):
        # As Excel keeps a number typed into a cell: 15 significant digits (openpyxl keeps 17).
        book.active.append(["张三", float(number[:15] + "0" * (len(number) - 15))])
    book.save(tmp_path / "cards.xlsx")
    result = scan_one(tmp_path / "cards.xlsx", key)
    cards, = [f for (_, entity), f in result.findings.items() if entity == "CN_BANK_CARD"]
    assert [s.masked for s in cards.samples] == ["622202******7890", "622202*********0000"]
    assert cards.samples[0].fingerprint == fingerprint("CN_BANK_CARD", CARD_16, key)
    assert cards.samples[1].fingerprint == fingerprint("CN_BANK_CARD", "6222021234567890000", key)
