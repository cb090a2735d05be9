"""Real sandboxes: the view, the environment, the PID namespace, limits and capabilities."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from seaway.host import RunAs, grant_write_tree, process_table
from seaway.sandbox import SETUP_FAILED, Sandbox
from seaway.sandbox.view import Bind
from tests.sandbox.conftest import processes_of, run_in, tree_digest

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="sandboxes need root"), pytest.mark.timeout(120)]


def test_a_dyno_writes_its_own_copy_of_the_slug(open_jail, slug: Path, user: RunAs) -> None:
    grant_write_tree(slug, user)
    before = tree_digest(slug)
    first = open_jail(overlay_lower=slug)
    ran = run_in(first, "set -e; pwd; cat shipped.txt; echo changed > shipped.txt; cat shipped.txt; mkdir logs; "
                        "echo x > logs/a.log; echo y > static/new.css; echo z > /tmp/t; stat -c '%U' /app")
    assert ran.code == 0, ran.err
    assert ran.out.split() == ["/app", "as", "shipped", "changed", user.name]
    assert tree_digest(slug) == before  # the slug on disk is as built
    assert not (slug / "logs").exists()
    second = open_jail(overlay_lower=slug)
    again = run_in(second, "cat shipped.txt; ls")
    assert again.out.split() == ["as", "shipped", "shipped.txt", "static"]  # another dyno: the slug as shipped


def test_the_view_holds_nothing_of_the_host_but_system_folders(open_jail, sandbox: Sandbox, slug: Path,
                                                               tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("host only\n")
    secret.chmod(0o644)
    jail = open_jail(overlay_lower=slug)
    paths = [str(secret), str(sandbox.folder), str(slug), str(Path.home() / ".bashrc"), "/home", "/run/netns",
             "/sys/fs/cgroup"]
    ran = run_in(jail, "; ".join(f"test -e '{p}' && echo 'SEEN {p}'" for p in paths) +
                 "; find / -xdev -type f -not -path '/proc/*' -not -path '/usr/*' -not -path '/etc/*' "
                 "-not -path '/dev/*' 2>/dev/null | grep -v pyenv | sed 's/^/FILE /'; cat /etc/shadow && echo 'SEEN shadow'; "
                 "ls /; ls /dev; true")
    assert "SEEN" not in ran.out and "FILE" not in ran.out, ran.out  # at most an interpreter's empty mount point
    assert set(ran.out.split()) >= {"app", "etc", "usr", "tmp", "proc", "null", "urandom", "pts", "shm"}


def test_only_the_command_gets_the_environment(open_jail, slug: Path, user: RunAs) -> None:
    """Config vars travel in a memory file: never on a command line, never in a privileged process."""
    token = "sekrit-" + os.urandom(6).hex()
    jail = open_jail(overlay_lower=slug)
    seen: list[str] = []

    def watch() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not seen:
            for pid, _state, _ppid, _pgid in process_table():
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                    environ = Path(f"/proc/{pid}/environ").read_bytes()
                    uid = os.stat(f"/proc/{pid}").st_uid
                except OSError:
                    continue
                if token.encode() in cmdline or (token.encode() in environ and uid != user.uid):
                    seen.append(f"{pid} uid={uid} {cmdline!r}")
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    ran = run_in(jail, 'echo "TOKEN=$TOKEN"; echo "HAS_FD=$(ls /proc/self/fd | wc -l)"; sleep 1', env={"TOKEN": token})
    watcher.join()
    assert f"TOKEN={token}" in ran.out
    assert seen == []


def test_processes_a_command_leaves_behind_die_with_it(open_jail, slug: Path, user: RunAs) -> None:
    jail = open_jail(overlay_lower=slug)
    ran = run_in(jail, "setsid sleep 300 & (sleep 301 &); nohup sleep 302 >/dev/null 2>&1 & disown; echo started")
    assert ran.code == 0 and "started" in ran.out
    deadline = time.monotonic() + 10
    while processes_of(user.uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_of(user.uid) == []


def test_a_sandbox_has_its_own_processes_hostname_and_no_privileges(open_jail, slug: Path) -> None:
    jail = open_jail(overlay_lower=slug)
    ran = run_in(jail, "hostname; cat /proc/1/comm; ls /proc | grep -c '^[0-9]'; "
                       "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status")
    lines = ran.out.split("\n")
    assert lines[0] == jail.spec.name and lines[1] == "tini"
    assert int(lines[2]) <= 4  # tini, bash and grep's pipeline: nothing of the host's
    assert "CapEff:\t0000000000000000" in ran.out and "CapBnd:\t0000000000000000" in ran.out
    assert "NoNewPrivs:\t1" in ran.out


def test_memory_above_the_hard_limit_is_killed(open_jail, slug: Path, sandbox: Sandbox) -> None:
    if "memory" in sandbox.cgroups.missing:
        pytest.skip("no memory controller")
    jail = open_jail(overlay_lower=slug, memory_mb=64)
    ran = run_in(jail, "exec python3 -c 'b = bytearray(200 * 1024 * 1024); print(len(b))'")
    assert ran.code == 137 and "209715200" not in ran.out
    assert jail.cgroup is not None and jail.cgroup.oom_kills() >= 1


def test_a_fork_bomb_stops_at_the_process_limit(open_jail, slug: Path, sandbox: Sandbox) -> None:
    if "pids" in sandbox.cgroups.missing:
        pytest.skip("no pids controller")
    jail = open_jail(overlay_lower=slug, max_processes=20)
    bomb = ("import os, time\nkids = []\ntry:\n    for _ in range(100):\n        pid = os.fork()\n"
            "        if pid == 0:\n            time.sleep(30)\n            os._exit(0)\n        kids.append(pid)\n"
            "except OSError as error:\n    print('refused', error.errno)\nprint(len(kids))\n"
            "for kid in kids:\n    os.kill(kid, 9)\n")
    ran = run_in(jail, f"exec python3 -c \"{bomb}\"")
    assert "refused 11" in ran.out  # EAGAIN: the kernel refused the fork
    assert 0 < int(ran.out.split()[-1]) < 20


def test_a_setup_failure_is_reported(open_jail, tmp_path: Path) -> None:
    missing = tmp_path / "not-there"
    jail = open_jail(binds=(Bind(missing, "/data"),))
    ran = run_in(jail, "echo should not run")
    assert ran.code == SETUP_FAILED and "should not run" not in ran.out
    assert "could not be mounted" in ran.err


def test_the_build_view_maps_its_folders(open_jail, tmp_path: Path, user: RunAs) -> None:
    source, cache = tmp_path / "src", tmp_path / "cache"
    source.mkdir()
    (source / "requirements.txt").write_text("flask\n")
    cache.mkdir()
    os.chown(cache, user.uid, user.gid)
    jail = open_jail(binds=(Bind(source, "/app"), Bind(cache, "/cache", writable=True)))
    ran = run_in(jail, "cat /app/requirements.txt; echo built > /cache/out; touch /app/x 2>/dev/null || echo RO")
    assert ran.out.split() == ["flask", "RO"]
    assert (cache / "out").read_text() == "built\n"


def test_subprocess_of_a_sandbox_cannot_outlive_a_kill(open_jail, slug: Path, user: RunAs) -> None:
    jail = open_jail(overlay_lower=slug)
    from seaway.sandbox import environment_file
    from seaway.sandbox.jail import Jail

    env_fd = environment_file({"PATH": "/usr/bin:/bin"})
    process = subprocess.Popen(jail.command(["/bin/bash", "-c", "setsid sleep 300 & sleep 300"], env_fd),
                               start_new_session=True, **Jail.popen_kwargs(env_fd))  # type: ignore[arg-type]
    os.close(env_fd)
    deadline = time.monotonic() + 10
    while len(jail.processes()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    jail.kill(process.pid)
    assert process.wait(10) != 0
    deadline = time.monotonic() + 10
    while processes_of(user.uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_of(user.uid) == []


def test_binds_below_tmp_land_on_the_sandboxs_own_tmp(open_jail, slug: Path, tmp_path: Path) -> None:
    """An interpreter or a tool installed under /tmp (a CI checkout, say) is still found in the view."""
    prefix = tmp_path / "python-prefix"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "tool").write_text("#!/bin/sh\necho tool ran\n")
    (prefix / "bin" / "tool").chmod(0o755)
    (tmp_path / "neighbour.txt").write_text("not bound\n")
    jail = open_jail(overlay_lower=slug, binds=(Bind(prefix, str(prefix)), Bind(prefix / "bin" / "tool", "/opt/seaway/bin/tool")))
    ran = run_in(jail, f"{prefix}/bin/tool; /opt/seaway/bin/tool; test -e {tmp_path}/neighbour.txt && echo SEEN; "
                       "touch /tmp/mine && echo TMP_WRITABLE")
    assert ran.code == 0, ran.err
    assert ran.out.split("\n")[:3] == ["tool ran", "tool ran", "TMP_WRITABLE"]
