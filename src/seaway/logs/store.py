"""Per-app logs on disk: `TIMESTAMP source[dyno]: message` lines, bounded, kept across deploys and restarts.

Each app's log is a folder of numbered segment files. Writes go to the newest segment; when it
holds a tenth of the app's allowance (lines or bytes) a new one starts and the oldest beyond ten
is deleted. So an app keeps between 90 % and 100 % of its allowance on disk, whatever it prints,
and the daemon holds no more than an open file per app in memory.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from seaway.logs.lines import split_text
from seaway.logs.query import LogQuery

SEGMENTS = 10
EVERYTHING = LogQuery()
READ_SIZE = 4 << 20  # a follower reads at most this much at once
# Characters that readers (str.splitlines, server-sent events, terminals) take as line ends: shown
# escaped, so that one log line stays one line everywhere. A progress bar's "\r" becomes "\\r".
LINE_BREAK = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
Listener = Callable[[str, list[str]], None]  # (app, formatted lines) after they are written


def format_line(source: str, message: str, when: datetime | None = None) -> str:
    stamp = (when or datetime.now(timezone.utc)).isoformat(timespec="microseconds")
    return f"{stamp} {source}: {message}"


def _escape_line_breaks(message: str) -> str:
    """`message` with LINE_BREAK characters written as escapes; the usual message has none and is kept as is."""
    if LINE_BREAK.search(message) is None:
        return message
    return LINE_BREAK.sub(lambda found: repr(found.group())[1:-1], message)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))


class _AppLog:
    """The segments of one app's log and the handle of the newest; callers hold `lock`."""

    def __init__(self, folder: Path, max_lines: int, max_bytes: int) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        self.segment_lines = max(1, max_lines // SEGMENTS)
        self.segment_bytes = max(1024, max_bytes // SEGMENTS)
        folder.mkdir(parents=True, exist_ok=True)
        numbers = segment_numbers(folder)
        self.number = numbers[-1] if numbers else 1
        path = segment_path(folder, self.number)
        self.lines = _count_lines(path) if path.exists() else 0
        self.file = open(path, "ab")

    def write(self, lines: list[str]) -> None:
        while lines:
            if self.lines >= self.segment_lines or self.file.tell() >= self.segment_bytes:
                self._next_segment()
            batch = lines[:self.segment_lines - self.lines]
            data = _encode(batch)
            if self.file.tell() + len(data) > self.segment_bytes and len(batch) > 1:
                batch = batch[:self._fitting(batch)]
                data = _encode(batch)
            self.file.write(data)
            self.lines += len(batch)
            lines = lines[len(batch):]
        self.file.flush()

    def _fitting(self, batch: list[str]) -> int:
        """How many lines from the start of `batch` fit in the bytes left in this segment (at least one)."""
        room, size = self.segment_bytes - self.file.tell(), 0
        for count, line in enumerate(batch):
            size += len(line.encode("utf-8", errors="replace")) + 1
            if size > room:
                return max(count, 1)
        return len(batch)

    def _next_segment(self) -> None:
        self.file.close()
        self.number += 1
        self.file = open(segment_path(self.folder, self.number), "ab")
        self.lines = 0
        for old in segment_numbers(self.folder)[:-SEGMENTS]:
            segment_path(self.folder, old).unlink(missing_ok=True)

    def close(self) -> None:
        self.file.close()


def _encode(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8", errors="replace")


def segment_path(folder: Path, number: int) -> Path:
    return folder / f"{number:010d}.log"


def segment_numbers(folder: Path) -> list[int]:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(int(name[:-4]) for name in names if name.endswith(".log") and name[:-4].isdigit())


class LogStore:
    def __init__(self, folder: Path, max_lines: int = 10_000, max_bytes: int = 50 * 1024 * 1024) -> None:
        self.folder = folder
        self.max_lines, self.max_bytes = max_lines, max_bytes
        folder.mkdir(parents=True, exist_ok=True)
        self._apps: dict[str, _AppLog] = {}
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def app_folder(self, app: str) -> Path:
        return self.folder / app

    def listen(self, listener: Listener) -> None:
        """Call `listener(app, lines)` with every batch written (drains); it must not block."""
        self._listeners.append(listener)

    def _log(self, app: str) -> _AppLog:
        with self._lock:
            log = self._apps.get(app)
            if log is None:
                self._adopt_single_file(app)
                log = self._apps[app] = _AppLog(self.app_folder(app), self.max_lines, self.max_bytes)
            return log

    def _adopt_single_file(self, app: str) -> None:
        """Logs written before segments (one `APP.log` file) become the app's first segment."""
        single = self.folder / f"{app}.log"
        if single.exists() and not self.app_folder(app).exists():
            self.app_folder(app).mkdir(parents=True)
            single.rename(segment_path(self.app_folder(app), 1))

    def append(self, app: str, source: str, message: str) -> None:
        """Write one message from `source` (`app[web.1]`, `seaway`, `router`...); newlines make more lines."""
        self.write(app, source, split_text(message))

    def write(self, app: str, source: str, messages: list[str], when: datetime | None = None) -> None:
        """Write a batch of already split messages from one source, stamped alike."""
        if not messages:
            return
        stamp = (when or datetime.now(timezone.utc)).isoformat(timespec="microseconds")
        prefix = f"{stamp} {source}: "
        self._write_lines(app, [prefix + _escape_line_breaks(message) for message in messages])

    def write_stamped(self, app: str, source: str, entries: list[tuple[float | None, str]]) -> None:
        """Write messages each stamped with its own Unix time (now, for None): router lines, at their requests'."""
        if not entries:
            return
        now = datetime.now(timezone.utc)
        self._write_lines(app, [f"{_stamp(when, now)} {source}: {_escape_line_breaks(message)}"
                                for when, message in entries])

    def _write_lines(self, app: str, lines: list[str]) -> None:
        log = self._log(app)
        with log.lock:
            log.write(lines)
        for listener in self._listeners:
            listener(app, lines)

    # -- reading -----------------------------------------------------------------
    def _segments(self, app: str) -> list[Path]:
        self._adopt_single_file(app)
        folder = self.app_folder(app)
        return [segment_path(folder, n) for n in segment_numbers(folder)]

    def tail(self, app: str, count: int, query: LogQuery = EVERYTHING) -> list[str]:
        """The last `count` lines that match, oldest first."""
        found: deque[str] = deque(maxlen=max(count, 0))
        if count <= 0:
            return []
        for path in reversed(self._segments(app)):
            try:
                with open(path, encoding="utf-8", errors="replace", newline="\n") as f:
                    matching = [line.rstrip("\n") for line in f if query.matches(line.rstrip("\n"))]
            except FileNotFoundError:  # rotated away while we read
                continue
            found.extendleft(reversed(matching[-(count - len(found)):]))
            if len(found) >= count:
                break
        return list(found)

    def follow(self, app: str, count: int, query: LogQuery = EVERYTHING, poll: float = 0.2,
               stop: threading.Event | None = None) -> Iterator[str | None]:
        """The last `count` matching lines, then every new one as it is written, until `stop` is set.

        Follows from segment to segment, so it goes on across deploys, restarts and rotation.
        Yields None while nothing new comes, so a reader can notice that its client went away."""
        segments = self._segments(app)
        number = int(segments[-1].stem) if segments else 1
        position = segments[-1].stat().st_size if segments else 0
        history = self.tail(app, count, query)
        yield from history
        reader = _SegmentReader(self.app_folder(app), number, position)
        overlap = history[-1] if history else None  # lines written between `position` and the tail come twice
        while stop is None or not stop.is_set():
            lines = [line for line in reader.read() if query.matches(line)]
            if overlap is not None:
                lines = lines[len(lines) - lines[::-1].index(overlap):] if overlap in lines else lines
                overlap = None
            if lines:
                yield from lines
            else:
                yield None
                time.sleep(poll)

    def rename(self, old: str, new: str) -> None:
        """The app's log goes on under its new name (leftovers of an earlier app of that name are dropped)."""
        with self._lock:
            log = self._apps.pop(old, None)
            if log is not None:
                with log.lock:
                    log.close()
            self._adopt_single_file(old)
            if self.app_folder(old).exists():
                shutil.rmtree(self.app_folder(new), ignore_errors=True)
                self.app_folder(old).rename(self.app_folder(new))

    def remove(self, app: str) -> None:
        with self._lock:
            log = self._apps.pop(app, None)
        if log is not None:
            with log.lock:
                log.close()
                shutil.rmtree(log.folder, ignore_errors=True)
        shutil.rmtree(self.app_folder(app), ignore_errors=True)
        (self.folder / f"{app}.log").unlink(missing_ok=True)

    def close(self) -> None:
        with self._lock:
            for log in self._apps.values():
                with log.lock:
                    log.close()
            self._apps.clear()


class _SegmentReader:
    """Reads an app's log onwards from (segment, offset), moving to newer segments as they appear."""

    def __init__(self, folder: Path, number: int, position: int) -> None:
        self.folder, self.number, self.position = folder, number, position
        self._partial = b""

    def read(self) -> list[str]:
        """Whatever was written since the last read, across as many segments as it spans."""
        lines: list[str] = []
        while True:
            numbers = segment_numbers(self.folder)  # listed before reading: see below
            later = [n for n in numbers if n > self.number]
            data = self._read_current()
            if data is None:
                if later:  # rotated away before we got to the end of it: go on from the oldest left
                    self._move_to(later[0])
                    continue
                if numbers and numbers[-1] < self.number:  # the log was removed and begun anew
                    self._move_to(numbers[0])
                    continue
                return lines
            *complete, self._partial = (self._partial + data).split(b"\n")
            lines += [line.decode("utf-8", errors="replace") for line in complete]
            if not (later and len(data) < READ_SIZE):
                return lines
            # At the end of a segment that had a newer one before we read: nothing more comes to it.
            lines += [self._partial.decode("utf-8", errors="replace")] if self._partial else []
            self._move_to(later[0])

    def _move_to(self, number: int) -> None:
        self.number, self.position, self._partial = number, 0, b""

    def _read_current(self) -> bytes | None:
        try:
            with open(segment_path(self.folder, self.number), "rb") as f:
                if os.fstat(f.fileno()).st_size < self.position:  # the log was removed and begun anew
                    self.position, self._partial = 0, b""
                f.seek(self.position)
                data = f.read(READ_SIZE)
                self.position = f.tell()
                return data
        except FileNotFoundError:
            return None


def _stamp(when: float | None, now: datetime) -> str:
    moment = now if when is None else datetime.fromtimestamp(when, timezone.utc)
    return moment.isoformat(timespec="microseconds")
