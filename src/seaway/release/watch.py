"""The release watch: for a while after a switch, the previous release's web dynos keep running out of
rotation (nginx's backup servers); if a new web dyno exits or fails its app.json health checks in that
window (gunicorn binds in its master, then its worker fails to import the app), the router goes back to
them at once and the release is marked failed.

One watch per app at a time. Anything else the app does next (a deploy, config change, scale,
restart, rollback) ends the watch first, keeping the watched release."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from seaway.dynos import DynoManager
from seaway.dynos.health import still_healthy
from seaway.dynos.manager import Slot
from seaway.logs import LogStore
from seaway.store import Store
from seaway.store.models import Release

POLL = 0.2  # seconds between looks at the new dynos
HEALTH_EVERY = 2.0  # seconds between runs of the app's health checks (when app.json has some)


@dataclass(eq=False)
class Watch:
    app: str
    release: Release
    previous: int  # the version that serves again if the watch fails
    web: list[Slot]  # the new web dynos
    window: float
    switched_at: float = field(default_factory=time.monotonic)
    ended: threading.Event = field(default_factory=threading.Event)
    checked_at: float = 0.0

    def crashed(self) -> Slot | None:
        return next((slot for slot in self.web if slot.state == "crashed" or slot.dyno.exit_code() is not None), None)

    def unhealthy(self) -> tuple[Slot, str] | None:
        """The first new web dyno failing its health checks, and how (checked every HEALTH_EVERY s)."""
        if time.monotonic() - self.checked_at < HEALTH_EVERY:
            return None
        self.checked_at = time.monotonic()
        for slot in self.web:
            failure = still_healthy(slot.dyno)
            if failure:
                return slot, failure
        return None

    def after(self) -> float:
        return time.monotonic() - self.switched_at


class ReleaseWatcher:
    def __init__(self, dynos: DynoManager, store: Store, logs: LogStore,
                 app_lock: Callable[[str], AbstractContextManager[None]], route: Callable[[str], None]) -> None:
        self.dynos, self.store, self.logs, self.app_lock, self.route = dynos, store, logs, app_lock, route
        self._watches: dict[str, Watch] = {}
        self._lock = threading.Lock()

    def start(self, watch: Watch) -> None:
        """Watch `watch.web` (the old set is already held by the dyno manager); called under the app's lock."""
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
        failure: tuple[Slot, str] | None = None
        while not watch.ended.is_set() and watch.after() < watch.window and failure is None:
            failure = self._failure(watch)
            watch.ended.wait(POLL)
        with self.app_lock(watch.app):
            if self._take(watch.app, watch) is None:  # ended meanwhile by the app's next change
                return
            failure = failure or self._failure(watch)
            if failure is None:
                self._keep(watch, f"its web dynos ran {watch.window:g} s after the switch without a crash")
            else:
                self._switch_back(watch, *failure)

    def _failure(self, watch: Watch) -> tuple[Slot, str] | None:
        """A new web dyno that crashed or failed its health checks, and what to say of it."""
        slot = watch.crashed()
        if slot is not None:
            code = slot.exit_code if slot.exit_code is not None else slot.dyno.exit_code()
            return slot, f"{slot.spec.name} crashed {watch.after():.1f} s after the switch (exit status {code})"
        sick = watch.unhealthy()
        if sick is not None:
            return sick[0], f"{sick[0].spec.name} {sick[1]} {watch.after():.1f} s after the switch"
        return None

    def _keep(self, watch: Watch, why: str) -> None:
        held = self.dynos.release_standby(watch.app)
        self.route(watch.app)  # without the backups, before they stop
        self.dynos.retire(held)
        self.store.note_release(watch.release, f"-----> Release v{watch.release.version} kept: {why}")
        self.logs.append(watch.app, "seaway", f"Release v{watch.release.version} kept: {why}")

    def _switch_back(self, watch: Watch, slot: Slot, what: str) -> None:
        replaced = self.dynos.reinstate(watch.app) or []
        self.route(watch.app)
        self.dynos.retire(replaced)
        lines = slot.output.last_lines(wait=1) if slot.output else []
        reason = f"{what}; v{watch.previous} is serving again"
        note = "\n".join([f" !     Release v{watch.release.version} failed: {reason}.",
                          *([f"       Last {len(lines)} lines of {slot.spec.name}'s output:"] if lines else []),
                          *(f"         {line}" for line in lines)])
        self.store.revert_release(watch.release, watch.previous, note)
        self.logs.append(watch.app, "seaway", f"Release v{watch.release.version} failed: {reason}")
