"""The service times' fixed log-scale histogram: exact small times, bounded relative error, bounded buckets."""

from __future__ import annotations

import random
from collections import Counter

from seaway.metrics.histogram import BUCKETS, EDGES, EXACT, MAX_MS, bucket_of, percentiles, value_of


def test_small_times_are_exact_and_every_time_falls_in_its_bucket():
    assert [value_of(bucket_of(ms)) for ms in range(EXACT)] == list(range(EXACT))
    for ms in [*range(EXACT, 5000), 29_999, 30_000, 1_200_000, MAX_MS]:
        bucket = bucket_of(ms)
        assert EDGES[bucket] <= ms < EDGES[bucket + 1], ms


def test_a_bucket_stands_for_its_times_within_five_percent():
    for ms in range(1, MAX_MS, 997):
        assert abs(value_of(bucket_of(ms)) - ms) <= 0.05 * ms, ms


def test_the_buckets_are_bounded_whatever_the_times():
    assert BUCKETS < 200
    assert bucket_of(-3) == 0 and bucket_of(10 * MAX_MS) == BUCKETS - 1  # out of range: the end buckets
    times = Counter(bucket_of(random.Random(1).randrange(0, 10 * MAX_MS)) for _ in range(100_000))
    assert len(times) <= BUCKETS


def test_percentiles_are_the_nearest_rank():
    counts = Counter({bucket_of(12): 90, bucket_of(20): 5, bucket_of(25): 4, bucket_of(30): 1})
    assert percentiles(counts) == {"p50": 12, "p95": 20, "p99": 25}
    assert percentiles(Counter({bucket_of(7): 1})) == {"p50": 7, "p95": 7, "p99": 7}
    assert percentiles(Counter()) is None


def test_percentiles_of_spread_times_are_within_five_percent():
    pick = random.Random(3)
    times = sorted(round(pick.lognormvariate(4, 1.5)) for _ in range(10_001))
    found = percentiles(Counter(bucket_of(ms) for ms in times))
    assert found is not None
    for name, rank in (("p50", 5001), ("p95", 9501), ("p99", 9901)):
        assert abs(found[name] - times[rank - 1]) <= 0.05 * times[rank - 1], name
