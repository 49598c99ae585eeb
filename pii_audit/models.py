"""The data that flows along the scan: chunks of text read from sources, and occurrences found in them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only a type here: importing recognizers loads Presidio (seconds)
    from recognizers.base import Risk


@dataclass(frozen=True)
class Chunk:
    """A piece of text read from a target, with where it came from.

    ``location`` holds the fields that say where the text is: ``{"path", "line"}`` for a log
    (``line`` is the number of the chunk's first line), ``{"path", "sheet", "cell"}`` for a
    spreadsheet cell, ``{"url", "table", "column", "row"}`` for a database value. ``container``
    is what a person remediates: a log stream, ``file!sheet!header`` or ``schema.table.column``.
    ``context`` holds the column name or header, which count as context for every value.
    ``multiline`` chunks hold whole lines; offsets of what is found are then per line.
    """

    text: str
    location: dict
    container: str
    context: tuple[str, ...] = ()
    multiline: bool = False


@dataclass(frozen=True)
class Occurrence:
    """One place where a recognizer found a value: never the value itself.

    ``masked`` is the value as a bank would print it; ``fingerprint`` is its keyed HMAC;
    ``already_masked`` says the source itself held a masked value (evidence of masking, not a leak).
    """

    entity_type: str
    score: float
    masked: str
    fingerprint: str
    risk: Risk
    location: dict
    container: str
    already_masked: bool = False

    def to_json(self) -> dict:
        """Return the JSON-lines record of this occurrence (issue 3's ``--jsonl`` format)."""
        return {
            "entity_type": self.entity_type,
            "score": round(self.score, 3),
            "masked": self.masked,
            "fingerprint": self.fingerprint,
            "risk": self.risk.as_dict(),
            "already_masked": self.already_masked,
            "container": self.container,
            "location": self.location,
        }


@dataclass
class EntityCount:
    """Occurrences of one entity in one container: totals, distinct fingerprints, masked samples."""

    occurrences: int = 0
    masked_occurrences: int = 0
    fingerprints: set[str] = field(default_factory=set)
    samples: list[Occurrence] = field(default_factory=list)
