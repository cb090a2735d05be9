"""UsageSampler: each dyno's memory and CPU share per minute, from the CPU seconds and memory `ps` reports."""

from __future__ import annotations

import math
from datetime import datetime, timezone

from seaway.dynos.runtime import DynoStatus
from seaway.metrics.usage import UsageSampler
from tests.metrics.conftest import MINUTE, START, Clock

BOOTED = datetime(2025, 12, 6, 5, 40, tzinfo=timezone.utc)


def dyno(name: str, memory_mb: float | None, cpu_seconds: float | None, since: datetime = BOOTED) -> DynoStatus:
    return DynoStatus(name, name.split(".")[0], int(name.split(".")[1]), 1, "run", "up", since, 0, None,
                      memory_mb=memory_mb, cpu_seconds=cpu_seconds)


def test_memory_is_averaged_and_cpu_is_the_share_of_a_core_between_samples():
    clock = Clock(START + 1)
    sampler = UsageSampler(clock)
    readings = iter([[dyno("web.1", 100, 10.0)], [dyno("web.1", 120, 12.5)], [dyno("web.1", 140, 12.5)]])
    for _ in range(3):
        sampler.sample(["shop"], lambda _app: next(readings))
        clock.at += 10
    minute = sampler.minutes.take(math.inf)[("shop", MINUTE, "web.1")]
    assert minute.json(MINUTE, "web.1") == {"minute": "2025-12-06T05:46:00+00:00", "dyno": "web.1",
                                            "memory_mb": 120.0, "cpu_percent": 12.5}  # 25 % then 0 %


def test_a_restarted_dyno_starts_its_cpu_again_and_a_minute_change_starts_a_new_minute():
    clock = Clock(START + 55)
    sampler = UsageSampler(clock)
    sampler.sample(["shop"], lambda _app: [dyno("web.1", 100, 50.0)])
    clock.at += 10
    restarted = datetime(2025, 12, 6, 5, 47, tzinfo=timezone.utc)
    sampler.sample(["shop"], lambda _app: [dyno("web.1", 90, 1.0, since=restarted)])  # its counters began again
    found = sampler.minutes.take(math.inf)
    assert {key: (value.memory_mb, value.cpu_percent) for key, value in found.items()} == {
        ("shop", MINUTE, "web.1"): (100.0, None), ("shop", MINUTE + 1, "web.1"): (90.0, None)}


def test_dynos_whose_usage_is_not_known_are_not_sampled():
    sampler = UsageSampler(Clock(START))
    sampler.sample(["shop", "empty"], lambda app: [dyno("web.1", None, None)] if app == "shop" else [])
    assert len(sampler.minutes) == 0


def test_pending_minutes_are_copies_per_app():
    sampler = UsageSampler(Clock(START))
    sampler.sample(["shop", "blog"], lambda app: [dyno("web.1", 10 if app == "shop" else 20, None)])
    mine = sampler.minutes.of_app("shop")
    assert {key: value.memory_mb for key, value in mine.items()} == {("shop", MINUTE, "web.1"): 10.0}
    next(iter(mine.values())).add(1000, None)
    assert sampler.minutes.of_app("shop")[("shop", MINUTE, "web.1")].memory_mb == 10.0
