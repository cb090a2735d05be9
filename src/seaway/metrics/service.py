"""The metrics of every app: router and dyno minutes counted in memory, flushed to the store by a thread
(which also deletes what is older than a day), and read back per app with its release markers."""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from seaway.metrics.events import release_events
from seaway.metrics.router import (
    KEEP_MINUTES,
    Clock,
    RouterCollector,
    RouterMinute,
    iso_minute,
    minute_of,
    stored_json,
)
from seaway.metrics.usage import DynoMinute, Status, UsageSampler
from seaway.store import Store
from seaway.store.models import App, DynoMetric, RouterMetric

SAMPLE_EVERY = 10.0  # seconds between two readings of every dyno's memory and CPU
FLUSH_EVERY = 30.0  # seconds between two writes of the finished minutes to the store
LATE = 5.0  # seconds after its end a minute is finished: the router's records come up to about 1 s late


class Metrics:
    def __init__(self, store: Store, clock: Clock = time.time) -> None:
        self.store, self.clock = store, clock
        self.router = RouterCollector(clock)  # its `on_records` is the router log's observer
        self.usage = UsageSampler(clock)
        self._threads: list[threading.Thread] = []
        self._moving = threading.Lock()  # held while minutes go from memory to the store: a read sees them in one

    # -- collecting ------------------------------------------------------------------
    def start(self, status: Status, stopping: threading.Event) -> None:
        """Sample the dynos through `status` (the runtime's) and flush, until `stopping` is set."""
        self._threads = [_every(SAMPLE_EVERY, lambda: self.sample(status), stopping, "dyno-usage"),
                         _every(FLUSH_EVERY, self.flush, stopping, "metrics-flusher")]

    def stop(self) -> None:
        """Once `stopping` is set and the router log has read its last records: store every minute counted."""
        for thread in self._threads:
            thread.join(10)
        try:
            self.flush(everything=True)
        except Exception as error:  # noqa: BLE001 - the platform stops all the same
            print(f"seaway: metrics: the last minutes were not stored: {error!r}", file=sys.stderr, flush=True)

    def sample(self, status: Status) -> None:
        self.usage.sample([app.name for app in self.store.apps()], status)

    def flush(self, everything: bool = False) -> None:
        """Store the finished minutes (all of them, `everything`), and delete those older than KEEP_MINUTES."""
        now = self.clock()
        before = math.inf if everything else minute_of(now - LATE)
        ids = {app.name: app.id for app in self.store.apps()}  # an app renamed or destroyed since: its minutes go
        with self._moving:
            routers, dynos = self.router.take(before), self.usage.minutes.take(before)
            try:
                self.store.metrics.save([*self._router_rows(routers, ids), *self._dyno_rows(dynos, ids)])
            except Exception:
                oldest = minute_of(now) - KEEP_MINUTES
                self.router.minutes.put_back(routers, oldest)
                self.usage.minutes.put_back(dynos, oldest)
                raise
        self.store.metrics.prune(minute_of(now) - KEEP_MINUTES)

    def _router_rows(self, minutes: dict[Any, RouterMinute], ids: dict[str, int]) -> list[RouterMetric]:
        """Rows for the minutes counted, added to those a flush stored before (records that came late)."""
        rows = []
        for app, app_id in ids.items():
            mine = {minute: value for (name, minute), value in minutes.items() if name == app}
            if not mine:
                continue
            for row in self.store.metrics.router_minutes(app_id, min(mine), list(mine)):
                mine[row.minute] = RouterMinute.from_row(row).merge(mine[row.minute])
            rows += [value.row(app_id, minute) for minute, value in mine.items()]
        return rows

    @staticmethod
    def _dyno_rows(minutes: dict[Any, DynoMinute], ids: dict[str, int]) -> list[DynoMetric]:
        return [value.row(ids[app], minute, dyno) for (app, minute, dyno), value in minutes.items() if app in ids]

    # -- reading -----------------------------------------------------------------------
    def read(self, app: App, hours: int) -> dict[str, Any]:
        """The app's metrics per minute over the last `hours` hours, the minute under way included."""
        now = self.clock()
        since = minute_of(now) - hours * 60 + 1
        with self._moving:
            router, dynos = self._router_json(app, since), self._dynos_json(app, since)
        return {"app": app.name, "from": iso_minute(since),
                "to": datetime.fromtimestamp(now, timezone.utc).isoformat(), "step": 60,
                "router": router, "dynos": dynos,
                "events": release_events(self.store.releases(app), datetime.fromtimestamp(since * 60, timezone.utc))}

    def _router_json(self, app: App, since: int) -> list[dict[str, Any]]:
        found = {row.minute: stored_json(row) for row in self.store.metrics.router_summaries(app.id, since)}
        pending = {minute: value for (_app, minute), value in self.router.pending(app.name).items()  # type: ignore[misc]
                   if minute >= since}
        stored = {row.minute: row for row in self.store.metrics.router_minutes(app.id, min(pending), list(pending))
                  } if pending else {}  # the whole records (histograms) only of the minutes to merge
        for minute, value in pending.items():
            both = RouterMinute.from_row(stored[minute]).merge(value) if minute in stored else value
            found[minute] = both.json(minute)
        return [found[minute] for minute in sorted(found)]

    def _dynos_json(self, app: App, since: int) -> list[dict[str, Any]]:
        found = {(row.minute, row.dyno): {"minute": iso_minute(row.minute), "dyno": row.dyno,
                                          "memory_mb": row.memory_mb, "cpu_percent": row.cpu_percent}
                 for row in self.store.metrics.dyno_minutes(app.id, since)}
        for (_app, minute, dyno), value in self.usage.minutes.of_app(app.name).items():  # type: ignore[misc]
            if minute >= since:
                found[(minute, dyno)] = value.json(minute, dyno)
        return [found[key] for key in sorted(found)]


def _every(seconds: float, action: Callable[[], None], stopping: threading.Event, name: str) -> threading.Thread:
    """A thread doing `action` every `seconds` until `stopping` is set; a failure is reported, and it goes on."""
    def run() -> None:
        while not stopping.wait(seconds):
            try:
                action()
            except Exception as error:  # noqa: BLE001 - the metrics must never stop; the next round tries again
                print(f"seaway: {name}: {error!r}", file=sys.stderr, flush=True)

    thread = threading.Thread(target=run, daemon=True, name=name)
    thread.start()
    return thread
