"""The machinery every pii-audit recognizer shares: patterns, validation, Chinese context, risk and masking.

A recognizer is a Presidio ``PatternRecognizer``, so it works in any ``AnalyzerEngine``. It differs
from Presidio's own in three ways that matter on Chinese text:

* ``analyze()`` runs stdlib ``re`` patterns compiled with ``re.ASCII`` (``\\d`` means 0-9) and
  keeps only candidates that pass the module's structural validation, never a checksum alone.
* ``enhance_using_context()`` looks for Chinese keywords in a window of characters around the
  match, and for the column name or header passed as ``context``. Presidio's lemma-based enhancer
  finds no tokens in Chinese text (measured: no boost), so results are marked as already enhanced
  and Presidio's enhancer leaves them alone.
* Values that are already masked (``138****5678``) are reported with ``recognition_metadata
  ["masked"] = True``: they are evidence of masking, not plaintext personal information.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Iterable

from ahocorasick_rs import BytesAhoCorasick

from recognizers import ciphertext
from recognizers.context import ContextWords, field_key_screen, hint_matches, keyword_regex, own_key
from recognizers.presidio_light import Pattern, PatternRecognizer, RecognizerResult

# Results scoring below this are not reported; a result without its required context stays below it.
MIN_SCORE = 0.5
# Added to a result's score when a keyword or column hint is found.
CONTEXT_BOOST = 0.35
# Characters on each side of a match searched for keywords (FORMATS.md §0 step 4: about 30).
CONTEXT_WINDOW = 30
# Characters before a match searched for words that say "this is not personal data".
NEGATIVE_WINDOW = 12
# Subtracted from a result's score when a negative word precedes it and no positive context exists.
NEGATIVE_PENALTY = 0.45

# What ends a field's key right before its value (``context.own_key``).
_KEY_ENDS = frozenset(">=:\"' \t")
MASKED_KEY = "masked"
MINOR_KEY = "minor"
# Values whose validation a recognizer remembers (``ChineseRecognizer.validated``); a bounded
# memory, cleared when full.
VALIDATED_VALUES = 4096



# The shape of a text, for the detector's screen: digits become 0, letters lower case, a space
# or a dash becomes "-". bytes.translate and bytes.find run at hundreds of MB/s where Python's
# re runs a digit-class prefilter over Chinese text at 1-40 MB/s (measured in bench/logs.py).
SHAPE_TABLE = bytes(
    ord("0") if chr(b).isdigit() and b < 128 else
    b + 32 if 65 <= b <= 90 else
    ord("-") if b in b" -" else b
    for b in range(256)
)


def shape(text: str) -> bytes:
    """Return the shape of a text: UTF-8 bytes with digits as 0, letters lower case, " " as "-".

    Lines keep their newlines, so line k of the text is line k of its shape.

    >>> shape("Card 6222 0212-AB")
    b'card-0000-0000-ab'
    """
    return text.encode("utf-8", "surrogatepass").translate(SHAPE_TABLE)


def to_halfwidth(text: str) -> str:
    """Map full-width ASCII forms to ASCII one character for one, so offsets are unchanged.

    >>> to_halfwidth("手机１３８－１２３４，ｅｍａｉｌ：a@b.cn　ok")
    '手机138-1234,email:a@b.cn ok'
    """
    if text.isascii():
        return text
    raw = text.encode("utf-8", "surrogatepass")
    converted = halfwidth_utf8(raw)
    return text if converted is raw else converted.decode("utf-8", "surrogatepass")


def halfwidth_utf8(raw: bytes) -> bytes:
    """Return UTF-8 bytes with full-width ASCII forms mapped to ASCII (``raw`` itself if none)."""
    # Chinese text is full of "，" and "：", so the conversion runs on most blocks. Done on UTF-8
    # bytes, where every full-width form starts with the byte EF: 2x faster than re.sub over the
    # str, and str.translate with a dict ran at 3 MB/s (measured). EF is found by memchr; the
    # ideographic space (E3 80 80) by an Aho-Corasick pass: bytes.find took 0.65 ms a MiB of
    # Chinese text (most CJK characters end in a byte 80-BF), the pass 0.04. The three finds
    # this replaced took 2.5 ms a MiB of table text with no full-width form (measured).
    forms = b"\xef" in raw
    spaces = _IDEOGRAPHIC_SPACE.find_matches_as_indexes(raw)
    if not forms and not spaces:
        return raw
    spaced = raw.replace(b"\xe3\x80\x80", b" ") if spaces else raw
    if not forms:
        return spaced
    pieces = spaced.split(b"\xef")
    converted, changed = [pieces[0]], bool(spaces)
    for piece in pieces[1:]:
        ascii_form = _FULLWIDTH_TAILS.get(piece[:2])
        if ascii_form:
            converted.append(ascii_form + piece[2:])
            changed = True
        else:
            converted.append(b"\xef" + piece)
    return b"".join(converted) if changed else raw


_IDEOGRAPHIC_SPACE = BytesAhoCorasick([b"\xe3\x80\x80"])  # U+3000, in UTF-8

# The two bytes after EF of each full-width form (U+FF01..U+FF5E), and the ASCII byte it stands for.
_FULLWIDTH_TAILS = {chr(0xFF01 + i).encode("utf-8")[1:]: bytes([0x21 + i]) for i in range(0x5E)}


@dataclass(frozen=True)
class Risk:
    """How serious a finding is: JR/T 0171-2020 category and PIPL Art. 28 sensitivity."""

    category: str  # "C3", "C2" or "C1" (JR/T 0171-2020 §4.2)
    sensitive: bool  # sensitive personal information under PIPL Art. 28
    minor: bool = False  # a resident ID whose holder was under 14 on the scan date

    def as_dict(self) -> dict:
        """Return the risk as plain JSON-ready data."""
        return {"category": self.category, "sensitive": self.sensitive, "minor": self.minor}


def fingerprint(entity: str, normalized_value: str, key: bytes) -> str:
    """Return the keyed HMAC-SHA256 fingerprint of a normalised value.

    A bare hash would not do: an 18-digit ID number falls to enumeration of about 10^11
    candidates (SECURITY.md item 2). The entity is part of the message so that the same
    digits found as a card and as an ID number do not collide.

    >>> fingerprint("CN_MOBILE_PHONE", "13812345678", b"k" * 32)[:16]
    'e80c33cf6187b211'
    """
    hasher = _keyed_hasher(key).copy()
    hasher.update(f"{entity}\x1f{normalized_value}".encode("utf-8"))
    return hasher.hexdigest()


@lru_cache(maxsize=8)
def _keyed_hasher(key: bytes):
    # The key's inner and outer pads are hashed once per key, then copied: 4.9 µs per value
    # where hmac.new(key, message) took 13 µs (measured). Copying the OpenSSL HMAC inside
    # hmac.HMAC skips the Python wrapper's copy: 1.6 µs per value where the wrapper took 2.4 µs
    # and the one-shot hmac.digest 3.5 µs (measured); where it has none, the wrapper is copied.
    hasher = hmac.new(key, digestmod=hashlib.sha256)
    return getattr(hasher, "_hmac", None) or hasher


def _blanked(match: re.Match) -> str:
    return " " * len(match.group())


def not_after(characters: str, width: int = 1) -> str:
    """Return a lookbehind that, placed after a match's first ``width`` characters, says that no
    character of the class ``characters`` stands just before the match.

    Patterns put it there rather than in front, as ``(?<![0-9A-Za-z])`` would go: ``re`` skips
    ahead to where a pattern can start when it starts with a character or a class, and tries one
    that starts with a lookbehind at every position of the text (measured on a log line: the
    mobile pattern 4.8 -> 1.9 µs, the ID pattern 2.4 -> 1.4 µs). The first characters must not
    be a newline ("." stands for them).

    >>> import re
    >>> [m.start() for m in re.finditer("1" + not_after("0-9") + "23", "123 0123 x123")]
    [0, 10]
    """
    return f"(?<![{characters}]{'.' * width})"


# A number is never part of a decimal. After a value's first character, as not_after: no digit and
# "." before it (the fraction of score=0.6228481234567891). After a value: no "." and digit, but
# zeros (13672312784.1 is an amount; 13812345678.0 a phone number stored as a float, .00 as a
# DECIMAL(13,2)).
NOT_A_FRACTION = r"(?<!\d\..)"
NO_DECIMALS_AFTER = r"(?!\.(?!0+(?!\d))\d)"


def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    """Replace all but the first ``keep_start`` and last ``keep_end`` characters with ``*``.

    >>> mask_middle("13812345678", 3, 4)
    '138****5678'
    """
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]


class ChineseRecognizer(PatternRecognizer):
    """Base of every pii-audit recognizer: one entity, validated candidates, Chinese context.

    A subclass sets the class attributes below and implements ``validate_result``,
    ``normalize`` and ``mask``; it may override ``base_score`` and ``risk_of``.
    """

    ENTITY: ClassVar[str]
    # Candidate patterns; when a pattern has a group, group 1 is the value. Pattern.score is the
    # score of a valid value found with no context.
    PATTERNS: ClassVar[tuple[Pattern, ...]]
    # Already-masked forms of the entity (138****5678); their score works like PATTERNS'.
    MASKED_PATTERNS: ClassVar[tuple[Pattern, ...]] = ()
    # The entity kept encrypted (a CVN under cvv2_enc): candidates ``is_ciphertext`` validates in
    # place of ``validate_result``, reported as plaintext findings are (``mask`` tells them apart).
    CIPHERTEXT_PATTERNS: ClassVar[tuple[Pattern, ...]] = ()
    # Keywords searched for around a match and in headers (Chinese and English, any case).
    CONTEXT: ClassVar[tuple[str, ...]] = ()
    # Column-name tokens, mostly pinyin abbreviations (FORMATS.md §10).
    COLUMN_HINTS: ClassVar[tuple[str, ...]] = ()
    # Words just before a match that say it is something else (订单号, 金额), and column hints alike.
    NEGATIVE_CONTEXT: ClassVar[tuple[str, ...]] = ()
    NEGATIVE_COLUMN_HINTS: ClassVar[tuple[str, ...]] = ()
    # Words that hold a keyword or a column hint but name something else (idCard holds card): a
    # keyword inside one of them counts for nothing, near a match or in a column name.
    NOT_KEYWORDS: ClassVar[tuple[str, ...]] = ()
    # Whether a negative word just before a match outweighs a keyword elsewhere in the window, as a
    # column naming the entity still outweighs both: for numbers without a check, whose keywords
    # stand in lines beside other numbers (澳门身份证 … 订单号 12345678).
    NEGATIVE_BEFORE_WINS: ClassVar[bool] = False
    # The detector's screen (see ``shape``): literal substrings of the shape of every value that
    # a pattern scoring MIN_SCORE or more can match. Patterns scoring less need a keyword of
    # ``text_context`` to be reported, so the keywords screen for them (``screen_needles``).
    NEEDLES: ClassVar[tuple[str, ...]] = ()
    # Whether NEEDLES and SCREENS hold every value a line can report, those of patterns scoring
    # less than MIN_SCORE too: then the keywords need not screen (an IP address is woken by its
    # dots; its keyword "ip" stands in description, skip and ship, and woke it on each such line).
    NEEDLES_HOLD_ALL: ClassVar[bool] = False
    # Whether the fields' keys that name this recognizer's values (COLUMN_HINTS) do so only whole
    # (custName=, not fileName=): then the screen of keys wants no letter or digit before one. Not
    # where a pattern takes keys ending with a hint (loginPwd=, ``field_key_regex``'s ``ending``).
    WHOLE_KEYS: ClassVar[bool] = False
    # A regex (Hyperscan's syntax, bytes) that follows every such key where it names a value this
    # recognizer reports, after what parts the key from it: the screen of keys then wants it too
    # (a person's name begins with a Chinese character: userName=zhangsan wakes nobody).
    KEY_VALUE_START: ClassVar[str] = ""
    # Regexes for what needles cannot say, in Hyperscan's syntax, matched case-insensitively on the
    # UTF-8 text (``to_halfwidth`` done); none may match a newline (``pii_audit.screen``).
    SCREENS: ClassVar[tuple[str, ...]] = ()
    # Lengths of the alphanumeric runs (ASCII letters and digits between two other characters) that
    # can be a value. When set, the detector answers this recognizer's all-digit needles by asking
    # ``run_may_hold`` about the run they fall in, so an 18-digit order number wakes nobody.
    RUN_LENGTHS: ClassVar[tuple[int, ...]] = ()
    # A regex (ASCII; Python's and Hyperscan's syntax alike) that every run ``run_may_hold``
    # accepts matches in full. The screen finds the runs it matches in C and asks ``run_may_hold``
    # about those only, so an order number costs no Python call.
    RUN_PATTERN: ClassVar[str] = "[0-9A-Za-z]+"
    # Where a keyword gives a value its context: "near" it (before or after, within CONTEXT_WINDOW)
    # or only "before" it, where a keyword after a value names the next field (金额 100000000
    # 收款账号…).
    KEYWORD_PLACE: ClassVar[str] = "near"
    # With KEYWORD_PLACE "before": a regex (Hyperscan's syntax, no newline) that every value of
    # the context-needing patterns starts with. The screen then wakes the recognizer where a keyword
    # stands before such a start, not on every line holding a keyword (``screens``).
    VALUE_START: ClassVar[str] = ""
    RISK: ClassVar[Risk]

    def __init__(self, supported_language: str = "zh"):
        super().__init__(
            supported_entity=self.ENTITY,
            name=type(self).__name__,
            supported_language=supported_language,
            patterns=list(self.PATTERNS) + list(self.CIPHERTEXT_PATTERNS) + list(self.MASKED_PATTERNS),
            context=list(self.CONTEXT) + list(self.COLUMN_HINTS),
            global_regex_flags=re.ASCII,
        )
        self.score_thresholds = {"default": MIN_SCORE}
        self._plain = [(p, re.compile(p.regex, re.ASCII)) for p in self.PATTERNS]
        self._masked = [(p, re.compile(p.regex, re.ASCII)) for p in self.MASKED_PATTERNS]
        self._ciphertext = [(p, re.compile(p.regex, re.ASCII)) for p in self.CIPHERTEXT_PATTERNS]
        self._context = ContextWords(self.text_context(), self.COLUMN_HINTS)
        self._negative_re = keyword_regex(self.NEGATIVE_CONTEXT)
        self._not_keywords_re = keyword_regex(self.NOT_KEYWORDS)
        self._verdicts: dict[tuple[str, ...], int] = {}
        self._validated: dict[int, bool] = {}  # see validated()

    def text_context(self) -> tuple[str, ...]:
        """Return the words that give a value in a text its context: ``CONTEXT``, and the column
        hints of four letters or more anywhere, as a log line names its fields as a table names
        its columns (``custCertNo=110105491231002``). Every column hint is context too as a
        field's whole key (``"lxdh":"010-65529988"``, ``recognizers.context.ContextWords``):
        a short one (dh, zh) stands inside too many other words (zh_CN) to count anywhere."""
        return self.CONTEXT + tuple(hint for hint in self.COLUMN_HINTS if len(hint) >= 4)

    def screen_needles(self) -> tuple[bytes, ...]:
        """Return the shapes that any text with a result this recognizer would report contains."""
        needles = list(self.NEEDLES)
        if self._needs_context() and not self.VALUE_START and not self.NEEDLES_HOLD_ALL:
            needles += self.text_context()
        return tuple(sorted({shape(n) for n in needles}))

    def screens(self) -> tuple[str, ...]:
        """Return ``SCREENS``, and for a recognizer whose values may need context, the regex of a
        field named by one of its column hints (what ``screen_needles`` cannot say)."""
        keys = field_key_screen(self.COLUMN_HINTS, self.WHOLE_KEYS) + self.KEY_VALUE_START \
            if self.COLUMN_HINTS and self._needs_context() else None
        return self.SCREENS + ((keys,) if keys else ()) + self._keyword_then_value_screen()

    def _keyword_then_value_screen(self) -> tuple[str, ...]:
        """Return the screen of a keyword then, further on its line, a value's start
        (``VALUE_START``): a keyword alone wakes nobody. A line of 查询账户余额成功 had woken the
        account recognizer on 1 line in 10 of the bench logs, 32% more instructions a scan.

        Not for a recognizer whose keyword may follow its value (``KEYWORD_PLACE`` "near"): the
        landline's, a value's start then a keyword (so that ``phone`` in every iPhone's
        User-Agent would no longer wake it), cost Hyperscan's pass over the bench logs 14% more
        instructions (96.3 -> 110.2 M for 2 MB, a log scan 4% more), more with the whole number's
        shape (155.6 M); the landline recognizer costs such a line 4 µs.

        The recognizer still asks for its keyword within ``CONTEXT_WINDOW`` characters; the screen
        does not, because Hyperscan compiled the bounded gap (``[^\\n]{0,120}``) in 0.24 s, a
        quarter of a scan's start-up, where an open one takes 0.01 s and wakes it on the same
        lines of the bench logs (none; measured on 20 MB)."""
        if not (self.VALUE_START and self._needs_context()):
            return ()
        words = "|".join(re.escape(word) for word in sorted(set(self.text_context())))
        return (f"(?:{words})[^\n]*{self.VALUE_START}",)

    def _needs_context(self) -> bool:
        return any(p.score < MIN_SCORE for p in self.PATTERNS + self.CIPHERTEXT_PATTERNS + self.MASKED_PATTERNS)

    # -- hooks a subclass implements -------------------------------------------------------

    def validate_result(self, pattern_text: str) -> bool:
        """Return True when the candidate is a structurally valid value of this entity."""
        raise NotImplementedError

    def normalize(self, value: str) -> str:
        """Return the canonical form of a value, the input of its fingerprint."""
        raise NotImplementedError

    def mask(self, value: str) -> str:
        """Return the value masked the way a bank would print it."""
        raise NotImplementedError

    def base_score(self, value: str, pattern: Pattern) -> float:
        """Return the score of a valid value found with no context."""
        return pattern.score

    def run_may_hold(self, run: str) -> bool:
        """Tell whether a whole alphanumeric run may be a value this recognizer reports.

        It must answer True for every run that equals a value whose pattern has an all-digit
        needle and that ``validate_result`` accepts: the detector skips the runs it rejects. The
        detector asks only about runs that match ``RUN_PATTERN`` in full.
        """
        return len(run) in self.RUN_LENGTHS and self.validated(run)

    def validated(self, value: str) -> bool:
        """Return ``validate_result(value)``, remembered for the values validated last.

        The screen validates a run (``run_may_hold``), then the recognizer validates the same
        value on the same line: in a sheet's card column each card was validated three times.
        ``validate_result`` must depend on the value alone, or clear ``_validated`` when what else
        it depends on changes (``CnResidentIdRecognizer.scan_date``). Values are remembered by
        their ``hash()``, keyed per process: no personal value is kept (as ``Detector._clean``),
        and two values share a hash once in 2^64.
        """
        key = hash(value)
        valid = self._validated.get(key)
        if valid is None:
            if len(self._validated) >= VALIDATED_VALUES:
                self._validated.clear()
            valid = self._validated[key] = self.validate_result(value)
        return valid

    def is_ciphertext(self, value: str) -> bool:
        """Tell whether a candidate of ``CIPHERTEXT_PATTERNS`` is a ciphertext (``ciphertext.is_ciphertext``)."""
        return ciphertext.is_ciphertext(value)

    def holds_binary(self, column: str) -> bool:
        """Tell whether a binary value (BLOB, BYTEA) under a column so named may be this entity kept
        as bytes (a CVN's ciphertext, a face template): the database source then hands it on as
        its hex, where it would count it as binary data not read."""
        return False

    def is_valid_masked(self, value: str) -> bool:
        """Return True when an already-masked candidate has the entity's shape."""
        return True

    def risk_of(self, value: str, metadata: dict) -> Risk:
        """Return the risk of a value (a resident ID may make it a minor's data)."""
        return self.RISK

    def risk_of_found(self, value: str, masked: bool) -> Risk:
        """Return the risk of a value ``found_halfwidth`` found, from the metadata its Presidio
        result would carry."""
        return self.risk_of(value, self._facts(value, masked))

    # -- Presidio's interface ------------------------------------------------------------------

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        """Return the valid candidates in ``text``, scored as if no context were present."""
        if entities and self.ENTITY not in entities:
            return []
        return self.analyze_halfwidth(to_halfwidth(text))

    def analyze_halfwidth(self, text: str) -> list[RecognizerResult]:
        """``analyze`` for text already through ``to_halfwidth``."""
        return [self.presidio_result(start, end, score, value, masked)
                for start, end, score, value, masked in self._candidates(text)]

    def found_halfwidth(self, text: str, context: tuple[str, ...] = ()
                        ) -> list[tuple[int, int, float, str, bool]]:
        """Return ``(start, end, score, value, already masked)`` of each valid candidate in
        ``text`` (through ``to_halfwidth``), scored in ``context`` (column names, headers).

        The scores are those ``analyze_halfwidth`` then ``enhance_halfwidth`` give. This is the
        detector's path, which builds no Presidio result for a value: a log scan 1.3% fewer
        instructions and 3-4% less CPU, the 3-column workbook 3.2% fewer (measured with
        ``bench/instructions.py``).
        """
        candidates = self._candidates(text)
        if not candidates:
            return candidates
        external = self.context_verdict(context)
        contextual = self._contextual_score
        return [(start, end, contextual(text, start, end, score, external), value, masked)
                for start, end, score, value, masked in candidates]

    def _candidates(self, text: str) -> list[tuple[int, int, float, str, bool]]:
        """Return ``(start, end, score before context, value, already masked)`` of each valid
        candidate in ``text`` (through ``to_halfwidth``), pattern by pattern."""
        found = []
        for pattern, regex in self.patterns_for(text):
            grouped = regex.groups
            for match in regex.finditer(text):
                start, end = match.span(1) if grouped else match.span()
                value = text[start:end]
                if self.validated(value):
                    found.append((start, end, self.base_score(value, pattern), value, False))
        for pattern, regex in self._ciphertext:
            for match in regex.finditer(text):
                start, end = match.span(1)
                value = text[start:end]
                if self.is_ciphertext(value):
                    found.append((start, end, pattern.score, value, False))
        for pattern, regex in self._masked if "*" in text else ():  # every masked form has a star
            for match in regex.finditer(text):
                start, end = match.span(1) if regex.groups else match.span()
                value = text[start:end]
                if self.is_valid_masked(value):
                    found.append((start, end, pattern.score, value, True))
        return found

    def patterns_for(self, text: str) -> list[tuple[Pattern, re.Pattern]]:
        """Return the compiled ``PATTERNS`` worth running on ``text`` (all of them, unless a
        recognizer knows from the text that one of them cannot find a valid value in it)."""
        return self._plain

    def enhance_using_context(
        self, text, raw_recognizer_results, other_raw_recognizer_results, nlp_artifacts, context=None
    ):
        """Raise scores where a keyword is near the match or the column names this entity."""
        if not raw_recognizer_results:  # AnalyzerEngine asks every recognizer, mostly with none
            return raw_recognizer_results
        return self.enhance_halfwidth(to_halfwidth(text), raw_recognizer_results, context)

    def enhance_halfwidth(self, text: str, results: list[RecognizerResult], context=None
                          ) -> list[RecognizerResult]:
        """``enhance_using_context`` for text already through ``to_halfwidth`` (the detector's path)."""
        external = self.context_verdict(context or ())
        for result in results:
            metadata = result.recognition_metadata
            if metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            result.score = self._contextual_score(text, result.start, result.end, result.score, external)
            metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
        return results

    # -- context -------------------------------------------------------------------------------

    def context_verdict(self, context: Iterable[str]) -> int:
        """Return +1 if a context word (column name, header) names this entity, -1 if it names
        something that is not personal data (an amount column), else 0."""
        context = tuple(context)
        verdict = self._verdicts.get(context)
        if verdict is None:  # one column's cells share a context: decide it once (measured: 15%)
            if len(self._verdicts) > 10_000:
                self._verdicts.clear()
            verdict = self._verdicts[context] = self._decide_verdict(context)
        return verdict

    def _decide_verdict(self, context: tuple[str, ...]) -> int:
        verdict = 0
        for word in context:
            if not word:
                continue
            if hint_matches(self._without_not_keywords(word), self.COLUMN_HINTS, self.CONTEXT):
                return 1
            if hint_matches(word, self.NEGATIVE_COLUMN_HINTS, self.NEGATIVE_CONTEXT):
                verdict = -1
        return verdict

    def _contextual_score(self, text: str, start: int, end: int, score: float, external: int) -> float:
        # A key ends with ASCII and one of _KEY_ENDS (jyje=, "ddh":", <TxnAmt>): most values follow
        # Chinese (手机号:, 金额 ), and asking _named_otherwise of each was 4% of a log's scan (measured).
        if external <= 0 and start > 1 and text[start - 1] in _KEY_ENDS and text[start - 2].isascii() \
                and self._named_otherwise(text, start):
            return max(0.0, score - NEGATIVE_PENALTY)
        if self.NEGATIVE_BEFORE_WINS and external <= 0 and self._negative_before(text, start):
            return max(0.0, score - NEGATIVE_PENALTY)
        if external > 0 or self._keyword_near(text, start, end):
            return min(1.0, score + CONTEXT_BOOST)
        if external < 0 or self._negative_before(text, start):
            return max(0.0, score - NEGATIVE_PENALTY)
        return score

    def _named_otherwise(self, text: str, start: int) -> bool:
        """Tell whether the field key right before a value names something else, as a column of
        that name would (``context_verdict``: ``"jyje":"13800000000"``, ``<TxnAmt>``, ``ddh=``;
        not ``balanceNotifyMobile=``), whatever keyword of another field stands further back."""
        if not self.NEGATIVE_COLUMN_HINTS:
            return False
        key = own_key(text, start)
        return key is not None and self.context_verdict((key[1],)) < 0

    def _keyword_near(self, text: str, start: int, end: int) -> bool:
        text = self._without_not_keywords(text)
        return self._context.near(text[max(0, start - CONTEXT_WINDOW):start]) or \
            (self.KEYWORD_PLACE == "near" and self._context.near(text[end:end + CONTEXT_WINDOW]))

    def _without_not_keywords(self, text: str) -> str:
        """Return ``text`` with each of ``NOT_KEYWORDS`` in it blanked, its offsets kept."""
        if self._not_keywords_re is None:
            return text
        return self._not_keywords_re.sub(_blanked, text)

    def _negative_before(self, text: str, start: int) -> bool:
        if self._negative_re is None:
            return False
        return self._negative_re.search(text, max(0, start - NEGATIVE_WINDOW), start) is not None

    # -- helpers ---------------------------------------------------------------------------------

    def presidio_result(self, start: int, end: int, score: float, value: str, masked: bool
                        ) -> RecognizerResult:
        """Return Presidio's result for a value found at ``start:end`` (its metadata, never the value)."""
        metadata = {
            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            **self._facts(value, masked),
        }
        return RecognizerResult(self.ENTITY, start, end, score, recognition_metadata=metadata)

    def _facts(self, value: str, masked: bool) -> dict:
        """Return what a result's metadata says of its value: masked, or ``add_metadata``'s facts."""
        if masked:
            return {MASKED_KEY: True}
        facts: dict = {}
        self.add_metadata(value, facts)
        return facts

    def add_metadata(self, value: str, metadata: dict) -> None:
        """Add facts about a value that travel with the result (never the value itself)."""

    def fingerprint(self, value: str, key: bytes) -> str:
        """Return the keyed fingerprint of ``value`` in its normalised form."""
        return fingerprint(self.ENTITY, self.normalize(value), key)
