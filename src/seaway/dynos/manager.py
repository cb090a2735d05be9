"""The dyno manager: supervises each app's formation.

A Slot is one member of a formation (web.1, worker.2) and the process currently filling it.
New releases start a whole new set of slots and switch to it only when every one is up; a slot
whose process crashes is restarted with exponential backoff (1 s doubling, capped at 5 min,
reset after 10 min up), and its web address leaves the router meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone

from seaway.dynos.backend import Backend, Dyno, DynoSpec, Output
from seaway.dynos.health import wait_until_up
from seaway.dynos.output import LineOutput, TerminalOutput
from seaway.dynos.runtime import DynoBootError
from seaway.logs import LogStore
from seaway.logs.ingest import RATE, DynoOutput

FIRST_BACKOFF, MAX_BACKOFF, STABLE_AFTER = 1.0, 300.0, 600.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(eq=False)
class Slot:
    spec: DynoSpec
    dyno: Dyno
    output: DynoOutput | None = None  # its log writer, which keeps its last lines
    state: str = "starting"  # starting / up / crashed / standby / stopping / stopped
    since: datetime = field(default_factory=_now)
    restarts: int = 0
    exit_code: int | None = None
    backoff: float = FIRST_BACKOFF
    retry_at: float | None = None  # monotonic time of the next restart, when crashed
    up_at: float | None = None  # monotonic time it last came up

    def set_state(self, state: str) -> None:
        self.state, self.since = state, _now()


class DynoManager:
    def __init__(self, backend: Backend, logs: LogStore, settle: float = 2.0,
                 on_change: Callable[[str], None] | None = None, log_rate: int = RATE) -> None:
        self.backend, self.logs, self.settle, self.log_rate = backend, logs, settle, log_rate
        self.on_change = on_change or (lambda _app: None)  # the app's set of up web dynos changed
        self._running: dict[str, list[Slot]] = {}
        self._standby: dict[str, list[Slot]] = {}  # a replaced set kept running, out of rotation, to switch back to
        self._one_offs: dict[str, list[Dyno]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._retirements: list[threading.Thread] = []
        threading.Thread(target=self._supervise, daemon=True, name="dyno-supervisor").start()

    def _log(self, spec: DynoSpec, message: str) -> None:
        self.logs.append(spec.app, f"seaway[{spec.name}]", message)

    # -- starting ----------------------------------------------------------
    def _output(self, spec: DynoSpec) -> DynoOutput:
        return DynoOutput(self.logs, spec.app, spec.name, self.log_rate, 5 * self.log_rate)

    def _launch(self, spec: DynoSpec, output: Output | None = None, logged: bool = True) -> Dyno:
        if logged:
            self._log(spec, f"Starting process with command `{spec.command}`")
        holder: list[Dyno] = []
        dyno = self.backend.start(spec, output or self._output(spec),
                                  on_exit=lambda code: self._exited(holder, code),
                                  on_notice=lambda line: self._log(spec, line))
        holder.append(dyno)
        return dyno

    def _launch_one_off(self, spec: DynoSpec, output: Output | None = None, logged: bool = True) -> Dyno:
        dyno = self._launch(spec, output, logged)
        with self._lock:
            self._one_offs[spec.app] = [d for d in self._one_offs.get(spec.app, []) if d.exit_code() is None] + [dyno]
        return dyno

    def one_offs(self, app: str) -> list[DynoSpec]:
        """The app's one-off dynos still running (`run`, the release phase, the platform's probes)."""
        with self._lock:
            return [dyno.spec for dyno in self._one_offs.get(app, []) if dyno.exit_code() is None]

    def start_formation(self, specs: list[DynoSpec]) -> list[Slot]:
        """Start every dyno and wait until all are up (web: bound and healthy; others: still running)."""
        outputs = [self._output(spec) for spec in specs]
        slots = [Slot(spec, self._launch(spec, output), output) for spec, output in zip(specs, outputs, strict=True)]
        if not slots:
            return []
        with ThreadPoolExecutor(max_workers=len(slots)) as pool:
            outcomes = list(pool.map(lambda s: wait_until_up(s.dyno, self.settle), slots))
        # One that came up early may have died while the others were still booting.
        outcomes = [failure or (f"{s.spec.name} exited with status {s.dyno.exit_code()} while the other dynos booted"
                                if s.dyno.exit_code() is not None else None) for s, failure in zip(slots, outcomes, strict=True)]
        failures = [failure for failure in outcomes if failure]
        if failures:
            for slot, failure in zip(slots, outcomes, strict=True):
                if failure:
                    self._log(slot.spec, failure)
            self.stop(slots)
            raise DynoBootError("; ".join(failures), {slot.spec.name: slot.output.last_lines() if slot.output else []
                                                      for slot, failure in zip(slots, outcomes, strict=True) if failure})
        for slot in slots:
            self._became_up(slot)
        return slots

    def _became_up(self, slot: Slot) -> None:
        slot.set_state("up")
        slot.up_at = time.monotonic()
        self._log(slot.spec, "State changed from starting to up")

    def run_one_off(self, spec: DynoSpec, on_line: Callable[[str], None], timeout: float | None = None,
                    logged: bool = True) -> int | None:
        """Run a one-off dyno to completion; its exit status, or None if it was stopped at `timeout`.
        `logged=False` for the platform's own probes: the app's log does not show their start and exit."""
        dyno = self._launch_one_off(spec, LineOutput(on_line), logged)
        code = dyno.wait(timeout)
        if code is None:
            self._log(spec, f"Stopping: still running after {timeout:g} seconds")
            dyno.stop(spec.stop_timeout)
            return None
        if logged:
            self._log(spec, f"Process exited with status {code}")
        return code

    def start_attached(self, spec: DynoSpec, on_output: Callable[[str], None]) -> Dyno:
        """A one-off on a terminal (spec.tty), for `run` from a terminal; the caller waits for it."""
        dyno = self._launch_one_off(spec, TerminalOutput(on_output))
        threading.Thread(target=lambda: self._log(spec, f"Process exited with status {dyno.wait()}"),
                         daemon=True).start()
        return dyno

    def start_detached(self, spec: DynoSpec) -> Dyno:
        """A one-off whose output goes to the log; nobody waits for it."""
        dyno = self._launch_one_off(spec)
        threading.Thread(target=lambda: self._log(spec, f"Process exited with status {dyno.wait()}"),
                         daemon=True).start()
        return dyno

    # -- crashes and restarts ------------------------------------------------
    def _slot_of(self, dyno: Dyno) -> Slot | None:
        for slot in self._running.get(dyno.spec.app, []):
            if slot.dyno is dyno:
                return slot
        return None

    def _exited(self, holder: list[Dyno], code: int) -> None:
        with self._lock:
            slot = self._slot_of(holder[0]) if holder else None
        if slot is not None:
            self._crashed(slot, code)

    def _crashed(self, slot: Slot, code: int | None) -> None:
        """A live slot's process exited on its own: schedule its restart with backoff."""
        with self._lock:
            if slot.state not in ("starting", "up") or self._slot_of(slot.dyno) is not slot:
                return
            was_up = slot.state == "up"
            if slot.up_at is not None and time.monotonic() - slot.up_at >= STABLE_AFTER:
                slot.backoff = FIRST_BACKOFF
            slot.exit_code = code
            slot.set_state("crashed")
            slot.retry_at = time.monotonic() + slot.backoff
            delay, slot.backoff = slot.backoff, min(slot.backoff * 2, MAX_BACKOFF)
        self._log(slot.spec, f"Process exited with status {code}")
        self._log(slot.spec, f"State changed from {'up' if was_up else 'starting'} to crashed; "
                             f"restarting in {delay:g}s")
        if slot.spec.web:
            self.on_change(slot.spec.app)
        self._wake.set()

    def _supervise(self) -> None:
        while not self._closing.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            now = time.monotonic()
            with self._lock:
                due = [s for slots in self._running.values() for s in slots
                       if s.state == "crashed" and s.retry_at is not None and s.retry_at <= now]
                for slot in due:
                    slot.retry_at = None
            for slot in due:
                threading.Thread(target=self._restart, args=(slot,), daemon=True).start()

    def _restart(self, slot: Slot) -> None:
        with self._lock:
            if self._slot_of(slot.dyno) is not slot or self._closing.is_set():
                return
            slot.restarts += 1
            slot.set_state("starting")
            slot.dyno = self._launch(slot.spec)
        failure = wait_until_up(slot.dyno, self.settle)
        if failure is None:
            self._became_up(slot)
            if slot.spec.web:
                self.on_change(slot.spec.app)
        else:  # it exited, or never came up: stop what is left; either way it counts as a crash
            self._log(slot.spec, failure)
            self._crashed(slot, slot.dyno.stop(slot.spec.stop_timeout))

    # -- switching and stopping --------------------------------------------
    def switch(self, app: str, slots: list[Slot]) -> list[Slot]:
        """Make `slots` the app's live set; return the ones no longer in it (no longer supervised)."""
        with self._lock:
            gone = [slot for slot in self._running.get(app, []) if slot not in slots]
            self._running[app] = slots
            for slot in gone:
                slot.set_state("stopping")
        for slot in slots:  # one that died just before it was switched in is a crash like any other
            code = slot.dyno.exit_code()
            if code is not None:
                self._crashed(slot, code)
        return gone

    def stop(self, slots: list[Slot]) -> None:
        """Stop dynos in parallel: SIGTERM to each process group, SIGKILL after its stop timeout."""
        for slot in slots:
            slot.set_state("stopping")
        threads = [threading.Thread(target=s.dyno.stop, args=(s.spec.stop_timeout,)) for s in slots]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for slot in slots:
            slot.set_state("stopped")
            self._log(slot.spec, f"Stopped (v{slot.spec.release})")

    def kill(self, app: str, name: str) -> bool:
        """ps:stop: stop one dyno's process now; being part of the formation, it is started again."""
        slot = next((s for s in self.slots(app) if s.spec.name == name), None)
        if slot is None:
            return False
        self._log(slot.spec, "Stopping process on request (ps:stop)")
        slot.dyno.stop(slot.spec.stop_timeout)  # the exit is handled like a crash: restarted after the backoff
        return True

    def retire(self, slots: list[Slot]) -> None:
        """Stop replaced dynos in the background: the new ones serve meanwhile."""
        if not slots:
            return
        thread = threading.Thread(target=self.stop, args=(slots,), name="retire")
        with self._lock:
            self._retirements = [t for t in self._retirements if t.is_alive()] + [thread]
        thread.start()

    def hold(self, app: str, slots: list[Slot]) -> None:
        """Keep a replaced set running out of rotation (see reinstate); a set held before is retired."""
        for slot in slots:
            slot.set_state("standby")
        with self._lock:
            earlier, self._standby[app] = self._standby.get(app, []), slots
        self.retire(earlier)

    def release_standby(self, app: str) -> list[Slot]:
        """The held set, no longer held: the caller routes without it, then retires it."""
        with self._lock:
            return self._standby.pop(app, [])

    def reinstate(self, app: str) -> list[Slot] | None:
        """Make the held set live again (the caller routes to it and retires what it returns: the set it
        replaces); None when nothing is held."""
        with self._lock:
            held = self._standby.pop(app, None)
            if held is None:
                return None
            for slot in held:
                slot.set_state("up")
                slot.up_at = time.monotonic()
        return self.switch(app, held)

    def stop_app(self, app: str) -> None:
        with self._lock:
            held = self._standby.pop(app, [])
        self.stop(self.switch(app, []) + held)
        with self._lock:
            self._running.pop(app, None)

    def stop_all(self) -> None:
        self._closing.set()
        self._wake.set()
        apps = set(self._running) | set(self._standby)
        threads = [threading.Thread(target=self.stop_app, args=(app,)) for app in apps]
        for thread in threads:
            thread.start()
        for thread in threads + self._retirements:
            thread.join()

    # -- after a daemon restart ----------------------------------------------
    def adopt(self, specs: list[DynoSpec], survivors: list) -> tuple[list[Slot], list[DynoSpec], list]:
        """Take back dynos a previous daemon left running (the backend's `survivors()`) as slots for
        `specs` (a formation): a survivor fills a spec of the same release, process type, index, slug and
        command, and still runs (a web one accepting connections). Returns the slots (up, not yet live:
        the caller switches to them), the specs no survivor filled, and the survivors that filled none."""
        slots: list[Slot] = []
        missing: list[DynoSpec] = []
        rest = list(survivors)
        for spec in specs:
            match = next((s for s in rest if s.app == spec.app and
                          s.fills(spec.release, spec.process_type, spec.index, spec.slug, spec.command)), None)
            if match is None:
                missing.append(spec)
                continue
            rest.remove(match)
            output = self._output(spec)
            holder: list[Dyno] = []
            try:
                dyno = self.backend.attach(match, spec, output,  # type: ignore[attr-defined]
                                           on_exit=lambda code, holder=holder: self._exited(holder, code),
                                           on_notice=lambda line, spec=spec: self._log(spec, line))
            except OSError as error:
                self._log(spec, f"Could not be taken back after the platform restarted: {error}")
                missing.append(spec)
                continue
            holder.append(dyno)
            slot = Slot(spec, dyno, output)
            if dyno.exit_code() is None and (dyno.address is None or dyno.wait_until_bound(1)):
                slot.set_state("up")
                slot.up_at = time.monotonic()
                self._log(spec, f"Taken back after the platform restarted (v{spec.release}); still running")
                slots.append(slot)
            else:
                self._log(spec, "Taken back after the platform restarted, but not serving: replaced")
                self.retire([slot])
                missing.append(spec)
        return slots, missing, rest

    def dispose(self, survivors: list, reason: str) -> None:
        """Stop dynos a previous daemon left running that nothing takes back, in the background (SIGTERM,
        SIGKILL after their stop timeout), saying why in their app's log."""
        for survivor in survivors:
            spec = self.backend.spec_of(survivor)  # type: ignore[attr-defined]
            self._log(spec, f"Stopping {spec.name} (v{spec.release}), left running by the previous daemon: {reason}")
            try:
                dyno = self.backend.attach(survivor, spec, self._output(spec))  # type: ignore[attr-defined]
            except OSError:
                continue  # it ended meanwhile
            self.retire([Slot(spec, dyno)])

    # -- reading -----------------------------------------------------------
    def slots(self, app: str) -> list[Slot]:
        with self._lock:
            return list(self._running.get(app, []))

    def web_addresses(self, app: str) -> list[tuple[str, int]]:
        return [address for address, _ in self.web_backends(app)]

    def web_backends(self, app: str) -> list[tuple[tuple[str, int], str]]:
        """(address, dyno name) of each web dyno that is up."""
        return [(s.dyno.address, s.spec.name) for s in self.slots(app) if s.state == "up" and s.dyno.address]

    def standby_backends(self, app: str) -> list[tuple[tuple[str, int], str]]:
        """(address, dyno name) of each held web dyno (see hold) still running."""
        with self._lock:
            held = list(self._standby.get(app, []))
        return [(s.dyno.address, s.spec.name) for s in held if s.dyno.address and s.dyno.exit_code() is None]
