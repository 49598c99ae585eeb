"""Distinct values per finding: exact up to EXACT_LIMIT, a HyperLogLog estimate in bounded memory
beyond, merged across workers' units and carried through pickling, the same whatever the path."""

from __future__ import annotations

import hashlib
import hmac
import pickle
import random
import tracemalloc

import pytest

from pii_audit.distinct import EXACT_LIMIT, DistinctValues, _estimate, is_estimate
from pii_audit.models import Occurrence
from pii_audit.results import Finding
from recognizers.base import Risk


def digests(start: int, stop: int) -> list[bytes]:
    """16 bytes of a keyed fingerprint of each number in range(start, stop), as findings keep."""
    return [hmac.new(b"k" * 32, str(n).encode(), hashlib.sha256).digest()[:16] for n in range(start, stop)]


def counted(values: list[bytes]) -> DistinctValues:
    counter = DistinctValues()
    for value in values:
        counter.add(value)
    return counter


def test_up_to_the_limit_the_count_is_exact_and_repeats_count_once():
    values = digests(0, EXACT_LIMIT)
    counter = counted(values + values[:100])
    assert (counter.count, counter.estimated) == (EXACT_LIMIT, False)


@pytest.mark.parametrize("distinct", [EXACT_LIMIT + 1, 5_000, 200_000])
def test_past_the_limit_the_estimate_is_within_three_percent(distinct):
    # 3% is almost four standard errors of a 2^14-register sketch (0.8%); the digests are fixed.
    counter = counted(digests(0, distinct) + digests(0, 50))
    assert counter.estimated
    assert abs(counter.count - distinct) <= 0.03 * distinct


def test_an_estimate_never_passes_for_an_exact_count():
    """Just past the limit the sketch may estimate fewer values than it was shown (about half of
    these 40 sets of 1,025); the count says at least 1,025, so the ledger and the reports can tell
    an estimate from an exact count by the number alone."""
    counters = [counted(digests(start, start + EXACT_LIMIT + 1)) for start in range(0, 40 * 1025, 1025)]
    assert any(_estimate(counter._registers) <= EXACT_LIMIT for counter in counters)  # the case arises
    assert all(counter.count >= EXACT_LIMIT + 1 and is_estimate(counter.count) for counter in counters)
    assert not is_estimate(counted(digests(0, EXACT_LIMIT)).count)


def test_memory_stays_bounded_however_many_values_are_counted():
    """The exact set took 91 bytes a value (18 MB for these 200,000); the registers take 16 KB."""
    values = digests(0, 200_000)
    tracemalloc.start()
    try:
        counter = counted(values)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counter.estimated
    assert held < 64 * 1024


@pytest.mark.parametrize("first, second", [
    ((0, 600), (300, 900)),  # exact and exact, still under the limit together
    ((0, 800), (400, 1_600)),  # exact and exact, over the limit together
    ((0, 30_000), (20_000, 20_500)),  # a sketch and an exact set
    ((0, 500), (100, 30_000)),  # an exact set and a sketch
    ((0, 30_000), (15_000, 45_000)),  # two sketches
])
def test_merging_counts_the_union(first, second):
    merged = counted(digests(*first))
    merged.merge(counted(digests(*second)))
    union = max(first[1], second[1]) - min(first[0], second[0])
    if union <= EXACT_LIMIT:
        assert (merged.count, merged.estimated) == (union, False)
    else:
        assert abs(merged.count - union) <= 0.03 * union


def test_the_estimate_depends_on_the_set_of_values_alone():
    """Whatever order the values came in, however they were split between workers and merged,
    and through pickling: --jobs 1 and --jobs 2 must count the same data the same. (DataSketches'
    HIP estimate gave 5,021 to 5,047 for these 5,000 values.)"""
    values = digests(0, 5_000)
    counts = set()
    for seed in range(4):
        shuffled = values[:]
        random.Random(seed).shuffle(shuffled)
        cut = 1_000 * (seed + 1)
        first, second = counted(shuffled[:cut]), counted(shuffled[cut:])
        whole = counted(shuffled)
        second.merge(pickle.loads(pickle.dumps(first)))
        counts |= {whole.count, second.count}
    assert len(counts) == 1 and abs(counts.pop() - 5_000) <= 150


@pytest.mark.parametrize("distinct", [10, 50_000])
def test_a_counter_survives_pickling_as_workers_send_it(distinct):
    counter = counted(digests(0, distinct))
    again = pickle.loads(pickle.dumps(counter))
    assert (again.count, again.estimated) == (counter.count, counter.estimated)
    again.add(digests(distinct, distinct + 1)[0])  # and can go on counting
    assert again.count >= counter.count


def test_a_findings_memory_is_bounded_by_its_counter():
    """Before the sketch, 200,000 distinct values held about 18 MB in one finding."""
    risk = Risk("C2", True)
    finding = Finding("app.log", "CN_MOBILE_PHONE", risk)
    fingerprints = [hmac.new(b"k" * 32, str(n).encode(), hashlib.sha256).hexdigest() for n in range(200_000)]
    tracemalloc.start()
    try:
        for fingerprint in fingerprints:
            finding.add(Occurrence("CN_MOBILE_PHONE", 0.9, "138****5678", fingerprint, risk, {}, "app.log"))
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert finding.occurrences == 200_000
    assert abs(finding.distinct_values - 200_000) <= 6_000
    assert held < 256 * 1024  # the sketch and five samples
