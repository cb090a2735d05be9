"""RouterCollector: requests by status class, H codes and service time percentiles per (app, minute), counted
from what RouterLog.write parses out of real records, in bounded memory."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from seaway.logs import LogStore
from seaway.metrics.histogram import BUCKETS
from seaway.metrics.router import FOLD_AT, RouterCollector
from seaway.router.accesslog import RouterLog
from tests.metrics.conftest import MINUTE, START, record


@pytest.fixture
def collector() -> RouterCollector:
    return RouterCollector(clock=lambda: START + 30)


@pytest.fixture
def router_log(tmp_path: Path, logs: LogStore, collector: RouterCollector) -> RouterLog:
    return RouterLog(tmp_path / "access.log", logs, lambda _app, _address: "web.1", on_records=collector.on_records)


def minute_json(collector: RouterCollector, app: str, minute: int = MINUTE) -> dict:
    return collector.pending(app)[(app, minute)].json(minute)


def test_requests_by_class_errors_by_code_and_service_percentiles(router_log: RouterLog, collector: RouterCollector):
    router_log.write([
        *[record(service=f"0.0{n:02d}") for n in range(10, 30)],  # 20 requests of 10 to 29 ms
        record(status="304", service="0.002"), record(status="404", service="0.004"),
        record(status="499", service="0.300"),  # the client went away: H27
        record(status="503", code="H12", service="30.000"),
        record(status="503", code="H10", connect="0.001", service="-", request_time="0.001"),  # H13
        record(status="503", code="H14", upstream="", connect="-", service="-", request_time="0.000"),
        record(status="101", service="600.000"),  # a WebSocket: its time is not a response time
        record(app="other", status="500"),
    ])
    shop = minute_json(collector, "shop")
    assert shop["minute"] == "2025-12-06T05:46:00+00:00"
    assert shop["requests"] == {"1xx": 1, "2xx": 20, "3xx": 1, "4xx": 2, "5xx": 3}
    assert shop["errors"] == {"H12": 1, "H13": 1, "H14": 1, "H27": 1}
    # 25 times (H14 has none, the WebSocket is left out): 1, 2, 4, 10..29, 300, 30000 ms
    assert shop["service_ms"] == {"p50": 19, "p95": pytest.approx(300, rel=0.05), "p99": pytest.approx(30_000, rel=0.05)}
    assert minute_json(collector, "other", MINUTE)["requests"]["5xx"] == 1


def test_a_minute_of_only_h14_has_no_percentiles(router_log: RouterLog, collector: RouterCollector):
    router_log.write([record(status="503", code="H14", upstream="", connect="-", service="-", request_time="0.000")])
    assert minute_json(collector, "shop")["service_ms"] == {"p50": None, "p95": None, "p99": None}


def test_records_count_in_the_minute_they_ended(router_log: RouterLog, collector: RouterCollector):
    router_log.write([record(at=START - 0.001), record(at=START), record(at=START + 59.999), record(at=START + 60)])
    found = collector.pending("shop")
    assert {minute: sum(value.requests.values()) for (_app, minute), value in found.items()} == \
        {MINUTE - 1: 1, MINUTE: 2, MINUTE + 1: 1}


def test_a_backlog_of_many_minutes_counts_each_record_in_its_minute(router_log: RouterLog, collector: RouterCollector):
    router_log.write([record(at=START - 60 * n - 0.5) for n in range(10)] * 2)
    found = collector.pending("shop")
    assert {minute: sum(value.requests.values()) for (_app, minute), value in found.items()} == \
        {MINUTE - n - 1: 2 for n in range(10)}


def test_records_without_their_time_count_in_the_minute_they_are_read(router_log: RouterLog,
                                                                       collector: RouterCollector):
    router_log.write([record(at=None), record(at=START - 120)])
    found = collector.pending("shop")
    assert sorted(minute for _app, minute in found) == [MINUTE - 2, MINUTE]


def test_records_older_than_the_store_keeps_are_not_counted(router_log: RouterLog, collector: RouterCollector):
    router_log.write([record(at=START - (collector.keep_minutes + 1) * 60), record()])
    assert list(collector.pending("shop")) == [("shop", MINUTE)]


def test_memory_is_bounded_whatever_the_rate_and_nothing_is_lost(router_log: RouterLog, collector: RouterCollector):
    times = [f"{ms / 1000:.3f}" for ms in range(2 * FOLD_AT + 500)]  # every one a new value to count
    for start in range(0, len(times), 1000):
        router_log.write([record(service=seconds) for seconds in times[start:start + 1000]])
    assert len(collector.minutes) == 1  # folded as the tally grew, before anything read it
    minute = collector.pending("shop")[("shop", MINUTE)]
    assert sum(minute.requests.values()) == sum(minute.service.values()) == len(times)
    assert len(minute.service) <= BUCKETS


def test_taken_minutes_are_gone_and_put_back_ones_add_to_new_counts(router_log: RouterLog,
                                                                     collector: RouterCollector):
    router_log.write([record(at=START - 60), record()])
    taken = collector.take(MINUTE)
    assert list(taken) == [("shop", MINUTE - 1)]
    assert list(collector.pending("shop")) == [("shop", MINUTE)]
    router_log.write([record(at=START - 60, status="500")])
    collector.minutes.put_back(taken, oldest=MINUTE - 10)
    again = collector.take(math.inf)
    assert dict(again[("shop", MINUTE - 1)].requests) == {"2xx": 1, "5xx": 1}
    assert collector.pending("shop") == {}
