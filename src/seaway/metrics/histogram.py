"""Service times as a fixed log-scale histogram: the same few hundred buckets whatever the request rate, so a
minute's percentiles cost bounded memory. Up to EXACT ms each millisecond has a bucket of its own; above, each
bucket is 2^(1/8) times wider than the one before, so a percentile is off by at most about 4.5 %."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping

EXACT = 32  # ms: below this, every millisecond is a bucket of its own
PER_DOUBLING = 8  # buckets per doubling above EXACT
MAX_MS = 3_600_000  # longer times are counted in the last bucket (the router gives up after an hour at most)
PERCENTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}


def _lower_edges() -> tuple[int, ...]:
    edges = list(range(EXACT))
    edge = float(EXACT)
    while edges[-1] < MAX_MS:
        if math.ceil(edge) > edges[-1]:
            edges.append(math.ceil(edge))
        edge *= 2 ** (1 / PER_DOUBLING)
    return tuple(edges)


EDGES = _lower_edges()  # the smallest ms of each bucket
BUCKETS = len(EDGES)


def bucket_of(ms: int) -> int:
    if ms < EXACT:
        return max(ms, 0)
    return min(bisect_right(EDGES, ms), BUCKETS) - 1


def value_of(bucket: int) -> float:
    """What a bucket stands for: the middle of the milliseconds it holds."""
    low = EDGES[bucket]
    high = EDGES[bucket + 1] - 1 if bucket + 1 < BUCKETS else low
    return (low + high) / 2


def percentiles(counts: Mapping[int, int]) -> dict[str, float] | None:
    """p50, p95 and p99 (nearest rank) of the times counted per bucket; None when none was counted."""
    total = sum(counts.values())
    if not total:
        return None
    found: dict[str, float] = {}
    ranks = sorted((math.ceil(q * total), name) for name, q in PERCENTILES.items())
    seen = 0
    for bucket in sorted(counts):
        seen += counts[bucket]
        while ranks and ranks[0][0] <= seen:
            found[ranks.pop(0)[1]] = value_of(bucket)
    return {name: found[name] for name in PERCENTILES}
