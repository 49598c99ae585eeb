"""Counting the distinct values of a finding in bounded memory.

A finding's count of distinct values used to keep one entry per value: 91 bytes each, so a
table of 100 million customers would have taken 9 GB for one column. ``DistinctValues`` keeps
the first ``EXACT_LIMIT`` values exactly, then moves to an Apache DataSketches HyperLogLog sketch
of 16 KB, whose estimate is within 0.8% of the truth at one standard error (2^14 registers). The
values counted are already keyed fingerprints (uniformly distributed), never raw values.
"""

from __future__ import annotations

# Exact up to this many values (about 93 KB of entries at most); a sketch past it.
EXACT_LIMIT = 1024
# 2^14 one-byte registers: a relative standard error of 1.04 / sqrt(2^14) = 0.8%.
LG_K = 14


class DistinctValues:
    """The number of distinct fingerprints added: exact up to ``EXACT_LIMIT``, estimated beyond.

    >>> counter = DistinctValues()
    >>> for digest in (b"a" * 16, b"b" * 16, b"a" * 16):
    ...     counter.add(digest)
    >>> counter.count, counter.estimated
    (2, False)
    """

    __slots__ = ("_exact", "_sketch")

    def __init__(self) -> None:
        self._exact: set[bytes] | None = set()
        self._sketch = None  # a datasketches.hll_sketch past EXACT_LIMIT

    def add(self, digest: bytes) -> None:
        """Count one value by a digest of it (at least 8 bytes of a keyed fingerprint)."""
        exact = self._exact
        if exact is not None:
            exact.add(digest)
            if len(exact) > EXACT_LIMIT:
                self._to_sketch()
        else:
            self._sketch.update(_as_int(digest))

    def merge(self, other: DistinctValues) -> None:
        """Add every value ``other`` counted (a union: values both saw count once)."""
        if other._exact is not None:
            for digest in other._exact:
                self.add(digest)
            return
        from datasketches import hll_union, tgt_hll_type

        if self._exact is not None:
            self._to_sketch()
        union = hll_union(LG_K)
        union.update(self._sketch)
        union.update(other._sketch)
        self._sketch = union.get_result(tgt_hll_type.HLL_8)

    @property
    def count(self) -> int:
        """The number of distinct values: exact, or the sketch's estimate rounded."""
        if self._exact is not None:
            return len(self._exact)
        return round(self._sketch.get_estimate())

    @property
    def estimated(self) -> bool:
        """True when ``count`` is the sketch's estimate rather than an exact count."""
        return self._exact is None

    def _to_sketch(self) -> None:
        # Imported here: it brings numpy (0.18 s), which the ledger's commands otherwise never load.
        from datasketches import hll_sketch, tgt_hll_type

        sketch = hll_sketch(LG_K, tgt_hll_type.HLL_8)
        for digest in self._exact:
            sketch.update(_as_int(digest))
        self._exact, self._sketch = None, sketch

    # Workers hand findings to the parent by pickling them; a sketch pickles as its bytes.
    def __getstate__(self) -> tuple[set[bytes] | None, bytes | None]:
        return self._exact, None if self._sketch is None else self._sketch.serialize_updatable()

    def __setstate__(self, state: tuple[set[bytes] | None, bytes | None]) -> None:
        self._exact, serialized = state
        self._sketch = None
        if serialized is not None:
            from datasketches import hll_sketch

            self._sketch = hll_sketch.deserialize(serialized)


def _as_int(digest: bytes) -> int:
    # DataSketches hashes what it is given; a signed 64-bit int is the cheapest thing it takes.
    return int.from_bytes(digest[:8], "little", signed=True)
