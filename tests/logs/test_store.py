"""LogStore: per-app log files of `TIMESTAMP source: message` lines; tail and follow."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from seaway.logs.lines import MAX_LINE_BYTES
from seaway.logs.store import LogStore, format_line

pytestmark = pytest.mark.timeout(10)  # follow() loops forever by design: never let a regression hang the suite

LINE = re.compile(r"^(?P<stamp>\S+) (?P<source>[^:]+): (?P<message>.*)$")


def parse(line: str) -> tuple[datetime, str, str]:
    match = LINE.match(line)
    assert match, line
    return datetime.fromisoformat(match["stamp"]), match["source"], match["message"]


def test_format_line():
    when = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    assert format_line("app[web.1]", "hello", when) == "2026-01-02T03:04:05.000006+00:00 app[web.1]: hello"


def test_folder_is_created(tmp_path: Path):
    LogStore(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()


def test_append_and_tail(logs: LogStore):
    before = datetime.now(timezone.utc)
    logs.append("my-app", "app[web.1]", "GET / 200")
    logs.append("my-app", "seaway", "Release v2 created")
    after = datetime.now(timezone.utc)
    lines = logs.tail("my-app", 10)
    assert len(lines) == 2
    stamp, source, message = parse(lines[0])
    assert (source, message) == ("app[web.1]", "GET / 200")
    assert before <= stamp <= after
    assert stamp.tzinfo is not None
    assert parse(lines[1])[1:] == ("seaway", "Release v2 created")
    assert sum(p.read_text().count("\n") for p in logs.app_folder("my-app").glob("*.log")) == 2


def test_tail_returns_the_last_lines(logs: LogStore):
    for i in range(20):
        logs.append("my-app", "router", f"line {i}")
    assert [parse(line)[2] for line in logs.tail("my-app", 3)] == ["line 17", "line 18", "line 19"]
    assert len(logs.tail("my-app", 100)) == 20
    assert logs.tail("my-app", 0) == []


def test_tail_of_an_app_without_logs_is_empty(logs: LogStore):
    assert logs.tail("nothing-yet", 10) == []


def test_apps_have_separate_logs(logs: LogStore):
    logs.append("one-app", "seaway", "for one")
    logs.append("two-app", "seaway", "for two")
    assert [parse(line)[2] for line in logs.tail("one-app", 10)] == ["for one"]
    assert [parse(line)[2] for line in logs.tail("two-app", 10)] == ["for two"]


def test_multi_line_message_becomes_one_line_each(logs: LogStore):
    logs.append("my-app", "app[web.1]", "Traceback (most recent call last):\n  File x\nValueError: boom\n")
    lines = logs.tail("my-app", 10)
    assert [parse(line)[1:] for line in lines] == [
        ("app[web.1]", "Traceback (most recent call last):"),
        ("app[web.1]", "  File x"),
        ("app[web.1]", "ValueError: boom"),
    ]


def test_empty_message_is_one_empty_line(logs: LogStore):
    logs.append("my-app", "seaway", "")
    (line,) = logs.tail("my-app", 10)
    assert parse(line)[1:] == ("seaway", "")


def test_long_lines_are_split(logs: LogStore):
    assert MAX_LINE_BYTES == 10_000
    logs.append("my-app", "app[web.1]", "x" * 25_000 + "\nshort")
    messages = [parse(line)[2] for line in logs.tail("my-app", 10)]
    assert messages == ["x" * 10_000, "x" * 10_000, "x" * 5_000, "short"]


def test_remove(logs: LogStore):
    logs.append("my-app", "seaway", "bye")
    logs.remove("my-app")
    assert logs.tail("my-app", 10) == []
    logs.remove("my-app")  # removing twice is fine


def test_rename_carries_the_log_on_under_the_new_name(logs: LogStore):
    earlier = LogStore(logs.folder)  # a late line of a destroyed app of that name, say
    earlier.append("stale", "seaway", "left by an earlier app of that name")
    earlier.close()
    logs.append("before", "seaway", "one")
    logs.rename("before", "stale")
    logs.append("stale", "seaway", "two")
    assert [parse(line)[2] for line in logs.tail("stale", 10)] == ["one", "two"]
    assert logs.tail("before", 10) == []
    logs.rename("nothing-yet", "other")  # an app that never logged


# -- follow ------------------------------------------------------------------------------------


def next_line(stream, timeout: float = 5.0) -> str:
    """The next non-None item of a follow() stream."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = next(stream)
        if item is not None:
            return item
    raise AssertionError("no new line within the timeout")


def test_follow_yields_history_then_none_when_idle(logs: LogStore):
    for i in range(5):
        logs.append("my-app", "seaway", f"old {i}")
    stop = threading.Event()
    stream = logs.follow("my-app", 2, poll=0.01, stop=stop)
    assert [parse(next(stream))[2] for _ in range(2)] == ["old 3", "old 4"]
    assert next(stream) is None
    assert next(stream) is None
    stop.set()
    assert list(stream) == []


def test_follow_yields_new_lines_written_by_another_thread(logs: LogStore):
    logs.append("my-app", "seaway", "history")
    stop = threading.Event()
    stream = logs.follow("my-app", 10, poll=0.01, stop=stop)
    assert parse(next(stream))[2] == "history"
    assert next(stream) is None  # caught up

    def writer() -> None:
        for i in range(3):
            time.sleep(0.02)
            logs.append("my-app", "app[web.1]", f"new {i}")
        logs.append("my-app", "app[web.1]", "multi\nline")

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        got = [parse(next_line(stream))[1:] for _ in range(5)]
    finally:
        thread.join()
        stop.set()
    assert got == [("app[web.1]", "new 0"), ("app[web.1]", "new 1"), ("app[web.1]", "new 2"),
                   ("app[web.1]", "multi"), ("app[web.1]", "line")]


def test_follow_an_app_whose_log_does_not_exist_yet(logs: LogStore):
    stop = threading.Event()
    stream = logs.follow("new-app", 10, poll=0.01, stop=stop)
    assert next(stream) is None
    logs.append("new-app", "seaway", "App new-app created")
    assert parse(next_line(stream))[2] == "App new-app created"
    stop.set()


def test_follow_starts_over_after_the_log_is_removed(logs: LogStore):
    logs.append("my-app", "seaway", "a rather long first line so the new file is shorter")
    stop = threading.Event()
    stream = logs.follow("my-app", 0, poll=0.01, stop=stop)
    assert next(stream) is None
    logs.remove("my-app")
    logs.append("my-app", "seaway", "again")
    assert parse(next_line(stream))[2] == "again"
    stop.set()
