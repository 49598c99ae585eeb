"""Write recognizers/data/common_words.txt: common words that the PERSON pattern would take for a name.

    pip install jieba==0.42.1   # anywhere: only its dict.txt is read
    python bench/common_words.py [--jieba-dict PATH]   # the project's Python, with its test extras (Faker)

A word is listed when the name pattern takes it whole (a surname and one or two characters:
黄金, 周一, 张家港) and validation keeps it, and it is either

* in jieba's dictionary (about 350,000 words with frequency and part of speech), not tagged a
  person's name (nr, nrfg, nrt), with a frequency of at least 10 for two characters and 3 for
  more: rarer two-character entries are mostly names jieba did not tag (黄东, 方琴, 江平), rarer
  longer ones are fragments (国何益); or
* one of ``BANKING_WORDS``, a bank's own (金卡, 龙卡, 浦发, 季末, 支付宝, 高管); or
* a place name of GB/T 2260 (python-stdnum's ``cn/loc.dat``, every year's: a county, a
  prefecture or a province, as ``recognizers.regions.place_names`` lists them), as written
  (朝阳区, 沛县) and without its suffix (张家港, 萧山, 宁德); but not the two characters left of a
  name when they are a surname and one of the commonest given names (``given_names``: 高明 of
  高明区, 黄平 of 黄平县), as often a person's name as a place's. Two-character short forms had
  been left to jieba, which tags 萧山, 余杭, 龙岗, 徐汇 and 宁德 as persons' names (nr) and lacks
  闵行: each was reported as a name under a bare ``name`` key (all 33 false positives of
  bench/accuracy.py's corpus, seed 20240601, as drawn before it held Faker's districts).

``recognizers.person`` reads the file; neither jieba nor this script is needed to scan. Run it
again when the surnames (recognizers/data/surnames.txt) or these rules change.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import stdnum.cn  # noqa: E402
from faker.providers.person.zh_CN import Provider as ZhPersonProvider  # noqa: E402

from recognizers.person import is_valid, surnames  # noqa: E402
from recognizers.regions import place_names  # noqa: E402

OUTPUT = Path(__file__).resolve().parent.parent / "recognizers" / "data" / "common_words.txt"
NAME_TAGS = {"nr", "nrfg", "nrt"}
MIN_FREQUENCY = {2: 10}  # by length; longer words need MIN_FREQUENCY_LONG
MIN_FREQUENCY_LONG = 3
# A bank's own words that its product, card and settings tables name with a bare "name" and that
# jieba lacks, rates rare or tags as a person's name: card tiers and brands, banks' short names,
# precious metals, periods, payment brands and staff roles.
# Only those the name pattern takes are kept (is_name_shaped).
BANKING_WORDS = ("金卡", "银卡", "龙卡", "普卡", "白金卡", "钻石卡", "金葵花", "金穗卡", "牡丹卡", "长城卡",
                 "太平洋卡", "浦发", "华夏", "广发", "光大", "兴业", "民生", "平安", "中信", "邮储", "农商",
                 "白银", "黄金", "铂金", "季末", "季初", "年末", "年初", "月末", "月初", "日终", "旬末",
                 # Payment, wallet and wealth brands a bank's channel and product tables name, which
                 # jieba tags as persons' names (支付宝, 华为: nr) or lacks (云闪付, 余利宝).
                 "支付宝", "花呗", "余额宝", "余利宝", "云闪付", "和包", "华为", "陆金所", "易方达", "华融",
                 "信达", "国寿", "安邦", "阳光", "富滇", "包商",
                 # Staff roles a bank's staff and permission tables name (客户经理 and 柜员 are no name's shape).
                 "高管", "管户", "顾问")
_COUNTY_RE = re.compile(r'county="([^"]+)"')
_SUFFIX_RE = re.compile(r"(?:各族自治县|自治县|自治旗|林区|特区|新区|矿区|地区|市|县|区|旗)$")
HEADER = """\
# Common words that start with a surname and are as long as a name: PERSON does not report them
# after a key that says "name" without saying whose ("name", "userName"), nor as a whole cell of
# such a column. Written by bench/common_words.py, which says how; do not edit by hand.
# From jieba 0.42.1's dict.txt (MIT License, Copyright (c) 2013 Sun Junyi) and python-stdnum's
# GB/T 2260 table (cn/loc.dat), and a bank's own words (BANKING_WORDS). {count} words, one a line.
"""


@functools.lru_cache(maxsize=1)
def _name_re() -> re.Pattern:
    single, compound = surnames()
    return re.compile(f"(?:{compound}|[{single}])[\u4e00-\u9fa5]{{1,2}}")  # person._name_regex, no "·"


def is_name_shaped(word: str) -> bool:
    """Tell whether the PERSON pattern takes ``word`` whole and validation keeps it."""
    return _name_re().fullmatch(word) is not None and is_valid(word)


def jieba_words(path: str) -> set[str]:
    """Return jieba's name-shaped words that are no person's name and frequent enough."""
    words = set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            word, frequency, tag = line.split()
            if tag in NAME_TAGS or int(frequency) < MIN_FREQUENCY.get(len(word), MIN_FREQUENCY_LONG):
                continue
            if is_name_shaped(word):
                words.add(word)
    return words


def given_names() -> frozenset[str]:
    """Return the commonest one-character given names: Faker zh_CN's list (伟, 芳, 明, 平...), the
    names bench/corpus.py draws too."""
    return frozenset(name for name in ZhPersonProvider.first_names if len(name) == 1)


def is_given_name_form(word: str) -> bool:
    """Tell whether a two-character word is a surname and one of the commonest given names (高明)."""
    single, _ = surnames()
    return len(word) == 2 and word[0] in single and word[1] in given_names()


def place_words() -> set[str]:
    """Return GB/T 2260's name-shaped place names, as written and without suffix, less the
    two-character ones that are as often a person's name (``is_given_name_form``)."""
    names = set()
    with open(os.path.join(os.path.dirname(stdnum.cn.__file__), "loc.dat"), encoding="utf-8") as handle:
        for match in _COUNTY_RE.finditer(handle.read()):
            for entry in match.group(1).split(","):  # "[-1991]东郊区,[1992-]东丽区"
                names.add(re.sub(r"^\[[^]]*\]", "", entry))
    # place_names() adds the provinces and the prefectures without theirs (宁德 of 宁德市, 兴安 of 兴安盟).
    names |= place_names()
    names |= {_SUFFIX_RE.sub("", name) for name in names}
    return {name for name in names if is_name_shaped(name) and not is_given_name_form(name)}


def main(argv: list[str] | None = None) -> int:
    """Build the list and write it, sorted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    spec = importlib.util.find_spec("jieba")
    default = os.path.join(os.path.dirname(spec.origin), "dict.txt") if spec and spec.origin else None
    parser.add_argument("--jieba-dict", default=default, required=default is None,
                        help="jieba's dict.txt (default: the installed jieba's)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    words = sorted(jieba_words(args.jieba_dict) | place_words() | {w for w in BANKING_WORDS if is_name_shaped(w)})
    args.output.write_text(HEADER.format(count=len(words)) + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words, {args.output.stat().st_size} bytes -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
