"""RouterLog: nginx's syslog datagrams, received on a real loopback UDP socket, become `router` lines in a LogStore."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator

import pytest

from seaway.logs import LogStore
from seaway.router.accesslog import RouterLog
from seaway.router.logline import FIELDS

pytestmark = pytest.mark.timeout(20)

DYNOS = {("app-a", "127.0.0.1:5001"): "web.1", ("app-b", "127.0.0.1:5002"): "web.2"}
ROUTER_LINE = re.compile(r"^\S+ router: (?P<line>.*)$")


def dyno_of(app: str, address: str) -> str:
    return DYNOS.get((app, address), address)


def datagram(app: str, path: str, upstream: str = "127.0.0.1:5001", **fields: str) -> bytes:
    """What nginx sends for one request: `<PRI>TIMESTAMP TAG: record` (nohostname)."""
    values = {"app": app, "code": "", "method": "GET", "path": path, "host": f"{app}.localhost",
              "request_id": "req-" + "0" * 20, "fwd": "127.0.0.1", "upstream": upstream, "connect": "0.001",
              "service": "0.010", "request_time": "0.011", "status": "200", "bytes": "100", "protocol": "http"} | fields
    return ("<190>Nov 22 03:10:00 seaway: " + "\t".join(values[name] for name in FIELDS)).encode()


@pytest.fixture
def receiver(logs: LogStore) -> Iterator[RouterLog]:
    made = RouterLog(logs, dyno_of)
    yield made
    made.close()


@pytest.fixture
def sender() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    yield sock
    sock.close()


def router_lines(logs: LogStore, app: str) -> list[str]:
    return [match["line"] for line in logs.tail(app, 1000) if (match := ROUTER_LINE.match(line))]


def wait_for_lines(logs: LogStore, app: str, count: int, timeout: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(found := router_lines(logs, app)) < count:
        assert time.monotonic() < deadline, f"{app}: {len(found)} router lines of {count}: {found}"
        time.sleep(0.02)
    return found


def test_port_is_a_bound_loopback_udp_port(receiver: RouterLog):
    assert receiver.sock.getsockname() == ("127.0.0.1", receiver.port)
    assert receiver.sock.type == socket.SOCK_DGRAM
    assert receiver.port > 0


def test_datagrams_become_router_lines_of_their_apps(receiver: RouterLog, logs: LogStore, sender: socket.socket):
    # Sent before start(): the thread finds all of them waiting, so they arrive as one batch.
    for message in (datagram("app-a", "/one"), datagram("app-b", "/two", upstream="127.0.0.1:5002"),
                    datagram("app-a", "/three", status="404")):
        sender.sendto(message, ("127.0.0.1", receiver.port))
    receiver.start()
    a = wait_for_lines(logs, "app-a", 2)
    b = wait_for_lines(logs, "app-b", 1)
    assert [re.search(r'path="(\S+)"', line)[1] for line in a] == ["/one", "/three"]
    assert a[0].startswith("at=info method=GET path=\"/one\" host=app-a.localhost ")
    assert " dyno=web.1 " in a[0] and " status=404 " in a[1]
    assert b == [b[0]] and " dyno=web.2 " in b[0] and 'path="/two"' in b[0]


def test_lines_keep_coming_after_start(receiver: RouterLog, logs: LogStore, sender: socket.socket):
    receiver.start()
    for n in range(20):
        sender.sendto(datagram("app-a", f"/{n}"), ("127.0.0.1", receiver.port))
    lines = wait_for_lines(logs, "app-a", 20)
    assert sorted(int(re.search(r'path="/(\d+)"', line)[1]) for line in lines) == list(range(20))


def test_datagrams_that_are_not_records_are_ignored(receiver: RouterLog, logs: LogStore, sender: socket.socket):
    for junk in (b"", b"hello", b"\xff\xfe\x00", b"<190>Nov 22 03:10:00 seaway: too\tfew\tfields",
                 datagram("", "/default-server")):
        sender.sendto(junk, ("127.0.0.1", receiver.port))
    sender.sendto(datagram("app-a", "/good"), ("127.0.0.1", receiver.port))
    receiver.start()
    assert len(wait_for_lines(logs, "app-a", 1)) == 1
    assert sorted(p.name for p in logs.folder.iterdir()) == ["app-a"]  # no log for a nameless app


def test_an_impossible_timing_is_left_empty_and_the_thread_goes_on(receiver: RouterLog, logs: LogStore,
                                                                   sender: socket.socket):
    receiver.start()
    sender.sendto(datagram("app-a", "/bad", connect="inf"), ("127.0.0.1", receiver.port))  # round(inf) would overflow
    sender.sendto(datagram("app-a", "/good"), ("127.0.0.1", receiver.port))
    bad, good = wait_for_lines(logs, "app-a", 2)
    assert 'path="/bad"' in bad and " connect= " in bad
    assert 'path="/good"' in good


def test_a_bad_record_does_not_lose_the_good_ones_received_with_it(receiver: RouterLog, logs: LogStore,
                                                                   sender: socket.socket):
    sender.sendto(datagram("app-b", "/before", upstream="127.0.0.1:5002"), ("127.0.0.1", receiver.port))
    sender.sendto(datagram("app-a", "/bad", service="1e999"), ("127.0.0.1", receiver.port))
    sender.sendto(datagram("app-a", "/after"), ("127.0.0.1", receiver.port))
    receiver.start()  # all three are waiting: one batch
    assert len(wait_for_lines(logs, "app-b", 1, timeout=1)) == 1
    assert 'path="/after"' in wait_for_lines(logs, "app-a", 1, timeout=1)[-1]


def test_close_without_start(logs: LogStore):
    receiver = RouterLog(logs, dyno_of)
    started = time.monotonic()
    receiver.close()
    assert time.monotonic() - started < 0.5
    assert receiver.sock.fileno() == -1
    receiver.close()  # twice is harmless


def test_close_after_start_stops_the_thread_and_frees_the_port(logs: LogStore, sender: socket.socket):
    receiver = RouterLog(logs, dyno_of)
    receiver.start()
    sender.sendto(datagram("app-a", "/x"), ("127.0.0.1", receiver.port))
    wait_for_lines(logs, "app-a", 1)
    started = time.monotonic()
    receiver.close()
    assert time.monotonic() - started < 2.5  # the thread wakes at least every half second
    assert not receiver._thread.is_alive()
    assert receiver.sock.fileno() == -1
    reuse = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        reuse.bind(("127.0.0.1", receiver.port))  # nothing holds the port any more
    finally:
        reuse.close()
