"""A varied synthetic corpus of Chinese log lines: values, look-alikes, masked forms and context.

Every value is synthetic (generated with valid checksums, or taken from FORMATS.md's vectors).
"""

from __future__ import annotations

import random

from stdnum import luhn
from stdnum.iso7064 import mod_11_2

AREAS = ["110105", "310101", "440305", "510104", "330106", "620102", "810000", "830000", "110103"]
KEYWORDS = ["身份证号", "手机", "卡号", "联系电话", "证件号码", "订单号", "金额", "流水号", "备注", "",
            "护照号", "通行证", "台胞证号", "信用代码", "车牌", "邮箱", "登录IP", "版本", "错误码", "姓名",
            "户名=", "家庭地址", "地址：", "座机", "IMEI"]
SURNAMES = "王李张刘陈杨黄吴赵周"
PLACES = ["北京市海淀区中关村大街27号", "广东省深圳市南山区科技园路1号", "上海市浦东新区陆家嘴环路1000号3楼",
          "浙江省杭州市西湖区", "同上", "未知"]
SEGMENTS = ["138", "139", "186", "150", "199", "147", "166", "176", "192", "174", "154", "146"]
BINS = ["622202", "621700", "622848", "436742", "601382", "625908", "620000", "411111"]


def resident_id(rng: random.Random, valid: bool = True) -> str:
    """Return a synthetic resident ID; ``valid=False`` breaks its check character."""
    body = (rng.choice(AREAS) + f"{rng.randint(1930, 2023)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            + f"{rng.randint(0, 999):03d}")
    check = mod_11_2.calc_check_digit(body)
    if not valid:
        check = rng.choice([c for c in "0123456789X" if c != check])
    return body + check


def mobile(rng: random.Random) -> str:
    """Return an 11-digit number in a random (sometimes unassigned) segment."""
    return rng.choice(SEGMENTS) + f"{rng.randint(0, 99_999_999):08d}"


def card(rng: random.Random, valid: bool = True) -> str:
    """Return a synthetic card number with a Chinese or foreign BIN."""
    body = rng.choice(BINS) + "".join(str(rng.randint(0, 9)) for _ in range(rng.choice([9, 12])))
    check = luhn.calc_check_digit(body)
    if not valid:
        check = str((int(check) + 1) % 10)
    return body + check


def value(rng: random.Random) -> str:
    """Return one value or look-alike, in one of its printed forms."""
    kind = rng.randrange(28)
    if kind >= 14:
        return other_value(rng, kind - 14)
    if kind == 0:
        return resident_id(rng)
    if kind == 1:
        return resident_id(rng, valid=False)
    if kind == 2:
        return resident_id(rng).lower()
    if kind == 3:
        number = mobile(rng)
        return rng.choice([number, f"+86 {number[:3]}-{number[3:7]}-{number[7:]}", "0086" + number,
                           f"(+86){number[:3]} {number[3:7]} {number[7:]}"])
    if kind == 4:
        return mobile(rng) + str(rng.randint(10, 99))  # 13-digit look-alike
    if kind == 5:
        number = card(rng)
        return rng.choice([number, " ".join(number[i:i + 4] for i in range(0, len(number), 4))])
    if kind == 6:
        return card(rng, valid=False)
    if kind == 7:
        return f"{rng.randint(2015, 2025)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" + \
            "".join(str(rng.randint(0, 9)) for _ in range(rng.choice([6, 10, 12])))  # order number
    if kind == 8:
        return str(rng.randint(1_500_000_000_000, 1_800_000_000_000))  # millisecond timestamp
    if kind == 9:
        number = mobile(rng)
        return number[:3] + "****" + number[7:]
    if kind == 10:
        return resident_id(rng)[:6] + "********" + resident_id(rng)[-4:]
    if kind == 11:
        return resident_id(rng)[:6] + resident_id(rng)[8:17]  # 15 digits
    if kind == 12:
        return "１３８１２３４５６７８"
    return f"{rng.randint(0, 99999)}.{rng.randint(0, 99)}"


def corpus_lines(rng: random.Random, count: int) -> list[str]:
    """Return ``count`` log lines, each with zero to three values in Chinese context."""
    lines = []
    for _ in range(count):
        if rng.random() < 0.05:  # a bare value, as in a spreadsheet cell or a one-field line
            lines.append(value(rng))
            continue
        parts = [f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 10:0{rng.randint(0, 9)}:00,123 INFO"]
        for _ in range(rng.randint(0, 3)):
            glue = rng.choice(["", "：", ":", " ", "="])
            parts.append(f"{rng.choice(KEYWORDS)}{glue}{value(rng)}")
        lines.append(rng.choice([" ", "，", "|"]).join(parts))
    return lines


def landline(rng: random.Random) -> str:
    """Return a landline in one of its printed forms (some with unassigned area codes)."""
    area = rng.choice(["010", "021", "0755", "0571", "026", "0999"])
    subscriber = str(rng.randint(2, 8)) + "".join(str(rng.randint(0, 9)) for _ in range(6 if area == "0999" else 7))
    return rng.choice([f"{area}-{subscriber}", f"({area}){subscriber}", area + subscriber,
                       f"{area}-{subscriber}转{rng.randint(1, 999)}", f"{area}****{subscriber[-4:]}"])


def uscc(rng: random.Random, valid: bool = True) -> str:
    """Return a synthetic Unified Social Credit Code, optionally with a wrong check character."""
    from recognizers.cn_uscc import ALPHABET, calc_check_char
    body = rng.choice(["91", "92", "12", "Y1"]) + rng.choice(AREAS[:6]) + "".join(
        rng.choice(ALPHABET) for _ in range(9))
    check = calc_check_char(body)
    return body + (check if valid else rng.choice([c for c in ALPHABET if c != check]))


def other_value(rng: random.Random, kind: int) -> str:
    """Return a value or look-alike of the entities added in issue 2."""
    digits = "".join(str(rng.randint(0, 9)) for _ in range(8))
    choices = [
        lambda: landline(rng),
        lambda: rng.choice(["E", "G", "K", "X"]) + digits,
        lambda: rng.choice(["EA", "DE", "MA", "EB", "SE"]) + digits[:7] + rng.choice(["", "", "9"]),
        lambda: rng.choice(["H", "M", "C", "CA"]) + digits[:8 if rng.random() < 0.7 else 7] + rng.choice(["", "01"]),
        lambda: rng.choice([digits, digits + "01(B)", "L" + digits, digits[:7]]),
        lambda: uscc(rng, valid=rng.random() < 0.7),
        lambda: rng.choice("京沪粤苏浙湘") + rng.choice("ABCDEIO") + rng.choice(["", "·", "-"]) + rng.choice(
            [digits[:5], "D" + digits[:5], digits[:4] + "挂", "AB" + digits[:3]]),
        lambda: rng.choice(["zhang.san", "li_si+bank", digits, "a..b", "icon"]) + "@" + rng.choice(
            ["163.com", "qq.com", "example.com.cn", "2x.png", "localhost"]),
        lambda: ".".join(str(rng.randint(0, 260)) for _ in range(rng.choice([3, 4, 4, 5]))),
        lambda: rng.choice(["2001:db8::", "240e:1:2:3:4:5:6:", "fe80::", "10:00:"]) + str(rng.randint(1, 99)),
        lambda: rng.choice(SURNAMES) + rng.choice(["三", "小明", "某", "先生", "*", "**"]),
        lambda: rng.choice(PLACES),
        lambda: "86" + digits + digits[:5],  # a 15-digit IMEI-like number
        lambda: f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}",  # a version string
    ]
    return choices[kind]()
