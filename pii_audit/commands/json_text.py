"""Indented JSON of views, byte for byte as ``json.dumps(asdict(v), ensure_ascii=False, indent=2)``.

Why not the json module: for `ledger list --format json` of 17,040 items (bench/ledger.py),
``dataclasses.asdict`` took 1.4 s (it deep-copies every sample's location) and json 0.7 s, with
its pure-Python encoder, the one it uses whenever ``indent`` is set (its C encoder cannot indent
in Python 3.11). ``dumps`` reads the views directly, fills one %-template per dataclass and lets
json's C escaper escape the strings: 0.35 s. ``item_rows`` writes the same text straight from
the item rows: 0.23 s, and reading rows took 0.2 s where building the views took 0.57 s (CPU
seconds, measured while other benchmarks ran). tests/test_json_text.py compares both with json.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from json.encoder import encode_basestring  # the C escaper json uses with ensure_ascii=False

from pii_audit.views import ItemView, Sample

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
    bool: {False: "false", True: "true"}.__getitem__,
    type(None): {None: "null"}.__getitem__,
    datetime.date: _quoted_iso,
    datetime.datetime: _quoted_iso,
}


def _encode(value, level: int) -> str:
    scalar = _SCALARS.get(type(value))
    if scalar is not None:
        return scalar(value)
    inner, close = "\n" + INDENT * (level + 1), "\n" + INDENT * level
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[" + ",".join([inner + v for v in _encode_all(value, level + 1)]) + close + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        scalars = _SCALARS
        return "{" + ",".join([
            inner + (encode_basestring(k) if type(k) is str else _key(k)) + ": "
            + (scalars[type(v)](v) if type(v) in scalars else _encode(v, level + 1))
            for k, v in value.items()]) + close + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names, template = _template(type(value), level)
        return template % tuple(_encode_all([getattr(value, name) for name in names], level + 1))
    return json.dumps(value, ensure_ascii=False, default=iso)  # floats, Decimals, subclasses...


def _encode_all(values, level: int) -> list[str]:
    """Return the JSON of each value; scalars (most values) without a call of ``_encode``."""
    scalars = _SCALARS
    return [scalars[type(v)](v) if type(v) in scalars else _encode(v, level) for v in values]


def _key(key) -> str:
    # json turns int, float, bool and None keys into their JSON text, quoted.
    return encode_basestring(key if isinstance(key, str) else json.dumps(key))


_TEMPLATES: dict[tuple[type, int], tuple[list[str], str]] = {}


def _template(cls: type, level: int) -> tuple[list[str], str]:
    """Return a dataclass's field names and its object text with one ``%s`` per field."""
    found = _TEMPLATES.get((cls, level))
    if found is None:
        names = [f.name for f in dataclasses.fields(cls)]
        inner, close = "\n" + INDENT * (level + 1), "\n" + INDENT * level
        body = ",".join(inner + encode_basestring(name).replace("%", "%%") + ": %s" for name in names)
        found = _TEMPLATES[(cls, level)] = (names, "{" + body + close + "}" if names else "{}")
    return found


SAMPLES = 16  # the position of the samples column in queries.ITEM_COLUMNS


def item_rows(rows: list) -> str:
    """Return item rows (``queries.ITEM_COLUMNS``) as ``dumps`` writes a list of their views.

    The views' histories are empty here, as ``ledger list`` shows them.
    """
    item, text, time = INDENT + _template(ItemView, 1)[1], _text, _times()
    true_false = _SCALARS[bool]
    # One json.loads for every item's samples: a call per item took four times as long.
    samples = json.loads("[" + ",".join([row[SAMPLES] for row in rows]) + "]")
    # f'"PI-{number:06d}"' is ids.format_id, inline (a test compares it with the views').
    parts = [item % (f'"PI-{number:06d}"', encode_basestring(target), encode_basestring(container),
                     encode_basestring(entity), encode_basestring(category), true_false(sensitive),
                     true_false(minor), encode_basestring(status), text(owner), text(department),
                     time(due), time(first_seen), time(last_seen), occurrences, distinct, masked,
                     _samples(found), text(note), text(approver), time(until), time(updated_at), "[]")
             for (number, target, container, entity, category, sensitive, minor, status, owner,
                  department, due, first_seen, last_seen, occurrences, distinct, masked, _,
                  note, approver, until, updated_at), found in zip(rows, samples)]
    return "[\n" + ",\n".join(parts) + "\n]" if parts else "[]"


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _times():
    """Return a function that writes dates and times, each distinct one once.

    The items one scan records share its time, and ``isoformat`` took a fifth of the work
    (bench/ledger.py: 17,040 items, 51,120 times, 730 distinct; 21% fewer instructions).
    """
    known: dict = {None: "null"}

    def time(value) -> str:
        found = known.get(value)
        if found is None:
            found = known[value] = '"' + value.isoformat() + '"'
        return found
    return time


def _samples(samples: list[dict]) -> str:
    """Return an item's samples (its column's JSON, parsed) as ``dumps`` writes ``Sample`` views."""
    if not samples:
        return "[]"
    sample, inner = _template(Sample, 3)[1], "\n" + INDENT * 3
    texts = [sample % (encode_basestring(s["masked"]), _encode(s["location"], 4)) for s in samples]
    return "[" + ",".join([inner + text for text in texts]) + "\n" + INDENT * 2 + "]"
