"""Metrics on a real store: the minute under way read from memory, finished minutes flushed and read back the
same, late records added to a stored minute, a day kept and no more, minutes put back when the store fails,
and everything stored when the platform stops."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from seaway.dynos.runtime import DynoStatus
from seaway.logs import LogStore
from seaway.metrics import Metrics
from seaway.metrics.router import KEEP_MINUTES
from seaway.metrics.service import LATE
from seaway.router.accesslog import RouterLog
from seaway.store import Store
from seaway.store.models import App
from tests.metrics.conftest import MINUTE, START, Clock, record


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "seaway.db")
    yield store
    store.engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(START + 30)


@pytest.fixture
def metrics(store: Store, clock: Clock) -> Metrics:
    return Metrics(store, clock)


@pytest.fixture
def app(store: Store) -> App:
    return store.create_app("shop")


@pytest.fixture
def router_log(tmp_path: Path, logs: LogStore, metrics: Metrics) -> RouterLog:
    return RouterLog(tmp_path / "access.log", logs, lambda _app, _address: "web.1",
                     on_records=metrics.router.on_records)


def web(memory_mb: float, cpu_seconds: float) -> DynoStatus:
    return DynoStatus("web.1", "web", 1, 1, "run", "up", datetime(2025, 12, 6, tzinfo=timezone.utc), 0, None,
                      memory_mb=memory_mb, cpu_seconds=cpu_seconds)


def test_a_request_shows_in_the_minute_under_way_before_any_flush(metrics: Metrics, app: App, router_log: RouterLog):
    router_log.write([record(at=START + 29)])
    found = metrics.read(app, 24)
    assert found["router"] == [{"minute": "2025-12-06T05:46:00+00:00", "requests": {"1xx": 0, "2xx": 1, "3xx": 0,
                                "4xx": 0, "5xx": 0}, "errors": {}, "service_ms": {"p50": 12, "p95": 12, "p99": 12}}]
    assert (found["app"], found["step"], found["to"]) == ("shop", 60, "2025-12-06T05:46:30+00:00")
    assert found["from"] == "2025-12-05T05:47:00+00:00"  # 24 hours of minutes, the one under way the last


def test_finished_minutes_are_flushed_and_read_back_the_same(metrics: Metrics, store: Store, app: App,
                                                             router_log: RouterLog, clock: Clock):
    router_log.write([record(at=START - 30, service="0.100"), record(at=START - 20, status="503", code="H12",
                                                                    service="30.000"), record(at=START + 10)])
    before = metrics.read(app, 24)["router"]
    metrics.flush()
    assert [row.minute for row in store.metrics.router_minutes(app.id, 0)] == [MINUTE - 1]  # not the one under way
    assert metrics.read(app, 24)["router"] == before
    clock.at = START + 60 + LATE - 1  # the minute has ended, but its last records may still come
    metrics.flush()
    assert [row.minute for row in store.metrics.router_minutes(app.id, 0)] == [MINUTE - 1]
    clock.at = START + 60 + LATE
    metrics.flush()
    assert [row.minute for row in store.metrics.router_minutes(app.id, 0)] == [MINUTE - 1, MINUTE]
    assert metrics.read(app, 24)["router"] == before


def test_records_that_come_after_their_minute_was_stored_are_added_to_it(metrics: Metrics, app: App,
                                                                          router_log: RouterLog, clock: Clock):
    clock.at = START + 120
    router_log.write([record(service="0.010")] * 3)
    metrics.flush()
    router_log.write([record(status="500", service="2.000")] * 2)  # late, from a worker's buffer
    expected = {"2xx": 3, "5xx": 2}
    assert {k: v for k, v in metrics.read(app, 24)["router"][0]["requests"].items() if v} == expected
    metrics.flush()
    minute = metrics.read(app, 24)["router"][0]
    assert {k: v for k, v in minute["requests"].items() if v} == expected
    assert minute["service_ms"]["p50"] == 10 and minute["service_ms"]["p99"] == pytest.approx(2000, rel=0.05)


def test_a_day_is_kept_and_no_more(metrics: Metrics, store: Store, app: App, router_log: RouterLog, clock: Clock):
    router_log.write([record(at=START - 23 * 3600), record(at=START - 3 * 3600), record(at=START)])
    metrics.flush()
    assert len(metrics.read(app, 24)["router"]) == 3
    assert [row["minute"] for row in metrics.read(app, 4)["router"]] == ["2025-12-06T02:46:00+00:00",
                                                                       "2025-12-06T05:46:00+00:00"]
    clock.at += 2 * 3600  # the first is 25 hours old now
    metrics.flush()
    assert len(store.metrics.router_minutes(app.id, 0)) == 2
    assert min(row.minute for row in store.metrics.router_minutes(app.id, 0)) >= MINUTE + 120 - KEEP_MINUTES


def test_dyno_minutes_are_read_from_memory_then_from_the_store(metrics: Metrics, app: App, clock: Clock):
    readings = iter([web(100, 1.0), web(110, 2.0)])
    for _ in range(2):
        metrics.sample(lambda _app: [next(readings)])
        clock.at += 10
    expected = [{"minute": "2025-12-06T05:46:00+00:00", "dyno": "web.1", "memory_mb": 105.0, "cpu_percent": 10.0}]
    assert metrics.read(app, 1)["dynos"] == expected
    clock.at += 60
    metrics.flush()
    assert metrics.read(app, 1)["dynos"] == expected


def test_minutes_the_store_refused_are_stored_by_the_next_flush(metrics: Metrics, store: Store, app: App,
                                                               router_log: RouterLog, clock: Clock):
    router_log.write([record(at=START - 30)])
    with store.engine.begin() as connection:
        connection.execute(text("ALTER TABLE router_metrics RENAME TO router_metrics_away"))
    with pytest.raises(Exception, match="router_metrics"):
        metrics.flush()
    with store.engine.begin() as connection:
        connection.execute(text("ALTER TABLE router_metrics_away RENAME TO router_metrics"))
    assert metrics.read(app, 1)["router"][0]["requests"]["2xx"] == 1  # still in memory
    metrics.flush()
    assert [row.requests for row in store.metrics.router_minutes(app.id, 0)] == [{"2xx": 1}]


def test_stopping_stores_every_minute_the_one_under_way_too(metrics: Metrics, store: Store, app: App,
                                                            router_log: RouterLog):
    stopping = threading.Event()
    metrics.start(lambda _app: [], stopping)
    router_log.write([record(at=START + 29)])
    stopping.set()
    metrics.stop()
    assert [row.minute for row in store.metrics.router_minutes(app.id, 0)] == [MINUTE]
    assert not any(thread.name in ("dyno-usage", "metrics-flusher") for thread in threading.enumerate())


def test_minutes_of_an_app_unknown_at_flush_are_dropped(metrics: Metrics, store: Store, router_log: RouterLog,
                                                        clock: Clock):
    router_log.write([record(app="gone", at=START - 30)])
    metrics.flush()
    assert metrics.router.pending("gone") == {}
