"""LogStore segments: bounded by lines and bytes, kept across restarts, tail with queries, follow across rotation."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from seaway.logs import LogQuery, LogStore, format_line
from seaway.logs.store import SEGMENTS
from tests.logs.test_store import next_line

pytestmark = pytest.mark.timeout(30)  # follow() loops forever by design: never let a regression hang the suite

APP = "my-app"
WHEN = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc)


def numbered(start: int, stop: int) -> list[str]:
    return [f"{i:06d}" for i in range(start, stop)]


def message(line: str) -> str:
    return line.partition(": ")[2]


def messages(lines: list[str]) -> list[str]:
    return [message(line) for line in lines]


def segment_files(logs: LogStore, app: str = APP) -> list[Path]:
    return sorted(logs.app_folder(app).glob("*.log"))


def line_counts(logs: LogStore, app: str = APP) -> list[int]:
    return [path.read_bytes().count(b"\n") for path in segment_files(logs, app)]


def disk_bytes(logs: LogStore, app: str = APP) -> int:
    return sum(path.stat().st_size for path in segment_files(logs, app))


def write_each(logs: LogStore, lines: list[str], source: str = "app[web.1]", app: str = APP) -> None:
    for text in lines:
        logs.write(app, source, [text])


def write_batches(logs: LogStore, lines: list[str], size: int, source: str = "app[web.1]", app: str = APP) -> None:
    for start in range(0, len(lines), size):
        logs.write(app, source, lines[start:start + size])


def assert_newest_run(lines: list[str], last: int) -> None:
    """The lines are consecutive numbers ending with `last`: the newest ones, in order, without holes."""
    numbers = [int(text) for text in messages(lines)]
    assert numbers == list(range(last - len(numbers) + 1, last + 1))


@pytest.fixture
def logs(tmp_path: Path):
    store = LogStore(tmp_path / "logs", max_lines=1000)  # segments of 100 lines
    yield store
    store.close()


# -- the bound on lines -----------------------------------------------------------------------

def test_lines_are_bounded(logs: LogStore):
    write_each(logs, numbered(0, 5000))
    counts = line_counts(logs)
    assert len(counts) <= SEGMENTS
    assert all(count <= 100 for count in counts)
    assert 900 <= sum(counts) <= 1000
    kept = logs.tail(APP, 5000)
    assert len(kept) == sum(counts)
    assert_newest_run(kept, 4999)
    assert messages(logs.tail(APP, 3)) == ["004997", "004998", "004999"]


def test_lines_are_bounded_when_written_in_batches_across_segment_boundaries(logs: LogStore):
    write_batches(logs, numbered(0, 5000), size=37)
    counts = line_counts(logs)
    assert len(counts) <= SEGMENTS
    assert all(count <= 100 for count in counts)
    assert 900 <= sum(counts) <= 1000
    assert_newest_run(logs.tail(APP, 5000), 4999)


def test_one_batch_larger_than_the_allowance(logs: LogStore):
    logs.write(APP, "app[web.1]", numbered(0, 2500))
    counts = line_counts(logs)
    assert len(counts) <= SEGMENTS and all(count <= 100 for count in counts)
    assert 900 <= sum(counts) <= 1000
    assert_newest_run(logs.tail(APP, 5000), 2499)


def test_segments_are_numbered_files_and_old_ones_are_deleted(logs: LogStore):
    write_each(logs, numbered(0, 1250))
    names = [path.name for path in segment_files(logs)]
    assert names == [f"{n:010d}.log" for n in range(4, 14)]  # 13 segments written, the newest ten kept
    assert line_counts(logs) == [100] * 9 + [50]


def test_tail_reads_across_segments_in_order(logs: LogStore):
    write_each(logs, numbered(0, 450))
    assert messages(logs.tail(APP, 150)) == numbered(300, 450)
    assert messages(logs.tail(APP, 51)) == numbered(399, 450)
    assert messages(logs.tail(APP, 10_000)) == numbered(0, 450)


def test_small_allowance_still_rotates(tmp_path: Path):
    logs = LogStore(tmp_path / "logs", max_lines=5)  # less than a line per segment: one line each
    write_each(logs, numbered(0, 50))
    assert len(segment_files(logs)) == SEGMENTS
    assert messages(logs.tail(APP, 100)) == numbered(40, 50)
    logs.close()


# -- the bound on bytes -----------------------------------------------------------------------

def test_bytes_are_bounded(tmp_path: Path):
    logs = LogStore(tmp_path / "logs", max_bytes=100_000)  # segments of 10 000 bytes; max_lines is far away
    write_each(logs, ["b" * 500 + f" {i:06d}" for i in range(2000)])
    line_size = len(format_line("app[web.1]", "b" * 500 + " 000000", WHEN)) + 1
    sizes = [path.stat().st_size for path in segment_files(logs)]
    assert len(sizes) <= SEGMENTS
    assert all(size < 10_000 + line_size for size in sizes)  # a segment ends with the line that fills it
    assert 90_000 <= sum(sizes) <= 100_000 + SEGMENTS * line_size
    kept = logs.tail(APP, 5000)
    assert [int(text.split()[-1]) for text in kept] == list(range(2000 - len(kept), 2000))
    logs.close()


def test_bytes_are_bounded_with_lines_as_long_as_allowed(tmp_path: Path):
    logs = LogStore(tmp_path / "logs", max_bytes=100_000)
    for i in range(100):
        logs.append(APP, "app[web.1]", f"{i:06d}" + "L" * 9_994)  # 10 000 bytes: the longest line kept whole
    sizes = [path.stat().st_size for path in segment_files(logs)]
    assert len(sizes) == SEGMENTS
    assert sum(sizes) <= 100_000 + SEGMENTS * 100  # a line per segment; only the stamps go over
    kept = logs.tail(APP, 1000)
    assert [int(message(text)[:6]) for text in kept] == list(range(100 - len(kept), 100))
    assert len(kept) >= 9
    logs.close()


def test_bytes_are_bounded_when_one_batch_is_larger_than_the_allowance(tmp_path: Path):
    logs = LogStore(tmp_path / "logs", max_bytes=100_000)
    logs.append(APP, "seaway", "\n".join("y" * 1000 for _ in range(1000)))  # one 1 MB message
    line_size = len(format_line("seaway", "y" * 1000, WHEN)) + 1
    assert disk_bytes(logs) <= 100_000 + SEGMENTS * line_size
    logs.close()


# -- a new LogStore on the same folder (the daemon restarted) ----------------------------------

def test_restart_keeps_history_and_goes_on_counting(tmp_path: Path):
    first = LogStore(tmp_path / "logs", max_lines=1000)
    write_each(first, numbered(0, 250))
    assert line_counts(first) == [100, 100, 50]
    # The daemon dies: `first` is never closed.

    second = LogStore(tmp_path / "logs", max_lines=1000)
    assert messages(second.tail(APP, 1000)) == numbered(0, 250)
    write_each(second, numbered(250, 300))
    assert line_counts(second) == [100, 100, 100]  # the newest segment was filled up, not begun anew
    write_each(second, numbered(300, 301))
    assert line_counts(second) == [100, 100, 100, 1]
    write_batches(second, numbered(301, 5000), size=50)
    counts = line_counts(second)
    assert len(counts) <= SEGMENTS and all(count <= 100 for count in counts)
    assert_newest_run(second.tail(APP, 5000), 4999)
    first.close()
    second.close()


def test_many_restarts_never_grow_a_segment_past_its_share(tmp_path: Path):
    for restart in range(30):
        logs = LogStore(tmp_path / "logs", max_lines=1000)
        write_each(logs, numbered(restart * 37, (restart + 1) * 37))
        logs.close()
    counts = line_counts(logs)
    assert len(counts) <= SEGMENTS and all(count <= 100 for count in counts)
    assert sum(counts) >= 900
    assert_newest_run(logs.tail(APP, 5000), 30 * 37 - 1)


def test_restart_with_a_byte_bound(tmp_path: Path):
    for restart in range(20):
        logs = LogStore(tmp_path / "logs", max_bytes=20_000)  # segments of 2 000 bytes
        write_each(logs, [f"{restart:02d}-{i:02d} " + "z" * 100 for i in range(20)])
        logs.close()
    sizes = [path.stat().st_size for path in segment_files(logs)]
    assert len(sizes) <= SEGMENTS
    assert all(size < 2_000 + 200 for size in sizes)


# -- the old single-file format ----------------------------------------------------------------

def write_old_log(folder: Path, app: str, count: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [format_line("seaway", f"old {i}", WHEN) for i in range(count)]
    (folder / f"{app}.log").write_text("".join(line + "\n" for line in lines))
    return lines


def test_old_single_file_is_adopted_as_the_first_segment(tmp_path: Path):
    old = write_old_log(tmp_path / "logs", APP, 3)
    logs = LogStore(tmp_path / "logs", max_lines=1000)
    assert logs.tail(APP, 10) == old
    assert not (tmp_path / "logs" / f"{APP}.log").exists()
    assert [path.name for path in segment_files(logs)] == ["0000000001.log"]
    logs.append(APP, "seaway", "new")
    assert messages(logs.tail(APP, 10)) == ["old 0", "old 1", "old 2", "new"]
    assert line_counts(logs) == [4]  # the new line went on in the adopted file
    logs.close()


def test_old_single_file_is_adopted_on_first_write(tmp_path: Path):
    write_old_log(tmp_path / "logs", APP, 2)
    logs = LogStore(tmp_path / "logs", max_lines=1000)
    logs.append(APP, "seaway", "new")
    assert messages(logs.tail(APP, 10)) == ["old 0", "old 1", "new"]
    logs.close()


def test_old_single_file_is_adopted_when_followed(tmp_path: Path):
    write_old_log(tmp_path / "logs", APP, 2)
    logs = LogStore(tmp_path / "logs", max_lines=1000)
    stop = threading.Event()
    stream = logs.follow(APP, 10, poll=0.001, stop=stop)
    assert [message(next(stream)) for _ in range(2)] == ["old 0", "old 1"]
    assert next(stream) is None
    logs.append(APP, "seaway", "new")
    assert message(next_line(stream)) == "new"
    stop.set()
    logs.close()


def test_large_old_single_file_is_rotated_away_like_any_segment(tmp_path: Path):
    write_old_log(tmp_path / "logs", APP, 250)  # more than a segment's share
    logs = LogStore(tmp_path / "logs", max_lines=1000)
    logs.append(APP, "seaway", "first new")
    assert line_counts(logs) == [250, 1]  # a new segment at once
    write_each(logs, numbered(0, 1000))
    assert not (logs.app_folder(APP) / "0000000001.log").exists()
    assert all(count <= 100 for count in line_counts(logs))
    assert_newest_run(logs.tail(APP, 5000), 999)
    logs.close()


def test_other_apps_old_files_are_left_alone(tmp_path: Path):
    write_old_log(tmp_path / "logs", "other-app", 2)
    logs = LogStore(tmp_path / "logs", max_lines=1000)
    logs.append(APP, "seaway", "mine")
    assert (tmp_path / "logs" / "other-app.log").exists()
    assert messages(logs.tail(APP, 10)) == ["mine"]
    logs.close()


# -- tail with a query ------------------------------------------------------------------------

def test_tail_filters_before_counting_across_segments(tmp_path: Path):
    logs = LogStore(tmp_path / "logs", max_lines=10_000)  # segments of 1 000 lines
    write_each(logs, [f"router {i}" for i in range(5)], source="router")
    write_batches(logs, numbered(0, 5000), size=100)  # the router lines are 5 segments back
    assert len(segment_files(logs)) == 6
    assert messages(logs.tail(APP, 3, LogQuery(source="router"))) == ["router 2", "router 3", "router 4"]
    assert messages(logs.tail(APP, 100, LogQuery(source="router"))) == [f"router {i}" for i in range(5)]
    assert messages(logs.tail(APP, 2, LogQuery(grep="router 1"))) == ["router 1"]
    assert messages(logs.tail(APP, 2, LogQuery(source="app"))) == ["004998", "004999"]
    logs.close()


def test_tail_with_a_query_spanning_several_segments(logs: LogStore):
    for i in range(600):
        logs.write(APP, f"app[web.{i % 3 + 1}]", [f"{i:06d}"])
    web_2 = messages(logs.tail(APP, 150, LogQuery(dyno="web.2")))
    assert web_2 == [f"{i:06d}" for i in range(151, 600, 3)]
    assert logs.tail(APP, 5, LogQuery(dyno="web.9")) == []
    assert logs.tail(APP, 0, LogQuery(dyno="web.2")) == []


# -- follow across rotation -------------------------------------------------------------------

def read_through(stream, last: str, timeout: float = 10.0) -> list[str]:
    """Every line the stream yields up to and including the one whose message is `last`.

    (A None only says that one poll found nothing: after a segment change it may come before more lines.)"""
    got, deadline = [], time.monotonic() + timeout
    while not got or message(got[-1]) != last:
        assert time.monotonic() < deadline, f"{last!r} never came; got {len(got)} lines"
        item = next(stream)
        if item is not None:
            got.append(item)
    return got


def assert_idle(stream, polls: int = 5) -> None:
    """Nothing more comes: the follower has caught up."""
    assert [next(stream) for _ in range(polls)] == [None] * polls


def test_follow_sees_every_line_once_in_order_across_rotation(logs: LogStore):
    total = 4000  # 40 segments of 100 lines
    stop = threading.Event()
    stream = logs.follow(APP, 0, poll=0.001, stop=stop)
    assert next(stream) is None  # following from the end of the (empty) log
    seen = 0
    progress = threading.Condition()

    def writer() -> None:
        for start in range(0, total, 7):  # batches straddle segment boundaries
            with progress:  # never more than 300 lines ahead of the reader: it keeps up
                assert progress.wait_for(lambda start=start: start - seen < 300, timeout=10)
            logs.write(APP, "app[web.1]", numbered(start, min(start + 7, total)))

    thread = threading.Thread(target=writer)
    thread.start()
    got: list[str] = []
    try:
        while len(got) < total:
            got.append(message(next_line(stream)))
            with progress:
                seen = len(got)
                progress.notify_all()
    finally:
        stop.set()
        thread.join()
    assert got == numbered(0, total)
    assert len(segment_files(logs)) == SEGMENTS  # it did rotate while we followed


def test_follow_with_a_query_across_rotation(logs: LogStore):
    stop = threading.Event()
    stream = logs.follow(APP, 0, LogQuery(source="router"), poll=0.001, stop=stop)
    assert next(stream) is None
    got: list[str] = []
    for round_ in range(10):
        write_batches(logs, numbered(round_ * 50, round_ * 50 + 50), size=10)
        logs.write(APP, "router", [f"router {round_}"])
        got += read_through(stream, f"router {round_}")
    assert_idle(stream)
    stop.set()
    assert messages(got) == [f"router {i}" for i in range(10)]


def test_follow_that_fell_behind_skips_ahead_without_repeating(logs: LogStore):
    stop = threading.Event()
    stream = logs.follow(APP, 0, poll=0.001, stop=stop)
    assert next(stream) is None
    logs.write(APP, "app[web.1]", numbered(0, 50))
    got = [message(next(stream)) for _ in range(10)]
    assert got == numbered(0, 10)

    write_batches(logs, numbered(50, 5000), size=25)  # the follower's segment is rotated away meanwhile
    got += messages(read_through(stream, "004999"))
    assert_idle(stream)
    stop.set()

    numbers = [int(text) for text in got]
    assert numbers == sorted(set(numbers))  # in order, none twice
    assert numbers[-1] == 4999
    assert len(numbers) < 5000  # it did skip
    assert set(messages(logs.tail(APP, 1000))) <= set(got)  # but nothing that is still on disk


def test_follow_behind_a_fast_writer_never_crashes_or_repeats(tmp_path: Path):
    logs = LogStore(tmp_path / "logs", max_lines=200)  # segments of 20 lines: rotation all the time
    total = 20_000
    stop = threading.Event()
    stream = logs.follow(APP, 0, poll=0.001, stop=stop)
    assert next(stream) is None
    thread = threading.Thread(target=write_batches, args=(logs, numbered(0, total), 13))
    thread.start()
    numbers: list[int] = []
    try:
        deadline = time.monotonic() + 20
        while not numbers or numbers[-1] != total - 1:
            assert time.monotonic() < deadline, f"the follower stopped at {numbers[-1:]}"
            item = next(stream)
            if item is not None:
                numbers.append(int(message(item)))
                if len(numbers) % 50 == 0:
                    time.sleep(0.001)  # a slow reader: the writer rotates its segment away
        assert_idle(stream)
    finally:
        stop.set()
        thread.join()
    assert numbers == sorted(set(numbers))  # in order, none twice
    assert len(numbers) >= 180  # it skipped to the oldest segment still kept, not further


def test_follow_history_then_new_lines_across_rotation(logs: LogStore):
    write_each(logs, numbered(0, 150))
    stop = threading.Event()
    stream = logs.follow(APP, 120, poll=0.001, stop=stop)
    assert messages(read_through(stream, "000149")) == numbered(30, 150)
    assert_idle(stream)
    write_batches(logs, numbered(150, 400), size=40)
    assert messages(read_through(stream, "000399")) == numbered(150, 400)
    assert_idle(stream)
    stop.set()


def test_follow_starts_over_after_a_log_with_several_segments_is_removed(logs: LogStore):
    write_each(logs, numbered(0, 350))  # segments 1 to 4
    stop = threading.Event()
    stream = logs.follow(APP, 0, poll=0.001, stop=stop)
    assert next(stream) is None
    logs.remove(APP)
    logs.append(APP, "seaway", "again")
    try:
        assert message(next_line(stream, timeout=0.5)) == "again"
    finally:
        stop.set()


PROGRESS = ["Downloading 10%\rDownloading 100%", "done"]  # what a progress bar prints
STORED = ["Downloading 10%\\rDownloading 100%", "done"]  # one line, its '\r' shown escaped


def test_tail_keeps_a_line_with_a_carriage_return_whole(logs: LogStore):
    logs.write(APP, "app[web.1]", PROGRESS, when=WHEN)
    assert logs.tail(APP, 10) == [format_line("app[web.1]", text, WHEN) for text in STORED]


def test_every_character_a_reader_takes_for_a_line_end_is_escaped(logs: LogStore):
    logs.append(APP, "app[web.1]", "a\rb\x0bc\x0cd\x1ce\x85f\u2028g\u2029h")
    (line,) = logs.tail(APP, 10)
    assert len(line.splitlines()) == 1 and line.endswith("a\\rb\\x0bc\\x0cd\\x1ce\\x85f\\u2028g\\u2029h")


def test_follow_keeps_a_line_with_a_carriage_return_whole(logs: LogStore):
    stop = threading.Event()
    stream = logs.follow(APP, 0, poll=0.001, stop=stop)
    assert next(stream) is None
    logs.write(APP, "app[web.1]", PROGRESS, when=WHEN)
    assert read_through(stream, "done") == [format_line("app[web.1]", text, WHEN) for text in STORED]
    stop.set()


# -- listeners, remove ------------------------------------------------------------------------

def test_listeners_get_the_app_and_the_formatted_lines(logs: LogStore):
    calls: list[tuple[str, list[str]]] = []
    more: list[str] = []
    logs.listen(lambda app, lines: calls.append((app, lines)))
    logs.listen(lambda app, lines: more.extend(lines))
    logs.write(APP, "router", ["one", "two"], when=WHEN)
    logs.append("other-app", "seaway", "multi\nline")
    logs.write(APP, "router", [])  # nothing written: nobody called
    assert calls[0] == (APP, [format_line("router", "one", WHEN), format_line("router", "two", WHEN)])
    assert calls[1][0] == "other-app"
    assert messages(calls[1][1]) == ["multi", "line"]
    assert len(calls) == 2
    assert more == calls[0][1] + calls[1][1]
    assert logs.tail(APP, 10) == calls[0][1]  # what listeners get is what was stored


def test_listeners_see_every_line_across_rotation(logs: LogStore):
    got: list[str] = []
    logs.listen(lambda app, lines: got.extend(lines))
    write_batches(logs, numbered(0, 3000), size=33)
    assert messages(got) == numbered(0, 3000)


def test_remove_deletes_every_segment_and_the_old_file(tmp_path: Path):
    logs = LogStore(tmp_path / "logs", max_lines=1000)
    write_each(logs, numbered(0, 450))
    (tmp_path / "logs" / f"{APP}.log").write_text("a stray old-format file\n")
    logs.append("other-app", "seaway", "stays")
    logs.remove(APP)
    assert not logs.app_folder(APP).exists()
    assert not (tmp_path / "logs" / f"{APP}.log").exists()
    assert logs.tail(APP, 10) == []
    assert messages(logs.tail("other-app", 10)) == ["stays"]
    logs.append(APP, "seaway", "born again")
    assert [path.name for path in segment_files(logs)] == ["0000000001.log"]
    assert messages(logs.tail(APP, 10)) == ["born again"]
    logs.close()


def test_remove_an_app_this_store_never_opened(tmp_path: Path):
    first = LogStore(tmp_path / "logs", max_lines=1000)
    write_each(first, numbered(0, 150))
    first.close()
    second = LogStore(tmp_path / "logs", max_lines=1000)
    second.remove(APP)
    assert not second.app_folder(APP).exists()
    assert second.tail(APP, 10) == []


def test_close_then_write_again(logs: LogStore):
    logs.append(APP, "seaway", "before")
    logs.close()
    logs.append(APP, "seaway", "after")
    assert messages(logs.tail(APP, 10)) == ["before", "after"]


def test_follow_does_not_repeat_lines_written_while_it_read_the_history(logs: LogStore, monkeypatch):
    logs.write(APP, "app[web.1]", ["old"], when=WHEN)
    real_tail = LogStore.tail

    def tail_after_a_write(self: LogStore, app: str, count: int, query=None):  # a line lands between the two reads
        logs.write(APP, "app[web.1]", ["written meanwhile"], when=WHEN)
        return real_tail(self, app, count) if query is None else real_tail(self, app, count, query)

    monkeypatch.setattr(LogStore, "tail", tail_after_a_write)
    stop = threading.Event()
    stream = logs.follow(APP, 10, poll=0.001, stop=stop)
    seen = [next(stream), next(stream)]
    logs.write(APP, "app[web.1]", ["new"], when=WHEN)
    seen += [line for line in (next(stream) for _ in range(5)) if line is not None]
    stop.set()
    assert [message.split(": ", 1)[1] for message in seen] == ["old", "written meanwhile", "new"]
