"""Log drains: DrainTarget, syslog_frame, DrainWorker and Drains against real receivers on 127.0.0.1
(syslog over TCP and TLS with octet counting, and HTTP logplex batches)."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import seaway.logs.drains as drain_module
from seaway.dynos.local import free_port
from seaway.logs import LogStore, format_line
from seaway.logs.drains import DrainError, Drains, DrainTarget, DrainWorker, syslog_frame
from tests.dynos.conftest import GUARD, NOT_WAITED, returns_within

pytestmark = pytest.mark.timeout(30)

STAMP = "2026-01-02T03:04:05.000006+00:00"


# -- receivers -------------------------------------------------------------------------------------------------------

def split_frames(data: bytes) -> tuple[list[bytes], bytes]:
    """The octet-counted frames (RFC 6587: `LENGTH SP MESSAGE`) in `data`, and the incomplete rest."""
    messages: list[bytes] = []
    while (space := data.find(b" ")) > 0:
        end = space + 1 + int(data[:space])  # not a number: the sender broke framing, let the test fail loudly
        if len(data) < end:
            break
        messages.append(data[space + 1:end])
        data = data[end:]
    return messages, data


class SyslogReceiver:
    """Syslog over TCP (or TLS with `context`) on 127.0.0.1, from its own threads."""

    def __init__(self, port: int = 0, context: ssl.SSLContext | None = None) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))  # SO_REUSEADDR: the same port again after close()
        self.listener.settimeout(0.05)
        self.port: int = self.listener.getsockname()[1]
        self.context = context
        self.messages: list[str] = []
        self.errors: list[str] = []
        self.connections: list[socket.socket] = []
        self._changed = threading.Condition()
        self._closing = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._read, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _read(self, conn: socket.socket) -> None:
        if self.context is not None:
            try:
                conn = self.context.wrap_socket(conn, server_side=True)
            except OSError as error:  # ssl.SSLError too: the client did not trust us
                self.errors.append(repr(error))
                conn.close()
                return
        with self._changed:
            self.connections.append(conn)
        pending = b""
        with conn:
            while chunk := self._recv(conn):
                found, pending = split_frames(pending + chunk)
                with self._changed:
                    self.messages += [message.decode() for message in found]
                    self._changed.notify_all()

    @staticmethod
    def _recv(conn: socket.socket) -> bytes:
        try:
            return conn.recv(1 << 16)
        except OSError:
            return b""

    def wait_for(self, count: int, timeout: float = 5.0) -> list[str]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.messages) >= count, timeout), \
                f"{len(self.messages)} messages of {count}: {self.messages[-5:]}"
            return list(self.messages)

    def close(self) -> None:
        self._closing.set()
        self._threads[0].join(2)
        self.listener.close()
        with self._changed:
            for conn in self.connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for thread in self._threads[1:]:
            thread.join(2)


class HttpReceiver:
    """An HTTP drain receiver: records every POST, answers `status`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, Message, bytes]] = []
        self.status = 200
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._changed:
                    receiver.requests.append((self.path, self.headers, body))
                    receiver._changed.notify_all()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port: int = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, Message, bytes]]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.requests) >= count, timeout), \
                f"{len(self.requests)} requests of {count}"
            return list(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[SyslogReceiver]:
    started = SyslogReceiver()
    yield started
    started.close()


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    started = HttpReceiver()
    yield started
    started.close()


@pytest.fixture
def stalled() -> Iterator[socket.socket]:
    """A listener whose connections are never read: with a tiny receive buffer, a sender soon blocks."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # inherited by the accepted connection
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(5)
    yield listener
    listener.close()


@pytest.fixture
def sends_never_time_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A syslog send to a receiver that does not read stays stuck for the whole test (not for the 10 s of the
    drain's own socket time-out): something that waited for it would not return."""
    connect = socket.create_connection
    monkeypatch.setattr(socket, "create_connection", lambda address, timeout=None, *args, **kwargs:
                        connect(address, NOT_WAITED, *args, **kwargs))


@pytest.fixture
def reports() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def make_worker(reports: list[tuple[str, str]]) -> Iterator[Callable[..., DrainWorker]]:
    made: list[DrainWorker] = []

    def make(url: str, capacity: int = 10_000, app: str = "myapp") -> DrainWorker:
        worker = DrainWorker(app, url, "d.token-1", lambda app, message: reports.append((app, message)), capacity)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.close(timeout=0.5)


def lines(*messages: str, source: str = "app[web.1]") -> list[str]:
    return [f"{STAMP} {source}: {message}" for message in messages]


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


# -- DrainTarget -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, scheme, host, port", [
    ("syslog://logs.example.com:1514", "syslog", "logs.example.com", 1514),
    ("syslog://logs.example.com", "syslog", "logs.example.com", 514),
    ("syslog+tls://logs.example.com", "syslog+tls", "logs.example.com", 6514),
    ("syslog+tls://logs.example.com:7000", "syslog+tls", "logs.example.com", 7000),
    ("https://logs.example.com/drain?token=x", "https", "logs.example.com", 443),
    ("https://logs.example.com:8443/drain", "https", "logs.example.com", 8443),
    ("http://127.0.0.1/drain", "http", "127.0.0.1", 80),
    ("SYSLOG://Logs.Example.COM:1514", "syslog", "logs.example.com", 1514),
])
def test_target_parse(url: str, scheme: str, host: str, port: int):
    target = DrainTarget.parse(url)
    assert (target.url, target.scheme, target.host, target.port) == (url, scheme, host, port)


def test_target_url_is_stripped():
    assert DrainTarget.parse("  syslog://logs.example.com:1514\n").url == "syslog://logs.example.com:1514"


@pytest.mark.parametrize("url", ["ftp://logs.example.com", "tcp://logs.example.com:514", "logs.example.com:514",
                                 "logs.example.com", "", "udp://logs.example.com:514"])
def test_target_with_an_unknown_scheme(url: str):
    with pytest.raises(DrainError, match=r"Cannot drain to .*: use syslog://HOST:PORT \(TCP\), syslog\+tls://HOST:PORT "
                                         r"or https://HOST/PATH\.") as raised:
        DrainTarget.parse(url)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("url", ["syslog://", "syslog://:514", "https:///drain", "syslog+tls://"])
def test_target_without_a_host(url: str):
    with pytest.raises(DrainError, match=r"it names no host\. Example: syslog\+tls://logs\.example\.com:6514"):
        DrainTarget.parse(url)


@pytest.mark.parametrize("url", ["syslog://logs.example.com:99999", "syslog://logs.example.com:port",
                                 "https://logs.example.com:-1/x", "syslog+tls://logs.example.com:65536"])
def test_target_with_a_bad_port(url: str):
    with pytest.raises(DrainError, match=r"the port is not a number from 1 to 65535\."):
        DrainTarget.parse(url)


def test_target_with_port_zero():
    with pytest.raises(DrainError, match="the port is not a number from 1 to 65535"):
        DrainTarget.parse("syslog://logs.example.com:0")


# -- syslog_frame ----------------------------------------------------------------------------------------------------

def test_frame_of_a_dyno_line():
    body = f"<190>1 {STAMP} myapp app web.1 - - hello world".encode()
    assert syslog_frame("myapp", f"{STAMP} app[web.1]: hello world") == str(len(body)).encode() + b" " + body


@pytest.mark.parametrize("source", ["router", "seaway", "release"])
def test_frame_without_a_dyno_has_a_nil_procid(source: str):
    frame = syslog_frame("myapp", f"{STAMP} {source}: at=info status=200")
    assert split_frames(frame) == ([f"<190>1 {STAMP} myapp {source} - - - at=info status=200".encode()], b"")


def test_frame_counts_octets_not_characters():
    message = "héllo ✓ 日本語 🚀"
    frame = syslog_frame("myapp", f"{STAMP} app[worker.2]: {message}")
    length, _, body = frame.partition(b" ")
    assert int(length) == len(body) == len(f"<190>1 {STAMP} myapp app worker.2 - - ".encode()) + len(message.encode())
    assert int(length) > len(body.decode())  # the characters are fewer than the bytes
    assert body.decode().endswith(message)


def test_frame_keeps_colons_and_brackets_in_the_message():
    frame = syslog_frame("myapp", f"{STAMP} app[web.1]: key: value [x]: y")
    assert split_frames(frame)[0] == [f"<190>1 {STAMP} myapp app web.1 - - key: value [x]: y".encode()]


def test_frame_of_an_empty_message():
    assert split_frames(syslog_frame("myapp", f"{STAMP} app[web.1]: "))[0] == [f"<190>1 {STAMP} myapp app web.1 - - ".encode()]


def test_frame_of_a_line_from_the_log_store():
    line = format_line("app[run.1]", "done")
    stamp = line.split(" ", 1)[0]
    assert split_frames(syslog_frame("other-app", line))[0] == [f"<190>1 {stamp} other-app app run.1 - - done".encode()]


def test_frames_back_to_back_split_cleanly():
    data = b"".join(syslog_frame("myapp", line) for line in lines("a", "b b", "ü: c"))
    messages, rest = split_frames(data)
    assert rest == b""
    assert [m.decode().split(" - - ", 1)[1] for m in messages] == ["a", "b b", "ü: c"]


# -- DrainWorker: syslog over TCP ------------------------------------------------------------------------------------

def test_worker_delivers_in_order(make_worker, receiver: SyslogReceiver, reports):
    worker = make_worker(f"syslog://127.0.0.1:{receiver.port}")
    sent = [f"line {n}" for n in range(1200)]  # more than one batch
    for start in range(0, len(sent), 100):
        worker.offer(lines(*sent[start:start + 100]))
    got = receiver.wait_for(len(sent))
    assert got == [f"<190>1 {STAMP} myapp app web.1 - - {message}" for message in sent]
    wait_until(lambda: worker.status()["delivered"] == len(sent), what="the delivered count")
    status = worker.status()
    assert status | {"last_delivery": ""} == {
        "url": f"syslog://127.0.0.1:{receiver.port}", "token": "d.token-1", "state": "ok", "delivered": 1200,
        "buffered": 0, "dropped": 0, "last_error": "", "last_delivery": ""}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", status["last_delivery"])
    assert len(receiver.connections) == 1  # one connection, kept
    assert reports == []


def test_worker_buffers_while_down_then_delivers_the_newest(make_worker, reports):
    port = free_port()  # nothing listens there yet: connection refused
    url = f"syslog://127.0.0.1:{port}"
    worker = make_worker(url, capacity=5)
    worker.offer(lines(*(f"old {n}" for n in range(8))))  # 8 into 5: the 3 oldest go at once
    wait_until(lambda: reports, what="the outage report")
    status = worker.status()
    assert status["state"] == "retrying"
    assert status["last_error"].startswith("ConnectionRefusedError:")
    assert (status["buffered"], status["dropped"], status["delivered"]) == (5, 3, 0)
    assert reports == [("myapp", f"Error L10: drain {url} cannot take lines ({status['last_error']}); "
                                 "retrying, keeping the newest 5 lines meanwhile")]

    worker.offer(lines("new 8", "new 9"))
    assert (worker.status()["buffered"], worker.status()["dropped"]) == (5, 5)
    receiver = SyslogReceiver(port)  # back, on the same port; the next retry is within about a second
    try:
        got = receiver.wait_for(5)
        assert [m.split(" - - ", 1)[1] for m in got] == ["old 5", "old 6", "old 7", "new 8", "new 9"]
        wait_until(lambda: len(reports) == 2, what="the recovery report")
        assert reports[1] == ("myapp", f"Drain {url} is delivering again (5 lines dropped so far)")
        status = worker.status()
        assert (status["state"], status["delivered"], status["buffered"], status["dropped"]) == ("ok", 5, 0, 5)

        worker.offer(lines("after"))
        assert receiver.wait_for(6)[-1].endswith(" - - after")
        assert len(reports) == 2
    finally:
        receiver.close()


@pytest.mark.timeout(GUARD + 30)
def test_offer_never_waits_for_a_receiver_that_does_not_read(make_worker, stalled: socket.socket,
                                                             sends_never_time_out) -> None:
    worker = make_worker(f"syslog://127.0.0.1:{stalled.getsockname()[1]}", capacity=100)
    big = "x" * 100_000
    worker.offer(lines(*(f"{n} {big}" for n in range(100))))  # 10 MB: more than the socket buffers hold
    conn, _ = stalled.accept()
    try:
        one = lines("small")

        def offer_many() -> None:
            for _ in range(10_000):
                worker.offer(one)

        returns_within(GUARD, offer_many)  # the send stays stuck until the test ends: an offer that waited never returns
        status = worker.status()
        # 100 big lines in flight (the send is stuck), the newest 100 small ones buffered, the rest dropped
        assert (status["state"], status["buffered"], status["dropped"], status["delivered"]) == ("ok", 200, 9_900, 0)
    finally:
        conn.close()


def test_close_delivers_what_is_buffered_first(make_worker, receiver: SyslogReceiver):
    worker = make_worker(f"syslog://127.0.0.1:{receiver.port}")
    worker.offer(lines(*(f"last {n}" for n in range(50))))
    worker.close(timeout=2)
    assert len(receiver.wait_for(50)) == 50
    assert worker.status()["buffered"] == 0


@pytest.mark.timeout(GUARD + 30)
def test_close_of_a_drain_that_is_down_is_quick(make_worker, reports, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(drain_module, "FIRST_RETRY", NOT_WAITED)  # read when the worker's thread starts
    worker = make_worker(f"syslog://127.0.0.1:{free_port()}")
    worker.offer(lines("lost"))
    wait_until(lambda: reports, what="the outage report")
    returns_within(GUARD, lambda: worker.close(timeout=NOT_WAITED))  # no waiting out the retry delay, nor the time-out
    assert worker.status()["buffered"] == 1


@pytest.mark.timeout(GUARD + 30)
def test_close_returns_within_its_timeout_when_the_receiver_stalls(make_worker, stalled: socket.socket,
                                                                   sends_never_time_out) -> None:
    worker = make_worker(f"syslog://127.0.0.1:{stalled.getsockname()[1]}", capacity=100)
    worker.offer(lines(*(f"{n} {'x' * 100_000}" for n in range(100))))
    conn, _ = stalled.accept()
    try:
        returns_within(GUARD, lambda: worker.close(timeout=0.5))  # the send stays stuck until the test ends
        assert worker._thread.is_alive()  # close gave up on it at its time-out: it did not wait for the send
    finally:
        conn.close()


def test_a_closed_drain_reports_nothing_afterwards(make_worker, stalled: socket.socket, reports):
    worker = make_worker(f"syslog://127.0.0.1:{stalled.getsockname()[1]}", capacity=100)
    worker.offer(lines(*(f"{n} {'x' * 100_000}" for n in range(100))))
    conn, _ = stalled.accept()
    worker.close(timeout=0.2)
    conn.close()  # the receiver goes away: the send the thread was blocked in ends
    worker._thread.join(5)
    assert reports == []


def test_lines_offered_during_a_send_are_not_lost(make_worker, stalled: socket.socket):
    worker = make_worker(f"syslog://127.0.0.1:{stalled.getsockname()[1]}", capacity=3)
    big = "x" * (3 << 20)
    worker.offer(lines(*(f"L{n} {big}" for n in (1, 2, 3))))  # 9 MB: the send blocks until the receiver reads
    conn, _ = stalled.accept()  # the worker connected: its batch is L1..L3, being sent
    worker.offer(lines("L4", "L5"))  # the buffer holds 3: L1 and L2 make room
    received: list[str] = []

    def read() -> None:
        found, pending = [], b""
        while chunk := conn.recv(1 << 20):
            more, pending = split_frames(pending + chunk)
            found += more
        received.extend(re.search(rb" - - (L\d)", m)[1].decode() for m in found)

    reader = threading.Thread(target=read)
    reader.start()
    wait_until(lambda: worker.status()["buffered"] == 0, what="an empty buffer")
    worker.close(timeout=2)
    reader.join(5)
    conn.close()
    assert received[-2:] == ["L4", "L5"]  # the newest lines are the ones kept


# -- DrainWorker: HTTP -----------------------------------------------------------------------------------------------

def test_http_drain_posts_logplex_batches(make_worker, http_receiver: HttpReceiver):
    url = f"http://127.0.0.1:{http_receiver.port}/logs/in?drain=1"
    worker = make_worker(url)
    sent = lines("one", "two: 2", "drei ü", source="app[web.2]")
    worker.offer(sent)
    [(path, headers, body)] = http_receiver.wait_for(1)
    assert path == "/logs/in?drain=1"
    assert headers["Content-Type"] == "application/logplex-1"
    assert headers["Logplex-Msg-Count"] == "3"
    assert headers["Logplex-Drain-Token"] == "d.token-1"
    assert re.fullmatch(r"[0-9a-f]{32}", headers["Logplex-Frame-Id"])
    assert headers["User-Agent"] == "Seaway"
    assert body == b"".join(syslog_frame("myapp", line) for line in sent)
    assert [m.decode() for m in split_frames(body)[0]] == [
        f"<190>1 {STAMP} myapp app web.2 - - one", f"<190>1 {STAMP} myapp app web.2 - - two: 2",
        f"<190>1 {STAMP} myapp app web.2 - - drei ü"]
    wait_until(lambda: worker.status()["delivered"] == 3, what="the delivered count")
    assert worker.status()["state"] == "ok"


def test_http_drain_error_answer_is_retried_and_reported_once(make_worker, http_receiver: HttpReceiver, reports):
    http_receiver.status = 500
    url = f"http://127.0.0.1:{http_receiver.port}/logs"
    worker = make_worker(url)
    worker.offer(lines("a", "b"))
    http_receiver.wait_for(1)
    wait_until(lambda: worker.status()["state"] == "retrying", what="state retrying")
    assert worker.status()["last_error"] == "OSError: the receiver answered HTTP 500"
    worker.offer(lines("c"))  # wakes the worker: the retry comes after the first delay (1 s)
    requests = http_receiver.wait_for(2)
    assert requests[1][1]["Logplex-Msg-Count"] == "3"  # the failed lines, kept, plus the new one
    assert [m.decode()[-1] for m in split_frames(requests[1][2])[0]] == ["a", "b", "c"]
    time.sleep(0.2)
    assert worker.status()["state"] == "retrying"
    assert reports == [("myapp", f"Error L10: drain {url} cannot take lines (OSError: the receiver answered HTTP 500); "
                                 "retrying, keeping the newest 10000 lines meanwhile")]
    assert worker.status()["delivered"] == 0 and worker.status()["buffered"] == 3


# -- DrainWorker: syslog over TLS ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1: (certificate, key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_receiver(certificate: tuple[Path, Path]) -> Iterator[SyslogReceiver]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    started = SyslogReceiver(context=context)
    yield started
    started.close()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_tls_drain_with_a_trusted_private_ca(make_worker, tls_receiver: SyslogReceiver, certificate, monkeypatch,
                                             host: str, reports):
    monkeypatch.setenv("SEAWAY_DRAIN_CA_FILE", str(certificate[0]))
    worker = make_worker(f"syslog+tls://{host}:{tls_receiver.port}")
    worker.offer(lines("secret 1", "secret 2", source="router"))
    assert tls_receiver.wait_for(2) == [f"<190>1 {STAMP} myapp router - - - secret 1",
                                        f"<190>1 {STAMP} myapp router - - - secret 2"]
    assert isinstance(tls_receiver.connections[0], ssl.SSLSocket)
    assert worker.status()["state"] == "ok" and reports == []


def test_tls_drain_refuses_an_untrusted_certificate(make_worker, tls_receiver: SyslogReceiver, monkeypatch, reports):
    monkeypatch.delenv("SEAWAY_DRAIN_CA_FILE", raising=False)
    worker = make_worker(f"syslog+tls://localhost:{tls_receiver.port}")
    worker.offer(lines("secret"))
    wait_until(lambda: worker.status()["state"] == "retrying", what="state retrying")
    error = worker.status()["last_error"]
    assert error.startswith("SSLCertVerificationError:") and "CERTIFICATE_VERIFY_FAILED" in error
    assert tls_receiver.messages == []
    assert len(reports) == 1 and "CERTIFICATE_VERIFY_FAILED" in reports[0][1]


# -- Drains: fed by the LogStore -------------------------------------------------------------------------------------

@pytest.fixture
def drains(logs: LogStore) -> Iterator[Drains]:
    made = Drains(logs)
    yield made
    made.close_all()


@pytest.fixture
def receivers() -> Iterator[Callable[[], SyslogReceiver]]:
    started: list[SyslogReceiver] = []

    def start() -> SyslogReceiver:
        started.append(SyslogReceiver())
        return started[-1]

    yield start
    for receiver in started:
        receiver.close()


def test_log_lines_reach_the_apps_drains_only(drains: Drains, logs: LogStore, receivers):
    a1, a2, b = receivers(), receivers(), receivers()
    drains.open("app-a", f"syslog://127.0.0.1:{a1.port}", "d.a1")
    drains.open("app-a", f"syslog://127.0.0.1:{a2.port}", "d.a2")
    drains.open("app-b", f"syslog://127.0.0.1:{b.port}", "d.b")
    logs.write("app-a", "app[web.1]", ["hello", "world"])
    logs.append("app-b", "router", "at=info path=/")
    logs.append("app-c", "seaway", "nobody drains this")
    for receiver in (a1, a2):
        got = receiver.wait_for(2)
        assert [m.split(" ", 5)[2:5] for m in got] == [["app-a", "app", "web.1"]] * 2
        assert [m.split(" - - ", 1)[1] for m in got] == ["hello", "world"]
    [only] = b.wait_for(1)
    assert re.fullmatch(r"<190>1 \S+ app-b router - - - at=info path=/", only)
    time.sleep(0.1)
    assert len(a1.messages) == len(a2.messages) == 2 and len(b.messages) == 1
    # The lines sent are the ones stored, stamp and all.
    assert a1.messages[0].split(" ")[1] == logs.tail("app-a", 2)[0].split(" ")[0]


def test_drain_status(drains: Drains, logs: LogStore, receivers):
    receiver = receivers()
    url = f"syslog://127.0.0.1:{receiver.port}"
    assert drains.status("app-a") == {}
    drains.open("app-a", url, "d.a")
    logs.append("app-a", "app[web.1]", "one")
    receiver.wait_for(1)
    wait_until(lambda: drains.status("app-a")[url]["delivered"] == 1, what="the delivered count")
    status = drains.status("app-a")
    assert list(status) == [url]
    assert status[url]["token"] == "d.a" and status[url]["state"] == "ok" and status[url]["dropped"] == 0
    assert drains.status("app-b") == {}


def test_close_one_drain_then_all(drains: Drains, logs: LogStore, receivers):
    first, second, third = receivers(), receivers(), receivers()
    urls = [f"syslog://127.0.0.1:{r.port}" for r in (first, second, third)]
    for url in urls:
        drains.open("app-a", url, "d.x")
    drains.close("app-a", urls[0])
    assert list(drains.status("app-a")) == urls[1:]
    logs.append("app-a", "app[web.1]", "after the first closed")
    assert second.wait_for(1) and third.wait_for(1)
    assert first.messages == []

    drains.close("app-a", "syslog://127.0.0.1:1")  # not open: nothing happens
    assert list(drains.status("app-a")) == urls[1:]
    drains.close("app-a")
    assert drains.status("app-a") == {}
    logs.append("app-a", "app[web.1]", "after all closed")
    time.sleep(0.1)
    assert len(second.messages) == len(third.messages) == 1
    drains.close("app-a")  # nothing left: harmless


def test_a_failing_drain_says_so_in_the_apps_log(drains: Drains, logs: LogStore, receivers):
    working = receivers()
    down = f"syslog://127.0.0.1:{free_port()}"
    drains.open("app-a", down, "d.down")
    drains.open("app-a", f"syslog://127.0.0.1:{working.port}", "d.up")
    logs.append("app-a", "app[web.1]", "hello")
    wait_until(lambda: any("Error L10" in line for line in logs.tail("app-a", 10)), what="the L10 line")
    [report] = [line for line in logs.tail("app-a", 10) if "Error L10" in line]
    assert f" seaway: Error L10: drain {down} cannot take lines (ConnectionRefusedError" in report
    assert drains.status("app-a")[down]["state"] == "retrying"
    # The other drain goes on, and gets the report too (it is a line of the app's log).
    hello, also_reported = working.wait_for(2)
    assert hello.endswith(" app-a app web.1 - - hello")
    assert f" app-a seaway - - - Error L10: drain {down} cannot take lines" in also_reported
