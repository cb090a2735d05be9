"""The dyno manager: starts a release's dynos, waits until they are up, swaps and stops them."""

from __future__ import annotations

import threading
from collections.abc import Callable

from seaway.dynos.backend import Backend, Dyno, DynoSpec
from seaway.logs import LogStore


class DynoBootError(Exception):
    """A dyno of a new release did not come up; the message says which and why."""


class DynoManager:
    def __init__(self, backend: Backend, logs: LogStore, boot_timeout: float, stop_timeout: float) -> None:
        self.backend, self.logs = backend, logs
        self.boot_timeout, self.stop_timeout = boot_timeout, stop_timeout
        self._running: dict[str, list[Dyno]] = {}
        self._retiring: set[int] = set()
        self._retirements: list[threading.Thread] = []
        self._lock = threading.Lock()

    # -- starting ----------------------------------------------------------
    def _start(self, spec: DynoSpec, on_line: Callable[[str], None] | None = None) -> Dyno:
        self.logs.append(spec.app, f"seaway[{spec.name}]", f"Starting process with command `{spec.command}`")
        sink = on_line or (lambda line: self.logs.append(spec.app, f"app[{spec.name}]", line))
        holder: list[Dyno] = []
        dyno = self.backend.start(spec, sink, on_exit=lambda code: self._exited(holder, code))
        holder.append(dyno)
        return dyno

    def _exited(self, holder: list[Dyno], code: int) -> None:
        """Report a running dyno that exited on its own (not one being stopped) as crashed."""
        with self._lock:
            dyno = holder[0] if holder else None
            crashed = (dyno is not None and id(dyno) not in self._retiring
                       and any(d is dyno for d in self._running.get(dyno.spec.app, [])))
        if crashed:
            assert dyno is not None
            self.logs.append(dyno.spec.app, f"seaway[{dyno.spec.name}]", f"Process exited with status {code}")
            self.logs.append(dyno.spec.app, f"seaway[{dyno.spec.name}]", "State changed from up to crashed")

    def start_formation(self, specs: list[DynoSpec]) -> list[Dyno]:
        """Start every dyno and wait until each web dyno binds its port; all or nothing."""
        started = [self._start(spec) for spec in specs]
        for dyno in started:
            if dyno.address is None or dyno.wait_until_bound(self.boot_timeout):
                continue
            code = dyno.exit_code()
            name = dyno.spec.name
            if code is None:
                reason = (f"Error R10 (Boot timeout) -> {name} failed to bind to $PORT within "
                          f"{self.boot_timeout:g} seconds of launch")
            else:
                reason = f"{name} exited with status {code} before binding to $PORT"
            self.logs.append(dyno.spec.app, f"seaway[{name}]", reason)
            self.stop(started)
            raise DynoBootError(reason)
        for dyno in started:
            self.logs.append(dyno.spec.app, f"seaway[{dyno.spec.name}]", "State changed from starting to up")
        return started

    def run_one_off(self, spec: DynoSpec, on_line: Callable[[str], None], timeout: float | None = None) -> int | None:
        """Run a one-off dyno to completion; its exit status, or None if it was stopped at `timeout`."""
        dyno = self._start(spec, on_line)
        code = dyno.wait(timeout)
        if code is None:
            dyno.stop(self.stop_timeout)
            return None
        self.logs.append(spec.app, f"seaway[{spec.name}]", f"Process exited with status {code}")
        return code

    # -- switching and stopping --------------------------------------------
    def switch(self, app: str, dynos: list[Dyno]) -> list[Dyno]:
        """Make `dynos` the app's running set; return the ones they replace."""
        with self._lock:
            old = self._running.get(app, [])
            self._running[app] = dynos
            self._retiring.update(id(d) for d in old)
            return old

    def stop(self, dynos: list[Dyno]) -> None:
        """Stop dynos in parallel: SIGTERM, then SIGKILL after the stop timeout."""
        with self._lock:
            self._retiring.update(id(d) for d in dynos)
        threads = [threading.Thread(target=d.stop, args=(self.stop_timeout,)) for d in dynos]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with self._lock:
            self._retiring.difference_update(id(d) for d in dynos)
        for dyno in dynos:
            self.logs.append(dyno.spec.app, f"seaway[{dyno.spec.name}]", f"Stopped (v{dyno.spec.release})")

    def retire(self, dynos: list[Dyno]) -> None:
        """Stop replaced dynos in the background: the new release serves meanwhile."""
        thread = threading.Thread(target=self.stop, args=(dynos,), name="retire")
        with self._lock:
            self._retirements = [t for t in self._retirements if t.is_alive()] + [thread]
        thread.start()

    def stop_app(self, app: str) -> None:
        self.stop(self.switch(app, []))
        with self._lock:
            self._running.pop(app, None)

    def stop_all(self) -> None:
        threads = [threading.Thread(target=self.stop_app, args=(app,)) for app in list(self._running)]
        for thread in threads:
            thread.start()
        for thread in threads + self._retirements:
            thread.join()

    # -- reading -----------------------------------------------------------
    def dynos(self, app: str) -> list[Dyno]:
        with self._lock:
            return list(self._running.get(app, []))

    def web_addresses(self, app: str) -> list[tuple[str, int]]:
        return [d.address for d in self.dynos(app) if d.address and d.exit_code() is None]
