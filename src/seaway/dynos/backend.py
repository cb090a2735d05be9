"""The backend interface: nothing above dynos/ knows where or how a dyno's process runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from seaway.dynos.usage import Usage


@dataclass(frozen=True)
class DynoSpec:
    """Everything needed to start one dyno, as data."""

    app: str
    release: int
    process_type: str
    index: int
    command: str
    slug: str  # the slug's digest; the backend knows where slugs live
    env: dict[str, str] = field(default_factory=dict)
    web: bool = False  # gets a PORT and an address the router can reach
    user: str | None = None
    boot_timeout: float = 60  # a web dyno must bind $PORT (and pass its health checks) within this
    stop_timeout: float = 30  # SIGTERM, then SIGKILL after this
    healthchecks: tuple[dict[str, Any], ...] = ()  # HTTP checks from app.json, web dynos only
    tty: tuple[int, int] | None = None  # (columns, rows): run on a pseudo-terminal, for interactive one-offs
    memory_mb: int | None = None  # Heroku's memory quota: R14 above it, R15 and a kill at twice it (None: none)

    @property
    def name(self) -> str:
        return f"{self.process_type}.{self.index}"


class Dyno(Protocol):
    spec: DynoSpec
    address: tuple[str, int] | None  # where a web dyno serves; probed for health, routed to

    def exit_code(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int | None: ...

    def wait_until_bound(self, timeout: float) -> bool: ...

    def bind_problem(self) -> str | None: ...  # why it cannot be reached although it listens, if so

    def stop(self, timeout: float) -> int | None: ...

    def write(self, data: bytes) -> None: ...  # to a TTY dyno's terminal

    def resize(self, columns: int, rows: int) -> None: ...

    def usage(self) -> Usage | None: ...  # what its processes use now; None when not known


class Output(Protocol):
    """Where a dyno's output goes, as raw chunks (stdout and stderr together, or a TTY's output)."""

    def feed(self, data: bytes) -> None: ...  # must keep up: the dyno waits while it runs

    def close(self) -> None: ...  # the output has ended

    def lost(self, lines: int) -> None: ...  # lines the dyno printed that were dropped before they got here


Notice = Callable[[str], None]  # the platform's own lines about a dyno (R14, R15), for its log


class Backend(Protocol):
    def start(self, spec: DynoSpec, output: Output, on_exit: Callable[[int], None] | None = None,
              on_notice: Notice | None = None) -> Dyno: ...

    def reap_orphans(self) -> int: ...
