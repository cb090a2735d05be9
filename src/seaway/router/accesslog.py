"""Receives nginx's per-request records (syslog over UDP on loopback) and writes them as router lines.

UDP keeps nginx from ever waiting on the daemon: if the daemon falls behind, records are lost
from the socket's buffer, not requests slowed.
"""

from __future__ import annotations

import select
import socket
import sys
import threading
from collections import defaultdict
from collections.abc import Callable

from seaway.logs import LogStore
from seaway.router.logline import parse_record, syslog_message

BATCH = 5000  # records written per wake-up at most
GATHER = 0.1  # seconds records gather before a write: router lines come at most this late


class RouterLog:
    def __init__(self, logs: LogStore, dyno_of: Callable[[str, str], str]) -> None:
        self.logs, self.dyno_of = logs, dyno_of
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="router-log")

    def start(self) -> None:
        self._thread.start()

    def _receive(self) -> list[bytes]:
        """What has arrived, waiting up to half a second for the first datagram.

        After the first, it lets records gather for a moment (GATHER), so that under load a write
        takes many lines at once rather than paying a file write per request."""
        if not select.select([self.sock], [], [], 0.5)[0]:
            return []
        self._closing.wait(GATHER)
        batch: list[bytes] = []
        while len(batch) < BATCH:
            try:
                batch.append(self.sock.recv(65535))
            except BlockingIOError:
                break
        return batch

    def _run(self) -> None:
        while not self._closing.is_set():
            try:
                self.write(self._receive())
            except Exception as error:  # never let router logging stop
                print(f"seaway: router log: {error!r}", file=sys.stderr)

    def write(self, datagrams: list[bytes]) -> None:
        by_app: dict[str, list[str]] = defaultdict(list)
        for datagram in datagrams:
            try:
                record = parse_record(syslog_message(datagram), self.dyno_of)
            except Exception as error:  # one bad record must not cost the others in the batch
                print(f"seaway: router log: {error!r} in {datagram[:200]!r}", file=sys.stderr)
                continue
            if record is not None:
                by_app[record.app].append(record.line)
        for app, lines in by_app.items():
            self.logs.write(app, "router", lines)

    def close(self) -> None:
        self._closing.set()
        if self._thread.is_alive():
            self._thread.join(2)
        self.sock.close()
