"""log_stream: log lines to the client as plain text or server-sent events, batched, with keep-alives."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seaway.api.streaming import log_stream
from seaway.logs import LogStore

pytestmark = pytest.mark.timeout(20)


def quiet(*items: str | None) -> Iterator[str | None]:
    """The items, with a moment of quiet before each None (as follow() sleeps between polls)."""
    for item in items:
        if item is None:
            time.sleep(0.002)
        yield item


# -- plain text and events --------------------------------------------------------------------

def test_plain_text_is_a_line_each():
    assert list(log_stream(iter(["first", "second ü", ""]), events=False)) == ["first\nsecond ü\n\n"]


def test_events_are_data_fields():
    assert list(log_stream(iter(["first", "second ü"]), events=True)) == ["data: first\n\ndata: second ü\n\n"]


def test_nothing_in_nothing_out():
    assert list(log_stream(iter([]), events=False)) == []
    assert list(log_stream(iter([]), events=True, keepalive=3600)) == []


# -- batching ---------------------------------------------------------------------------------

@pytest.mark.parametrize("events", [False, True])
def test_lines_go_out_in_batches_of_up_to_500(events: bool):
    lines = [f"line {i}" for i in range(1234)]
    chunks = list(log_stream(iter(lines), events=events))
    per_line = 2 if events else 1
    assert [chunk.count("\n") // per_line for chunk in chunks] == [500, 500, 234]
    text = "".join(chunks)
    expected = "".join(f"data: {line}\n\n" if events else f"{line}\n" for line in lines)
    assert text == expected


def test_exactly_500_lines_are_one_chunk():
    assert [chunk.count("\n") for chunk in log_stream(iter(["x"] * 500), events=False)] == [500]


def test_a_batch_goes_out_when_the_lines_stop_coming():
    chunks = list(log_stream(iter(["a", "b", None, "c", None, None, "d"]), events=False, keepalive=3600))
    assert chunks == ["a\nb\n", "c\n", "d\n"]


def test_batches_are_sent_as_soon_as_the_source_waits():
    """The stream does not read ahead: a batch is out before the next wait ends."""
    produced: list[str] = []

    def source() -> Iterator[str | None]:
        for name in ("one", "two"):
            produced.append(name)
            yield name
            yield None

    stream = log_stream(source(), events=False)
    assert next(stream) == "one\n"
    assert produced == ["one"]
    assert next(stream) == "two\n"


# -- keep-alives ------------------------------------------------------------------------------

def test_event_stream_gets_a_keepalive_comment_when_quiet():
    chunks = list(log_stream(quiet("a", None, None, None), events=True, keepalive=0))
    assert chunks == ["data: a\n\n", ": keep-alive\n\n", ": keep-alive\n\n"]


def test_no_keepalive_before_the_quiet_period():
    assert list(log_stream(quiet(None, None, None), events=True, keepalive=3600)) == []


def test_plain_text_gets_no_keepalive():
    assert list(log_stream(quiet("a", None, None, None), events=False, keepalive=0)) == ["a\n"]


def test_keepalive_after_a_quiet_start():
    assert list(log_stream(quiet(None, "late"), events=True, keepalive=0)) == [": keep-alive\n\n", "data: late\n\n"]


# -- with a real follow() ---------------------------------------------------------------------

def test_streams_a_followed_log(tmp_path: Path):
    logs = LogStore(tmp_path / "logs")
    for i in range(3):
        logs.append("my-app", "seaway", f"history {i}")
    stop = threading.Event()
    stream = log_stream(logs.follow("my-app", 2, poll=0.001, stop=stop), events=True, keepalive=0)
    history = next(stream)
    assert re.fullmatch(r"data: \S+ seaway: history 1\n\ndata: \S+ seaway: history 2\n\n", history)
    assert next(stream) == ": keep-alive\n\n"
    logs.append("my-app", "router", "at=info status=200")
    chunk = next(stream)
    while chunk == ": keep-alive\n\n":
        chunk = next(stream)
    assert re.fullmatch(r"data: \S+ router: at=info status=200\n\n", chunk)
    stop.set()
    assert all(chunk == ": keep-alive\n\n" for chunk in stream)  # and then it ends
    logs.close()


# -- framing ----------------------------------------------------------------------------------

def sse_fields(body: str) -> list[str]:
    """The non-empty lines of an event stream, split as the SSE spec says (CRLF, LF or a lone CR)."""
    return [line for line in re.split(r"\r\n|\r|\n", body) if line]


def test_event_framing_is_intact_for_ordinary_lines():
    body = "".join(log_stream(iter(["2026-01-01T00:00:00.000000+00:00 app[web.1]: a: b [c]", "tab\tand ü"]),
                              events=True))
    assert sse_fields(body) == ["data: 2026-01-01T00:00:00.000000+00:00 app[web.1]: a: b [c]", "data: tab\tand ü"]


def test_event_framing_survives_a_carriage_return_in_a_line(tmp_path):
    from seaway.logs import LogStore

    logs = LogStore(tmp_path)
    logs.append("app", "app[web.1]", "10%\r100%")  # a progress bar, as the store keeps it
    body = "".join(log_stream(iter(logs.tail("app", 10)), events=True))
    assert all(field.startswith(("data:", ":")) for field in sse_fields(body)) and len(sse_fields(body)) == 1
