"""IPv4 and IPv6 addresses; public ones are personal data in login logs, private ones rarely.

Rules: FORMATS.md §5.10. Candidates are confirmed by ``ipaddress``. Private, loopback,
link-local and reserved addresses are infrastructure, so they need context (登录IP, a column
such as dlip); a version string such as ``版本 1.2.3.4`` is pushed down by negative context, and
a product's version after its name and a slash (a User-Agent's ``Chrome/118.0.0.0``,
``QQ/8.9.78.12``) is no candidate.
"""

from __future__ import annotations

import functools
import ipaddress
from functools import cached_property

from recognizers.base import ChineseRecognizer, Risk
from recognizers.presidio_light import Pattern

ENTITY = "IP_ADDRESS"
EXAMPLES = {
    "valid": ["202.96.134.133", "8.8.8.8", "2001:4860:4860::8888", "240e:1:2:3:4:5:6:7",
              "192.168.1.10", "::ffff:202.96.134.133"],
    "invalid": ["256.1.1.1", "1.2.3", "10:00:00", "1.2.3.4.5", "2001:db8:::1", "01.2.3.4", "118.0.0.0"],
}

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = _OCTET + r"(?:\." + _OCTET + "){3}"
_HEX = "[0-9A-Fa-f]"


# A reported address was parsed four times (validated, scored, normalized, masked) and its
# public-or-not answer walked ipaddress's network lists (16 tests): remembered for the addresses
# of the last many lines, where an access log repeats its clients'. 16,384 addresses hold ~4 MB.
_REMEMBERED = 16_384


@functools.lru_cache(maxsize=_REMEMBERED)
def parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the address, or None when it is not one.

    >>> parse("10:00:00") is None, str(parse("2001:DB8::1")), str(parse("202.96.134.133")), parse("01.2.3.4")
    (True, '2001:db8::1', '202.96.134.133', None)
    """
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


@functools.lru_cache(maxsize=_REMEMBERED)
def is_public(address: str) -> bool:
    """Tell whether an address is globally routable (a subscriber's, not a server room's).

    >>> is_public("202.96.134.133"), is_public("192.168.1.10"), is_public("::1")
    (True, False, False)
    """
    parsed = parse(address)
    return parsed is not None and parsed.is_global and not parsed.is_multicast


class IpAddressRecognizer(ChineseRecognizer):
    """IPv4 and IPv6 addresses (IP地址)."""

    ENTITY = ENTITY
    PATTERNS = (
        # "IP" may be glued to the address (登录IP202.96.134.133); other letters may not (v1.2.3.4).
        # A dash and a number that ends it is a version's revision (Debian's 1.2.5.1-2, dpkg.log);
        # a range goes on to a dotted address (10.0.0.1-10.0.0.255) and keeps both.
        # Four numbers of up to three digits, which ``ipaddress`` then checks: begun with a digit
        # and its boundary checked after it (``base.not_after``), not with a lookahead and the
        # octets' alternatives, 10.2 -> 5.5 µs over an access log's line (measured).
        # A product's version after its name and a slash is none (QQ/8.9.78.12, CMBC-MobileBank/
        # 7.1.0.1: a User-Agent's); after two slashes, a URL's host is one (http://202.96.134.133/).
        Pattern("ipv4", r"([0-9](?:(?<![0-9A-Za-z.].)(?<![0-9A-Za-z]/.)|(?<=[Ii][Pp].))"
                r"[0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9A-Za-z]|\.[0-9A-Za-z]|-\d+(?![\d.]))", 0.6),
        # Two to seven colons; "10:00:00" is a candidate that ipaddress then rejects. A colon
        # may precede it after a label that is not hex ("ip:2001:db8::1", "ipv6:…").
        Pattern("ipv6", r"(?=[0-9A-Fa-f]{0,4}:)(?:(?<![0-9A-Za-z:.])|(?<=[G-Zg-z]:)|(?<=[Vv]6:)|(?<=[Ii][Pp]))(?=[0-9A-Fa-f]|::(?!:))((?:" + _HEX + r"{0,4}:){2,7}(?:" + _IPV4 + "|" + _HEX
                + r"{0,4}))(?![0-9A-Za-z:]|\.[0-9A-Za-z])", 0.6),
    )
    MASKED_PATTERNS = (
        Pattern("ipv4_masked", r"(?<![0-9A-Za-z.*])(" + _OCTET + r"\." + r"(?:" + _OCTET + r"|\*{1,3})"
                + r"\.(?:\*{1,3}\.\*{1,3}|\*{1,3}\." + _OCTET + r"|" + _OCTET + r"\.\*{1,3}))"
                + r"(?![0-9A-Za-z*]|\.[0-9A-Za-z*])", 0.4),
    )
    CONTEXT = ("ip", "登录地址", "登陆地址", "来源地址", "客户端", "client", "remote", "addr")
    COLUMN_HINTS = ("ip", "ipdz", "dlip", "khdip", "clientip", "remoteip", "loginip", "ipaddr", "sourceip")
    # Not "v" or "ver": they occur in "Service", "server" just before real addresses.
    # An OID of four arcs reads as an address: Java's TLS debug log prints "ObjectId: 2.5.29.19".
    NEGATIVE_CONTEXT = ("版本", "version", "build", "oid", "objectid", "identifier", "/v")
    NEGATIVE_COLUMN_HINTS = ("bbh", "version", "ver")
    # IPv4: the second octet between two dots; IPv6: "::" or, written in full, eight groups.
    # Every address holds them, a private one (which needs a keyword) too: no keyword screens.
    NEEDLES = (".0.", ".00.", ".000.", "::")
    NEEDLES_HOLD_ALL = True
    WHOLE_KEYS = True  # its column hints are context as whole keys only (ContextWords)
    SCREENS = (r":[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:",)
    RISK = Risk("C1", False)

    def patterns_for(self, text: str) -> list:
        """Leave out the IPv6 pattern where no address can be: one holds ``::``, or seven colons
        (six before an IPv4 address). Over an access log's line, whose times hold colons, it
        took 6 µs to find nothing (measured).

        >>> [pattern.name for pattern, _ in IpAddressRecognizer().patterns_for("[01/Jun/2024:10:00:01 +0800]")]
        ['ipv4']
        """
        if "::" in text or text.count(":") >= 6:
            return self._plain
        return self._ipv4_patterns

    @cached_property
    def _ipv4_patterns(self) -> list:
        """The compiled patterns but IPv6's (``patterns_for``), built once, not on each line."""
        return [(pattern, regex) for pattern, regex in self._plain if pattern.name != "ipv6"]

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for an address ``ipaddress`` accepts; ``a::b`` (no digit) is a C++ name,
        and an address whose last three numbers are 0 is a network's, no host's: it is the
        version Chrome, Edge and Opera give in every User-Agent since 2022 (``Chrome/118.0.0.0``),
        which was reported as an address on two lines in three of a web server's access log."""
        if pattern_text.endswith(".0.0.0"):
            return False
        return parse(pattern_text) is not None and any(c.isdigit() for c in pattern_text)

    def base_score(self, value: str, pattern: Pattern) -> float:
        """Ask for context for private, loopback and reserved addresses."""
        return pattern.score if is_public(value) else 0.3

    def normalize(self, value: str) -> str:
        """Return the canonical (compressed, lower-case) form; an IPv4 address's is the address
        as written, the only form ``ipaddress`` accepts (no leading zeros), so it is not built
        again from the parsed address (40,000 ``__str__`` calls for an access log's 20,000 lines)."""
        return value if ":" not in value else str(parse(value))

    def mask(self, value: str) -> str:
        """Hide the host part: 202.96.*.* or 2001:4860:*."""
        if ":" not in value:  # IPv4, written in its one form (``normalize``)
            return ".".join(value.split(".")[:2]) + ".*.*"
        return ":".join(parse(value).exploded.split(":")[:2]) + ":*"
