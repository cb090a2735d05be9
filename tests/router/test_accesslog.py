"""RouterLog: records appended to a real access-log file, as nginx appends them, become `router` lines in a LogStore;
the file is followed by name across rotations."""

from __future__ import annotations

import os
import re
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seaway.logs import LogStore
from seaway.router import accesslog
from seaway.router.accesslog import RouterLog
from seaway.router.logline import FIELDS, RouterRecord
from tests.dynos.conftest import GUARD, NOT_WAITED, returns_within

pytestmark = pytest.mark.timeout(30)

DYNOS = {("app-a", "127.0.0.1:5001"): "web.1", ("app-b", "127.0.0.1:5002"): "web.2"}
ROUTER_LINE = re.compile(r"^\S+ router: (?P<line>.*)$")


def dyno_of(app: str, address: str) -> str:
    return DYNOS.get((app, address), address)


def record(app: str, path: str, upstream: str = "127.0.0.1:5001", **fields: str) -> bytes:
    """One record as nginx writes it to the file (log_format seaway_router), newline included."""
    values = {"app": app, "code": "", "method": "GET", "path": path, "host": f"{app}.localhost",
              "request_id": "req-" + "0" * 20, "fwd": "127.0.0.1", "upstream": upstream, "connect": "0.001",
              "service": "0.010", "request_time": "0.011", "status": "200", "bytes": "100", "protocol": "http"} | fields
    return ("\t".join(values[name] for name in FIELDS) + "\n").encode()


class FakeNginx:
    """Writes records like nginx: through a handle opened for appending, reopened when told to."""

    def __init__(self, path: Path) -> None:
        self.path, self.reopened = path, 0
        self.file = open(path, "ab")  # noqa: SIM115

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.file.flush()

    def reopen(self) -> None:
        self.reopened += 1
        self.old = self.file  # a worker still running the old configuration keeps writing here
        self.file = open(self.path, "ab")  # noqa: SIM115

    def close(self) -> None:
        self.file.close()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "access.log"


@pytest.fixture
def follower(path: Path, logs: LogStore) -> Iterator[RouterLog]:
    made = RouterLog(path, logs, dyno_of)
    yield made
    made.close()


def router_lines(logs: LogStore, app: str) -> list[str]:
    return [match["line"] for line in logs.tail(app, 100_000) if (match := ROUTER_LINE.match(line))]


def wait_for_lines(logs: LogStore, app: str, count: int, timeout: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(found := router_lines(logs, app)) < count:
        assert time.monotonic() < deadline, f"{app}: {len(found)} router lines of {count}: {found}"
        time.sleep(0.02)
    time.sleep(2 * accesslog.POLL)
    assert router_lines(logs, app) == found, "more lines than records"
    return found


def paths(lines: list[str]) -> list[str]:
    return [re.search(r'path="(\S+)"', line)[1] for line in lines]


def test_directive_names_the_file_and_buffers(follower: RouterLog, path: Path):
    assert follower.directive() == f"{path} seaway_router buffer={accesslog.BUFFER} flush={accesslog.FLUSH}"


def test_records_become_router_lines_of_their_apps(follower: RouterLog, path: Path, logs: LogStore):
    follower.start()
    nginx = FakeNginx(path)
    nginx.write(record("app-a", "/one") + record("app-b", "/two", upstream="127.0.0.1:5002")
                + record("app-a", "/three", status="404"))
    a, b = wait_for_lines(logs, "app-a", 2), wait_for_lines(logs, "app-b", 1)
    assert paths(a) == ["/one", "/three"]
    assert a[0].startswith('at=info method=GET path="/one" host=app-a.localhost ')
    assert " dyno=web.1 " in a[0] and " status=404 " in a[1]
    assert " dyno=web.2 " in b[0] and 'path="/two"' in b[0]
    nginx.close()


def test_a_record_written_in_two_pieces_is_one_line(follower: RouterLog, path: Path, logs: LogStore):
    follower.start()
    nginx = FakeNginx(path)
    whole = record("app-a", "/split")
    nginx.write(record("app-a", "/first") + whole[:25])
    assert paths(wait_for_lines(logs, "app-a", 1)) == ["/first"]
    nginx.write(whole[25:])
    assert paths(wait_for_lines(logs, "app-a", 2)) == ["/first", "/split"]
    nginx.close()


def test_a_file_left_from_before_start_is_not_read(follower: RouterLog, path: Path, logs: LogStore):
    """Its lines may be in the logs already (the daemon that read it stopped without finishing it)."""
    path.write_bytes(record("app-a", "/old"))
    path.chmod(0o644)
    left = os.stat(path).st_ino
    follower.start()
    assert path.stat().st_size == 0 and os.stat(path).st_ino != left
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    nginx = FakeNginx(path)
    nginx.write(record("app-a", "/new"))
    assert paths(wait_for_lines(logs, "app-a", 1)) == ["/new"]
    nginx.close()


def test_what_is_not_a_record_is_ignored(follower: RouterLog, path: Path, logs: LogStore):
    follower.start()
    nginx = FakeNginx(path)
    nginx.write(b"\nhello\n\xff\xfe\x00\ntoo\tfew\tfields\n" + record("", "/default-server") + record("app-a", "/good"))
    assert paths(wait_for_lines(logs, "app-a", 1)) == ["/good"]
    assert sorted(p.name for p in logs.folder.iterdir()) == ["app-a"]  # no log for a nameless app
    nginx.close()


def test_invalid_utf8_is_replaced(follower: RouterLog, path: Path, logs: LogStore):
    follower.start()
    nginx = FakeNginx(path)
    nginx.write(record("app-a", "/caf\xe9").replace("/caf\xe9".encode(), b"/caf\xe9"))
    assert 'path="/caf\ufffd"' in wait_for_lines(logs, "app-a", 1)[0]
    nginx.close()


def test_an_impossible_timing_is_left_empty_and_the_next_record_still_comes(follower: RouterLog, path: Path,
                                                                             logs: LogStore):
    follower.start()
    nginx = FakeNginx(path)
    nginx.write(record("app-a", "/bad", connect="inf", service="1e999") + record("app-a", "/good"))
    bad, good = wait_for_lines(logs, "app-a", 2)
    assert " connect= service=11ms " in bad  # no service time: the request's own time instead
    assert 'path="/good"' in good
    nginx.close()


def test_a_record_the_parser_fails_on_does_not_cost_the_others(follower: RouterLog, path: Path, logs: LogStore):
    def failing(app: str, address: str) -> str:
        if address == "127.0.0.1:6666":
            raise RuntimeError("no such dyno table")
        return dyno_of(app, address)

    follower.dyno_of = failing
    follower.start()
    nginx = FakeNginx(path)
    nginx.write(record("app-a", "/before") + record("app-a", "/bad", upstream="127.0.0.1:6666")
                + record("app-a", "/after"))
    assert paths(wait_for_lines(logs, "app-a", 2)) == ["/before", "/after"]
    nginx.close()


def test_a_backlog_larger_than_one_read_is_read_at_once(follower: RouterLog, path: Path, logs: LogStore,
                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(accesslog, "READ_SIZE", 1000)
    monkeypatch.setattr(accesslog, "POLL", NOT_WAITED)  # the follower's thread never polls on its own here
    nginx = FakeNginx(path)
    follower.start()  # unlinks the file nginx opened: open it again, as nginx would after a reopen
    nginx.reopen()
    nginx.write(b"".join(record("app-a", f"/{n}") for n in range(300)))  # ~45 reads of 1000 bytes
    follower._poll_safely()  # one poll, as the thread makes one every POLL
    lines = router_lines(logs, "app-a")
    assert paths(lines) == [f"/{n}" for n in range(300)]  # all of it: not one read per poll
    nginx.close()


def test_a_big_file_is_rotated_and_nothing_is_lost_or_repeated(path: Path, logs: LogStore,
                                                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(accesslog, "ROTATE_BYTES", 2000)
    monkeypatch.setattr(accesslog, "OLD_FILE_QUIET", 0.5)
    nginx = FakeNginx(path)
    follower = RouterLog(path, logs, dyno_of, reopen=lambda: nginx.reopen())
    follower.start()
    nginx.reopen()
    first_inode = os.stat(path).st_ino
    try:
        nginx.write(b"".join(record("app-a", f"/{n}") for n in range(20)))  # past ROTATE_BYTES
        wait_for_lines(logs, "app-a", 20)
        assert nginx.reopened == 2 and os.stat(path).st_ino != first_inode
        nginx.old.write(record("app-a", "/late"))  # an old worker writes to the unlinked file
        nginx.old.flush()
        nginx.write(record("app-a", "/new-file"))
        lines = wait_for_lines(logs, "app-a", 22)
        assert sorted(paths(lines)[20:]) == ["/late", "/new-file"]
        assert paths(lines)[:20] == [f"/{n}" for n in range(20)]
        time.sleep(0.5 + 3 * accesslog.POLL)
        assert len(follower._old) == 0  # the unlinked file was let go once quiet
        assert nginx.reopened == 2  # one rotation, one reopen: not one per poll
    finally:
        follower.close()
        nginx.close()


@pytest.mark.timeout(GUARD + 30)
def test_close_reads_what_was_written_just_before(path: Path, logs: LogStore, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(accesslog, "POLL", NOT_WAITED)  # no poll on its own during the test
    follower = RouterLog(path, logs, dyno_of)
    follower.start()
    nginx = FakeNginx(path)
    nginx.write(record("app-a", "/last-words"))
    nginx.close()  # nginx has stopped
    returns_within(GUARD, follower.close)  # at once: not after the thread's next poll
    assert paths(router_lines(logs, "app-a")) == ["/last-words"]
    assert not follower._thread.is_alive()


@pytest.mark.timeout(GUARD + 30)
def test_close_without_start_and_twice(path: Path, logs: LogStore):
    follower = RouterLog(path, logs, dyno_of)
    returns_within(GUARD, lambda: (follower.close(), follower.close()))
    assert follower._thread.ident is None  # nothing to wait for: closing did not start the thread


def test_nothing_to_read_before_nginx_creates_the_file(follower: RouterLog, path: Path, logs: LogStore):
    follower.start()
    time.sleep(3 * accesslog.POLL)
    assert follower._thread.is_alive()
    nginx = FakeNginx(path)
    nginx.write(record("app-a", "/first"))
    assert paths(wait_for_lines(logs, "app-a", 1)) == ["/first"]
    nginx.close()


def test_records_from_many_writers_at_once_all_arrive(follower: RouterLog, path: Path, logs: LogStore):
    """nginx's workers each append whole buffers of records to the one file."""
    follower.start()
    writers = [FakeNginx(path) for _ in range(4)]

    def write(number: int) -> None:
        for batch in range(25):
            writers[number].write(b"".join(record("app-a", f"/{number}-{batch}-{n}") for n in range(10)))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = wait_for_lines(logs, "app-a", 1000)
    assert sorted(paths(lines)) == sorted(f"/{w}-{b}-{n}" for w in range(4) for b in range(25) for n in range(10))
    for writer in writers:
        writer.close()


def test_the_follower_thread_runs_niced_and_the_rest_of_the_daemon_does_not(follower: RouterLog, path: Path,
                                                                           logs: LogStore):
    follower.start()
    nginx = FakeNginx(path)
    nginx.write(record("app-a", "/x"))
    wait_for_lines(logs, "app-a", 1)  # the thread has run

    def nice_of(tid: int) -> int:
        return int(Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()[16])

    assert nice_of(follower._thread.native_id) == accesslog.NICE
    assert nice_of(threading.get_native_id()) == os.getpriority(os.PRIO_PROCESS, 0) != accesslog.NICE
    nginx.close()


def test_each_line_carries_its_requests_own_time(follower: RouterLog, path: Path, logs: LogStore):
    follower.start()
    nginx = FakeNginx(path)
    earlier = record("app-t", "/old").rstrip(b"\n") + b"\t1700000000.123\n"  # nginx's $msec, 2023-11-14
    later = record("app-t", "/new").rstrip(b"\n") + b"\t1700000001.500\n"
    legacy = record("app-t", "/legacy")  # a record from before $msec was logged: stamped when read
    nginx.write(earlier + later + legacy)
    wait_for_lines(logs, "app-t", 3)
    stamps = {re.search(r'path="(\S+)"', line)[1]: line.split(" ", 1)[0] for line in logs.tail("app-t", 10)}
    assert stamps["/old"] == "2023-11-14T22:13:20.123000+00:00"
    assert stamps["/new"] == "2023-11-14T22:13:21.500000+00:00"
    assert stamps["/legacy"] > "2026"
    nginx.close()


def test_the_observer_gets_every_parsed_record_in_batches_of_bounded_size(path: Path, logs: LogStore):
    seen: list[list[RouterRecord]] = []
    follower = RouterLog(path, logs, dyno_of, on_records=seen.append)
    at_once = accesslog.OBSERVED_AT_ONCE
    follower.write([record("app-a", f"/{n}", status="404" if n % 2 else "200").decode() for n in range(2500)]
                   + ["not a record"])
    assert [len(batch) for batch in seen] == [at_once] * (2500 // at_once) + ([2500 % at_once] if 2500 % at_once else [])
    first = seen[0][0]
    assert (first.app, first.status, first.code, first.service_ms) == ("app-a", "200", "", 10)
    assert sum(record.status == "404" for batch in seen for record in batch) == 1250
    assert len(router_lines(logs, "app-a")) == 2500  # the lines are written all the same


def test_an_observer_that_fails_costs_no_line_and_does_not_stop_the_follower(follower: RouterLog, path: Path,
                                                                             logs: LogStore):
    def failing(_records: list[RouterRecord]) -> None:
        raise RuntimeError("metrics broke")

    follower.on_records = failing
    follower.write([record("app-b", "/zero").decode()])
    assert paths(router_lines(logs, "app-b")) == ["/zero"]
    follower.start()
    nginx = FakeNginx(path)
    nginx.write(record("app-a", "/one"))
    wait_for_lines(logs, "app-a", 1)
    nginx.write(record("app-a", "/two"))
    assert paths(wait_for_lines(logs, "app-a", 2)) == ["/one", "/two"]
    nginx.close()
