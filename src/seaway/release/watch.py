"""The release watch: for a while after a switch, the previous release's web dynos keep running out of
rotation (the router's fallback); if a new web dyno exits or fails its app.json health checks in that
window (gunicorn binds in its master, then its worker fails to import the app), the router goes back to
them at once and the release is marked failed.

One watch per app at a time. Anything else that changes the app next (a deploy, config change, scale,
restart, rollback) ends the watch first, keeping the watched release: `changing(app)` is the app's lock
with its watch ended."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from seaway.dynos.runtime import Runtime, Trouble
from seaway.logs import LogStore
from seaway.release.locks import AppLocks
from seaway.store import Store
from seaway.store.models import Release

POLL = 0.2  # seconds between looks at the new dynos


@dataclass(eq=False)
class Watch:
    app: str
    release: Release
    previous: int  # the version that serves again if the watch fails
    window: float
    switched_at: float = field(default_factory=time.monotonic)
    ended: threading.Event = field(default_factory=threading.Event)

    def after(self) -> float:
        return time.monotonic() - self.switched_at


class ReleaseWatcher:
    def __init__(self, runtime: Runtime, store: Store, logs: LogStore, locks: AppLocks) -> None:
        self.runtime, self.store, self.logs, self.locks = runtime, store, logs, locks
        self._watches: dict[str, Watch] = {}
        self._lock = threading.Lock()

    @contextmanager
    def changing(self, app: str) -> Iterator[None]:
        """The app's lock, for a change: a release still under watch is kept first (its old dynos retired)."""
        with self.locks.held(app):
            self.end(app)
            yield

    @contextmanager
    def renaming(self, old: str, new: str) -> Iterator[None]:
        with self.locks.both(old, new):
            self.end(old)
            yield

    def start(self, watch: Watch) -> None:
        """Watch the new web dynos (the runtime holds the old ones); called under the app's lock."""
        with self._lock:
            self._watches[watch.app] = watch
        threading.Thread(target=self._run, args=(watch,), daemon=True, name=f"watch-{watch.app}").start()

    def end(self, app: str) -> None:
        """End the app's watch, keeping its release (called under the app's lock, before anything else)."""
        watch = self._take(app, None)
        if watch is not None:
            self._keep(watch, f"the app changed again {watch.after():.0f} s after the switch")

    def watching(self, app: str) -> Watch | None:
        with self._lock:
            return self._watches.get(app)

    def _take(self, app: str, watch: Watch | None) -> Watch | None:
        """The app's watch (only if it is `watch`, when given), no longer registered."""
        with self._lock:
            current = self._watches.get(app)
            if current is None or (watch is not None and current is not watch):
                return None
            del self._watches[app]
        current.ended.set()
        return current

    def _run(self, watch: Watch) -> None:
        trouble: Trouble | None = None
        while not watch.ended.is_set() and watch.after() < watch.window and trouble is None:
            trouble = self.runtime.trouble(watch.app)
            watch.ended.wait(POLL)
        with self.locks.held(watch.app):
            if self._take(watch.app, watch) is None:  # ended meanwhile by the app's next change
                return
            trouble = trouble or self.runtime.trouble(watch.app)
            if trouble is None:
                self._keep(watch, f"its web dynos ran {watch.window:g} s after the switch without a crash")
            else:
                self._switch_back(watch, trouble)

    def _keep(self, watch: Watch, why: str) -> None:
        self.runtime.keep(watch.app)
        self.store.note_release(watch.release, f"-----> Release v{watch.release.version} kept: {why}")
        self.logs.append(watch.app, "seaway", f"Release v{watch.release.version} kept: {why}")

    def _switch_back(self, watch: Watch, trouble: Trouble) -> None:
        self.runtime.revert(watch.app)
        what = (f"{trouble.dyno} {trouble.health} {watch.after():.1f} s after the switch" if trouble.health else
                f"{trouble.dyno} crashed {watch.after():.1f} s after the switch (exit status {trouble.exit_code})")
        reason = f"{what}; v{watch.previous} is serving again"
        lines = trouble.last_lines
        note = "\n".join([f" !     Release v{watch.release.version} failed: {reason}.",
                          *([f"       Last {len(lines)} lines of {trouble.dyno}'s output:"] if lines else []),
                          *(f"         {line}" for line in lines)])
        self.store.revert_release(watch.release, watch.previous, note)
        self.logs.append(watch.app, "seaway", f"Release v{watch.release.version} failed: {reason}")
