"""Indented JSON of views, byte for byte as ``json.dumps(asdict(v), ensure_ascii=False, indent=2)``.

Why not the json module: `ledger list --format json` of 17,040 items (bench/ledger.py) spent
1.8 s in ``dataclasses.asdict`` (it deep-copies every sample's location) and 1.0 s in json's
pure-Python encoder, which it uses whenever ``indent`` is set (its C encoder cannot indent in
Python 3.11); this encoder reads the views directly, fills one %-template per dataclass and lets
the C string escaper escape the strings: 0.5 s (measured while other benchmarks ran).
tests/test_json_text.py checks it against the json module on every kind of value it meets.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from json.encoder import encode_basestring  # the C escaper json uses with ensure_ascii=False

INDENT = "  "


def iso(value) -> str:
    """Return dates and times in ISO 8601, anything else as ``str``: the JSON of unknown values."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def dumps(value) -> str:
    """Return ``value`` (views, lists, dicts, scalars) as indented JSON, non-ASCII kept."""
    return _encode(value, 0)


def _quoted_iso(value) -> str:
    return '"' + value.isoformat() + '"'


# Exact types only: bool is not int here, and subclasses take the json module's own path.
_SCALARS = {
    str: encode_basestring,
    int: int.__repr__,
    bool: lambda value: "true" if value else "false",
    type(None): lambda _value: "null",
    datetime.date: _quoted_iso,
    datetime.datetime: _quoted_iso,
}


def _encode(value, level: int) -> str:
    scalar = _SCALARS.get(type(value))
    if scalar is not None:
        return scalar(value)
    inner = "\n" + INDENT * (level + 1)
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[" + ",".join([inner + _encode(v, level + 1) for v in value]) + inner[:-len(INDENT)] + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return ("{" + ",".join([inner + _key(k) + ": " + _encode(v, level + 1) for k, v in value.items()])
                + inner[:-len(INDENT)] + "}")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names, template = _template(type(value), level)
        return template % tuple([_encode(getattr(value, name), level + 1) for name in names])
    return json.dumps(value, ensure_ascii=False, default=iso)  # floats, Decimals, subclasses...


def _key(key) -> str:
    # json turns int, float, bool and None keys into their JSON text, quoted.
    return encode_basestring(key if isinstance(key, str) else json.dumps(key))


_TEMPLATES: dict[tuple[type, int], tuple[list[str], str]] = {}


def _template(cls: type, level: int) -> tuple[list[str], str]:
    """Return a dataclass's field names and its object text with one ``%s`` per field."""
    found = _TEMPLATES.get((cls, level))
    if found is None:
        names = [f.name for f in dataclasses.fields(cls)]
        inner = "\n" + INDENT * (level + 1)
        body = ",".join(inner + encode_basestring(name).replace("%", "%%") + ": %s" for name in names)
        found = _TEMPLATES[(cls, level)] = (names, "{" + body + inner[:-len(INDENT)] + "}" if names else "{}")
    return found
