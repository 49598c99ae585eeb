"""Property tests: validators never crash, every generated valid value is found, and each
recognizer's PREFILTER matches wherever the recognizer finds something (the detector relies on it)."""

from __future__ import annotations

import datetime
import re
import sys

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_2

from pii_audit.detector import Detector
from recognizers import MIN_SCORE, ALL_RECOGNIZERS
from recognizers.base import shape, to_halfwidth
from recognizers.cn_bank_card import CnBankCardRecognizer, luhn_ok
from recognizers.cn_mobile_phone import CnMobilePhoneRecognizer
from recognizers.cn_resident_id import CnResidentIdRecognizer
from recognizers.cn_uscc import CnUsccRecognizer
from tests_corpus import card, mobile, resident_id, uscc

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RECOGNIZERS = [cls() for cls in ALL_RECOGNIZERS]
VALIDATORS = [sys.modules[cls.__module__] for cls in ALL_RECOGNIZERS]


def spans(recognizer, text, context=()):
    """Return the reported spans of one recognizer, as the AnalyzerEngine would score them."""
    results = recognizer.enhance_using_context(text, recognizer.analyze(text, None), [], None, list(context))
    return {(r.start, r.end) for r in results if r.score >= 0.5}


@SETTINGS
@given(st.text(alphabet="0123456789 -*Xx+()", max_size=60))
def test_random_digit_strings_never_crash(text):
    for recognizer in RECOGNIZERS:
        spans(recognizer, text, ["sfzh"])
    for module in VALIDATORS:
        if hasattr(module, "is_valid"):
            module.is_valid(text)


@SETTINGS
@given(st.dates(min_value=__import__("datetime").date(1900, 1, 1), max_value=__import__("datetime").date(2020, 12, 31)),
       st.sampled_from(["110105", "310101", "440305", "620102", "810000", "830000", "110103"]),
       st.integers(0, 999), st.sampled_from(["身份证号", "客户", "id=", ""]))
def test_every_valid_resident_id_is_found(born, area, order, prefix):
    body = f"{area}{born:%Y%m%d}{order:03d}"
    number = body + mod_11_2.calc_check_digit(body)
    text = f"{prefix}{number}。"
    assert (len(prefix), len(prefix) + 18) in spans(CnResidentIdRecognizer(), text)


@SETTINGS
@given(st.text("0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_the_resident_id_check_character_agrees_with_stdnum(body, check):
    """The check character is computed in base 13 (cn_resident_id._check_character_ok)."""
    from recognizers.cn_resident_id import _check_character_ok

    assert _check_character_ok(body + check) == mod_11_2.is_valid(body + check)


@SETTINGS
@given(st.sampled_from(["622202", "621700", "622848", "625908", "6200", "601382", "436742"]),
       st.integers(16, 19), st.randoms(use_true_random=False))
def test_every_valid_card_is_found(bin_, length, rng):
    body = bin_ + "".join(rng.choice("0123456789") for _ in range(length - len(bin_) - 1))
    number = body + luhn.calc_check_digit(body)
    if len(number) == 18 and CnBankCardRecognizer().base_score(number, CnBankCardRecognizer.PATTERNS[0]) < 0.5:
        return  # an 18-digit number shaped like an ID number asks for context by design
    assert (2, 2 + length) in spans(CnBankCardRecognizer(), f"卡号{number}，")


@SETTINGS
@given(st.sampled_from(["130", "138", "145", "147", "149", "150", "166", "172", "177", "188", "191", "199"]),
       st.integers(0, 99_999_999))
def test_every_valid_mobile_is_found(segment, subscriber):
    number = f"{segment}{subscriber:08d}"
    if len(set(number[3:])) == 1:
        return  # placeholders (13800000000) ask for context by design
    assert (4, 15) in spans(CnMobilePhoneRecognizer(), f"客户手机{number}已登记")


@SETTINGS
@given(st.sampled_from(["91", "92", "12", "52"]), st.sampled_from(["110000", "110105", "440300", "310115"]),
       st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_valid_uscc_is_found_with_context(head, region, org):
    body = head + region + org
    code = body + stdnum_uscc.calc_check_digit(body)
    assert (9, 27) in spans(CnUsccRecognizer(), f"统一社会信用代码：{code}")


EXAMPLES = [v for cls in ALL_RECOGNIZERS for v in sys.modules[cls.__module__].EXAMPLES["valid"]]
NOISE = st.one_of(st.text(alphabet="0123456789 :：,，.-*@Xx京A号市区姓名地址手机电话\n", max_size=12),
                  st.just("2024-01-01 10:00:00,123"))
# Runs of digits, bare or glued to letters and country codes: what the run checks decide on.
RUNS = st.builds("".join, st.lists(st.one_of(
    st.text(alphabet="0123456789", min_size=7, max_size=20), st.sampled_from(["+86", "0086", "86", "(+86)", "X", "a", "-"]),
    st.builds(lambda s, n: f"{s}{n:08d}", st.sampled_from(["138", "147", "199", "174"]), st.integers(0, 10**8 - 1))),
    max_size=3))
# Masked values as banks print them: ID numbers (1 to 6 digits, stars, up to 4 digits and a last
# character, 18 in all), cards and mobile numbers; what the star needles and screens decide on.
MASKED_IDS = st.builds(
    lambda lead, trail, last, digits: (digits[:lead] + "*" * (17 - lead - trail) + digits[lead:lead + trail] + last),
    st.integers(1, 6), st.integers(0, 4), st.sampled_from("0123456789Xx*"),
    st.text(alphabet="12345678", min_size=10, max_size=10))
SEPARATOR = st.sampled_from(["", " ", "-"])
# Cards: 4 to 6 digits (the first 3 to 9) or four stars, 1 to 4 groups of stars, each after a
# space, a dash or nothing, and 4 digits; the recognizer reports those of 15 to 19 characters.
MASKED_CARDS = st.builds(
    lambda lead, groups, last_separator, digits: lead + "".join(groups) + last_separator + digits,
    st.one_of(st.builds(str.__add__, st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=3, max_size=5)),
              st.just("****")),
    st.lists(st.builds(lambda separator, stars: separator + "*" * stars, SEPARATOR, st.integers(2, 9)),
             min_size=1, max_size=4),
    SEPARATOR, st.text(alphabet="0123456789", min_size=4, max_size=4))
# Mobile numbers: a segment, four stars, 4 digits, separated or not, after +86, 0086 or (+86).
MASKED_MOBILES = st.builds(
    lambda prefix, segment, separators, digits: prefix + segment + separators[0] + "****" + separators[1] + digits,
    st.sampled_from(["", "+86", "+86 ", "+86-", "0086", "0086 ", "0086-", "(+86)", "(+86) "]),
    st.sampled_from(["130", "138", "147", "150", "166", "177", "188", "199"]),
    st.tuples(SEPARATOR, SEPARATOR), st.text(alphabet="0123456789", min_size=4, max_size=4))
# Accounts: 4 to 6 digits (any first digit), 1 to 6 groups of stars, 4 digits; the recognizer
# counts those of 9 to 30 characters that no card, ID or mobile number is.
MASKED_ACCOUNTS = st.builds(
    lambda lead, groups, last_separator, digits: lead + "".join(groups) + last_separator + digits,
    st.text(alphabet="0123456789", min_size=4, max_size=6),
    st.lists(st.builds(lambda separator, stars: separator + "*" * stars, SEPARATOR, st.integers(2, 9)),
             min_size=1, max_size=6),
    SEPARATOR, st.text(alphabet="0123456789", min_size=4, max_size=4))
# Hong Kong, Macau and Taiwan numbers: digits with a run of stars among them, the check after.
MASKED_CROSS_BORDER = st.builds(
    lambda head, shown, stars, check: head + shown + "*" * stars + check,
    st.sampled_from(["A", "AB", "Z", "1", "5", "7", "A1", "B2", "K"]),
    st.text(alphabet="0123456789", max_size=5), st.integers(2, 8),
    st.sampled_from(["(*)", "(3)", "(A)", " (*)", "*", "3", "", "89"]))
MASKED = st.one_of(MASKED_IDS, MASKED_CARDS, MASKED_MOBILES, MASKED_ACCOUNTS, MASKED_CROSS_BORDER,
                   st.sampled_from(["138****5678", "+86 138 **** 5678", "622202******1234",
                                    "6222 **** **** 1234", "**** **** **** 1234", "010-****5678",
                                    "3100****2345", "310066********2345", "A123***(*)", "A12345****"]))
DETECTOR = Detector(bytes(32))
# Every recognizer's keywords, and some fields' keys: a screen that asks for a keyword before a
# value (``ChineseRecognizer.VALUE_START``) is checked with them standing at any distance.
KEYWORDS = st.sampled_from(sorted({w for cls in ALL_RECOGNIZERS for w in cls.CONTEXT}
                                  | {"acctNo=", '"dfzh":"', "账户余额", "登录账号："}))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(EXAMPLES), NOISE, RUNS, MASKED, KEYWORDS), min_size=1, max_size=5))
# Masked cards at the edges of the card's screen, which MASKED_CARDS reaches only now and then: 5
# stars in one run (the fewest), in two runs, and four runs after digits and after four stars.
@example(["622202*****1234"])
@example(["622202 ** ***1234"])
@example(["622202-**-**-**-**-1234"])
@example(["**** ** ** ** **-1234"])
@example(["收款账号：", "3100****2345"])
@example(["acctNo=", "4405 **** **** 0123"])
@example(["A12****(3)"])
@example(["account no", "\n", "440524188001010014", "110105 19491231 002X"])
def test_screen_hits_wherever_a_recognizer_reports_something(parts):
    """The detector's screen (needles, screens and digit-run checks) picks, for each line of a
    text, every recognizer that reports something in that line: it never skips a value the
    recognizers would find. Line by line, as the detector reads a log: a recognizer given the
    whole text took a keyword on one line as context for a number on the next
    (``account no`` then a line of digits), which the detector never does, and the test failed
    on such a draw."""
    text = to_halfwidth("".join(parts))
    screened = DETECTOR.screen(text)
    for index, line in enumerate(text.split("\n")):
        for number, recognizer in enumerate(DETECTOR.recognizers):
            results = recognizer.enhance_using_context(line, recognizer.analyze(line, None), [], None, [])
            if any(r.score >= MIN_SCORE for r in results):
                assert number in screened.get(index, ()), (type(recognizer).__name__, line)


@SETTINGS
@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2030, 12, 31)),
       st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2040, 12, 31)),
       st.booleans())
@example(datetime.date(2012, 2, 29), datetime.date(2026, 2, 28), False)  # 14 on 1 March, not before
@example(datetime.date(2012, 2, 29), datetime.date(2026, 3, 1), False)
@example(datetime.date(2012, 3, 1), datetime.date(2026, 3, 1), False)  # 14 that day
@example(datetime.date(2012, 3, 2), datetime.date(2026, 3, 1), False)
def test_the_minor_flag_is_an_age_under_14_on_the_scan_date(born, scan_date, legacy):
    """The minor flag compares birth dates as text; ``age_on`` computes the age the long way."""
    from recognizers.cn_resident_id import CnResidentIdRecognizer, age_on, to_18

    body = f"110105{born:%Y%m%d}001"
    number = body + mod_11_2.calc_check_digit(body)
    if legacy:
        if born.year // 100 != 19:
            return  # a 15-digit number's year is 19xx
        number = number[:6] + number[8:17]
    metadata = {}
    CnResidentIdRecognizer(scan_date=scan_date).add_metadata(number, metadata)
    assert metadata.get("minor", False) == (age_on(to_18(number), scan_date) < 14)


def _halfwidth_by_character(text: str) -> str:
    return "".join(" " if c == "\u3000" else chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c
                   for c in text)


@SETTINGS
@given(st.text(alphabet=st.sampled_from("ａ１，：！～\u3000\uff00\uff5f\ufffd\ufeff\uffe5。、一手机 a1*")))
def test_the_halfwidth_mapping_is_the_per_character_one(text):
    """``halfwidth_utf8`` works on UTF-8 bytes; it maps what a character-by-character mapping
    maps, and hands back the same bytes object when there is nothing to map."""
    from recognizers.base import halfwidth_utf8

    raw = text.encode("utf-8")
    mapped = halfwidth_utf8(raw)
    assert mapped.decode("utf-8") == _halfwidth_by_character(text) == to_halfwidth(text)
    assert (mapped is raw) == (_halfwidth_by_character(text) == text)


RUN_RECOGNIZERS = [r for r in RECOGNIZERS if r.RUN_LENGTHS]
# Values of the run-checking recognizers, bare and glued to what a run may hold besides them; a
# run holds ASCII letters and digits only.
VALID_RUNS = st.one_of(
    st.sampled_from([e for e in EXAMPLES if e.isascii() and e.isalnum()]),
    st.builds(lambda rng: resident_id(rng), st.randoms(use_true_random=False)),
    st.builds(lambda rng: resident_id(rng)[:6] + resident_id(rng)[8:17], st.randoms(use_true_random=False)),
    st.builds(lambda rng: card(rng), st.randoms(use_true_random=False)),
    st.builds(lambda body: body + luhn.calc_check_digit(body),  # ICBC's Amex co-brand: 15 digits from 3
              st.text(alphabet="0123456789", min_size=8, max_size=8).map(lambda s: "370247" + s)),
    st.builds(lambda rng, p: p + mobile(rng), st.randoms(use_true_random=False), st.sampled_from(["", "0", "86", "0086"])),
    st.builds(lambda rng: uscc(rng), st.randoms(use_true_random=False)),
    st.text(alphabet="0123456789Xx", min_size=11, max_size=19))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VALID_RUNS)
def test_run_pattern_matches_every_run_a_recognizer_may_hold(run):
    """The detector asks ``run_may_hold`` only about runs that match a RUN_PATTERN in full, so a
    run that a recognizer may hold must match that recognizer's RUN_PATTERN."""
    held = [r for r in RUN_RECOGNIZERS if r.run_may_hold(run)]
    for recognizer in held:
        assert re.fullmatch(recognizer.RUN_PATTERN, run, re.ASCII), (type(recognizer).__name__, len(run))


RUN_EDGES = ["", " ", "-", "=", "号", ":", "\n", "\r\n", "\t"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VALID_RUNS, st.sampled_from(RUN_EDGES), st.sampled_from(RUN_EDGES))
def test_the_screen_wakes_a_run_checker_on_every_run_it_may_hold(run, before, after):
    """The screen finds a run between any two edges (a line's edge, a space, CJK, CR LF) and wakes
    each recognizer whose ``run_may_hold`` accepts it, on the run's own line."""
    text = f"上一行\n{before}{run}{after}\n下一行"
    picked = DETECTOR.screen(text)
    line = 1 + before.count("\n")
    for number, recognizer in enumerate(DETECTOR.recognizers):
        if recognizer.RUN_LENGTHS and recognizer.run_may_hold(run):
            assert number in picked.get(line, ()), (type(recognizer).__name__, run)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VALID_RUNS, st.sampled_from(["a", "Z", "0", "9"]), st.booleans())
def test_a_run_glued_to_a_letter_or_digit_is_another_run(run, glue, in_front):
    """A value glued to one more letter or digit is part of a longer run, which is asked about as a
    whole: the value alone wakes nobody through the runs (an order number holding a mobile number)."""
    glued = glue + run if in_front else run + glue
    picked = set().union(*DETECTOR.screen(f"流水 {glued} 完成").values())
    for number, recognizer in enumerate(DETECTOR.recognizers):
        needles = [n for n in recognizer.screen_needles() if n.strip(b"0") and n in shape(glued)]
        if recognizer.RUN_LENGTHS and not recognizer.run_may_hold(glued) and not needles:
            assert number not in picked, (type(recognizer).__name__, glued)


@SETTINGS
@given(st.text(alphabet="0123456789", min_size=1, max_size=24))
def test_hand_written_luhn_agrees_with_stdnum(digits):
    assert luhn_ok(digits) == luhn.is_valid(digits)


# The patterns as first written, with the boundary before a value in front, as a lookbehind. The
# recognizers check it after the value's first characters instead (recognizers.base.not_after),
# which `re` runs 1.2-3x faster; these must match exactly where those do.
_PROVINCE = r"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3])"
_MONTH_DAY = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_SEGMENT = r"1(?:3\d|4[579]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])"
_AREA, _SUBSCRIBER = r"(?:10|2\d|[3-9]\d{2})", r"[2-8]\d{2,3}[ \-]?\d{4}"
_EXTENSION = r"(?: ?(?:-|转|分机|[Ee][Xx][Tt]\.?|#) ?\d{1,6})"
LOOKBEHIND_FIRST = {
    "cn_resident_id_18": rf"((?<![0-9A-Za-z]){_PROVINCE}\d{{4}}(?:18|19|20)\d{{2}}{_MONTH_DAY}\d{{3}}[0-9Xx]"
                         r"(?![0-9A-Za-z])"
                         rf"|(?<![0-9A-Za-z\-]){_PROVINCE}\d{{4}}([ \-])(?:18|19|20)\d{{2}}{_MONTH_DAY}\2\d{{3}}[0-9Xx]"
                         r"(?![0-9A-Za-z\-]))",
    "cn_resident_id_15": rf"(?<![0-9A-Za-z])({_PROVINCE}\d{{4}}\d{{2}}{_MONTH_DAY}\d{{3}})(?![0-9A-Za-z])",
    "cn_foreign_pr_id_2023": r"(?<![0-9A-Za-z])(9\d{16}[0-9Xx])(?![0-9A-Za-z])",
    "cn_foreign_pr_id_2017": r"(?<![0-9A-Za-z])([A-Z]{3}\d{12})(?![0-9A-Za-z])",
    "hk_id_card": r"(?<![0-9A-Za-z])([A-Z]{1,2}\d{6} ?\([0-9A]\))",
    "hk_id_card_plain": r"(?<![0-9A-Za-z])([A-Z]{1,2}\d{6}[0-9A])(?![0-9A-Za-z])",
    "tw_id_card": r"(?<![0-9A-Za-z])([A-Z][12]\d{8})(?![0-9A-Za-z])",
    "cn_resident_id_masked": r"(?<![0-9A-Za-z*])(?=[0-9*]{17}[0-9Xx*](?![0-9A-Za-z*]))"
                             r"([1-8]\d{0,5}\*{4,16}\d{0,4}[0-9Xx*])(?![0-9A-Za-z*])",
    "cn_bank_card": r"(?<![0-9A-Za-z])(?<!\d\.)(\d{15,19})(?![0-9A-Za-z]|=\d{7})(?!\.(?!0+(?!\d))\d)",
    "card_track2": r"(?<![0-9A-Za-z])(\d{13,19}[=D]\d{7}\d{0,25}F?)\??(?![0-9A-Za-z])",
    "cn_bank_account": r"(?<![0-9A-Za-z])(?<!\d\.)(\d{9,30})(?![0-9A-Za-z])(?!\.(?!0+(?!\d))\d)",
    "cn_bank_account_grouped": r"(?<![0-9A-Za-z\-])(\d{4}([ \-])\d{4}(?:\2\d{4}){1,5}(?:\2\d{1,3})?)(?![0-9A-Za-z\-])",
    "cn_bank_card_grouped": r"(?<![0-9A-Za-z\-])(\d{4}([ \-])\d{4}\2\d{4}\2\d{4}(?:\2\d{1,3})?)(?![0-9A-Za-z\-])",
    "cn_bank_card_masked": r"(?<![0-9A-Za-z*])((?:[3-9]\d{3,5}|(?<![0-9][ \-])\*{4})(?:[ \-]?\*{2,}){1,4}[ \-]?\d{4})"
                           r"(?![0-9A-Za-z*])",
    "cn_bank_account_masked": r"(?<![0-9A-Za-z*+])(\d{4,6}(?:[ \-]?\*{2,}){1,6}[ \-]?\d{4})(?![0-9A-Za-z*])",
    "hk_id_card_masked": r"(?<![0-9A-Za-z*])([A-Z]{1,2}\d{0,4}\*{2,6}\d{0,4} ?\([0-9A*]\))",
    "hk_id_card_masked_plain": r"(?<![0-9A-Za-z*])([A-Z]{1,2}\d{0,4}\*{2,6}\d{0,4}[0-9A*])(?![0-9A-Za-z*(])",
    "tw_id_card_masked": r"(?<![0-9A-Za-z*])([A-Z][12*][0-9*]{8})(?![0-9A-Za-z*])",
    "cn_mobile_phone": r"(?<![0-9A-Za-z+])(?<!\d\.)(?<!\d-)((?:(?:\+|00)?86[ \-]?|\(\+?86\) ?|0)?" + _SEGMENT
                       + r"(?:[ \-]?\d{4}){2})(?![0-9A-Za-z]|-\d)(?!\.(?!0+(?!\d))\d)",
    "cn_mobile_phone_masked": r"(?<![0-9A-Za-z*+])((?:(?:\+|00)86[ \-]?)?1[3-9]\d[ \-]?\*{4}[ \-]?\d{4})"
                              r"(?![0-9A-Za-z*])",
    "cn_landline_phone": r"(?<![0-9A-Za-z+])((?:(?:\+|00)86[ \-]?\(?0?" + _AREA + r"\)?|\(?0" + _AREA + r"\)?)"
                         r"[ \-]?" + _SUBSCRIBER + _EXTENSION + r"?)(?![0-9A-Za-z])",
    "cn_landline_phone_masked": r"(?<![0-9A-Za-z*+])(\(?0" + _AREA + r"\)?[ \-]?\*{3,4}[ \-]?\d{4})(?![0-9A-Za-z*])",
    "ipv4": r"(?:(?<![0-9A-Za-z.])(?<![0-9A-Za-z]/)|(?<=[Ii][Pp]))([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})"
            r"(?![0-9A-Za-z]|\.[0-9A-Za-z]|-\d+(?![\d.]))",
}
PATTERNS_BY_NAME = {p.name: p.regex for r in RECOGNIZERS for p in r.PATTERNS + r.MASKED_PATTERNS}
# Values and pieces of values glued together by what may stand around them.
_PIECE_VALUES = EXAMPLES + ["110105********002X", "138****5678", "+86 138 **** 5678", "6222 **** **** 1234",
                            "3100****2345", "4405 **** **** 0123", "A123***(*)", "A12****(3)", "A12345****",
                            "1234***(*)",
                            "0086", "(+86)", "(86) ", "+86-", "010-62345678", "(0755)8765 4321",
                            "+86 10 6234 5678", "0086-21-6234-5678转123", "021-****5678", "(010)****5678",
                            "8613812345678", "86-138-1234-5678", "013812345678"]
PIECES = st.one_of(st.sampled_from(_PIECE_VALUES),
                   st.sampled_from("0123456789 -*Xx+()a\n号."),
                   st.text(alphabet="0123456789 -*Xx+()a\n号.", max_size=8))


def assert_same_matches(text: str) -> None:
    for name, plain in LOOKBEHIND_FIRST.items():
        fast = re.compile(PATTERNS_BY_NAME[name], re.ASCII)
        assert [m.span(1) for m in fast.finditer(text)] == \
            [m.span(1) for m in re.finditer(plain, text, re.ASCII)], (name, text)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, min_size=1, max_size=6))
def test_patterns_match_where_their_lookbehind_first_forms_do(parts):
    assert_same_matches("".join(parts))


def test_patterns_match_where_their_lookbehind_first_forms_do_next_to_any_character():
    """Every value of PIECES between every pair of the characters that may stand around one."""
    for value in _PIECE_VALUES:
        for before in ("+", "*", "-", "(", " ", "a", "0", "X", "\n", "号", "0.", ".", "0-", "a/", "//"):
            for after in ("+", "*", "-", ")", " ", "a", "0", "X", "\n", "号", ".0", ".00", ".05", ".1", ".", "-0"):
                assert_same_matches(before + value + after)


# The IPv4 pattern as first written: each octet 0-255 without a leading zero, in the pattern.
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4_BY_OCTETS = re.compile(r"(?=\d)(?:(?<![0-9A-Za-z.])(?<![0-9A-Za-z]/)|(?<=[Ii][Pp]))(" + _OCTET + r"(?:\." + _OCTET + r"){3})"
                            r"(?![0-9A-Za-z]|\.[0-9A-Za-z]|-\d+(?![\d.]))", re.ASCII)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["1.2.3.4", "202.96.134.133", "256.1.1.1", "01.2.3.4", "10.0.0.255",
                                           "IP", "ip", "-7", "1.2.3.4-5", "999", "118.0.0.0"]),
                          st.text(alphabet="0123456789.-aIp /", max_size=8)), min_size=1, max_size=6))
def test_ipv4_finds_what_the_octets_pattern_found(parts):
    """The IPv4 pattern takes any four numbers of up to three digits and lets ``ipaddress`` judge
    them (faster): it must report exactly the addresses the pattern of octets found (but a
    network's, ``118.0.0.0``: a browser's version in a User-Agent)."""
    from recognizers.ip_address import IpAddressRecognizer
    text = "".join(parts)
    found = [(start, end) for start, end, _, _, _ in IpAddressRecognizer()._candidates(text)]
    assert found == [m.span(1) for m in IPV4_BY_OCTETS.finditer(text) if not m.group(1).endswith(".0.0.0")]


def test_the_lookbehind_first_forms_are_the_recognizers_patterns():
    """Every pattern rewritten with base.not_after has its plain form above, and it still differs
    from it (else this file's comparison would test a pattern against itself)."""
    after_first = re.compile(r"\(\?<!\[[^\]]*\]\.+\)")  # what not_after writes
    rewritten = {name for name, regex in PATTERNS_BY_NAME.items() if after_first.search(regex)}
    assert rewritten == set(LOOKBEHIND_FIRST)
    assert all(PATTERNS_BY_NAME[name] != plain for name, plain in LOOKBEHIND_FIRST.items())
