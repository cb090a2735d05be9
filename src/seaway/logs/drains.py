"""Log drains: each app's lines also go to syslog (TCP or TLS, RFC 5424 with octet counting) or HTTPS.

Every drain has its own thread and a bounded buffer. The log never waits for a drain: a drain
that is down keeps the newest lines (up to CAPACITY), drops the oldest, retries with backoff,
and says so in the app's log and in `seaway drains`.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx

from seaway.logs.store import LogStore

CAPACITY = 10_000  # lines buffered per drain while it is down
BATCH = 500  # lines per delivery
FIRST_RETRY, MAX_RETRY = 1.0, 30.0
SCHEMES = {"syslog": 514, "syslog+tls": 6514, "https": 443, "http": 80}
Report = Callable[[str, str], None]  # (app, message) into the app's own log


class DrainError(ValueError):
    pass


@dataclass(frozen=True)
class DrainTarget:
    url: str
    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> "DrainTarget":
        parts = urlsplit(url.strip())
        if parts.scheme not in SCHEMES:
            raise DrainError(f"Cannot drain to {url!r}: use syslog://HOST:PORT (TCP), syslog+tls://HOST:PORT "
                             "or https://HOST/PATH.")
        try:
            port = SCHEMES[parts.scheme] if parts.port is None else parts.port
        except ValueError:
            port = 0
        if not 1 <= port <= 65535:
            raise DrainError(f"Cannot drain to {url!r}: the port is not a number from 1 to 65535.")
        if not parts.hostname:
            raise DrainError(f"Cannot drain to {url!r}: it names no host. Example: syslog+tls://logs.example.com:6514")
        return cls(url.strip(), parts.scheme, parts.hostname, port)


def tls_context() -> ssl.SSLContext:
    """The system's CAs, plus SEAWAY_DRAIN_CA_FILE's (for a receiver with a private CA)."""
    context = ssl.create_default_context()
    extra = os.environ.get("SEAWAY_DRAIN_CA_FILE")
    if extra:
        context.load_verify_locations(cafile=extra)
    return context


def syslog_frame(app: str, line: str) -> bytes:
    """`TIMESTAMP source[dyno]: message` as an octet-counted RFC 5424 message.

    HOSTNAME is the app, APP-NAME the source (app, router, release, seaway), PROCID the dyno."""
    stamp, _, rest = line.partition(" ")
    origin, _, message = rest.partition(": ")
    source, _, dyno = origin.partition("[")
    procid = dyno.rstrip("]") or "-"
    body = f"<190>1 {stamp} {app} {source or '-'} {procid} - - {message}".encode("utf-8", errors="replace")
    return f"{len(body)} ".encode() + body


class _Syslog:
    def __init__(self, target: DrainTarget) -> None:
        self.target = target
        self.sock: socket.socket | None = None

    def send(self, app: str, lines: list[str], _token: str) -> None:
        if self.sock is None:
            sock = socket.create_connection((self.target.host, self.target.port), timeout=10)
            if self.target.scheme == "syslog+tls":
                sock = tls_context().wrap_socket(sock, server_hostname=self.target.host)
            self.sock = sock
        try:
            self.sock.sendall(b"".join(syslog_frame(app, line) for line in lines))
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class _Https:
    """Heroku's HTTPS drain format: a POST of octet-counted syslog frames (application/logplex-1)."""

    def __init__(self, target: DrainTarget) -> None:
        verify: Any = tls_context() if target.scheme == "https" else False
        self.target, self.client = target, httpx.Client(timeout=10, verify=verify)

    def send(self, app: str, lines: list[str], token: str) -> None:
        response = self.client.post(self.target.url, content=b"".join(syslog_frame(app, line) for line in lines),
                                    headers={"Content-Type": "application/logplex-1", "Logplex-Msg-Count": str(len(lines)),
                                             "Logplex-Frame-Id": uuid.uuid4().hex, "Logplex-Drain-Token": token,
                                             "User-Agent": "Seaway"})
        if not response.is_success:
            raise OSError(f"the receiver answered HTTP {response.status_code}")

    def close(self) -> None:
        self.client.close()


class DrainWorker:
    """Delivers one app's lines to one drain, from its own thread."""

    def __init__(self, app: str, url: str, token: str, report: Report, capacity: int = CAPACITY) -> None:
        self.app, self.token, self.report = app, token, report
        self.target = DrainTarget.parse(url)
        self.transport = _Syslog(self.target) if self.target.scheme.startswith("syslog") else _Https(self.target)
        self.buffer: deque[str] = deque()
        self.capacity = capacity
        self.delivered = self.dropped = self._in_flight = 0
        self.state, self.last_error, self.last_delivery = "ok", "", ""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"drain-{app}")
        self._thread.start()

    def offer(self, lines: list[str]) -> None:
        """Take lines to deliver; never waits. When the buffer is full the oldest lines go."""
        with self._lock:
            self.buffer.extend(lines)
            self._drop_oldest()
        self._wake.set()

    def _drop_oldest(self) -> None:
        """Callers hold the lock."""
        excess = len(self.buffer) - self.capacity
        for _ in range(max(excess, 0)):
            self.buffer.popleft()
        self.dropped += max(excess, 0)

    def _run(self) -> None:
        retry = FIRST_RETRY
        while not self._closing.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            while not self._closing.is_set():
                with self._lock:
                    batch = [self.buffer.popleft() for _ in range(min(BATCH, len(self.buffer)))]
                    self._in_flight = len(batch)
                if not batch:
                    break
                if not self._deliver(batch):
                    self._closing.wait(retry)
                    retry = min(retry * 2, MAX_RETRY)
                    break
                retry = FIRST_RETRY

    def _deliver(self, batch: list[str]) -> bool:
        """Send a batch taken from the buffer; on failure it goes back to the front (the oldest may go)."""
        try:
            self.transport.send(self.app, batch, self.token)
        except Exception as error:  # any failure of the receiver: keep the lines, retry later
            with self._lock:
                self.buffer.extendleft(reversed(batch))
                self._in_flight = 0
                self._drop_oldest()
            self._failed(f"{type(error).__name__}: {error}")
            return False
        with self._lock:
            self._in_flight = 0
            self.delivered += len(batch)
            recovered = self.state != "ok"
            self.state, self.last_delivery = "ok", datetime.now(timezone.utc).isoformat(timespec="seconds")
        if recovered and not self._closing.is_set():
            self.report(self.app, f"Drain {self.target.url} is delivering again ({self.dropped} lines dropped so far)")
        return True

    def _failed(self, error: str) -> None:
        first = self.state == "ok"
        self.state, self.last_error = "retrying", error
        if first and not self._closing.is_set():  # once per outage, not once per retry
            self.report(self.app, f"Error L10: drain {self.target.url} cannot take lines ({error}); "
                                  f"retrying, keeping the newest {self.capacity} lines meanwhile")

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"url": self.target.url, "token": self.token, "state": self.state, "delivered": self.delivered,
                    "buffered": len(self.buffer) + self._in_flight, "dropped": self.dropped, "last_error": self.last_error,
                    "last_delivery": self.last_delivery}

    def close(self, timeout: float = 2.0) -> None:
        """Stop, after a last try at what is buffered (bounded by `timeout`)."""
        deadline = time.monotonic() + timeout
        while (self.buffer or self._in_flight) and self.state == "ok" and time.monotonic() < deadline:
            self._wake.set()
            time.sleep(0.05)
        self._closing.set()
        self._wake.set()
        self._thread.join(max(0.0, deadline - time.monotonic()))
        self.transport.close()


class Drains:
    """Every app's drain workers, fed from the log store as lines are written."""

    def __init__(self, logs: LogStore) -> None:
        self.logs = logs
        self._workers: dict[str, dict[str, DrainWorker]] = {}
        self._lock = threading.Lock()
        logs.listen(self._offer)

    def _offer(self, app: str, lines: list[str]) -> None:
        for worker in list(self._workers.get(app, {}).values()):
            worker.offer(lines)

    def _report(self, app: str, message: str) -> None:
        self.logs.append(app, "seaway", message)

    def open(self, app: str, url: str, token: str) -> None:
        worker = DrainWorker(app, url, token, self._report)
        with self._lock:
            self._workers.setdefault(app, {})[url] = worker

    def close(self, app: str, url: str | None = None) -> None:
        """Stop one drain of an app, or all of them."""
        with self._lock:
            workers = self._workers.get(app, {})
            closing = [workers.pop(url)] if url in workers else [] if url else list(workers.values())
            if not url:
                self._workers.pop(app, None)
        for worker in closing:
            worker.close()

    def status(self, app: str) -> dict[str, dict[str, Any]]:
        return {url: worker.status() for url, worker in self._workers.get(app, {}).items()}

    def close_all(self) -> None:
        for app in list(self._workers):
            self.close(app)
