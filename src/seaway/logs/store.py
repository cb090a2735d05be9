"""Per-app log files: `TIMESTAMP source[dyno]: message` lines, appended and read back."""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

MAX_LINE_BYTES = 10_000


def format_line(source: str, message: str, when: datetime | None = None) -> str:
    stamp = (when or datetime.now(timezone.utc)).isoformat(timespec="microseconds")
    return f"{stamp} {source}: {message}"


def _clip(line: str) -> str:
    """At most MAX_LINE_BYTES of UTF-8, never cutting a character in half."""
    if len(line) <= MAX_LINE_BYTES // 4:
        return line
    return line.encode("utf-8", errors="replace")[:MAX_LINE_BYTES].decode("utf-8", errors="ignore")


class LogStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def path(self, app: str) -> Path:
        return self.folder / f"{app}.log"

    def append(self, app: str, source: str, message: str) -> None:
        """Write one or more lines from `source` (e.g. `app[web.1]`, `seaway`, `router`)."""
        lines = message.rstrip("\n").split("\n") if message else [""]
        text = "".join(format_line(source, _clip(line)) + "\n" for line in lines)
        with self._lock, open(self.path(app), "a", encoding="utf-8", errors="replace") as f:
            f.write(text)

    def tail(self, app: str, count: int) -> list[str]:
        path = self.path(app)
        if not path.exists():
            return []
        with open(path, encoding="utf-8", errors="replace") as f:
            return [line.rstrip("\n") for line in deque(f, maxlen=max(count, 0))]

    def follow(self, app: str, count: int, poll: float = 0.2, stop: threading.Event | None = None) -> Iterator[str | None]:
        """The last `count` lines, then every new line as it is written, until `stop` is set.

        Yields None while nothing new comes, so a reader can notice that its client went away."""
        yield from self.tail(app, count)
        path = self.path(app)
        position = path.stat().st_size if path.exists() else 0
        pending = ""
        while stop is None or not stop.is_set():
            size = path.stat().st_size if path.exists() else 0
            if size < position:  # the file was removed or truncated: start over
                position = 0
            if size > position:
                with open(path, encoding="utf-8", errors="replace") as f:
                    f.seek(position)
                    chunk = f.read()
                    position = f.tell()
                pending += chunk
                *complete, pending = pending.split("\n")
                yield from complete
            else:
                yield None
                time.sleep(poll)

    def remove(self, app: str) -> None:
        try:
            os.unlink(self.path(app))
        except FileNotFoundError:
            pass
