"""A runtime that runs nothing: formations, routes and one-offs are records in memory, and what would
happen on a host (a dyno that does not boot, a crash during the release watch, a release command's
exit status and output) is told to it beforehand. Deterministic and instant, for unit tests of
the release stage and the platform (tests/release, tests/test_platform.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from seaway.dynos.backend import DynoSpec
from seaway.dynos.runtime import DynoBootError, DynoStatus, OnLine, Routing, Trouble

OneOffScript = Callable[[DynoSpec], tuple[int | None, list[str]]]  # exit status (None: timed out), output


@dataclass
class _Dyno:
    spec: DynoSpec
    state: str = "up"
    restarts: int = 0
    exit_code: int | None = None
    since: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass
class _Finished:
    """An attached one-off that has already run: what `run_attached` hands back."""

    spec: DynoSpec
    code: int | None
    address: tuple[str, int] | None = None

    def exit_code(self) -> int | None:
        return self.code

    def wait(self, timeout: float | None = None) -> int | None:
        return self.code

    def wait_until_bound(self, timeout: float) -> bool:
        return False

    def bind_problem(self) -> str | None:
        return None

    def stop(self, timeout: float) -> int | None:
        return self.code

    def write(self, data: bytes) -> None:
        raise OSError(f"{self.spec.name} has no terminal any more to write to")

    def resize(self, columns: int, rows: int) -> None:
        pass

    def usage(self) -> None:
        return None


class InMemoryRuntime:
    def __init__(self) -> None:
        self.formations: dict[str, list[_Dyno]] = {}
        self.held: dict[str, list[_Dyno]] = {}
        self.routes: dict[str, Routing] = {}
        self.events: list[str] = []  # what was asked, in order: "deploy app v2 web.1 worker.1", "run app release.1"
        self.one_offs_run: list[DynoSpec] = []
        self.boot_failures: dict[tuple[str, str], str] = {}  # (app, process type) -> why its dynos do not come up
        self.scripts: list[tuple[Callable[[DynoSpec], bool], OneOffScript]] = []
        self.troubles: dict[str, Trouble] = {}  # app -> what its watched dynos will be found doing
        self.running_one_offs: dict[str, list[DynoSpec]] = {}
        self.missing_pythons: set[str] = set()  # Python versions whose slugs cannot run here
        self._lock = threading.Lock()

    # -- telling it what will happen ---------------------------------------------------
    def fail_boot(self, app: str, process_type: str, why: str = "exited with status 1 during boot") -> None:
        self.boot_failures[(app, process_type)] = why

    def script(self, when: Callable[[DynoSpec], bool], then: OneOffScript) -> None:
        """One-offs for which `when(spec)` holds run as `then(spec)` says (the last script told wins)."""
        self.scripts.insert(0, (when, then))

    def crash_watched(self, app: str, dyno: str = "web.1", exit_code: int = 1, lines: tuple[str, ...] = ()) -> None:
        self.troubles[app] = Trouble(dyno, exit_code=exit_code, last_lines=lines)

    # -- the runtime -----------------------------------------------------------------
    def recover(self) -> None:
        self.events.append("recover")

    def take_back(self, app: str, specs: list[DynoSpec], release: int | None) -> list[DynoSpec] | None:
        return None  # nothing outlives an in-memory runtime

    def forget_others(self, apps: set[str]) -> None:
        pass

    def start(self, apps: dict[str, Routing]) -> None:
        self.routes.update(apps)
        self.events.append("start " + " ".join(sorted(apps)))

    def stop(self) -> None:
        self.events.append("stop")
        self.formations.clear()
        self.held.clear()

    def _boot(self, specs: list[DynoSpec]) -> list[_Dyno]:
        failures = {spec.name: self.boot_failures[(spec.app, spec.process_type)] for spec in specs
                    if (spec.app, spec.process_type) in self.boot_failures}
        if failures:
            raise DynoBootError("; ".join(f"{name} {why}" for name, why in failures.items()),
                                {name: [] for name in failures})
        return [_Dyno(spec) for spec in specs]

    def deploy(self, app: str, specs: list[DynoSpec], routing: Routing, hold_previous: bool = False) -> int | None:
        self.events.append(f"deploy {app} " + " ".join(f"v{s.release}:{s.name}" for s in specs))
        new = self._boot(specs)
        old = self.formations.get(app, [])
        self.formations[app], self.routes[app] = new, routing
        old_web = [dyno for dyno in old if dyno.spec.web]
        if hold_previous and old_web and any(dyno.spec.web for dyno in new):
            self.held[app] = old_web
            return old_web[0].spec.release
        return None

    def replace(self, app: str, specs: list[DynoSpec]) -> list[str]:
        self.events.append(f"replace {app} " + " ".join(spec.name for spec in specs))
        fresh = {dyno.spec.name: dyno for dyno in self._boot(specs)}
        self.formations[app] = [fresh.get(dyno.spec.name, dyno) for dyno in self.formations.get(app, [])]
        return sorted(fresh)

    def scale(self, app: str, specs: list[DynoSpec]) -> None:
        self.events.append(f"scale {app} " + " ".join(spec.name for spec in specs))
        current = {dyno.spec.name: dyno for dyno in self.formations.get(app, [])}
        added = {dyno.spec.name: dyno for dyno in self._boot([s for s in specs if s.name not in current])}
        self.formations[app] = [current.get(spec.name) or added[spec.name] for spec in specs]

    def stop_dyno(self, app: str, name: str) -> bool:
        self.events.append(f"stop {app} {name}")
        found = next((dyno for dyno in self.formations.get(app, []) if dyno.spec.name == name), None)
        if found is not None:
            found.restarts += 1  # stopped, and started again as part of the formation
        return found is not None

    def route(self, app: str, routing: Routing) -> None:
        self.routes[app] = routing

    def retire(self, app: str) -> None:
        self.events.append(f"retire {app}")
        self.formations.pop(app, None)
        self.held.pop(app, None)
        self.routes.pop(app, None)

    def status(self, app: str, usage: bool = False) -> list[DynoStatus]:
        return [DynoStatus(d.spec.name, d.spec.process_type, d.spec.index, d.spec.release, d.spec.command, d.state, d.since,
                           d.restarts, d.exit_code) for d in self.formations.get(app, [])]

    def serving(self, app: str) -> int | None:
        web = [dyno for dyno in self.formations.get(app, []) if dyno.spec.web and dyno.state == "up"]
        return web[0].spec.release if web else None

    def trouble(self, app: str) -> Trouble | None:
        return self.troubles.get(app) if app in self.held else None

    def keep(self, app: str) -> None:
        self.held.pop(app, None)

    def revert(self, app: str) -> bool:
        held = self.held.pop(app, None)
        if held is None:
            return False
        self.troubles.pop(app, None)
        self.formations[app] = held
        return True

    def cannot_run(self, slug: str, python_version: str) -> str | None:
        return f"Python {python_version} is not here" if python_version in self.missing_pythons else None

    def run(self, spec: DynoSpec, on_line: OnLine, timeout: float | None = None, logged: bool = True) -> int | None:
        self.events.append(f"run {spec.app} {spec.name} {spec.command}")
        self.one_offs_run.append(spec)
        script = next((then for when, then in self.scripts if when(spec)), None)
        code, lines = script(spec) if script else (0, [])
        for line in lines:
            on_line(line)
        return code

    def run_attached(self, spec: DynoSpec, on_output: OnLine) -> _Finished:
        """As `run`, its output as terminal chunks (lines ending in CR LF); the handle says how it ended."""
        code = self.run(spec, lambda line: on_output(line + "\r\n"))
        return _Finished(spec, code)

    def run_detached(self, spec: DynoSpec) -> None:
        self.events.append(f"run-detached {spec.app} {spec.name} {spec.command}")
        self.one_offs_run.append(spec)

    def one_offs(self, app: str) -> list[DynoSpec]:
        return list(self.running_one_offs.get(app, []))
