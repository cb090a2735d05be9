"""Router metrics: each app's requests per minute by status class, router errors by H code, and service times,
counted in memory from the router's records as the router log follower reads them.

The follower hands over the records it reads in batches. Nearly every batch falls within one minute, so a
batch costs a C-level count of each record's (app, status, code, ms); a batch across a minute boundary is
split by minute first, and only records without their time (or a backlog of many minutes) go one by one."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import Row

from seaway.metrics.histogram import PERCENTILES, bucket_of, percentiles
from seaway.metrics.pending import Key, Pending
from seaway.router.logline import RouterRecord
from seaway.store.models import RouterMetric

CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
_CLASS_OF = {name[0]: name for name in CLASSES}  # "2" -> "2xx", from a status's first digit
_WHEN = attrgetter("when")
_KEY = itemgetter(0, 3, 4, 5)  # a RouterRecord's (app, status, code, service_ms)
Tally = tuple[str, str, str, int | None]
Clock = Callable[[], float]
KEEP_MINUTES = 24 * 60 + 15  # the store's 24 hours, and a little
SPLIT_AT_MOST = 3  # minutes a batch may span to be split by minute (a longer backlog is sorted record by record)
FOLD_AT = 4096  # different (app, status, code, ms) a minute's tally holds at most before it is folded


def minute_of(when: float) -> int:
    """The Unix minute (seconds since the epoch // 60) a moment falls in."""
    return int(when // 60)


@dataclass
class RouterMinute:
    """One app's requests in one minute."""

    requests: Counter[str] = field(default_factory=Counter)  # by status class
    errors: Counter[str] = field(default_factory=Counter)  # by H code
    service: Counter[int] = field(default_factory=Counter)  # service times: histogram bucket -> requests

    def add(self, status: str, code: str, ms: int | None, count: int) -> None:
        kind = _CLASS_OF.get(status[:1])
        if kind is not None:
            self.requests[kind] += count
        if code:
            self.errors[code] += count
        if ms is not None and kind != "1xx":  # a 101's time is its WebSocket's whole life, not a response time
            self.service[bucket_of(ms)] += count

    def merge(self, other: RouterMinute) -> RouterMinute:
        return RouterMinute(self.requests + other.requests, self.errors + other.errors, self.service + other.service)

    def copy(self) -> RouterMinute:
        return RouterMinute(Counter(self.requests), Counter(self.errors), Counter(self.service))

    @classmethod
    def from_row(cls, row: RouterMetric) -> RouterMinute:
        return cls(Counter(row.requests), Counter(row.errors), Counter(dict((b, n) for b, n in row.service)))

    def row(self, app_id: int, minute: int) -> RouterMetric:
        times = percentiles(self.service) or {}
        return RouterMetric(app_id=app_id, minute=minute, requests=dict(self.requests), errors=dict(self.errors),
                            service=sorted([bucket, count] for bucket, count in self.service.items()),
                            p50=times.get("p50"), p95=times.get("p95"), p99=times.get("p99"))

    def json(self, minute: int) -> dict[str, Any]:
        return {"minute": iso_minute(minute), "requests": {kind: self.requests[kind] for kind in CLASSES},
                "errors": dict(sorted(self.errors.items())),
                "service_ms": percentiles(self.service) or dict.fromkeys(PERCENTILES)}  # None each: no times


def stored_json(row: RouterMetric | Row[Any]) -> dict[str, Any]:
    """A stored minute (a record, or a row of its minute, requests, errors and percentiles) as RouterMinute.json
    gives it, from the percentiles stored with it."""
    return {"minute": iso_minute(row.minute), "requests": {kind: row.requests.get(kind, 0) for kind in CLASSES},
            "errors": dict(sorted(row.errors.items())), "service_ms": {"p50": row.p50, "p95": row.p95, "p99": row.p99}}


def _tallied(records: list[RouterRecord], now: int) -> Iterable[tuple[int, Counter[Tally] | Iterator[Tally]]]:
    """Each minute's records as (app, status, code, ms), for Counter to count in C: the whole batch at once when
    it is within one minute, as nearly every one is; else the records of each minute picked out first."""
    try:
        first, last = minute_of(min(map(_WHEN, records))), minute_of(max(map(_WHEN, records)))
    except TypeError:  # a record without its time (written by an older configuration): read now
        return _tallied_one_by_one(records, now)
    if first == last:
        return [(first, map(_KEY, records))]
    if last - first > SPLIT_AT_MOST:  # a backlog of many minutes
        return _tallied_one_by_one(records, now)
    return [(minute, map(_KEY, _within(records, minute * 60, minute * 60 + 60))) for minute in range(first, last + 1)]


def _within(records: list[RouterRecord], start: float, end: float) -> list[RouterRecord]:
    return [record for record in records if start <= record.when < end]  # type: ignore[operator]


def _tallied_one_by_one(records: list[RouterRecord], now: int) -> Iterable[tuple[int, Counter[Tally]]]:
    minutes: dict[int, Counter[Tally]] = {}
    for record in records:
        minutes.setdefault(now if record.when is None else minute_of(record.when), Counter())[_KEY(record)] += 1
    return minutes.items()


def iso_minute(minute: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:00+00:00", time.gmtime(minute * 60))


class RouterCollector:
    """Counts the router's records per (app, minute) until they are flushed to the store.

    A record costs one count, in C, of its (app, status, code, ms) in its minute's tally; a tally is folded
    into the minute's RouterMinute (classes, H codes, histogram buckets) when it is read or taken, or once it
    holds FOLD_AT different values, so memory stays bounded whatever the rate."""

    def __init__(self, clock: Clock = time.time, keep_minutes: int = KEEP_MINUTES) -> None:
        """`keep_minutes`: records older than this are not counted (the store keeps no older minutes)."""
        self.clock, self.keep_minutes = clock, keep_minutes
        self.minutes: Pending[RouterMinute] = Pending(RouterMinute)
        self._tallies: dict[int, Counter[Tally]] = {}  # minute -> (app, status, code, ms) -> records

    def on_records(self, records: list[RouterRecord]) -> None:
        """Count a batch of records (RouterLog's observer)."""
        now = minute_of(self.clock())
        with self.minutes.lock:
            for minute, counts in _tallied(records, now):
                if minute >= now - self.keep_minutes:
                    tally = self._tallies.get(minute)
                    if tally is None:
                        tally = self._tallies[minute] = Counter()
                    tally.update(counts)
                    if len(tally) >= FOLD_AT:
                        self._fold(minute)

    def _fold(self, minute: int) -> None:
        """Add the minute's tally to its RouterMinutes. Call it holding the lock."""
        for (app, status, code, ms), count in self._tallies.pop(minute).items():
            self.minutes.at((app, minute)).add(status, code, ms, count)

    def _fold_all(self) -> None:
        with self.minutes.lock:
            for minute in list(self._tallies):
                self._fold(minute)

    def take(self, before: float) -> dict[Key, RouterMinute]:
        """Remove and return the minutes before minute `before` (math.inf: all of them)."""
        self._fold_all()
        return self.minutes.take(before)

    def pending(self, app: str) -> dict[Key, RouterMinute]:
        """Copies of the app's minutes not taken yet, the current one among them."""
        self._fold_all()
        return self.minutes.of_app(app)
