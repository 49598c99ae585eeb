"""The data that flows along the scan: chunks of text read from sources, and occurrences found in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

if TYPE_CHECKING:  # only a type here: importing recognizers loads Presidio (seconds)
    from recognizers.base import Risk


@dataclass(frozen=True)
class Chunk:
    """A piece of text read from a target, with where it came from.

    ``location`` holds the fields that say where the text is: ``{"path", "line"}`` for a log
    (``line`` is the number of the chunk's first line), ``{"path", "sheet", "cell"}`` for a
    spreadsheet cell (and ``"comment": True`` for its comment), ``{"url", "table", "column", "row"}``
    for a database value. ``container``
    is what a person remediates: a log stream, ``file!sheet!header`` or ``schema.table.column``.
    ``context`` holds the column name or header, which count as context for every value.
    ``multiline`` chunks hold whole lines; offsets of what is found are then per line.
    ``utf8`` is the text's UTF-8 encoding when the source read exactly that (a UTF-8 log): the
    detector screens bytes, and encoding the text again cost 4% of a log scan (measured).
    """

    text: str
    location: dict
    container: str
    context: tuple[str, ...] = ()
    multiline: bool = False
    utf8: bytes | None = None

    def __reduce__(self):
        # Sent to a worker (a block of an archive read by the main process), a UTF-8 chunk goes as
        # its bytes alone and its text is decoded there: pickled, the text was the same bytes
        # again. 200 MB of logs in a tar.gz with 2 workers: 254 -> 193 MiB peak PSS (measured).
        if self.utf8 is not None:
            return _from_utf8, (self.utf8, self.location, self.container, self.context, self.multiline)
        return Chunk, (self.text, self.location, self.container, self.context, self.multiline)


def _from_utf8(utf8: bytes, location: dict, container: str, context: tuple[str, ...], multiline: bool) -> Chunk:
    """Return the chunk of a text read as exactly these UTF-8 bytes (``Chunk.__reduce__``)."""
    return Chunk(utf8.decode("utf-8"), location, container, context, multiline, utf8)


@dataclass(frozen=True)
class Column:
    """The cells of one column over a block of rows: ``texts[i]`` is the text of row i.

    ``texts[i]`` is "" where the cell holds nothing worth scanning (NULL, empty, a number too
    short to be any identifier). ``container`` and ``context`` are as in ``Chunk``.
    """

    texts: Sequence[str]
    container: str
    context: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cells:
    """A block of table or sheet rows, read column by column: single values the detector screens
    together.

    Every column holds one text per row of the block. ``locate(column, row)`` returns the
    location of one cell (as ``Chunk.location`` would hold it); the detector calls it only for
    cells that hold an occurrence. A ``Chunk`` and a location dict per cell cost more than
    fetching the row itself (measured: 2-4 µs per cell against about 1 µs per value fetched).
    """

    columns: Sequence[Column]
    locate: Callable[[int, int], dict]

    def chunks(self) -> Iterator[Chunk]:
        """Yield a ``Chunk`` per non-empty cell, row by row: what the detector sees, cell by cell."""
        rows = len(self.columns[0].texts) if self.columns else 0
        for row in range(rows):
            for number, column in enumerate(self.columns):
                text = column.texts[row]
                if text:
                    yield Chunk(text, self.locate(number, row), column.container, column.context)


# Not frozen, though nothing changes an occurrence once made (``dataclasses.replace`` makes a new
# one): a frozen dataclass's __init__ sets each field through object.__setattr__, 1.3 µs more per
# occurrence, about 4% of scanning a workbook with ID, mobile and card columns (measured).
@dataclass(slots=True)
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

