"""Follows nginx's access log of per-request records and writes them as router lines into the apps' logs.

nginx buffers the records (BUFFER per worker, written when full or FLUSH old) and appends them to
one file in large writes, each of whole records: a request costs nginx a copy into memory, not a
system call, and a full disk or a busy daemon never slows a request. The daemon reads the file
every POLL, by name like `tail -F`. Once the file has grown past ROTATE_BYTES it is replaced by an
empty one and nginx is told to reopen its logs (`reopen`, SIGUSR1): the records nginx still writes
to the unlinked file are read through the open handle until it has been quiet for OLD_FILE_QUIET.
The daemon makes every file nginx appends to, mode 0600: the records name every app's hosts,
paths, dynos and clients. (A root nginx gives a reopened file to its workers' user, mode kept.)
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from seaway.home import fresh_private_file
from seaway.logs import LogStore
from seaway.router.logline import RouterRecord, parse_record

BUFFER = "64k"
FLUSH = "500ms"
POLL = 0.2  # seconds between reads: with FLUSH, a router line comes at most about 0.7 s after its request
READ_SIZE = 8 << 20  # bytes read at once at most
ROTATE_BYTES = 16 << 20
OLD_FILE_QUIET = 10.0  # seconds without a record before a replaced file is let go (old workers write late)
NICE = 10  # the follower's thread yields to nginx and the dynos when cores are busy: requests come first

OnRecords = Callable[[list[RouterRecord]], None]
# records handed to the observer at once, at most: few enough that they are let go before the garbage collector
# has to look at them (a backlog of tens of thousands of records kept until all were written cost more than
# counting them), enough that a call costs little per record
OBSERVED_AT_ONCE = 200


class _Followed:
    """One open access-log file: its handle and the start of a record not yet complete."""

    def __init__(self, path: Path) -> None:
        self.file = open(path, "rb")  # noqa: SIM115 - kept open while followed
        self.inode = os.fstat(self.file.fileno()).st_ino
        self.partial = b""
        self.last_data = time.monotonic()
        self.behind = False  # the last read stopped at READ_SIZE: more is waiting
        self.unlinked = False  # rotated away: nginx is reopening its logs

    def records(self) -> list[str]:
        """The complete records written since the last call."""
        data = self.file.read(READ_SIZE)
        self.behind = len(data) == READ_SIZE
        if not data:
            return []
        self.last_data = time.monotonic()
        complete, _, self.partial = (self.partial + data).rpartition(b"\n")
        return complete.decode("utf-8", errors="replace").split("\n") if complete else []

    def close(self) -> None:
        self.file.close()


class RouterLog:
    def __init__(self, path: Path, logs: LogStore, dyno_of: Callable[[str, str], str],
                 reopen: Callable[[], None] = lambda: None, on_records: OnRecords | None = None) -> None:
        """nginx writes records to `path`; `reopen()` has it reopen the file (after it was unlinked).
        `on_records` is given every batch of records once their lines are written (the router metrics)."""
        self.path, self.logs, self.dyno_of, self.reopen = path, logs, dyno_of, reopen
        self.on_records = on_records
        self._current: _Followed | None = None
        self._old: list[_Followed] = []  # replaced files that nginx's workers may still write to
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="router-log")

    def directive(self) -> str:
        """The arguments of nginx's `access_log` that write here."""
        return f"{self.path} seaway_router buffer={BUFFER} flush={FLUSH}"

    def start(self) -> None:
        """Before nginx starts. A file left from before was written by an nginx whose daemon stopped
        without reading it to the end; how much of it is already in the logs is unknown, so it goes."""
        fresh_private_file(self.path)
        self._thread.start()

    def _run(self) -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)  # Linux: this thread only
        except OSError as error:
            print(f"seaway: router log: could not lower its priority: {error}", file=sys.stderr)
        while not self._closing.wait(POLL):
            self._poll_safely()
        self._poll_safely()  # what nginx wrote as it stopped

    def _poll_safely(self) -> None:
        try:
            while self.poll():  # read as much as READ_SIZE: there is more right away
                pass
        except Exception as error:  # never let router logging stop
            print(f"seaway: router log: {error!r}", file=sys.stderr)

    def poll(self) -> bool:
        """Read every followed file once and write the lines; whether a file has more waiting already."""
        self._follow_by_name()
        records: list[str] = []
        for followed in self._files():
            records += followed.records()
        current = self._current
        if current is not None and current.file.tell() >= ROTATE_BYTES and not current.unlinked:
            current.unlinked = True
            fresh_private_file(self.path)  # before the reopen: nginx appends to it and never creates one
            self.reopen()
        behind = any(followed.behind for followed in self._files())
        self._let_go_of_quiet_files()
        self.write(records)
        return behind

    def _follow_by_name(self) -> None:
        """Open the file at `path`; when it is another file than the one followed, keep the old one as old."""
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            return
        if self._current is not None and self._current.inode == inode:
            return
        if self._current is not None:
            self._old.append(self._current)
            self._current = None
        try:
            self._current = _Followed(self.path)
        except FileNotFoundError:  # unlinked between the two calls
            pass

    def _files(self) -> list[_Followed]:
        return [*self._old, self._current] if self._current is not None else list(self._old)

    def _let_go_of_quiet_files(self) -> None:
        now = time.monotonic()
        for followed in [f for f in self._old if now - f.last_data > OLD_FILE_QUIET]:
            followed.close()
            self._old.remove(followed)

    def write(self, records: list[str]) -> None:
        by_app: dict[str, list[tuple[float | None, str]]] = defaultdict(list)
        observer = self.on_records
        for start in range(0, len(records), OBSERVED_AT_ONCE):
            observed: list[RouterRecord] = []
            for record in records[start:start + OBSERVED_AT_ONCE]:
                try:
                    parsed = parse_record(record, self.dyno_of)
                except Exception as error:  # one bad record must not cost the others read with it
                    print(f"seaway: router log: {error!r} in {record[:200]!r}", file=sys.stderr)
                    continue
                if parsed is not None:
                    by_app[parsed.app].append((parsed.when, parsed.line))
                    if observer is not None:
                        observed.append(parsed)
            if observer is not None and observed:
                try:
                    observer(observed)
                except Exception as error:  # the router's lines come first: a failing observer costs none
                    print(f"seaway: router log: its observer failed: {error!r}", file=sys.stderr)
        for app, lines in by_app.items():
            self.logs.write_stamped(app, "router", lines)  # each line at its request's own time

    def close(self) -> None:
        """After nginx has stopped: read what is left, then let go of the files."""
        self._closing.set()
        if self._thread.is_alive():
            self._thread.join(5)
        for followed in self._files():
            followed.close()
        self._old, self._current = [], None
