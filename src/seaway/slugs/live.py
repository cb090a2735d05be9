"""The output of deploys while they run, for readers that follow it live (the dashboard's activity page,
`GET /apps/APP/builds/ID/output`). Once a deploy has ended its build output is read from the store."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

MAX_LINES = 50_000  # a deploy's lines kept for readers; later ones are counted, not kept
WAIT = 1.0  # seconds a follower waits for a line before it yields None (so its reader can notice a gone client)


class _Running:
    def __init__(self, app: str) -> None:
        self.app = app
        self.lines: list[str] = []
        self.dropped = 0
        self.ended = False
        self.changed = threading.Condition()

    def add(self, line: str) -> None:
        with self.changed:
            if len(self.lines) < MAX_LINES:
                self.lines.append(line)
            else:
                self.dropped += 1
            self.changed.notify_all()

    def end(self) -> None:
        with self.changed:
            if self.dropped:
                self.lines.append(f" !     {self.dropped} more lines not shown here")
            self.ended = True
            self.changed.notify_all()

    def follow(self) -> Iterator[str | None]:
        shown = 0
        while True:
            with self.changed:
                if shown == len(self.lines) and not self.ended:
                    self.changed.wait(WAIT)
                fresh, ended = self.lines[shown:], self.ended
            shown += len(fresh)
            if fresh:
                yield from fresh
            elif ended:
                return
            else:
                yield None


class LiveOutput:
    """Deploys running now, by build id: each one's lines so far, and a way to follow the rest."""

    def __init__(self) -> None:
        self._running: dict[int, _Running] = {}
        self._lock = threading.Lock()

    @contextmanager
    def recording(self, app: str, build_id: int, emit: Callable[[str], None]) -> Iterator[Callable[[str], None]]:
        """While the block runs, build `build_id`'s lines are kept for followers: use the emit it gives."""
        running = _Running(app)
        with self._lock:
            self._running[build_id] = running

        def tee(line: str) -> None:
            running.add(line)
            emit(line)

        try:
            yield tee
        finally:
            running.end()
            with self._lock:
                del self._running[build_id]

    def running(self, app: str) -> list[int]:
        """The ids of the app's builds running now."""
        with self._lock:
            return sorted(build for build, running in self._running.items() if running.app == app)

    def follow(self, build_id: int) -> Iterator[str | None] | None:
        """The build's lines so far, then each new one until its deploy ends (None while it waits);
        None when it is not running (its output is in the store)."""
        with self._lock:
            running = self._running.get(build_id)
        return running.follow() if running is not None else None
