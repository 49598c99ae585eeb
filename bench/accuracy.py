"""Print precision and recall per entity on a labelled synthetic corpus (bench/corpus.py).

    python bench/accuracy.py [--size 20000] [--seed 20240601]

Runs the detector's fast path (which tests/test_detector.py proves equal to Presidio's
AnalyzerEngine). A prediction is a true positive when it overlaps an unmatched gold span of
the same entity and the same masked/plaintext kind. Recall is shown for values with context
(a keyword nearby, a field's key in a log line, a cell under a named column, or a value of SQL
under its column), for those after a field's key alone, for those of SQL alone, and for bare
values with none: entities
without a check digit are reported only with context by design, so their bare recall is ~0.
Only counts are printed, never a value.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.corpus import CONTEXTS, STORED_CONTEXTS, Sample, build_corpus  # noqa: E402
from pii_audit.detector import Detector  # noqa: E402
from pii_audit.models import Chunk  # noqa: E402

# Every entity of the corpus: those of every kind of context, and those kept only encrypted or as a template.
ENTITIES = list(CONTEXTS) + [entity for entity in STORED_CONTEXTS if entity not in CONTEXTS]
TARGETS = {"CN_RESIDENT_ID": 0.995, "CN_BANK_CARD": 0.995, "CN_MOBILE_PHONE": 0.995,
           "CN_LANDLINE_PHONE": 0.98, "EMAIL_ADDRESS": 0.98, "CN_PASSPORT": 0.98}


def predictions(detector: Detector, sample: Sample) -> list[tuple[str, int, int, bool]]:
    """Return what the detector finds in one sample as ``(entity, start, end, masked)``; a
    sample of several lines, or of SQL, is read as a block of a log (as the file source gives a
    log's lines), its offsets made the text's."""
    if "\n" not in sample.text and sample.mode != "sql" and not sample.kind.startswith("sql"):
        chunk = Chunk(sample.text, {"path": "bench"}, "bench", sample.context)
        return [(o.entity_type, o.location["start"], o.location["end"], o.already_masked)
                for o in detector.detect_chunk(chunk)]
    lines = sample.text.split("\n")
    starts = [sum(len(line) + 1 for line in lines[:n]) for n in range(len(lines))]
    chunk = Chunk(sample.text, {"path": "bench", "line": 1}, "bench", sample.context, multiline=True)
    return [(o.entity_type, starts[o.location["line"] - 1] + o.location["start"],
             starts[o.location["line"] - 1] + o.location["end"], o.already_masked)
            for o in detector.detect_chunk(chunk)]


def score(detector: Detector, samples: list[Sample]) -> tuple[dict, Counter]:
    """Count TP/FP/FN per (entity, masked) and gold per mode; count FPs per sample kind."""
    counts: dict = defaultdict(Counter)
    fp_kinds: Counter = Counter()
    for sample in samples:
        unmatched = list(sample.gold)
        for entity, start, end, masked in predictions(detector, sample):
            hit = next((g for g in unmatched if g[0] == entity and g[3] == masked
                        and g[1] < end and start < g[2]), None)
            if hit is None:
                counts[(entity, masked)]["fp"] += 1
                fp_kinds[f"{entity} in {sample.kind or sample.mode}"] += 1
                continue
            unmatched.remove(hit)
            counts[(entity, masked)][f"tp_{sample.mode}"] += 1
        for entity, _, _, masked in sample.gold:
            counts[(entity, masked)][f"gold_{sample.mode}"] += 1
    return counts, fp_kinds


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.4f}" if den else "   -  "


def print_table(counts: dict) -> None:
    """Print one row per entity: precision, recall with context, bare recall, masked recall."""
    print(f"{'entity':32} {'gold ctx':>8} {'gold bare':>9} {'TP':>6} {'FP':>5} {'precision':>9} "
          f"{'recall ctx':>10} {'rec field':>9} {'rec sql':>7} {'recall bare':>11} {'masked rec':>10} target")
    for entity in ENTITIES:
        c, m = counts[(entity, False)], counts[(entity, True)]
        gold_ctx = c["gold_keyword"] + c["gold_column"] + c["gold_field"] + c["gold_sql"]
        tp_ctx = c["tp_keyword"] + c["tp_column"] + c["tp_field"] + c["tp_sql"]
        tp = tp_ctx + c["tp_bare"]
        target = TARGETS.get(entity)
        print(f"{entity:32} {gold_ctx:8} {c['gold_bare']:9} {tp:6} {c['fp']:5} {_ratio(tp, tp + c['fp']):>9} "
              f"{_ratio(tp_ctx, gold_ctx):>10} {_ratio(c['tp_field'], c['gold_field']):>9} "
              f"{_ratio(c['tp_sql'], c['gold_sql']):>7} "
              f"{_ratio(c['tp_bare'], c['gold_bare']):>11} "
              f"{_ratio(m['tp_masked'], m['gold_masked']):>10} {target or ''}")


def main(argv: list[str] | None = None) -> int:
    """Build the corpus, run the detector, print the table and the false positives by kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    samples = build_corpus(args.seed, args.size)
    counts, fp_kinds = score(Detector(os.urandom(32)), samples)
    print(f"corpus: {len(samples)} samples, seed {args.seed}, "
          f"{sum(len(s.gold) for s in samples)} gold spans, {time.perf_counter() - started:.1f} s")
    print_table(counts)
    masked_fp = sum(counts[(e, True)]["fp"] for e in ENTITIES)
    print(f"masked predictions that were not masked gold: {masked_fp}")
    print("false positives by entity and sample kind:",
          ", ".join(f"{k}: {v}" for k, v in fp_kinds.most_common()) or "none")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
