"""Shared pieces for the dyno tests: a slug folder, a real LocalBackend, and an output collector."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from seaway.dynos.backend import DynoSpec
from seaway.dynos.local import LocalBackend, LocalDyno
from seaway.dynos.output import LineOutput
from seaway.host import process_table

DIGEST = "0123abcd"


class Output:
    """What a dyno printed, and how it ended, as seen through the backend's callbacks."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.exit_codes: list[int] = []
        self.lines_at_exit: list[str] | None = None
        self.exited = threading.Event()
        self._changed = threading.Condition()

    def on_line(self, line: str) -> None:
        with self._changed:
            self.lines.append(line)
            self._changed.notify_all()

    def on_exit(self, code: int) -> None:
        with self._changed:
            self.lines_at_exit = list(self.lines)
            self.exit_codes.append(code)
        self.exited.set()

    def wait_for_line(self, prefix: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if line.startswith(prefix):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no line starting with {prefix!r} within {timeout} s; got {self.lines}")
                self._changed.wait(remaining)

    def value(self, key: str) -> str:
        """`KEY=value` lines printed by the dyno, read back."""
        return self.wait_for_line(f"{key}=").split("=", 1)[1]


@pytest.fixture
def slugs_dir(tmp_path: Path) -> Path:
    app_dir = tmp_path / "slugs" / DIGEST / "app"
    (app_dir / ".venv" / "bin").mkdir(parents=True)
    (app_dir / "Procfile").write_text("web: true\n")
    return tmp_path / "slugs"


@pytest.fixture
def app_dir(slugs_dir: Path) -> Path:
    return slugs_dir / DIGEST / "app"


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return tmp_path / "run"


@pytest.fixture
def backend(slugs_dir: Path, run_dir: Path) -> LocalBackend:
    return LocalBackend(slugs_dir, run_dir)


def make_spec(command: str, *, app: str = "demo", process_type: str = "web", index: int = 1, release: int = 1,
              web: bool | None = None, env: dict[str, str] | None = None, **extra) -> DynoSpec:
    return DynoSpec(app, release, process_type, index, command, DIGEST, dict(env or {}),
                    web=(process_type == "web") if web is None else web, **extra)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies do not count: they cannot do anything)."""
    return any(group == pgid and state != "Z" for _pid, state, _ppid, group in process_table())


def _soon(condition, timeout: float) -> bool:
    """Signals are delivered asynchronously: give a killed process a moment to be gone."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def dead_soon(pid: int, timeout: float = 3) -> bool:
    from seaway.host import process_alive

    return _soon(lambda: not process_alive(pid), timeout)


def group_gone_soon(pgid: int, timeout: float = 3) -> bool:
    return _soon(lambda: not group_alive(pgid), timeout)


@pytest.fixture
def cleanup() -> Iterator[list[int]]:
    """Process groups to SIGKILL at teardown, whatever the test did (pids of dyno group leaders)."""
    groups: list[int] = []
    yield groups
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def start(backend: LocalBackend, cleanup: list[int]):
    """Start a dyno on the test's backend; it is killed at teardown if the test left it running."""

    def starter(spec: DynoSpec, output: Output | None = None, on_backend: LocalBackend | None = None) -> tuple[LocalDyno, Output]:
        output = output or Output()
        dyno = (on_backend or backend).start(spec, LineOutput(output.on_line), output.on_exit)
        cleanup.append(dyno.process.pid)
        return dyno, output

    return starter


NOT_WAITED = 600  # a time-out a test shows is NOT waited for: far beyond any guard
GUARD = 120  # how long a call that must not wait out NOT_WAITED may take, even on a loaded machine
T = TypeVar("T")


def returns_within(seconds: float, call: Callable[[], T]) -> T:
    """call()'s result (or its exception); the test fails if it has not returned after `seconds`. The call goes on
    in a daemon thread then, until the test's clean-up ends what it waits for."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the test
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
