"""Unified Social Credit Codes (统一社会信用代码, GB 32100-2015) of organisations and sole traders.

Rules: FORMATS.md §4. Our own validator rather than ``stdnum.cn.uscc``, which rejects the
registration authorities ``A``, ``N`` and ``Y`` and accepts region ``000000`` (§7.2). A code
is organisational; ``92…`` codes belong to 个体工商户 and so identify a person's business.
"""

from __future__ import annotations

from recognizers.base import ChineseRecognizer, Risk, mask_middle
from recognizers.presidio_light import Pattern
from recognizers.regions import PROVINCE_PREFIXES, county_codes

ENTITY = "CN_USCC"
EXAMPLES = {
    "valid": ["91110000600037341L", "91110000600037341l", "92110105MA01ABCD10", "Y1110105MA01ABCD1D"],
    "invalid": ["91110000600037341M", "91110000600037341I", "91000000600037341L", "01110000600037341L"],
}

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
SOLE_TRADER_KEY = "sole_trader"


def compact(code: str) -> str:
    """Drop spaces and dashes and upper-case.

    >>> compact("9111 0000-6000 3734 1l")
    '91110000600037341L'
    """
    return code.replace(" ", "").replace("-", "").upper()


def calc_check_char(body: str) -> str:
    """Return the check character of the first 17 characters (ISO 7064 MOD 31-3 style).

    >>> calc_check_char("91110000600037341")
    'L'
    """
    total = sum(ALPHABET.index(c) * w for c, w in zip(body, _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def is_known_region(region: str) -> bool:
    """Tell whether a registering authority's code is national, provincial, a city or a county.

    >>> is_known_region("110000"), is_known_region("100000"), is_known_region("000000")
    (True, True, False)
    """
    if region == "100000":
        return True
    return region[:2] in PROVINCE_PREFIXES and (region[2:] == "0000" or region in county_codes()
                                                or region[4:] == "00")


def has_valid_org_check(code: str) -> bool:
    """Tell whether the embedded GB 11714 organisation code (positions 9-17) checks out.

    >>> has_valid_org_check("91110000600037341L"), has_valid_org_check("91110000600037342L")
    (True, False)
    """
    body = code[8:16]
    if not all(c.isdigit() or "A" <= c <= "Z" for c in body):
        return False
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_WEIGHTS))
    check = 11 - total % 11
    return code[16] == {10: "X", 11: "0"}.get(check, str(check))


def is_valid(code: str) -> bool:
    """Tell whether a code has a known authority, region and charset and the right check character.

    >>> is_valid("91110000600037341L"), is_valid("91110000600037341M"), is_valid("A1110000600037341L")
    (True, False, False)
    """
    code = compact(code)
    # The cheap structural checks first: most 18-character runs in logs fail at the second one.
    if len(code) != 18 or code[0] not in "123456789ANY" or code[1] == "0" or not code[2:8].isdigit():
        return False
    if not is_known_region(code[2:8]) or any(c not in ALPHABET for c in code):
        return False
    return code[17] == calc_check_char(code[:17])


# The registration authority (either case), the administration's kind, the region, then ten characters.
_CODE = r"[1-9ANYany][1-9]\d{6}[0-9A-HJ-NP-RTUWXYa-hj-np-rtuwxy]{10}"


class CnUsccRecognizer(ChineseRecognizer):
    """Unified Social Credit Codes (统一社会信用代码)."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("cn_uscc", r"(?<![0-9A-Za-z])(" + _CODE + r")(?![0-9A-Za-z])", 0.85),
    )
    CONTEXT = ("统一社会信用代码", "信用代码", "营业执照", "纳税人识别号", "税号", "社会信用代码", "uscc")
    COLUMN_HINTS = ("tyshxydm", "shxydm", "xydm", "zzjgdm", "nsrsbh", "yyzzh", "uscc", "creditcode",
                    "taxno", "taxid")
    NEGATIVE_CONTEXT = ("订单", "流水", "单号", "order", "serial", "trace")
    NEGATIVE_COLUMN_HINTS = ("ddh", "lsh", "jylsh", "orderno", "serialno")
    NEEDLES = ("0000000",)  # positions 2-8 are digits
    RUN_LENGTHS = (18,)  # boundaries on both sides: a code is a whole run
    RUN_PATTERN = _CODE
    RISK = Risk("C1", False)

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a code with a known authority, region and a right check character."""
        return is_valid(pattern_text)

    def base_score(self, value: str, pattern: Pattern) -> float:
        """Ask for context when only the last check holds: an all-digit code is most likely a
        serial whose last digit matched by chance (1 in 31)."""
        code = compact(value)
        if has_valid_org_check(code):
            return pattern.score
        return 0.4 if code.isdigit() else 0.55

    def add_metadata(self, value: str, metadata: dict) -> None:
        """Flag a sole trader's code (92…): it identifies a natural person's business."""
        if compact(value).startswith("92"):
            metadata[SOLE_TRADER_KEY] = True

    def normalize(self, value: str) -> str:
        """Return the upper-case code."""
        return compact(value)

    def mask(self, value: str) -> str:
        """Keep the authority, type and region, hide the organisation code: 91110000********1L."""
        return mask_middle(compact(value), 8, 2)
