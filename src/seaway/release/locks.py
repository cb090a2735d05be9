"""One change of an app's dynos or routing at a time: deploys, config changes, add-ons, rollbacks,
scaling, restarts, ps:stop, settings, domains, pg:reset and restores all take the app's lock, and
others wait their turn."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager


class AppLocks:
    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, app: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(app, threading.Lock())

    @contextmanager
    def held(self, app: str) -> Iterator[None]:
        with self._lock(app):
            yield

    @contextmanager
    def both(self, old: str, new: str) -> Iterator[None]:
        """Both names' locks, taken in one order (two renames cannot wait on each other)."""
        with ExitStack() as stack:
            for name in sorted({old, new}):
                stack.enter_context(self.held(name))
            yield
