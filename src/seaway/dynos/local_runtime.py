"""The local runtime: an app's dynos are processes on this host (sandboxed when the daemon is root),
supervised by the DynoManager, behind the nginx router."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

from seaway.dynos.backend import Dyno, DynoSpec
from seaway.dynos.health import still_healthy
from seaway.dynos.kept import Survivor
from seaway.dynos.local import LocalBackend
from seaway.dynos.manager import DynoManager, Slot
from seaway.dynos.memory import MB
from seaway.dynos.runtime import ONE_OFF_TYPES, DynoStatus, OnLine, Routing, Trouble
from seaway.host import app_user_name
from seaway.logs import LogStore
from seaway.router import AppRoute, NginxRouter
from seaway.sandbox import Sandbox

HEALTH_EVERY = 2.0  # seconds between runs of a watched dyno's health checks (when app.json has some)


@dataclass(eq=False)
class _Watched:
    web: list[Slot]  # the new web dynos
    checked_at: float = field(default_factory=time.monotonic)


class LocalRuntime:
    def __init__(self, backend: LocalBackend, logs: LogStore, router: NginxRouter, as_app_users: bool,
                 sandbox: Sandbox | None = None, settle: float = 2.0, log_rate: int | None = None) -> None:
        self.backend, self.router, self.as_app_users, self.sandbox = backend, router, as_app_users, sandbox
        self._survivors: list[Survivor] = []
        extra = {"log_rate": log_rate} if log_rate is not None else {}
        self.dynos = DynoManager(backend, logs, settle=settle, on_change=self._changed, **extra)
        self._routing: dict[str, Routing] = {}
        self._watched: dict[str, _Watched] = {}
        self._lock = threading.Lock()

    def _as_user(self, spec: DynoSpec) -> DynoSpec:
        """As root, every dyno runs as its app's own system user."""
        return replace(spec, user=app_user_name(spec.app)) if self.as_app_users and spec.user is None else spec

    def _changed(self, app: str) -> None:
        """A web dyno crashed or came back: route to the ones that are up."""
        self._route(app)

    # -- lifecycle -----------------------------------------------------------------
    def recover(self) -> None:
        """Dynos a killed daemon left running (verified by identity) are kept, with their sandboxes; anything
        else it left is stopped."""
        self._survivors = self.backend.survivors()
        if self.sandbox is not None:
            self.sandbox.start(keep=self.backend.sandboxes(self._survivors))
        self.backend.reap_orphans(keep=self._survivors)

    def take_back(self, app: str, specs: list[DynoSpec], release: int | None) -> list[DynoSpec] | None:
        specs = [self._as_user(spec) for spec in specs]
        mine = [s for s in self._survivors if s.app == app]
        self._survivors = [s for s in self._survivors if s.app != app]
        slots, missing, rest = self.dynos.adopt(specs, mine)
        if slots:
            self.dynos.switch(app, slots)
        one_off = [s for s in rest if s.record["process_type"] in ONE_OFF_TYPES]
        other = [s for s in rest if s not in one_off and s.record["release"] != release]
        self.dynos.dispose(one_off, "a one-off dyno")
        self.dynos.dispose(other, f"v{release} is the current release")
        self.dynos.dispose([s for s in rest if s not in one_off and s not in other], "not in the formation")
        if not slots:
            return None
        return missing

    def forget_others(self, apps: set[str]) -> None:
        self.dynos.dispose([s for s in self._survivors if s.app not in apps], "its app no longer exists")
        self._survivors = []

    def start(self, apps: dict[str, Routing]) -> None:
        with self._lock:
            self._routing.update(apps)
        self.router.start([self._app_route(app, routing) for app, routing in apps.items()])

    def stop(self) -> None:
        self.dynos.stop_all()
        self.router.stop()

    # -- formations ----------------------------------------------------------------
    def deploy(self, app: str, specs: list[DynoSpec], routing: Routing, hold_previous: bool = False) -> int | None:
        with self._lock:
            self._routing[app] = routing
        new = self.dynos.start_formation([self._as_user(spec) for spec in specs])
        old = self.dynos.switch(app, new)
        old_web, new_web = [s for s in old if s.spec.web], [s for s in new if s.spec.web]
        held = hold_previous and bool(old_web and new_web)
        if held:
            self.dynos.hold(app, old_web)
            with self._lock:
                self._watched[app] = _Watched(new_web)
        self._route(app)
        self.dynos.retire([slot for slot in old if not (held and slot.spec.web)])
        return old_web[0].spec.release if held else None

    def replace(self, app: str, specs: list[DynoSpec]) -> list[str]:
        slots = self.dynos.slots(app)
        fresh = self.dynos.start_formation([self._as_user(spec) for spec in specs])
        by_name = {slot.spec.name: slot for slot in fresh}
        gone = self.dynos.switch(app, [by_name.get(slot.spec.name, slot) for slot in slots])
        self._route(app)
        self.dynos.retire(gone)
        return sorted(by_name)

    def scale(self, app: str, specs: list[DynoSpec]) -> None:
        slots = self.dynos.slots(app)
        have = {slot.spec.name for slot in slots}
        wanted = {spec.name for spec in specs}
        added = self.dynos.start_formation([self._as_user(spec) for spec in specs if spec.name not in have])
        gone = self.dynos.switch(app, [slot for slot in slots if slot.spec.name in wanted] + added)
        self._route(app)
        self.dynos.retire(gone)

    def stop_dyno(self, app: str, name: str) -> bool:
        return self.dynos.kill(app, name)

    def retire(self, app: str) -> None:
        with self._lock:
            self._routing.pop(app, None)
            self._watched.pop(app, None)
        self.dynos.stop_app(app)
        self.router.update(remove=app)

    # -- routing -------------------------------------------------------------------
    def route(self, app: str, routing: Routing) -> None:
        with self._lock:
            self._routing[app] = routing
        self._route(app)

    def _route(self, app: str) -> None:
        with self._lock:
            routing = self._routing.get(app)
        if routing is not None:  # None: retired meanwhile
            self.router.update(self._app_route(app, routing))

    def _app_route(self, app: str, routing: Routing) -> AppRoute:
        backends, standby = self.dynos.web_backends(app), self.dynos.standby_backends(app)
        web = [slot for slot in self.dynos.slots(app) if slot.spec.web]
        crashed = not backends and bool(web) and all(  # crashed, or starting again after a crash
            slot.state == "crashed" or (slot.state == "starting" and slot.restarts > 0) for slot in web)
        return AppRoute(app, [address for address, _ in backends], read_timeout=routing.read_timeout, crashed=crashed,
                        standby=[address for address, _ in standby], domains=routing.domains,
                        max_body_mb=routing.max_body_mb, force_https=routing.force_https, hsts=routing.hsts,
                        acme=routing.acme, dynos={f"{host}:{port}": name for (host, port), name in standby + backends})

    # -- reading -------------------------------------------------------------------
    def status(self, app: str, usage: bool = False) -> list[DynoStatus]:
        return [self._status(slot, usage) for slot in self.dynos.slots(app)]

    @staticmethod
    def _status(slot: Slot, measure: bool) -> DynoStatus:
        running = slot.state in ("starting", "up", "standby", "stopping")
        usage = slot.dyno.usage() if measure and running else None
        return DynoStatus(slot.spec.name, slot.spec.process_type, slot.spec.index, slot.spec.release, slot.spec.command,
                          slot.state, slot.since, slot.restarts, slot.exit_code,
                          memory_mb=round(usage.memory_bytes / MB, 1) if usage and usage.memory_bytes is not None else None,
                          cpu_seconds=usage.cpu_seconds if usage else None)

    def serving(self, app: str) -> int | None:
        return next((slot.spec.release for slot in self.dynos.slots(app) if slot.spec.web and slot.state == "up"), None)

    # -- the release watch ---------------------------------------------------------
    def trouble(self, app: str) -> Trouble | None:
        with self._lock:
            watched = self._watched.get(app)
        if watched is None:
            return None
        crashed = next((s for s in watched.web if s.state == "crashed" or s.dyno.exit_code() is not None), None)
        if crashed is not None:
            code = crashed.exit_code if crashed.exit_code is not None else crashed.dyno.exit_code()
            return Trouble(crashed.spec.name, exit_code=code, last_lines=self._last_lines(crashed))
        if time.monotonic() - watched.checked_at < HEALTH_EVERY:
            return None
        watched.checked_at = time.monotonic()
        for slot in watched.web:
            failure = still_healthy(slot.dyno)
            if failure:
                return Trouble(slot.spec.name, health=failure, last_lines=self._last_lines(slot))
        return None

    @staticmethod
    def _last_lines(slot: Slot) -> tuple[str, ...]:
        return tuple(slot.output.last_lines(wait=1)) if slot.output else ()

    def keep(self, app: str) -> None:
        with self._lock:
            self._watched.pop(app, None)
        held = self.dynos.release_standby(app)
        self._route(app)  # without the fallback, before it stops
        self.dynos.retire(held)

    def revert(self, app: str) -> bool:
        with self._lock:
            self._watched.pop(app, None)
        replaced = self.dynos.reinstate(app)
        if replaced is None:
            return False
        self._route(app)
        self.dynos.retire(replaced)
        return True

    # -- one-off dynos -------------------------------------------------------------
    def cannot_run(self, slug: str, python_version: str) -> str | None:
        return self.backend.cannot_run(slug, python_version)

    def run(self, spec: DynoSpec, on_line: OnLine, timeout: float | None = None, logged: bool = True) -> int | None:
        return self.dynos.run_one_off(self._as_user(spec), on_line, timeout=timeout, logged=logged)

    def run_attached(self, spec: DynoSpec, on_output: OnLine) -> Dyno:
        return self.dynos.start_attached(self._as_user(spec), on_output)

    def run_detached(self, spec: DynoSpec) -> None:
        self.dynos.start_detached(self._as_user(spec))

    def one_offs(self, app: str) -> list[DynoSpec]:
        return self.dynos.one_offs(app)
