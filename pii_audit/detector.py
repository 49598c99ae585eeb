"""The detector: one cheap prefilter over whole chunks, then the recognizers on candidate lines only.

Presidio's ``AnalyzerEngine.analyze()`` per line runs about 1,200 lines/s here because of its
per-call NLP and bookkeeping; a compiled regex over the same text runs hundreds of times faster
(ARCHITECTURE.md, measured). So the detector scans a chunk with the union of the recognizers'
prefilters (each a cheap superset of its recognizer's patterns), and only on the lines where
that matches does it run exactly what ``AnalyzerEngine`` would run: every recognizer's
``analyze`` and ``enhance_using_context``, the score threshold, and ``remove_duplicates``.
``tests/test_detector.py`` proves the two return the same occurrences.

Raw matched values exist only inside ``_occurrences``; what leaves is masked and fingerprinted.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import re
from typing import Iterable, Iterator, Sequence

from presidio_analyzer import EntityRecognizer, RecognizerResult

from pii_audit.models import Chunk, Occurrence
from recognizers import ALL_RECOGNIZERS, MASKED_KEY, MIN_SCORE, ChineseRecognizer
from recognizers.base import to_halfwidth


def build_recognizers(entities: Sequence[str] = (), scan_date: datetime.date | None = None
                      ) -> list[ChineseRecognizer]:
    """Return an instance of each recognizer, limited to ``entities`` when given."""
    recognizers = []
    for cls in ALL_RECOGNIZERS:
        if entities and cls.ENTITY not in entities:
            continue
        recognizer = cls()
        if hasattr(recognizer, "scan_date"):
            recognizer.scan_date = scan_date
        recognizers.append(recognizer)
    return recognizers


class Detector:
    """Find occurrences of personal information in chunks of text, masked and fingerprinted."""

    def __init__(self, key: bytes, recognizers: Sequence[ChineseRecognizer] | None = None,
                 min_score: float = MIN_SCORE):
        self.key = key
        self.recognizers = list(recognizers) if recognizers is not None else build_recognizers()
        self.min_score = min_score
        self.by_entity = {r.ENTITY: r for r in self.recognizers}
        self.prefilter = re.compile("|".join(f"(?:{r.PREFILTER})" for r in self.recognizers))

    def detect(self, chunks: Iterable[Chunk]) -> Iterator[Occurrence]:
        """Yield every occurrence in ``chunks``, in order."""
        for chunk in chunks:
            yield from self.detect_chunk(chunk)

    def detect_chunk(self, chunk: Chunk) -> Iterator[Occurrence]:
        """Yield the occurrences in one chunk."""
        text = to_halfwidth(chunk.text)
        if not chunk.multiline:
            if self.prefilter.search(text) is not None:
                yield from self._occurrences(text, chunk, chunk.location)
            return
        yield from self._detect_lines(text, chunk)

    def detect_cells(self, chunks: Iterable[Chunk], batch: int = 2048) -> Iterator[Occurrence]:
        """Yield what ``detect`` yields, running the prefilter once per batch of single-line chunks.

        Per-cell calls dominate on spreadsheets (millions of short cells), so cell texts are joined
        with "\n" and the prefilter runs once over the batch. "\n" looks to lookarounds, ``\b``
        and ``\s`` like the edge of a text; a match that spans two cells only makes both
        candidates. So every cell the per-chunk path analyzes is analyzed here too, and a cell
        analyzed needlessly yields nothing (the prefilter is a superset of the patterns).
        """
        pending: list[Chunk] = []
        for chunk in chunks:
            if chunk.multiline:
                yield from self._detect_batch(pending)
                pending = []
                yield from self.detect_chunk(chunk)
                continue
            pending.append(chunk)
            if len(pending) >= batch:
                yield from self._detect_batch(pending)
                pending = []
        yield from self._detect_batch(pending)

    def _detect_batch(self, chunks: list[Chunk]) -> Iterator[Occurrence]:
        if not chunks:
            return
        joined = to_halfwidth("\n".join(chunk.text for chunk in chunks))
        # ends[i] is the offset just past cell i's separator; cell i starts at ends[i - 1].
        ends = list(itertools.accumulate(len(chunk.text) + 1 for chunk in chunks))
        candidates: set[int] = set()
        for hit in self.prefilter.finditer(joined):
            first = bisect.bisect_right(ends, hit.start())
            last = bisect.bisect_right(ends, max(hit.end() - 1, hit.start()))
            candidates.update(range(first, min(last, len(chunks) - 1) + 1))
        for index in sorted(candidates):
            chunk = chunks[index]
            start = ends[index - 1] if index else 0
            yield from self._occurrences(joined[start:start + len(chunk.text)], chunk, chunk.location)

    def _detect_lines(self, text: str, chunk: Chunk) -> Iterator[Occurrence]:
        first_line = chunk.location.get("line", 1)
        counted_to, lines_before = 0, 0
        next_line_start = 0  # lines starting before this were analyzed already
        for hit in self.prefilter.finditer(text):
            if hit.start() < next_line_start:
                continue
            line_start = text.rfind("\n", 0, hit.start()) + 1
            line_end = text.find("\n", hit.end())
            if line_end < 0:
                line_end = len(text)
            lines_before += text.count("\n", counted_to, line_start)
            counted_to = line_start
            line = text[line_start:line_end]
            if line.endswith("\r"):
                line = line[:-1]
            location = {**chunk.location, "line": first_line + lines_before}
            yield from self._occurrences(line, chunk, location)
            next_line_start = line_end + 1

    def analyze(self, text: str, context: Sequence[str] = ()) -> list[RecognizerResult]:
        """Return what ``AnalyzerEngine.analyze(text, "zh", context=..., score_threshold=min_score)``
        returns with these recognizers, without Presidio's per-call NLP cost."""
        results = []
        for recognizer in self.recognizers:
            found = recognizer.analyze(text, None)
            if found:
                results.extend(recognizer.enhance_using_context(text, found, [], None, list(context)))
        results = [r for r in results if r.score >= self.min_score]
        if len(results) > 1:
            results = EntityRecognizer.remove_duplicates(results)
        return results

    def _occurrences(self, text: str, chunk: Chunk, location: dict) -> Iterator[Occurrence]:
        for result in sorted(self.analyze(text, chunk.context), key=lambda r: (r.start, r.entity_type)):
            recognizer = self.by_entity[result.entity_type]
            value = text[result.start:result.end]
            already_masked = bool(result.recognition_metadata.get(MASKED_KEY))
            yield Occurrence(
                entity_type=result.entity_type,
                score=result.score,
                masked=value if already_masked else recognizer.mask(value),
                fingerprint=recognizer.fingerprint(value, self.key),
                risk=recognizer.risk_of(value, result.recognition_metadata),
                location={**location, "start": result.start, "end": result.end},
                container=chunk.container,
                already_masked=already_masked,
            )
