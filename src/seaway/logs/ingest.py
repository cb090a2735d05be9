"""A dyno's output into its app's log, in batches, within a rate it cannot exceed.

A dyno may print as fast as it can: the reader never makes it wait on the log. Each dyno has a
token bucket of lines (RATE per second, bursts up to BURST); output beyond it is read and
counted but not kept, and the log says so once a second, the way Heroku reports `L12`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from seaway.logs.lines import LineSplitter, decode
from seaway.logs.store import LogStore

RATE, BURST = 20_000, 100_000
RECENT_LINES = 20  # the dyno's last lines that a failure message quotes


class TokenBucket:
    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = burst, clock()

    def available(self) -> int:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return int(self.tokens)

    def take(self, wanted: int) -> int:
        """How many of `wanted` lines may be kept now."""
        granted = min(wanted, self.available())
        self.tokens -= granted
        return granted


class DynoOutput:
    """The output of one dyno (`feed` raw chunks, `close` at the end) written as `app[web.1]` lines."""

    def __init__(self, logs: LogStore, app: str, dyno: str, rate: float = RATE, burst: float = BURST) -> None:
        self.logs, self.app, self.dyno = logs, app, dyno
        self.source = f"app[{dyno}]"
        self.bucket = TokenBucket(rate, burst)
        self.splitter = LineSplitter()
        self.dropped = 0
        self._reported_at = 0.0
        self.recent: deque[str] = deque(maxlen=RECENT_LINES)  # for failure messages: what it said last
        self.closed = threading.Event()  # set once every writer has closed the output

    def feed(self, data: bytes) -> None:
        if self.bucket.available() < 1:  # over the rate: count what is dropped, at C speed
            self.dropped += self.splitter.discard(data)
        else:
            self._keep(self.splitter.feed(data))
        self._report()

    def _keep(self, lines: list[bytes]) -> None:
        granted = self.bucket.take(len(lines))
        self.dropped += len(lines) - granted
        kept = [decode(line) for line in lines[:granted]]
        self.recent.extend(kept)
        self.logs.write(self.app, self.source, kept)

    def _report(self, final: bool = False) -> None:
        now = time.monotonic()
        if self.dropped and (final or now - self._reported_at >= 1):
            self.logs.append(self.app, f"seaway[{self.dyno}]",
                             f"Error L12 (Local buffer overflow): {self.dropped} lines of output dropped: {self.dyno} "
                             f"printed more than {self.bucket.rate:,.0f} lines per second")
            self.dropped, self._reported_at = 0, now

    def lost(self, lines: int) -> None:
        """Lines dropped on the way here (the dyno's keeper could hold no more): reported like the others."""
        self.dropped += lines
        self._report()

    def close(self) -> None:
        self._keep(self.splitter.flush())
        self._report(final=True)
        self.closed.set()

    def last_lines(self, wait: float = 2.0) -> list[str]:
        """The last lines the dyno printed, once its output has ended (or after `wait` seconds)."""
        self.closed.wait(wait)
        return list(self.recent)

