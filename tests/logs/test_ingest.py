"""ingest: a dyno's raw output into its app's log, within a token-bucket rate, with L12 reports of what was dropped."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from seaway.logs import LogQuery, LogStore
from seaway.logs.ingest import DynoOutput, TokenBucket
from seaway.logs.lines import MAX_LINE_BYTES

pytestmark = pytest.mark.timeout(30)

APP = "my-app"
DROPPED = re.compile(r"^Error L12 \(Local buffer overflow\): (\d+) lines of output dropped: web\.1 printed more than ")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def logs(tmp_path: Path):
    store = LogStore(tmp_path / "logs", max_lines=1_000_000)
    yield store
    store.close()


def app_messages(logs: LogStore) -> list[str]:
    lines = logs.tail(APP, 1_000_000, LogQuery(source="app"))
    assert all(" app[web.1]: " in line for line in lines)
    return [line.partition(": ")[2] for line in lines]


def drop_reports(logs: LogStore) -> list[int]:
    """The counts of the L12 reports in the log, each checked to come from seaway[web.1]."""
    counts = []
    for line in logs.tail(APP, 1_000_000, LogQuery(source="seaway")):
        source, _, text = line.partition(" ")[2].partition(": ")
        assert source == "seaway[web.1]"
        match = DROPPED.match(text)
        assert match, text
        counts.append(int(match[1]))
    return counts


def numbered(count: int) -> bytes:
    return b"".join(b"line %06d\n" % i for i in range(count))


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


# -- TokenBucket ------------------------------------------------------------------------------

def test_bucket_starts_full(clock: FakeClock):
    bucket = TokenBucket(rate=10, burst=50, clock=clock)
    assert bucket.available() == 50
    assert bucket.take(20) == 20
    assert bucket.available() == 30


def test_bucket_grants_no_more_than_it_holds(clock: FakeClock):
    bucket = TokenBucket(rate=10, burst=50, clock=clock)
    assert bucket.take(80) == 50
    assert bucket.take(1) == 0
    assert bucket.available() == 0
    assert bucket.take(0) == 0


def test_bucket_refills_at_the_rate(clock: FakeClock):
    bucket = TokenBucket(rate=8, burst=50, clock=clock)  # (times in binary fractions: exact arithmetic)
    bucket.take(50)
    clock.advance(0.5)
    assert bucket.available() == 4
    assert bucket.take(100) == 4
    clock.advance(0.0625)  # half a token: not a line yet
    assert bucket.take(1) == 0
    clock.advance(0.0625)  # the other half
    assert bucket.take(1) == 1


def test_bucket_never_holds_more_than_the_burst(clock: FakeClock):
    bucket = TokenBucket(rate=10, burst=50, clock=clock)
    bucket.take(10)
    clock.advance(3600)
    assert bucket.available() == 50
    assert bucket.take(1000) == 50


def test_bucket_over_time_keeps_burst_plus_rate_times_elapsed(clock: FakeClock):
    bucket = TokenBucket(rate=100, burst=200, clock=clock)
    granted = 0
    for _ in range(1000):  # ten seconds of asking for far more than the rate
        granted += bucket.take(1000)
        clock.advance(0.01)
    assert granted == pytest.approx(200 + 100 * 9.99, abs=2)


def test_bucket_uses_the_real_clock_by_default():
    bucket = TokenBucket(rate=1000, burst=1)
    assert bucket.take(1) == 1
    time.sleep(0.01)
    assert bucket.take(1) == 1


# -- DynoOutput under the rate ----------------------------------------------------------------

def test_output_under_the_rate_is_all_written_as_app_lines(logs: LogStore):
    output = DynoOutput(logs, APP, "web.1", rate=1000, burst=1000)
    for chunk in chunks(numbered(500), 7):  # lines cut anywhere between chunks
        output.feed(chunk)
    output.close()
    assert app_messages(logs) == [f"line {i:06d}" for i in range(500)]
    assert drop_reports(logs) == []


def test_output_is_decoded(logs: LogStore):
    output = DynoOutput(logs, APP, "web.1")
    output.feed(b"crlf\r\nbad \xff byte\ncaf\xc3")
    output.feed(b"\xa9\n\n")
    output.close()
    assert app_messages(logs) == ["crlf", "bad \ufffd byte", "café", ""]


def test_long_output_lines_are_split(logs: LogStore):
    output = DynoOutput(logs, APP, "web.1")
    output.feed(b"x" * 25_000 + b"\n")
    output.feed(b"y" * 15_000)  # no newline yet: the first 10 000 bytes go out already
    assert app_messages(logs) == ["x" * 10_000, "x" * 10_000, "x" * 5_000, "y" * 10_000]
    output.close()
    assert app_messages(logs)[-1] == "y" * 5_000
    assert all(len(text) <= MAX_LINE_BYTES for text in app_messages(logs))


def test_the_dyno_name_is_the_source(logs: LogStore):
    output = DynoOutput(logs, APP, "worker.3")
    output.feed(b"hello\n")
    output.close()
    (line,) = logs.tail(APP, 10, LogQuery(dyno="worker.3"))
    assert line.endswith(" app[worker.3]: hello")


def test_close_flushes_a_final_partial_line(logs: LogStore):
    output = DynoOutput(logs, APP, "web.1")
    output.feed(b"complete\nno newline at the end")
    assert app_messages(logs) == ["complete"]
    output.close()
    assert app_messages(logs) == ["complete", "no newline at the end"]
    assert drop_reports(logs) == []


def test_close_without_output_writes_nothing(logs: LogStore):
    DynoOutput(logs, APP, "web.1").close()
    assert logs.tail(APP, 10) == []


# -- DynoOutput over the rate -----------------------------------------------------------------

def test_over_the_rate_lines_are_dropped_and_reported(logs: LogStore, clock: FakeClock):
    output = DynoOutput(logs, APP, "web.1")
    output.bucket = TokenBucket(rate=100, burst=200, clock=clock)
    output.feed(numbered(1000))
    assert app_messages(logs) == [f"line {i:06d}" for i in range(200)]  # the burst: the first lines
    assert drop_reports(logs) == [800]  # reported at once the first time
    clock.advance(1)  # a second later: 100 more lines may go
    output.feed(numbered(1000))
    output.close()
    assert app_messages(logs)[200:] == [f"line {i:06d}" for i in range(100)]
    assert sum(drop_reports(logs)) == 800 + 900


def test_drops_are_reported_once_a_second_and_finally_on_close(logs: LogStore, clock: FakeClock):
    began = time.monotonic()
    output = DynoOutput(logs, APP, "web.1")
    output.bucket = TokenBucket(rate=100, burst=2, clock=clock)
    output.feed(b"a\nb\nc\n")
    assert app_messages(logs) == ["a", "b"]
    assert drop_reports(logs) == [1]
    output.feed(b"d\ne\nf")  # dropped without a word: the last report was less than a second ago
    output.feed(b"g\nh\n")
    output.close()  # the last report: what was dropped since the one before
    reports = drop_reports(logs)
    assert sum(reports) == 1 + 4
    if time.monotonic() - began < 0.5:  # (on a very slow machine another report may come in between)
        assert reports == [1, 4]
    assert logs.tail(APP, 1)[0].partition(" ")[2].startswith("seaway[web.1]: Error L12")


def test_final_partial_line_over_the_rate_is_counted(logs: LogStore, clock: FakeClock):
    output = DynoOutput(logs, APP, "web.1")
    output.bucket = TokenBucket(rate=100, burst=1, clock=clock)
    output.feed(b"kept\n")
    output.feed(b"no newline")  # no tokens left: counted when the output ends
    output.close()
    assert app_messages(logs) == ["kept"]
    assert drop_reports(logs) == [1]


def test_the_report_names_the_rate(logs: LogStore, clock: FakeClock):
    output = DynoOutput(logs, APP, "web.1", rate=20_000)
    output.bucket = TokenBucket(rate=20_000, burst=1, clock=clock)
    output.feed(b"1\n2\n")
    output.close()
    (report,) = logs.tail(APP, 10, LogQuery(source="seaway"))
    assert report.endswith("seaway[web.1]: Error L12 (Local buffer overflow): 1 lines of output dropped: "
                           "web.1 printed more than 20,000 lines per second")
    assert logs.tail(APP, 10, LogQuery(dyno="web.1")) == logs.tail(APP, 10)  # both count for the dyno


def test_a_flood_keeps_at_most_burst_plus_rate_and_accounts_for_every_line(logs: LogStore):
    total = 100_000
    data = numbered(total)
    start = time.monotonic()
    output = DynoOutput(logs, APP, "web.1", rate=100, burst=200)
    for chunk in chunks(data, 65_536):
        output.feed(chunk)
    output.close()
    elapsed = time.monotonic() - start
    kept = app_messages(logs)
    assert 200 <= len(kept) <= 200 + 100 * elapsed + 1
    assert kept[:200] == [f"line {i:06d}" for i in range(200)]
    numbers = [int(text.split()[1]) for text in kept]
    assert numbers == sorted(set(numbers))  # whole lines, in order
    reports = drop_reports(logs)
    assert reports and len(reports) <= 2 + elapsed
    assert len(kept) + sum(reports) == total


def test_a_flood_without_newlines_is_bounded_and_counted(logs: LogStore):
    start = time.monotonic()
    output = DynoOutput(logs, APP, "web.1", rate=100, burst=5)
    for chunk in chunks(b"z" * 2_000_000, 65_536):
        output.feed(chunk)
    output.close()
    elapsed = time.monotonic() - start
    kept = app_messages(logs)
    assert 5 <= len(kept) <= 5 + 100 * elapsed + 1
    assert kept[:5] == ["z" * MAX_LINE_BYTES] * 5
    assert all(0 < len(text) <= MAX_LINE_BYTES and set(text) == {"z"} for text in kept)
    assert sum(drop_reports(logs)) > 0
