"""Dynos in sandboxes (when the daemon is root): each in its own namespaces, with its slug read-only
under a writable, throw-away layer at /app, a private network the router reaches, and Heroku's
memory quota and process limit.

Files shipped in the slug stay root's and read-only on disk; the app's user gets an ACL entry to
write them, which only matters inside the overlay (copy-up): no dyno can reach the slug folder itself.
"""

from __future__ import annotations

import pwd
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from seaway.dynos.backend import DynoSpec, Notice
from seaway.dynos.kept import Command
from seaway.dynos.local import LocalDyno, Process, dyno_environment
from seaway.dynos.memory import HARD_LIMIT, MemoryWatch, max_processes
from seaway.dynos.usage import Usage, cpu_seconds, memory_bytes, tree_pids
from seaway.host import RunAs, grant_write_tree
from seaway.sandbox import Jail, JailSpec, Sandbox, environment_file
from seaway.sandbox.view import prefix_binds

PORTS = (10000, 32767)  # $PORT is picked here; every dyno has its own address, so ports never clash
LOOPBACK = ("0100007F", "00000000000000000000000001000000")  # 127.0.0.1 and ::1 as /proc/net/tcp writes them


def interpreter_prefix(app_dir: Path) -> Path | None:
    """Where the slug's venv found its interpreter (`home` in pyvenv.cfg is the interpreter's bin/)."""
    try:
        for line in (app_dir / ".venv" / "pyvenv.cfg").read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home":
                return Path(value.strip()).parent
    except OSError:
        pass
    return None


def loopback_listeners(pid: int, port: int) -> list[str]:
    """Loopback addresses a process's network namespace listens on at `port` (from /proc/PID/net/tcp*)."""
    found = []
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, _, port_hex = fields[1].rpartition(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                if address not in LOOPBACK:
                    return []  # it listens where the router can reach it too
                found.append("127.0.0.1" if table == "tcp" else "[::1]")
    return found


class SandboxLaunch:
    def __init__(self, sandbox: Sandbox, spec: DynoSpec, app_dir: Path, name: str, on_notice: Notice | None,
                 state: dict[str, Any] | None = None) -> None:
        """With `state` (see `state()`): the launch of a dyno a previous daemon started, taken back."""
        if not spec.user:
            raise ValueError(f"{spec.name}: a sandboxed dyno needs the app's user")
        self.sandbox, self.spec = sandbox, spec
        quota = spec.memory_mb
        self._launcher: int | None = None
        if state is not None:
            self.jail = sandbox.adopt(state["jail"])
            self.address: tuple[str, int] | None = tuple(state["address"]) if state["address"] else None  # type: ignore[assignment]
            self._launcher = state["launcher"]
        else:
            user = RunAs.of(pwd.getpwnam(spec.user))
            prefix = interpreter_prefix(app_dir)
            self.jail = sandbox.open(JailSpec(
                name, user, overlay_lower=app_dir, binds=prefix_binds(prefix) if prefix else (),
                memory_mb=HARD_LIMIT * quota if quota else None, max_processes=max_processes(quota or 512)))
            address = self.jail.address
            self.address = (address, random.randint(*PORTS)) if spec.web and address else None
        self.memory = (MemoryWatch(quota, self.jail.cgroup, on_notice or (lambda _line: None), self._oom_kill)
                       if quota and self.jail.cgroup else None)

    def command(self, spec: DynoSpec) -> Command:
        env = dyno_environment(spec, "/app/.venv/bin", "/app", self.address[1] if self.address else None)
        env_fd = environment_file(env)
        kwargs = Jail.popen_kwargs(env_fd)
        return Command(self.jail.command(["/bin/bash", "-c", spec.command], env_fd), "/",
                       kwargs["env"], fds=(env_fd,))  # type: ignore[arg-type]

    def started(self, pid: int) -> None:
        self._launcher = pid

    def abandon(self) -> None:
        self.sandbox.close(self.jail)

    def state(self) -> dict[str, Any]:
        return {"kind": "sandbox", "jail": self.sandbox.jail_state(self.jail), "launcher": self._launcher,
                "address": list(self.address) if self.address else None}

    def _oom_kill(self) -> None:
        if self._launcher is not None:
            self.jail.kill(self._launcher)

    def terminate(self, process: Process) -> None:
        self.jail.terminate(process.pid)

    def kill(self, process: Process) -> None:
        if process.poll() is None:
            self.jail.kill(process.pid)

    def exited(self, process: Process) -> None:
        if self.memory is not None and not self.memory.exceeded:
            self.memory.check()  # the kernel's out-of-memory kill may be why it exited: say R15 first

    def release(self) -> None:
        self.sandbox.close_later(self.jail)

    def bind_problem(self, process: Process) -> str | None:
        if self.address is None or process.poll() is not None:
            return None
        found = loopback_listeners(process.pid, self.address[1])
        if not found:
            return None
        return (f"{self.spec.name} listens on {' and '.join(found)} port {self.address[1]}, which only the dyno "
                "itself can reach; the router connects from outside it. Bind 0.0.0.0:$PORT instead (uvicorn "
                "--host 0.0.0.0, gunicorn --bind 0.0.0.0:$PORT), as on Heroku")


    def usage(self, process: Process) -> Usage:
        """From the dyno's control group when the host's hierarchies count it, else from its processes'."""
        cgroup = self.jail.cgroup
        pids = cgroup.pids() if cgroup else tree_pids(process.pid)
        memory, cpu = (cgroup.memory_bytes(), cgroup.cpu_seconds()) if cgroup else (None, None)
        if memory is None:
            memory = sum(memory_bytes(pid) for pid in pids)
        if cpu is None:  # no cpu controller here: its processes' times
            cpu = sum(cpu_seconds(pid) for pid in pids)
        return Usage(memory, cpu)


class SandboxedDynos:
    """The local backend's confinement: a sandbox per dyno, and a watch on their memory."""

    def __init__(self, sandbox: Sandbox, interval: float = 1.0) -> None:
        self.sandbox, self.interval = sandbox, interval
        self._watched: list[LocalDyno] = []
        self._granted: set[tuple[Path, int]] = set()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def launch(self, spec: DynoSpec, app_dir: Path, on_notice: Notice | None) -> SandboxLaunch:
        user = pwd.getpwnam(spec.user) if spec.user else None
        if user is not None:
            self._let_write(app_dir, RunAs.of(user))
        return SandboxLaunch(self.sandbox, spec, app_dir, f"{spec.app}.{spec.name}.{uuid.uuid4().hex[:8]}", on_notice)

    def adopt(self, spec: DynoSpec, state: dict[str, Any], on_notice: Notice | None) -> SandboxLaunch:
        """The launch of a dyno a previous daemon started in the sandbox `state` describes."""
        return SandboxLaunch(self.sandbox, spec, Path("/"), "", on_notice, state)

    def _let_write(self, app_dir: Path, user: RunAs) -> None:
        """The app's user may change the slug's own files in its dynos' overlays (once per slug and user)."""
        with self._lock:
            if (app_dir, user.uid) in self._granted:
                return
            grant_write_tree(app_dir, user, skip=".venv")
            self._granted.add((app_dir, user.uid))

    def watch(self, dyno: LocalDyno) -> None:
        launch = dyno.launch
        if not isinstance(launch, SandboxLaunch) or launch.memory is None:
            return
        with self._lock:
            self._watched.append(dyno)
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, daemon=True, name="dyno-memory")
                self._watcher.start()

    def _watch(self) -> None:
        while True:
            time.sleep(self.interval)
            with self._lock:
                self._watched = [d for d in self._watched if d.exit_code() is None]
                dynos = list(self._watched)
            for dyno in dynos:
                memory = dyno.launch.memory  # type: ignore[attr-defined]
                if not memory.exceeded:
                    memory.check()

    def reap(self) -> None:
        self.sandbox.reap()


__all__ = ["SandboxedDynos", "SandboxLaunch", "interpreter_prefix", "loopback_listeners"]
