"""The runtime: where an app's formation runs and how requests reach it, at the level of a formation.

Everything above dynos/ (the releaser, the platform) asks a `Runtime` to bring a release's formation up
and switch the app's routing to it, to scale, restart, stop one dyno, run one-offs, route, report
status and retire an app, in plain data (`DynoSpec` in, `DynoStatus`/`Trouble` out). How that happens is
the runtime's business: `LocalRuntime` runs each dyno as a sandboxed process on this host behind nginx
(dynos/local_runtime.py); `InMemoryRuntime` runs nothing and is what the unit tests of the release
stage use (dynos/inmemory.py); docs/kubernetes.md maps the same operations onto a cluster.

Every dyno's output goes to the `LogStore` the runtime is given (source `app[web.1]`), and so to
`logs` and the drains: the runtime streams logs by writing them there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from seaway.dynos.backend import Dyno, DynoSpec

OnLine = Callable[[str], None]
ONE_OFF_TYPES = ("release", "run")  # process types that are one-off dynos, never part of a formation


class DynoBootError(Exception):
    """A dyno of a new set did not come up; the message says which and why, `last_lines` what each
    failed dyno printed last (its traceback, `command not found`)."""

    def __init__(self, message: str, last_lines: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.last_lines = last_lines or {}

    def output(self) -> str:
        """The failed dynos' last lines, quoted under their names ("" when there are none)."""
        parts = []
        for name, lines in self.last_lines.items():
            if lines:
                parts.append(f"Last {len(lines)} lines of {name}'s output:\n" + "\n".join(f"  {line}" for line in lines))
            else:
                parts.append(f"{name} printed nothing.")
        return "\n".join(parts)


@dataclass(frozen=True)
class Routing:
    """How requests reach an app (its web dynos are the runtime's to fill in)."""

    domains: tuple[str, ...]
    read_timeout: int  # seconds to the first byte (H12 after)
    max_body_mb: int  # 0: no limit
    force_https: bool
    hsts: int
    acme: bool  # answer ACME HTTP-01 challenges for the custom domains


@dataclass(frozen=True)
class DynoStatus:
    """One dyno of an app's formation, as `ps` shows it."""

    name: str
    process_type: str
    index: int
    release: int
    command: str
    state: str  # starting / up / crashed / standby / stopping / stopped
    since: datetime
    restarts: int
    exit_code: int | None
    memory_mb: float | None = None  # what its processes use now, as Heroku counts it (None: not known here)
    cpu_seconds: float | None = None  # CPU time its processes have used since it started (None: not known here)


@dataclass(frozen=True)
class Trouble:
    """A new release's web dyno that crashed or failed its health checks while the release was watched."""

    dyno: str
    exit_code: int | None = None  # when it crashed
    health: str | None = None  # how it failed its health checks, when it did ("health check failed after ...")
    last_lines: tuple[str, ...] = ()


class Runtime(Protocol):
    def recover(self) -> None:
        """Before anything else at the platform's start: find the dynos a previous control process left
        running (the local runtime: under their keepers, after a daemon's kill -9), to be taken back."""

    def take_back(self, app: str, specs: list[DynoSpec], release: int | None) -> list[DynoSpec] | None:
        """Make those of the app's recovered dynos that fill `specs` (its current formation, of `release`)
        its formation again, without a restart; the others are stopped, saying why. None when none was
        taken back (bring the formation up with `deploy`); else the specs still missing ([] when none)."""

    def forget_others(self, apps: set[str]) -> None:
        """Stop recovered dynos of apps that no longer exist."""

    def start(self, apps: dict[str, Routing]) -> None:
        """Start routing for these apps, to the dynos taken back (`deploy` brings the other formations up)."""

    def stop(self) -> None:
        """Stop every dyno and the routing."""

    def deploy(self, app: str, specs: list[DynoSpec], routing: Routing, hold_previous: bool = False) -> int | None:
        """Bring the formation `specs` (one release's) up, every dyno of it, then route to it and retire the
        set it replaces. Raises DynoBootError if any dyno does not come up: nothing else changed then.
        With `hold_previous`, the replaced web dynos stay running out of rotation (the router's fallback)
        until `keep` or `revert`; returns the release they run (None when nothing was held)."""

    def replace(self, app: str, specs: list[DynoSpec]) -> list[str]:
        """Restart: fresh dynos for `specs` (names of running dynos) take their places once up; the names."""

    def scale(self, app: str, specs: list[DynoSpec]) -> None:
        """Make the formation `specs`: start the dynos missing (all must come up), stop the extra ones."""

    def stop_dyno(self, app: str, name: str) -> bool:
        """ps:stop: stop one dyno now; being part of the formation, it is started again. False: no such dyno."""

    def route(self, app: str, routing: Routing) -> None:
        """Route the app's hostnames to its web dynos that are up, with these settings."""

    def retire(self, app: str) -> None:
        """Stop all of the app's dynos and remove its route."""

    def status(self, app: str, usage: bool = False) -> list[DynoStatus]:
        """The app's dynos; with `usage`, each one's memory and CPU as measured now (which costs reads)."""

    def serving(self, app: str) -> int | None:
        """The release whose web dynos the router sends requests to (None: none)."""

    # -- the release watch -------------------------------------------------------
    def trouble(self, app: str) -> Trouble | None:
        """A new web dyno that crashed or failed its health checks since `deploy(hold_previous=True)`."""

    def keep(self, app: str) -> None:
        """The new release stays: the held set is retired."""

    def revert(self, app: str) -> bool:
        """The held set serves again and the new one is retired (False: nothing was held)."""

    def cannot_run(self, slug: str, python_version: str) -> str | None:
        """Why slug `slug` (built for Python `python_version`) cannot run here, or None if it can: a
        promotion refuses a slug its target could not start."""

    # -- one-off dynos -------------------------------------------------------------
    def run(self, spec: DynoSpec, on_line: OnLine, timeout: float | None = None, logged: bool = True) -> int | None:
        """Run a one-off to completion: its exit status, or None when it was stopped at `timeout`.
        `logged=False`: the platform's own probes, whose start and exit the app's log does not show."""

    def run_attached(self, spec: DynoSpec, on_output: OnLine) -> Dyno:
        """A one-off on a terminal (spec.tty) for `run` from a terminal: the caller writes to it and waits."""

    def run_detached(self, spec: DynoSpec) -> None:
        """A one-off whose output goes to the log; nobody waits for it."""

    def one_offs(self, app: str) -> list[DynoSpec]:
        """The app's one-off dynos still running."""
