"""What a dyno's processes use, read from /proc: memory as Heroku counts it and CPU time, of a process group
or a process tree, from real processes; and LocalDyno.usage for a dyno of the local backend (no sandbox)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from seaway.dynos.usage import group_pids, tree_pids, usage_of
from tests.dynos.conftest import make_spec

pytestmark = pytest.mark.timeout(60)

MB = 1024 * 1024
# allocates and touches N MB, uses CPU until its own CPU clock says S seconds (whatever the machine's speed)
USE = ("import sys, time; kept = b'x' * ({mb} * 1024 * 1024); started = time.process_time()\n"
       "while time.process_time() - started < {cpu}: pass\n"
       "print('ready', flush=True); time.sleep({stay})")


@pytest.fixture
def group() -> Iterator[subprocess.Popen[str]]:
    """bash leading a process group: a child that uses 0.3 s of CPU and ends, then one that keeps 80 MB."""
    script = (f"{sys.executable} -c \"{USE.format(mb=0, cpu=0.3, stay=0)}\" > /dev/null; "
              f"exec {sys.executable} -c \"{USE.format(mb=80, cpu=0.2, stay=60)}\"")
    process = subprocess.Popen(["/bin/bash", "-c", f"{script} & wait"], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    yield process
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_a_groups_memory_and_cpu_count_every_process_and_the_children_that_ended(group):
    assert group.stdout is not None and group.stdout.readline() == "ready\n"
    pids = group_pids(group.pid)
    assert group.pid in pids and len(pids) >= 2
    used = usage_of(pids)
    assert used.memory_bytes is not None and used.memory_bytes >= 80 * MB
    assert used.cpu_seconds is not None and used.cpu_seconds >= 0.5  # 0.3 s of the child that ended, 0.2 s running


def test_a_tree_is_the_process_and_its_descendants(group):
    assert group.stdout is not None and group.stdout.readline() == "ready\n"
    assert sorted(tree_pids(group.pid)) == sorted(group_pids(group.pid))
    assert {os.getpid(), *group_pids(group.pid)} <= set(tree_pids(os.getpid()))


def test_processes_gone_count_nothing():
    assert usage_of([2 ** 22 + 1]) == (0, 0.0)  # above the largest pid Linux hands out


def test_a_bare_dynos_usage_while_it_runs_and_none_after(start):
    dyno, out = start(make_spec(f"exec {sys.executable} -c \"{USE.format(mb=50, cpu=0.1, stay=60)}\"", process_type="worker"))
    out.wait_for_line("ready")
    used = dyno.usage()
    assert used is not None and used.memory_bytes >= 50 * MB and used.cpu_seconds >= 0.1
    dyno.stop(5)
    assert dyno.usage() is None
