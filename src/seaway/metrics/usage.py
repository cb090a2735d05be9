"""Dyno metrics: each running dyno's memory and CPU, sampled every few seconds and averaged per minute.

CPU is a share of one core over the time between two samples of the same dyno (the same start: a restarted
dyno's counters start again), from the CPU seconds the runtime reports."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from seaway.dynos.runtime import DynoStatus
from seaway.metrics.pending import Pending
from seaway.metrics.router import Clock, iso_minute, minute_of
from seaway.store.models import DynoMetric

Status = Callable[[str], list[DynoStatus]]


@dataclass
class DynoMinute:
    """One dyno's samples in one minute."""

    memory_total: float = 0.0
    memory_samples: int = 0
    cpu_total: float = 0.0
    cpu_samples: int = 0

    def add(self, memory_mb: float | None, cpu_percent: float | None) -> None:
        if memory_mb is not None:
            self.memory_total += memory_mb
            self.memory_samples += 1
        if cpu_percent is not None:
            self.cpu_total += cpu_percent
            self.cpu_samples += 1

    @property
    def memory_mb(self) -> float | None:
        return round(self.memory_total / self.memory_samples, 1) if self.memory_samples else None

    @property
    def cpu_percent(self) -> float | None:
        return round(self.cpu_total / self.cpu_samples, 1) if self.cpu_samples else None

    def merge(self, other: DynoMinute) -> DynoMinute:
        return DynoMinute(self.memory_total + other.memory_total, self.memory_samples + other.memory_samples,
                          self.cpu_total + other.cpu_total, self.cpu_samples + other.cpu_samples)

    def copy(self) -> DynoMinute:
        return DynoMinute(self.memory_total, self.memory_samples, self.cpu_total, self.cpu_samples)

    def row(self, app_id: int, minute: int, dyno: str) -> DynoMetric:
        return DynoMetric(app_id=app_id, minute=minute, dyno=dyno, memory_mb=self.memory_mb, cpu_percent=self.cpu_percent)

    def json(self, minute: int, dyno: str) -> dict[str, Any]:
        return {"minute": iso_minute(minute), "dyno": dyno, "memory_mb": self.memory_mb, "cpu_percent": self.cpu_percent}


@dataclass(frozen=True)
class _Reading:
    since: datetime  # when the dyno entered its state: another value means another process
    cpu_seconds: float
    at: float


class UsageSampler:
    """Samples every app's dynos; keeps the minutes not flushed yet."""

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock
        self.minutes: Pending[DynoMinute] = Pending(DynoMinute)  # (app, minute, dyno)
        self._last: dict[tuple[str, str], _Reading] = {}

    def sample(self, apps: Iterable[str], status: Status) -> None:
        """Read the apps' dynos once, through `status(app)` (the runtime's `ps`)."""
        seen: dict[tuple[str, str], _Reading] = {}
        for app in apps:
            for dyno in status(app):
                if dyno.memory_mb is not None or dyno.cpu_seconds is not None:
                    self._record(app, dyno, seen)
        self._last = seen  # dynos gone since are forgotten

    def _record(self, app: str, dyno: DynoStatus, seen: dict[tuple[str, str], _Reading]) -> None:
        now = self.clock()
        cpu = None
        if dyno.cpu_seconds is not None:
            previous = self._last.get((app, dyno.name))
            if previous is not None and previous.since == dyno.since and now > previous.at:
                cpu = max(0.0, 100 * (dyno.cpu_seconds - previous.cpu_seconds) / (now - previous.at))
            seen[(app, dyno.name)] = _Reading(dyno.since, dyno.cpu_seconds, now)
        with self.minutes.lock:
            self.minutes.at((app, minute_of(now), dyno.name)).add(dyno.memory_mb, cpu)
