"""The local backend with sandboxes (root): dynos on addresses of their own, stopped whole, R14 and R15."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from seaway.dynos.health import wait_until_up
from seaway.dynos.local import LocalBackend
from seaway.dynos.output import LineOutput
from seaway.dynos.sandboxed import SandboxedDynos
from seaway.sandbox import Sandbox
from tests.dynos.conftest import GUARD, NOT_WAITED, Output, make_spec, returns_within
from tests.sandbox.conftest import processes_of

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="sandboxes need root"), pytest.mark.timeout(60)]


@pytest.fixture
def boxed(slugs_dir: Path, run_dir: Path, sandbox: Sandbox) -> LocalBackend:
    return LocalBackend(slugs_dir, run_dir, SandboxedDynos(sandbox, interval=0.1))


@pytest.fixture
def notices() -> list[str]:
    return []


@pytest.fixture
def start_boxed(boxed: LocalBackend, sandbox_user, notices: list[str]):
    started = []

    def starter(command: str, **fields):
        fields.setdefault("user", sandbox_user.name)
        spec = make_spec(command, **fields)
        out = Output()
        dyno = boxed.start(spec, LineOutput(out.on_line), out.on_exit, notices.append)
        started.append(dyno)
        return dyno, out

    yield starter
    for dyno in started:
        dyno.stop(1)


def test_a_web_dyno_serves_on_an_address_of_its_own(start_boxed) -> None:
    dyno, out = start_boxed('echo "HOME=$HOME PWD=$PWD DYNO=$DYNO"; exec python3 -m http.server $PORT --bind 0.0.0.0')
    assert dyno.address is not None and not dyno.address[0].startswith("127.")
    assert wait_until_up(dyno, settle=0) is None
    assert out.wait_for_line("HOME=") == "HOME=/app PWD=/app DYNO=web.1"


@pytest.mark.timeout(GUARD + 60)
def test_a_dyno_listening_on_its_loopback_is_told_how_to_bind(start_boxed) -> None:
    dyno, _out = start_boxed("exec python3 -m http.server $PORT --bind 127.0.0.1", boot_timeout=NOT_WAITED)
    failure = returns_within(GUARD, lambda: wait_until_up(dyno, settle=0))  # told at once, not after the boot timeout
    assert failure is not None and "listens on 127.0.0.1 port" in failure and "Bind 0.0.0.0:$PORT" in failure


def test_stop_sends_sigterm_to_every_process_of_the_dyno(start_boxed) -> None:
    script = ("setsid bash -c 'trap \"echo child got TERM; exit 0\" TERM; while true; do sleep 0.1; done' & "
              "trap 'echo main got TERM; wait; exit 0' TERM; echo ready; while true; do sleep 0.1; done")
    dyno, out = start_boxed(script, process_type="worker")
    out.wait_for_line("ready")
    time.sleep(0.3)  # the child sets its trap
    assert dyno.stop(20) == 0
    assert "child got TERM" in out.lines and "main got TERM" in out.lines


def test_a_dyno_ignoring_sigterm_is_killed_whole(start_boxed, sandbox_user) -> None:
    dyno, out = start_boxed("trap '' TERM; (trap '' TERM; setsid sleep 300 &); echo ready; sleep 300",
                            process_type="worker")
    out.wait_for_line("ready")
    assert dyno.stop(1) not in (None, 0)
    deadline = time.monotonic() + 10
    while processes_of(sandbox_user.uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_of(sandbox_user.uid) == []


def test_a_sandbox_is_taken_down_when_its_dyno_exits(start_boxed, sandbox: Sandbox) -> None:
    dyno, out = start_boxed("exit 3", process_type="worker")
    assert dyno.wait(10) == 3
    jail = dyno.launch.jail  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while jail.scratch.exists() and time.monotonic() < deadline:  # taken down once the exit is reported
        time.sleep(0.01)
    assert jail.closed and not jail.scratch.exists()
    assert jail.lease is not None and not jail.lease.netns_path.exists()


ALLOCATE = "exec python3 -c \"import time; b = b'x' * ({mb} * 1024 * 1024); print('allocated', flush=True); time.sleep(60)\""


def test_more_than_the_quota_is_r14(start_boxed, notices: list[str], sandbox: Sandbox) -> None:
    if "memory" in sandbox.cgroups.missing:
        pytest.skip("no memory controller")
    dyno, out = start_boxed(ALLOCATE.format(mb=100), process_type="worker", memory_mb=64)
    out.wait_for_line("allocated")
    deadline = time.monotonic() + 20
    while "Error R14 (Memory quota exceeded)" not in notices and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Error R14 (Memory quota exceeded)" in notices
    running = next(line for line in notices if line.startswith("Process running mem="))
    used, percent = running.removeprefix("Process running mem=").rstrip("%)").split("M(")
    assert int(used) > 64 and float(percent) > 100  # over the quota when it was seen, as Heroku counts it
    assert dyno.exit_code() is None  # R14 alone does not stop it


def test_twice_the_quota_is_r15_and_the_dyno_is_killed(start_boxed, notices: list[str], sandbox: Sandbox) -> None:
    if "memory" in sandbox.cgroups.missing:
        pytest.skip("no memory controller")
    dyno, out = start_boxed(ALLOCATE.format(mb=200), process_type="worker", memory_mb=64)
    dyno_exit = dyno.wait(30)
    assert dyno_exit is not None and dyno_exit != 0
    assert "Error R15 (Memory quota vastly exceeded)" in notices
    assert notices[notices.index("Error R15 (Memory quota vastly exceeded)") - 1] == "Process running mem=128M(200.0%)"
    assert "allocated" not in out.lines


def test_a_sandboxed_dynos_usage_is_its_groups(start_boxed) -> None:
    uses = ("exec python3 -c \"import time; b = b'x' * (60 * 1024 * 1024); started = time.process_time()\n"
            "while time.process_time() - started < 0.2: pass\n"
            "print('allocated', flush=True); time.sleep(60)\"")  # 0.2 s of CPU by its own clock, whatever the speed
    dyno, out = start_boxed(uses, process_type="worker", memory_mb=512)
    out.wait_for_line("allocated")
    used = dyno.usage()
    assert used is not None and used.memory_bytes is not None and used.memory_bytes >= 60 * 1024 * 1024
    assert used.cpu_seconds is not None and used.cpu_seconds >= 0.2
    dyno.stop(5)
    assert dyno.usage() is None
