"""A labelled synthetic corpus for the accuracy benchmark: values, contexts and hard negatives.

Every value is synthetic: Faker zh_CN (names, addresses, e-mails, mobiles, resident IDs) and
numbers built with stdnum's check-digit functions. Each sample is a log line, a sentence, or a
table cell with its column name, and carries its gold spans. A gold span says which entity a
human auditor would mark there, and whether the value is already masked; ``mode`` says how
the value appears: ``keyword`` (a keyword nearby), ``field`` (after a field's key in a log line:
``custName=``, ``"certNo":"``, ``<khxm>``; or in a parameter or a row of SQL logged by MyBatis,
whose statement's line before it names its column), ``column`` (a cell under a named column) or
``bare`` (no context at all), so recall can be read with and without context; ``sql`` (a
value of SQL written with its values, under its column: a statement's literal, a dump's row, a
line binding a prepared statement's placeholder, as ``pii_audit.sql_stream`` reads them). A
sample of SQL logged so is two lines or more, read as a block of a log.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field

from faker import Faker
from faker.providers.address.zh_CN import Provider as ZhAddressProvider
from stdnum import luhn
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_2

from recognizers import cn_bank_account as bank_account
from recognizers import cn_landline_phone as landline
from recognizers import hk_id_card, tw_id_card
from recognizers.cn_bank_card import lost_its_last_digits


@dataclass
class Sample:
    """One text with its column context and gold spans ``(entity, start, end, masked)``."""

    text: str
    context: tuple[str, ...] = ()
    gold: list[tuple[str, int, int, bool]] = field(default_factory=list)
    mode: str = "bare"
    kind: str = ""


# (entity, keywords, columns) for values placed in context.
CONTEXTS = {
    "CN_RESIDENT_ID": (["身份证号", "证件号码", "公民身份号码"], ["sfzh", "zjhm", "id_card_no"]),
    "CN_BANK_CARD": (["卡号", "银行卡号", "收款账号"], ["yhkh", "card_no", "skzh"]),
    "CN_BANK_ACCOUNT": (["对方账号", "收款账号", "付款账号", "结算账户", "存折账号"], ["dfzh", "acct_no", "jszh"]),
    "CN_MOBILE_PHONE": (["手机号", "联系电话", "预留手机"], ["sjhm", "mobile", "lxdh"]),
    "CN_LANDLINE_PHONE": (["座机", "联系电话", "办公电话"], ["gddh", "tel", "dwdh"]),
    "CN_PASSPORT": (["护照号码", "护照"], ["hzhm", "passport_no"]),
    "CN_HK_MACAU_PERMIT": (["港澳通行证", "回乡证号", "往来港澳通行证号码"], ["txzh", "hxzh"]),
    "CN_TAIWAN_PERMIT": (["台胞证号", "台湾居民来往大陆通行证"], ["tbzh"]),
    "CN_FOREIGN_PERMANENT_RESIDENT_ID": (["外国人永久居留身份证", "永久居留身份证号码", "永居证号"],
                                         ["yjjlsfz", "prno"]),
    "HK_ID_CARD": (["香港身份证", "香港居民身份证号码", "香港身份證"], ["xgsfzh", "hkid"]),
    "MO_ID_CARD": (["澳门居民身份证", "澳门身份证号", "澳門居民身份證"], ["amsfzh", "macau_id"]),
    "TW_ID_CARD": (["台湾居民身份证", "台湾身份证号", "國民身分證"], ["twsfzh", "tw_id_no"]),
    "CN_MILITARY_ID": (["军官证", "士兵证号", "文职干部证"], ["jgzh", "military_id"]),
    "CN_USCC": (["统一社会信用代码", "纳税人识别号"], ["tyshxydm", "nsrsbh"]),
    "CN_LICENSE_PLATE": (["车牌号", "号牌"], ["cph", "hphm"]),
    "EMAIL_ADDRESS": (["邮箱", "电子邮箱"], ["email", "dzyx"]),
    "IP_ADDRESS": (["登录IP", "客户端IP"], ["dlip", "client_ip"]),
    "PERSON": (["姓名", "户名", "联系人", "收款人"], ["xm", "khxm", "cust_name"]),
    "CN_ADDRESS": (["家庭住址", "通讯地址", "地址"], ["jtzz", "txdz", "addr"]),
    # Authentication data (C3): keywords right before the value, as the recognizers ask.
    "CARD_TRACK_DATA": (["磁道信息", "二磁道数据", "等效信息"], ["track2", "cdxx", "track_data"]),
    "CARD_CVN": (["安全码", "CVV2", "卡片验证码"], ["cvv2", "card_cvn2", "aqm"]),
    "CARD_EXPIRY": (["卡有效期", "信用卡有效期"], ["exp_date", "yxq", "card_expiry"]),
    "AUTH_PASSWORD": (["交易密码", "登录密码", "初始密码为"], ["login_pwd", "jymm", "password"]),
    "AUTH_OTP": (["短信验证码", "动态口令", "验证码"], ["sms_code", "dxyzm", "verify_code"]),
}
# Keys a log line names each entity's field with (custName=张三, "certNo":"…", <khxm>…</khxm>).
FIELDS = {
    "CN_RESIDENT_ID": ["certNo", "idNo", "sfzh", "custCertNo", "idCardNo"],
    "CN_BANK_CARD": ["cardNo", "acctNo", "yhkh", "bankCard"],
    "CN_BANK_ACCOUNT": ["acctNo", "payeeAcct", "dfzh", "accountNo", "skrzh"],
    "CN_MOBILE_PHONE": ["mobile", "phoneNo", "sjhm", "lxdh"],
    "CN_LANDLINE_PHONE": ["telephone", "lxdh", "gddh", "dwdh"],
    "CN_PASSPORT": ["passportNo", "hzhm"],
    "CN_HK_MACAU_PERMIT": ["permitNo", "txzh"],
    "CN_TAIWAN_PERMIT": ["mtpNo", "tbzh"],
    "CN_FOREIGN_PERMANENT_RESIDENT_ID": ["prCardNo", "yjjlsfz"],
    "HK_ID_CARD": ["hkid", "hkidNo", "xgsfzh"],
    "MO_ID_CARD": ["amsfzh", "macauId"],
    "TW_ID_CARD": ["twIdNo", "twsfzh"],
    "CN_MILITARY_ID": ["jgzh", "militaryId"],
    "CN_USCC": ["creditCode", "tyshxydm", "taxNo"],
    "CN_LICENSE_PLATE": ["plateNo", "hphm", "carNo"],
    "EMAIL_ADDRESS": ["email", "dzyx"],
    "IP_ADDRESS": ["clientIp", "loginIp", "dlip"],
    "PERSON": ["custName", "realName", "khxm", "xm", "name", "PyeeNm", "skrmc"],
    "CN_ADDRESS": ["address", "homeAddr", "jtzz", "txdz"],
    "CARD_TRACK_DATA": ["track2", "trackData", "cdxx"],
    "CARD_CVN": ["cvv2", "cvn2", "cardCvv"],
    "CARD_EXPIRY": ["expDate", "cardExpiry", "validThru"],
    "AUTH_PASSWORD": ["loginPwd", "password", "tranPwd", "jymm"],
    "AUTH_OTP": ["smsCode", "verifyCode", "otp"],
}
# How a log line writes a field: Java's toString, JSON, XML (a service bus's CDATA too), YAML-like.
FIELD_FORMS = ["{key}={value}, ", '{{"{key}":"{value}","ok":true}}', "<{key}>{value}</{key}>", "{key}: {value} ",
               "<{key}><![CDATA[{value}]]></{key}>"]
BINS = ["622202", "622203", "621226", "622848", "623052", "621661", "625908", "621700", "622700",
        "622262", "622588", "621098", "601382", "436742", "6200", "6250"]
AREA_CODES = ["010", "020", "021", "022", "023", "024", "025", "027", "028", "029", "0755", "0571",
              "0512", "0531", "0532", "0551", "0591", "0731", "0871", "0898"]
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Words that start with a surname and are as long as a name, which a bank's product catalogue,
# config and dictionary tables name things by under a bare `name` key: weekdays, products, cards,
# banks, cities, districts, settings. Written by hand (some from Faker zh_CN's city, district and
# lorem lists), not drawn from recognizers/data/common_words.txt.
NAME_KEY_WORDS = ["周一", "周三", "周五", "周日", "周末", "黄金", "白银", "高端", "金融", "方案", "程序", "安全",
                  "余额", "安心", "信用", "利率", "高级", "普通", "金卡", "银卡", "成长", "平衡", "国债", "万能",
                  "金葵花", "龙卡", "平安", "华夏", "浦发", "宁波", "南京", "杭州", "苏州", "温州", "金华",
                  "张家港", "江阴", "常熟", "余杭", "萧山", "闵行", "徐汇", "海淀", "黄浦", "罗湖", "龙岗",
                  "宁德", "石家庄", "高新", "管理", "任务", "应用", "文件", "明细", "季末", "元旦", "国庆",
                  "支付宝", "云闪付", "华为", "高管", "管户"]
# Districts and cities under a bare `name`, as a region or branch dictionary table names them
# (萧山, 宁德, 闵行): Faker zh_CN's lists, not GB/T 2260's table that PERSON's word list is drawn
# from, so the list is not its own test. Three of Faker's are no place's name as written (吉区;
# 沈北新 and 六枝特, which are 沈北新区 and 六枝特区 cut short), and 台北 is no mainland city.
PLACE_NAME_WORDS = sorted(set(ZhAddressProvider.districts + ZhAddressProvider.cities)
                          - {"吉区", "沈北新", "六枝特", "台北"})
# Given names that are also words (高峰 a peak, 江山 a realm): a person's, where a keyword or a
# key that says whose name it is (姓名, custName, xm) stands before them.
WORD_NAMES = ["高峰", "高明", "金鑫", "江涛", "海燕", "安静", "白云", "江山", "和平", "海洋", "文静", "安宁",
              "舒畅", "高洁", "金华", "文华", "明明", "方圆", "高阳", "常青"]
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S9080) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 "
    "Edg/119.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36 OPR/105.0.0.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "QQ/8.9.78.12 NetType/WIFI", "CMBC-MobileBank/7.1.0.1 (iPhone; iOS 16.6; Scale/3.00)"]
# Real province, city and district names, for addresses to a house number as a bank's customer
# records write them (Faker zh_CN's addresses end at a building letter, 韦街b座, and name no real place).
PLACES = ["北京市朝阳区", "北京市海淀区", "上海市浦东新区", "上海市黄浦区", "天津市和平区", "重庆市渝中区",
          "广东省深圳市南山区", "广东省广州市天河区", "浙江省杭州市西湖区", "江苏省南京市鼓楼区", "四川省成都市武侯区",
          "湖北省武汉市洪山区", "陕西省西安市雁塔区", "山东省济南市历下区", "福建省厦门市思明区", "河南省郑州市金水区",
          "辽宁省沈阳市和平区", "广西壮族自治区南宁市青秀区", "深圳市福田区", "杭州市余杭区", "海淀区", "浦东新区"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


class Values:
    """Generators of true values, one method per entity, all synthetic."""

    def __init__(self, rng: random.Random, fake: Faker):
        self.rng, self.fake = rng, fake

    def CN_RESIDENT_ID(self) -> str:
        return self.fake.ssn()

    def CN_BANK_CARD(self) -> str:
        body = self.rng.choice(BINS)
        body += _digits(self.rng, self.rng.choice([16, 19]) - len(body) - 1)
        number = body + luhn.calc_check_digit(body)
        return self.rng.choice([number, number, " ".join(number[i:i + 4] for i in range(0, len(number), 4))])

    def CN_BANK_ACCOUNT(self) -> str:
        while True:  # a number no other recognizer takes: a card's, an ID's or a phone's is theirs
            number = self.rng.choice("1234579") + _digits(self.rng, self.rng.choice([11, 12, 15, 16, 18, 19, 20, 21]))
            if bank_account.is_valid(number):
                break
        grouped = " ".join(number[i:i + 4] for i in range(0, len(number), 4))
        return self.rng.choice([number, number, number, grouped])

    def CN_MOBILE_PHONE(self) -> str:
        number = self.fake.phone_number()
        return self.rng.choice([number, number, "+86 " + number, f"{number[:3]}-{number[3:7]}-{number[7:]}"])

    def CN_LANDLINE_PHONE(self) -> str:
        while True:  # a number in a range assigned to landlines (021-800… is not: phonenumbers)
            area, sub = self.rng.choice(AREA_CODES), str(self.rng.randint(2, 8)) + _digits(self.rng, 7)
            if landline.is_valid(f"{area}-{sub}"):
                break
        return self.rng.choice([f"{area}-{sub}", f"({area}){sub}", f"{area}-{sub}转{self.rng.randint(1, 999)}",
                                f"{area} {sub[:4]} {sub[4:]}"])

    def CN_PASSPORT(self) -> str:
        rng = self.rng
        return rng.choice(["E" + _digits(rng, 8), "E" + rng.choice("ABCDEFGHJKLMN") + _digits(rng, 7),
                           "G" + _digits(rng, 8), rng.choice(["DE", "SE", "PE"]) + _digits(rng, 7),
                           "K" + _digits(rng, 8), "MA" + _digits(rng, 7)])

    def CN_HK_MACAU_PERMIT(self) -> str:
        rng = self.rng
        return rng.choice([rng.choice("HM") + _digits(rng, 8) + rng.choice(["", "00", "01"]),
                           "C" + _digits(rng, 8), "C" + rng.choice("ABCDEFGH") + _digits(rng, 7)])

    def CN_TAIWAN_PERMIT(self) -> str:
        return self.rng.choice([_digits(self.rng, 8), _digits(self.rng, 8), "L" + _digits(self.rng, 8)])

    def CN_FOREIGN_PERMANENT_RESIDENT_ID(self) -> str:
        rng = self.rng
        born = self.fake.date_of_birth(minimum_age=18, maximum_age=80)
        if rng.random() < 0.5:  # the 2023 number: 9, province, ISO numeric country, birth date
            body = "9" + rng.choice(["11", "31", "44", "32", "51"]) + rng.choice(["840", "392", "410", "826", "276"]) \
                + born.strftime("%Y%m%d") + _digits(rng, 3)
            return body + mod_11_2.calc_check_digit(body)
        # The 2017 number; its check digit's rule is not known (recognizers/cn_foreign_permanent_resident_id.py).
        return rng.choice(["USA", "JPN", "KOR", "GBR", "DEU"]) + rng.choice(["1100", "3100", "4403", "3201"]) \
            + born.strftime("%y%m%d") + _digits(rng, 2)

    def HK_ID_CARD(self) -> str:
        rng = self.rng
        body = rng.choice(["", "", "", rng.choice(LETTERS)]) + rng.choice(LETTERS) + _digits(rng, 6)
        check = hk_id_card.calc_check_digit(body)
        return rng.choice([f"{body}({check})", f"{body}({check})", body + check])

    def MO_ID_CARD(self) -> str:
        rng = self.rng
        body = rng.choice("157") + _digits(rng, 6)
        return rng.choice([f"{body}({_digits(rng, 1)})", body + _digits(rng, 1)])

    def TW_ID_CARD(self) -> str:
        while True:  # one body in ten has a check digit that makes it valid: draw the digit
            number = self.rng.choice(LETTERS) + self.rng.choice("12") + _digits(self.rng, 8)
            if tw_id_card.is_valid(number):
                return number

    def CN_MILITARY_ID(self) -> str:
        rng = self.rng
        unit, digits = rng.choice("南北沈兰成济广海空参政后装"), _digits(rng, rng.choice([6, 7, 8]))
        if len(set(digits)) == 1:
            digits = "1" + digits[1:]
        return rng.choice([unit + "字第" + digits + rng.choice(["号", "号", ""]),
                           unit + "字" + rng.choice(["", " "]) + digits,  # 第 left out
                           "军" + _digits(rng, 7), rng.choice("士兵文") + _digits(rng, 8),  # the 2016 documents
                           digits, "第" + digits + "号"])  # bare: the keyword or key right before

    def CN_USCC(self) -> str:
        org = _digits(self.rng, 8)
        # Most codes embed a GB 11714 organisation code with its own check (FORMATS.md §4.2).
        total = sum(int(c) * w for c, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2)))
        org_check = {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
        org += org_check if self.rng.random() < 0.8 else _digits(self.rng, 1)
        body = self.rng.choice(["91", "92", "93", "12", "52"]) + self.rng.choice(
            ["110000", "110105", "310115", "440300", "440305", "330106", "510104"]) + org
        return body + stdnum_uscc.calc_check_digit(body)

    def CN_LICENSE_PLATE(self) -> str:
        rng = self.rng
        serial = rng.choice([_digits(rng, 5), rng.choice(LETTERS) + _digits(rng, 4),
                             rng.choice("DF") + rng.choice(LETTERS) + _digits(rng, 4), _digits(rng, 5) + "D"])
        return rng.choice(PROVINCES) + rng.choice(LETTERS) + rng.choice(["", "", "·"]) + serial

    def EMAIL_ADDRESS(self) -> str:
        return self.rng.choice([self.fake.email(), f"{self.rng.randint(10000, 999999999)}@qq.com",
                                self.fake.user_name() + "@163.com"])

    def IP_ADDRESS(self) -> str:
        rng = self.rng
        if rng.random() < 0.2:
            return f"240e:{rng.randint(1, 0xfff):x}:{rng.randint(1, 0xffff):x}::{rng.randint(1, 0xffff):x}"
        return f"{rng.choice([36, 58, 101, 113, 119, 120, 183, 202, 221])}.{rng.randint(0, 255)}" \
               f".{rng.randint(0, 255)}.{rng.randint(1, 254)}"

    def PERSON(self) -> str:
        return self.fake.name()

    def CN_ADDRESS(self) -> str:
        if self.rng.random() < 0.5:
            return self.fake.address().split(" ")[0]  # Faker appends a postcode after a space
        rng = self.rng
        house = f"{self.fake.street_name()}{rng.choice(['', '', '甲'])}{rng.randint(1, 999)}号"
        room = rng.choice(["", "", f"{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元{rng.randint(1, 30)}0{rng.randint(1, 4)}室",
                           f"{rng.choice('ABCD')}座{rng.randint(1, 30)}0{rng.randint(1, 9)}室"])
        return rng.choice(PLACES) + house + room

    def _card_number(self) -> str:
        body = self.rng.choice(BINS)
        body += _digits(self.rng, self.rng.choice([16, 19]) - len(body) - 1)
        return body + luhn.calc_check_digit(body)

    def CARD_TRACK_DATA(self) -> str:
        rng = self.rng
        expiry = f"{rng.randint(24, 35)}{rng.randint(1, 12):02d}{rng.choice(['101', '201', '120', '220', '501', '601'])}"
        number = self._card_number()
        return rng.choice([f"{number}={expiry}{_digits(rng, rng.randint(8, 13))}",
                           f"{number}D{expiry}{_digits(rng, rng.randint(8, 13))}F",
                           f"B{number}^{self.fake.last_romanized_name().upper()}/{self.fake.first_romanized_name().upper()}"
                           f"^{expiry}{_digits(rng, rng.randint(10, 20))}"])

    def AUTH_OTP(self) -> str:
        return _digits(self.rng, self.rng.choice([4, 6, 6, 6, 8]))

    def CARD_CVN(self) -> str:
        return _digits(self.rng, 3)

    def CARD_EXPIRY(self) -> str:
        rng = self.rng
        month, year = f"{rng.randint(1, 12):02d}", str(rng.randint(24, 35))
        return rng.choice([month + year, year + month, f"{month}/{year}", f"{month}/20{year}"])

    def AUTH_PASSWORD(self) -> str:
        rng = self.rng
        letters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
        word = "".join(rng.choice(letters) for _ in range(rng.randint(3, 8)))
        return rng.choice([_digits(rng, 6), word + _digits(rng, rng.randint(2, 6)),
                           word.capitalize() + rng.choice("@#!$") + _digits(rng, 4), _digits(rng, 4) + word])


# The column a negative's value is stored under when it appears as a table cell.
NEGATIVE_COLUMNS = {"word_under_name": "name", "order_no": "ddh", "serial": "jylsh", "amount": "jyje", "amount_fen": "jyje", "balance": "ye",
                    "bad_id": "sfzh", "bad_card": "yhkh", "imei": "imei", "version": "bbh",
                    "bad_uscc": "ywbh", "part_code": "wlbm", "model_code": "xh", "eight_digits": "gdh",
                    "place_under_name": "area_name"}


def _bad_id(rng: random.Random, fake: Faker) -> str:
    """Return an ID with a wrong check character, or a valid checksum on an impossible date.
    A wrong check after two zeros is not drawn: 18 digits ending 000 read as an ID that a
    spreadsheet kept as a number, reported with context."""
    number = fake.ssn()
    if rng.random() < 0.5:
        return number[:17] + rng.choice([c for c in "0123456789X" if c != number[17]
                                         and not (c == "0" and number[15:17] == "00")])
    body = number[:6] + rng.choice(["19900230", "19871301", "20991231", "19450032"]) + number[14:17]
    return body + mod_11_2.calc_check_digit(body)


def _bad_card(rng: random.Random) -> str:
    """Return a card number with a wrong check digit, and no zeros past the 15th digit: those
    read as a card that a spreadsheet kept as a number, which is reported with context."""
    while True:
        body = rng.choice(BINS) + _digits(rng, 12)
        number = body + str((int(luhn.calc_check_digit(body)) + rng.randint(1, 9)) % 10)
        if not lost_its_last_digits(number):
            return number


def negatives(rng: random.Random, fake: Faker) -> list[tuple[str, str]]:
    """Return hard negatives as ``(kind, text)``: nothing in them is personal data."""
    version = ".".join(str(rng.randint(0, 20)) for _ in range(4))
    date = f"20{rng.randint(15, 25)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    imei = rng.choice(["86", "35"]) + _digits(rng, 12)
    area = f"{rng.randint(11, 65)}0{rng.randint(100, 999)}"  # a region table's code, as 330109
    return [
        ("order_no", f"订单号：{date}{_digits(rng, rng.choice([6, 8, 10, 12]))}"),
        ("serial", f"流水号={_digits(rng, rng.choice([16, 18, 19, 20, 22]))}"),
        ("trace_id", f"traceId={_digits(rng, 19)} spanId={_digits(rng, 16)}"),
        ("timestamp_ms", f"ts={rng.randint(1_500_000_000_000, 1_800_000_000_000)} cost={rng.randint(1, 999)}ms"),
        ("amount", f"交易金额：{rng.randint(1, 10**7)}.{rng.randint(0, 99):02d}元"),
        ("amount_fen", f"金额(分)：{rng.choice(['138', '139', '186'])}{_digits(rng, 8)}"),
        ("bad_id", f"身份证号：{_bad_id(rng, fake)}"),
        ("bad_card", f"卡号：{_bad_card(rng)}"),
        ("imei", f"IMEI：{imei}{luhn.calc_check_digit(imei)}"),
        ("version", rng.choice([f"版本号：{version}", f"version {version}", f"app/v{version}"])),
        ("error_code", f"错误码：E{_digits(rng, 8)}"),
        ("private_ip", f"连接数据库 10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}:3306 成功"),
        ("not_address", rng.choice(["地址：未知", "MAC地址：00-1A-2B-3C-4D-5E", "地址：同上", "IP地址：获取失败"])),
        # A branch's or a merchant's address, a street named after a city, a metro exit: no person's.
        ("branch_address", rng.choice(["办理网点 ", "商户", "受理机构："]) + rng.choice(PLACES)
         + f"{fake.street_name()}{rng.randint(1, 999)}号"),
        ("city_street", f"门店在{rng.choice(['北京', '南京', '上海', '中山'])}路{rng.randint(1, 999)}号"),
        ("not_email", rng.choice(["icon@2x.png", "user@localhost", "@Override", "com.bank.Foo@1a2b3c"])),
        ("bad_uscc", f"业务编号：{rng.choice(['91', '92'])}110105{_digits(rng, 9)}I"),
        ("bank_hotline", rng.choice(["客服电话：95588", "服务热线：400-810-8888", "热线 800-820-8820"])),
        ("not_person", rng.choice(["联系人：暂无", "收款人：中国银行股份有限公司", "持卡人：本人",
                                   "户名：北京某某科技有限公司", "姓名：未填写"])),
        ("word_under_name", rng.choice(["name=", "name: ", "NAME="]) + rng.choice(NAME_KEY_WORDS)),
        ("word_in_json", rng.choice(['{{"name":"{}"}}', '{{"code":"01","name":"{}","sort":1}}', "<name>{}</name>"])
         .format(rng.choice(NAME_KEY_WORDS))),
        ("place_under_name", rng.choice(["name=", "NAME=", f"areaCode={area}, name="]) + rng.choice(PLACE_NAME_WORDS)),
        ("place_in_json", rng.choice(['{{"areaCode":"{}","name":"{}","level":3}}',
                                      "<area><code>{}</code><name>{}</name></area>"])
         .format(area, rng.choice(PLACE_NAME_WORDS))),
        ("field_not_person", rng.choice(['"productName":"安心宝"', "deptName=风险管理部", "branchName=朝阳支行",
                                         '"name":"工资代发"', '"name":"王牌理财"', "userName=admin",
                                         "<name>活期存款</name>", "fileName=客户清单.xlsx"])),
        ("field_not_address", rng.choice(['"address":"0x7ffe5a1c"', "addr=N/A", '"address":"见附件"',
                                          "<address>未知</address>", "homeAddr=同上"])),
        ("field_not_id", rng.choice([f'"orderNo":"{date}{_digits(rng, 10)}"', f"traceNo={_digits(rng, 18)}",
                                     f"serialNo={_digits(rng, 15)}"])),
        ("code_not_pr", rng.choice([f"产品编码：{rng.choice(['SKU', 'PRD', 'CNY', 'USD'])}{date}{_digits(rng, 4)}",
                                    f"batchNo=9{_digits(rng, 17)}", f"凭证号 USA{date}{_digits(rng, 4)}"])),
        ("balance", f"账户余额：{rng.randint(10**8, 10**11)}"),
        # The shapes of the Hong Kong, Macau, Taiwan and military IDs in codes and case numbers.
        ("part_code", f"料号：{rng.choice(LETTERS)}{rng.choice(LETTERS)}{_digits(rng, 6)}"),
        ("model_code", f"型号：{rng.choice(LETTERS)}{_digits(rng, 6)}({_digits(rng, 1)})"),
        ("letter_code", rng.choice([f"订单号：{rng.choice(LETTERS)}{rng.choice('12')}{_digits(rng, 8)}",
                                    f"batchNo={rng.choice(LETTERS)}{_digits(rng, 7)}",
                                    f"SKU {rng.choice(LETTERS)}{rng.choice(LETTERS)}{_digits(rng, 7)}"])),
        ("eight_digits", f"工单号 {rng.choice('157')}{_digits(rng, 7)}"),
        # Stars in what is no masked value, and numbers beside a military keyword that are none.
        ("masked_look_alike", rng.choice([f"订单号：{date}****{_digits(rng, 4)}", f"型号：AB{_digits(rng, 2)}***({_digits(rng, 1)})",
                                          f"收款账号已变更 订单号 {date[:4]}****{_digits(rng, 4)}",
                                          f"批次 {rng.choice(LETTERS)}1{_digits(rng, 4)}****"])),
        # Keys of authentication data that name something else, and values that are no password
        # in clear: a placeholder, a reference, a hash, ciphertext.
        ("password_meta", rng.choice(["pwdErrCount=3", "passwordExpireDays=90", "密码错误次数：3", "密码修改成功",
                                      "password=${DB_PASSWORD}", "password=ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)",
                                      "passwordHash=$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
                                      f"pwd={rng.getrandbits(128):032x}", "password=null", "密码 reset ok"])),
        ("card_field_meta", rng.choice(["cvv2Result=000", f"图形验证码：{_digits(rng, 4)}", "验证码错误次数：3",
                                        f"验证码有效期：{rng.randint(60, 600)}秒", "smsCodeLength=6",
                                        f"证件有效期：20{rng.randint(30, 45)}-12-31", f"tokenExpDate={_digits(rng, 4)}",
                                        f"有效期：{rng.randint(60, 7200)}秒", f"expire_time={_digits(rng, 4)}"])),
        ("digits_equals_digits", f"seq={_digits(rng, 19)}={_digits(rng, 8)}"),
        ("military_look_alike", rng.choice([f"证件类型：军官证 有效期至 20{rng.randint(26, 40)}1231",
                                            f"军官证已核验 交易金额 {rng.randint(10**6, 10**8)}",
                                            f"士兵证复印件 第{rng.randint(1, 9)}页 共{rng.randint(10, 99)}页"])),
        ("court_case", f"案号：({rng.randint(2015, 2025)})京0105民初字第{_digits(rng, rng.choice([4, 5, 6]))}号"),
        ("not_bank_account", rng.choice([f"登录账号：{_digits(rng, 10)}", f"联行号：{rng.choice(['102', '103', '105'])}{_digits(rng, 9)}",
                                         f"账户开户时间：{date}{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}",
                                         f"金额 {rng.randint(10**8, 10**10)} 收款账号已变更",
                                         f"收款账号变更 交易金额 {rng.randint(10**8, 10**10)}"])),
        # The field after an account's, and an amount in fen of a mobile number's shape under its key.
        ("field_after_account", rng.choice(["</AcctNo><TxnSrlNo>{}</TxnSrlNo>", '"skzh":"","ddh":"{}"',
                                            "acctNo=null, seq={}"]).format(date + _digits(rng, rng.choice([4, 6, 10])))),
        ("amount_under_key", rng.choice(['{{"jyje":"{}"}}', "<TxnAmt>{}</TxnAmt>", "amt={}"])
         .format(rng.choice(["138", "139", "186"]) + _digits(rng, 8))),
        ("short_numbers", f"线程[pool-{rng.randint(1, 9)}-thread-{rng.randint(1, 99)}] 第{rng.randint(1, 999)}页，"
                          f"共{rng.randint(1, 99999)}条"),
        # SQL with its values inline, and a dump's rows, none of them personal.
        ("sql_inline", rng.choice([
            f"INSERT INTO `t_txn` VALUES ('{date}{_digits(rng, 10)}',{rng.randint(1, 10**7)}.{rng.randint(0, 99):02d},"
            f"'{date[:4]}-{date[4:6]}-{date[6:]}','{rng.choice(['朝阳支行', '北京分行营业部', '王府井支行'])}',"
            f"'{rng.choice(['工资代发', '张江园区代缴', '王牌理财'])}',{rng.randint(0, 9)});",
            f"update t_txn set status={rng.randint(0, 9)}, remark='{rng.choice(['工资代发', '张江园区代缴'])}' "
            f"where order_no in ('{date}{_digits(rng, 10)}', '{date}{_digits(rng, 10)}')"])),
        ("sql_dump", f"COPY public.t_txn (order_no, amount, branch_name) FROM stdin;\n{date}{_digits(rng, 10)}\t"
                     f"{rng.randint(1, 10**7)}.{rng.randint(0, 99):02d}\t{rng.choice(['朝阳支行', '王府井支行'])}\n\\."),
        # MyBatis' statement and its parameters, none of them personal: two lines.
        ("sql_parameters", "==>  Preparing: INSERT INTO t_txn (order_no, amount, trade_date, branch_name, remark, "
                           "status) VALUES (?, ?, ?, ?, ?, ?)\n==> Parameters: "
                           f"{date}{_digits(rng, 10)}(String), {rng.randint(1, 10**7)}.{rng.randint(0, 99):02d}"
                           f"(BigDecimal), {date[:4]}-{date[4:6]}-{date[6:]}(Date), "
                           f"{rng.choice(['朝阳支行', '北京分行营业部', '王府井支行'])}(String), "
                           f"{rng.choice(['工资代发', '张江园区代缴', 'null'])}(String), {rng.randint(0, 9)}(Integer)"),
        # A browser's or an app's User-Agent: Chrome, Edge and Opera write their version as four
        # numbers, the last three 0; apps theirs after their name and a slash. Chosen by the date
        # drawn above, so the draws after it stay as they were.
        ("user_agent", USER_AGENTS[int(date) % len(USER_AGENTS)]),
    ]


def _masked_account(rng: random.Random) -> str:
    """Return a masked account as banks print it, one no card's, ID's or phone's masked form
    takes (whose first six digits are a card's BIN, 356812…, is a masked card)."""
    while True:
        value = rng.choice([f"{_digits(rng, 4)}****{_digits(rng, 4)}",
                            f"{rng.choice('1234579')}{_digits(rng, 5)}********{_digits(rng, 4)}",
                            f"4405 **** **** {_digits(rng, 4)}"])
        if bank_account.is_masked(value):
            return value


def masked_values(rng: random.Random, fake: Faker) -> list[tuple[str, str, tuple[str, ...], str]]:
    """Return already-masked values as ``(entity, prefix, context, value)``."""
    number = fake.phone_number()
    ssn = fake.ssn()
    card = rng.choice(BINS)[:6].ljust(6, "0")
    surname = fake.last_name()
    return [
        ("CN_MOBILE_PHONE", "手机号：", (), number[:3] + "****" + number[7:]),
        ("CN_RESIDENT_ID", "身份证号：", (), ssn[:6] + "********" + ssn[14:]),
        ("CN_BANK_CARD", "卡号：", (), rng.choice([f"{card[:4]} **** **** {_digits(rng, 4)}",
                                                  card + "*********" + _digits(rng, 4)])),
        ("EMAIL_ADDRESS", "邮箱：", (), rng.choice("abcxyz") + "***@163.com"),
        ("CN_LANDLINE_PHONE", "座机：", (), rng.choice(["0755", "0571", "010"]) + "****" + _digits(rng, 4)),
        ("CN_PASSPORT", "护照号码：", (), "E****" + _digits(rng, 4)),
        ("PERSON", "", ("khxm",), surname + "*" * rng.randint(1, 2)),
        ("PERSON", "户名：", (), surname + "**"),
        ("CN_ADDRESS", "家庭住址：", (), rng.choice(["北京市海淀区", "广东省深圳市南山区", "上海市浦东新区"]) + "****"),
        # Accounts as banks print them, after a keyword, under a key or in a column; a masked
        # mobile number beside an account's keyword stays a mobile number.
        ("CN_BANK_ACCOUNT", rng.choice(["收款账号：", "对方账号 ", "acctNo="]), (), _masked_account(rng)),
        ("CN_BANK_ACCOUNT", "", ("dfzh",), f"3100{_digits(rng, 2)}*********{_digits(rng, 4)}"),
        ("CN_MOBILE_PHONE", "收款账号预留手机 ", (), number[:3] + "****" + number[7:]),
        # Hong Kong numbers in parentheses need no keyword; Macau's and Taiwan's do.
        ("HK_ID_CARD", rng.choice(["", "香港身份证："]), (),
         rng.choice(LETTERS) + rng.choice([f"{_digits(rng, 3)}***(*)", f"{_digits(rng, 2)}****({_digits(rng, 1)})",
                                           f"{_digits(rng, 4)}**(*)"])),
        ("MO_ID_CARD", "澳门居民身份证 ", (), rng.choice("157") + rng.choice([f"{_digits(rng, 3)}***(*)", f"{_digits(rng, 3)}****"])),
        ("TW_ID_CARD", "台湾居民身份证 ", (), rng.choice(LETTERS) + rng.choice([f"{rng.choice('12')}{_digits(rng, 4)}****",
                                                                    f"{rng.choice('12')}*******{_digits(rng, 1)}"])),
        ("AUTH_PASSWORD", rng.choice(["password=", "交易密码：", '"loginPwd":"']), (), "*" * rng.choice([6, 8])),
        ("CARD_CVN", rng.choice(["cvv2=", "安全码："]), (), "***"),
    ]


class CorpusBuilder:
    """Build samples: values in keyword, column and bare contexts; negatives; masked values."""

    SUFFIXES = ["，处理成功", " ", "。", "|status=0", ""]
    GLUED = ["已登记", "办理业务"]  # numbers glued to Chinese on both sides

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.values = Values(self.rng, self.fake)

    def _prefix(self) -> str:
        rng = self.rng
        return (f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:"
                f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d},{rng.randint(0, 999):03d} INFO "
                f"[http-nio-8080-exec-{rng.randint(1, 200)}] c.b.{rng.choice(['Acct', 'Cust', 'Pay'])}Service - ")

    def _place(self, before: str, value: str, after: str) -> tuple[str, int, int]:
        return before + value + after, len(before), len(before) + len(value)

    def positive(self, entity: str) -> Sample:
        """Return one true value of ``entity`` in a keyword, column or bare context."""
        value = getattr(self.values, entity)()
        keywords, columns = CONTEXTS[entity]
        fields = FIELDS[entity]
        if entity == "PERSON" and self.rng.random() < 0.2:  # a name that is a word, where a key says whose
            value, fields = self.rng.choice(WORD_NAMES), [key for key in fields if key != "name"]
        roll = self.rng.random()
        if roll < 0.25:
            return Sample(value, (self.rng.choice(columns),), [(entity, 0, len(value), False)], "column")
        after = self.rng.choice(self.SUFFIXES + self.GLUED)
        if roll < 0.7:
            glue = self.rng.choice(["：", ":", " ", "=", ""])
            before = self._prefix() + self.rng.choice(["客户", "", "更新"]) + self.rng.choice(keywords) + glue
            mode = "keyword"
        elif roll < 0.85 and self.rng.random() < 0.25:
            text, start, end = self._mybatis(self.rng.choice(columns), value)
            return Sample(text, (), [(entity, start, end, False)], "field", entity)
        elif roll < 0.85 and self.rng.random() < 0.25:
            text, start, end = self._sql(self.rng.choice(columns), value)
            return Sample(text, (), [(entity, start, end, False)], "sql", entity)
        elif roll < 0.85:
            key = self.rng.choice(fields)
            before, after = self.rng.choice(FIELD_FORMS).format(key=key, value="\0").split("\0")
            before, mode = self._prefix() + "req " + before, "field"
        else:
            before, after, mode = self._prefix() + "处理请求 ", " 完成", "bare"
        text, start, end = self._place(before, value, after)
        return Sample(text, (), [(entity, start, end, False)], mode, entity)

    def _mybatis(self, column: str, value: str) -> tuple[str, int, int]:
        """Return two lines of SQL logged by MyBatis, the first naming ``column``, the second
        holding ``value`` there beside an order number, an amount or a date; and ``value``'s span."""
        rng = self.rng
        head = self._prefix().replace(" INFO ", " DEBUG ")
        order, amount = f"2024{_digits(rng, 14)}", f"{rng.randint(1, 10**6)}.{rng.randint(0, 99):02d}"
        form = rng.randrange(3)
        if form == 0:
            statement = f"==>  Preparing: INSERT INTO t_cust (order_no, {column}, amount) VALUES (?, ?, ?)"
            before, after = f"==> Parameters: {order}(String), ", f"(String), {amount}(BigDecimal)"
        elif form == 1:
            statement = f"==>  Preparing: SELECT * FROM t_cust WHERE {column} = ? AND open_date >= ?"
            before, after = "==> Parameters: ", "(String), 2024-01-01(Date)"
        else:
            statement = f"<==    Columns: cust_id, {column}, balance"
            before, after = f"<==        Row: {rng.randint(1, 10**6)}, ", f", {amount}"
        return self._place(head + statement + "\n" + head + before, value, after)

    def _sql(self, column: str, value: str) -> tuple[str, int, int]:
        """Return SQL with its values, as a dump or a logger writes it, ``value`` under ``column``
        beside an order number and an amount: a statement with inline values (a multi-row
        INSERT, an UPDATE, a WHERE … IN; p6spy's line, JdbcTemplate's), a dump's COPY block, or a
        prepared statement and the line that binds ``value`` (Hibernate 5 and 6, JdbcTemplate);
        and ``value``'s span."""
        rng = self.rng
        head = self._prefix().replace(" INFO ", " DEBUG ")
        order, amount = f"2024{_digits(rng, 14)}", f"{rng.randint(1, 10**6)}.{rng.randint(0, 99):02d}"
        form = rng.randrange(7)
        if form == 0:
            before = (f"INSERT INTO `t_cust` (`order_no`, `{column}`, `amount`) VALUES "
                      f"('{order}', NULL, {amount}),('{order}', '")
            return self._place(before, value, f"', {amount});")
        if form == 1:
            prepared = f"update t_cust set {column}=?, amount=? where order_no=?"
            before = (head.replace("DEBUG", "INFO") + f"p6spy - 1700000000|3|statement|connection 5|{prepared}|"
                      f"update t_cust set {column}='")
            return self._place(before, value, f"', amount={amount} where order_no='{order}'")
        if form == 2:
            before = head + f"o.s.jdbc.core.JdbcTemplate - Executing SQL query [select * from t_cust where " \
                            f"order_no = '{order}' and {column} in ('"
            return self._place(before, value, "')]")
        if form == 3:
            before = f"COPY public.t_cust (order_no, {column}, amount) FROM stdin;\n{order}\t"
            return self._place(before, value, f"\t{amount}\n\\.")
        statement = head + f"org.hibernate.SQL - insert into t_cust (order_no, {column}, amount) values (?, ?, ?)"
        if form == 4:
            bind = head.replace("DEBUG", "TRACE") + "o.h.type.descriptor.sql.BasicBinder - binding parameter [2] as " \
                                                    "[VARCHAR] - ["
        elif form == 5:
            bind = head.replace("DEBUG", "TRACE") + "org.hibernate.orm.jdbc.bind - binding parameter (2:VARCHAR) <- ["
        else:
            statement = head + "o.s.jdbc.core.JdbcTemplate - Executing prepared SQL statement " \
                               f"[insert into t_cust (order_no, {column}, amount) values (?, ?, ?)]"
            bind = head.replace("DEBUG", "TRACE") + "o.s.jdbc.core.StatementCreatorUtils - Setting SQL statement " \
                                                    "parameter value: column index 2, parameter value ["
            return self._place(statement + "\n" + bind, value, "], value class [java.lang.String], SQL type 12")
        return self._place(statement + "\n" + bind, value, "]")

    def negative(self) -> Sample:
        """Return one hard negative, in a log line or as a cell under an unrelated column."""
        kind, text = self.rng.choice(negatives(self.rng, self.fake))
        if kind in NEGATIVE_COLUMNS and self.rng.random() < 0.2:
            value = text.split("：")[-1].split("=")[-1]
            return Sample(value.strip(), (NEGATIVE_COLUMNS[kind],), [], "column", kind)
        if kind == "sql_dump":  # a dump's lines, as it writes them
            return Sample(text, (), [], "keyword", kind)
        prefix = self._prefix()  # each line's: the lines of one statement come from one thread
        return Sample("\n".join(prefix + line for line in text.split("\n")), (), [], "keyword", kind)

    def masked(self) -> Sample:
        """Return one already-masked value; finding it as plaintext is a false positive."""
        entity, prefix, context, value = self.rng.choice(masked_values(self.rng, self.fake))
        before = self._prefix() + prefix if prefix else ""
        text, start, end = self._place(before, value, "，" if prefix else "")
        return Sample(text, context, [(entity, start, end, True)], "masked", entity)


# Authentication data kept in a form that is not plain, as (keywords, columns, fields' keys): a
# CVN's and a track's ciphertext, a PIN block, a biometric template (recognizers.ciphertext,
# recognizers.biometric_template).
STORED_CONTEXTS = {
    "CARD_CVN": (["安全码密文", "CVV2密文", "卡片验证码加密值"], ["cvv2_enc", "cvn2_cipher", "enc_cvv2"],
                 ["cvv2Enc", "encCvn2", "cvn2Cipher"]),
    "CARD_TRACK_DATA": (["磁道信息密文", "二磁道密文", "磁道数据加密值"], ["track2_enc", "cdxx_mw", "track_data"],
                        ["track2Data", "encTrack2", "cdxx"]),
    "AUTH_PASSWORD": (["PIN密文", "PIN块"], ["pin_block", "pinblk"], ["pinBlock", "pin_block", "pinblk"]),
    "BIOMETRIC_TEMPLATE": (["人脸特征值", "指纹模板", "声纹特征"], ["face_feature", "zwtz", "rlsbtz"],
                           ["faceFeature", "fingerTemplate", "irisTemplate", "voiceprintFeature"]),
}


class StoredBuilder(CorpusBuilder):
    """Build samples of authentication data kept encrypted or as a template, and their look-alikes:
    16 or more hex digits under a trace's key, a certificate's or a device's fingerprint, a
    model's feature vector, a placeholder under a CVN's key."""

    def value(self, entity: str) -> str:
        """Return a stored form of ``entity``: hex or base64 of random bytes, jasypt's ENC(...),
        a PIN block's 16 hex digits, an embedding's numbers."""
        rng = self.rng
        if entity == "AUTH_PASSWORD":
            return rng.randbytes(8).hex().upper()
        if entity == "BIOMETRIC_TEMPLATE":
            if rng.random() < 0.3:
                return "[" + ", ".join(f"{rng.uniform(-1, 1):.4f}" for _ in range(rng.choice([128, 256]))) + "]"
            data = rng.randbytes(rng.choice([64, 256, 512]))
        else:
            data = rng.randbytes(rng.choice([8, 16, 32] if entity == "CARD_CVN" else [24, 32, 48]))
        form = rng.randrange(3)
        encoded = base64.b64encode(data).decode()
        return data.hex().upper() if form == 0 else encoded if form == 1 or entity == "BIOMETRIC_TEMPLATE" \
            else f"ENC({encoded})"

    def stored(self, entity: str) -> Sample:
        """Return one stored value of ``entity`` after a keyword, after a field's key or in a cell."""
        keywords, columns, fields = STORED_CONTEXTS[entity]
        value, roll = self.value(entity), self.rng.random()
        if roll < 0.25:
            return Sample(value, (self.rng.choice(columns),), [(entity, 0, len(value), False)], "column")
        if roll < 0.6:
            before = self._prefix() + self.rng.choice(keywords) + self.rng.choice(["：", ":", " ", "=", ""])
            after, mode = self.rng.choice(self.SUFFIXES + self.GLUED), "keyword"
        else:
            key = self.rng.choice(fields)
            before, after = self.rng.choice(FIELD_FORMS).format(key=key, value="\0").split("\0")
            before, mode = self._prefix() + "req " + before, "field"
        text, start, end = self._place(before, value, after)
        return Sample(text, (), [(entity, start, end, False)], mode, entity)

    def look_alike(self) -> Sample:
        """Return one look-alike in a log line, or as a cell under its column."""
        rng = self.rng
        hex16, hex32, sha256 = rng.randbytes(8).hex(), rng.randbytes(16).hex(), rng.randbytes(32).hex()
        vector = "[" + ", ".join(f"{rng.uniform(-1, 1):.4f}" for _ in range(128)) + "]"
        kind, column, value, text = rng.choice([
            ("trace_hex", "trace_id", hex16, f"traceId={hex16} spanId={rng.randbytes(8).hex()}"),
            ("session_hex", "session_id", hex32, f'{{"sessionId":"{hex32}","requestId":"{hex16}"}}'),
            ("cert_fingerprint", "cert_fingerprint", sha256,
             rng.choice([f"cert_fingerprint={sha256}", f"sha256_fingerprint: {sha256}", f"fingerprint={sha256}"])),
            ("device_fingerprint", "device_fingerprint", hex32, f"deviceFingerprint={hex32} 登录成功"),
            ("feature_vector", "feature_vector", vector, f"model=risk_v3 feature_vector={vector}"),
            ("tracking_no", "track_no", hex32, f"trackingNo={hex32} 已发货"),
            ("cipher_placeholder", "cvv2_enc", "null", rng.choice(
                ["cvv2_enc=${CVV2_CIPHER}", "track2Enc=null", "pinBlock=0000000000000000", "face_feature=",
                 "cvv2Result=00 cvvEncrypted=true", "faceFeatureVersion=3 人脸特征比对结果：通过"])),
        ])
        if rng.random() < 0.2:
            return Sample(value, (column,), [], "column", kind)
        return Sample(self._prefix() + text, (), [], "keyword", kind)


def build_corpus(seed: int, size: int) -> list[Sample]:
    """Return ``size`` samples: 60 % true values (equal per entity), 30 % hard negatives, 10 % masked;
    then ``size // 20`` of authentication data kept encrypted or as a template (``STORED_CONTEXTS``),
    60 % true, 40 % look-alikes, drawn apart so that the samples before them stay as they were."""
    builder = CorpusBuilder(seed)
    entities = list(CONTEXTS)
    samples = []
    for i in range(size):
        roll = builder.rng.random()
        if roll < 0.6:
            samples.append(builder.positive(entities[i % len(entities)]))
        elif roll < 0.9:
            samples.append(builder.negative())
        else:
            samples.append(builder.masked())
    stored, kinds = StoredBuilder(seed + 1), list(STORED_CONTEXTS)
    for i in range(size // 20):
        samples.append(stored.stored(kinds[i % len(kinds)]) if stored.rng.random() < 0.6 else stored.look_alike())
    return samples
