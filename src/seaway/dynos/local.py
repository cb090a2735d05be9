"""The local backend: each dyno is a process on this host, run from its slug.

How its process starts is the launch's job: `BareLaunch` (a process group with a HOME of its own,
when the daemon is not root) or `SandboxLaunch` (its own namespaces, filesystem, network and
limits; see dynos/sandboxed.py). The dyno itself (output, exit, stop) is the same either way.

A dyno's process is the child of a keeper (dynos/keeper.py), not of the daemon: it holds the
output pipe and records the exit, so dynos keep running (and printing) while the daemon restarts,
and the next daemon takes them back (`LocalBackend.survivors`, `attach`). Only a dyno on a terminal
(an interactive `run`, whose client goes with the daemon anyway) is the daemon's own child.
"""

from __future__ import annotations

import fcntl
import marshal
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import termios
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from seaway.dynos import kept
from seaway.dynos.backend import DynoSpec, Notice, Output
from seaway.dynos.kept import Command, KeeperGone, KeptProcess, Link, Survivor
from seaway.dynos.usage import Usage, group_pids, usage_of
from seaway.host import RunAs, grant_traverse, process_alive, process_identity, read_pid_identity

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_open(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=0.5):
            return True
    except OSError:
        return False


def _take_terminal() -> None:
    """In the child: make the pseudo-terminal on stdin the session's controlling terminal (Ctrl-C works)."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def dyno_environment(spec: DynoSpec, path: str, home: str, port: int | None) -> dict[str, str]:
    """What every dyno gets: PATH with its venv first, HOME, the release's vars, DYNO and PORT."""
    env = {"PATH": f"{path}:{SYSTEM_PATH}", "HOME": home, "LANG": "C.UTF-8"}
    env.update(spec.env)
    env["DYNO"] = spec.name
    if port is not None:
        env["PORT"] = str(port)
    if spec.tty:
        env["TERM"] = spec.env.get("TERM", "xterm-256color")
    return env


class Process(Protocol):
    """A dyno's process: a child of the daemon (subprocess.Popen) or of its keeper (KeptProcess)."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...


class Launch(Protocol):
    """How a dyno's process is started and ended: bare on the host, or in a sandbox."""

    address: tuple[str, int] | None

    def command(self, spec: DynoSpec) -> Command: ...  # what to run; its fds are closed once it started

    def started(self, pid: int) -> None: ...

    def abandon(self) -> None: ...  # it could not start: give back what it held

    def state(self) -> dict[str, Any]: ...  # what a restarted daemon needs to take it back (JSON)

    def terminate(self, process: Process) -> None: ...  # SIGTERM, as Heroku stops a dyno

    def kill(self, process: Process) -> None: ...  # SIGKILL to everything of the dyno

    def exited(self, process: Process) -> None: ...  # it exited: end what it left behind

    def release(self) -> None: ...  # once its exit is reported: give back what it held (folders, sandbox)

    def bind_problem(self, process: Process) -> str | None: ...

    def usage(self, process: Process) -> Usage: ...  # what every process of the dyno uses now


def _open_slug_to(app_dir: Path, user: RunAs) -> None:
    """Let an app's user through to its slug (an ACL entry on the 0550 slug folder) and its interpreter."""
    grant_traverse(app_dir / ".venv", user)
    python = app_dir / ".venv" / "bin" / "python"
    if python.is_symlink():
        grant_traverse(Path(os.path.realpath(python)), user)


def _signal_group(process: Process, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


class BareLaunch:
    """A process group on the host, from the slug folder itself, with a throw-away HOME and TMPDIR."""

    def __init__(self, spec: DynoSpec, app_dir: Path, homes: Path, state: dict[str, Any] | None = None) -> None:
        """With `state` (see `state()`): the launch of a dyno a previous daemon started, taken back."""
        self.app_dir = app_dir
        self.run_as = RunAs.of(pwd.getpwnam(spec.user)) if spec.user else None
        if state is not None:
            self.address: tuple[str, int] | None = tuple(state["address"]) if state["address"] else None  # type: ignore[assignment]
            self.home = Path(state["home"])
            return
        self.address = ("127.0.0.1", free_port()) if spec.web else None
        self.home = Path(tempfile.mkdtemp(prefix=f"{spec.app}.{spec.name}.", dir=homes))
        if self.run_as:
            os.chown(self.home, self.run_as.uid, self.run_as.gid)
            _open_slug_to(app_dir, self.run_as)

    def command(self, spec: DynoSpec) -> Command:
        env = dyno_environment(spec, str(self.app_dir / ".venv" / "bin"), str(self.home),
                               self.address[1] if self.address else None)
        env["TMPDIR"] = str(self.home)
        user = (self.run_as.uid, self.run_as.gid) if self.run_as else (None, None)
        return Command(["/bin/bash", "-c", spec.command], str(self.app_dir), env, *user)

    def started(self, pid: int) -> None:
        pass

    def abandon(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)

    def state(self) -> dict[str, Any]:
        return {"kind": "bare", "home": str(self.home), "address": list(self.address) if self.address else None}

    def terminate(self, process: Process) -> None:
        _signal_group(process, signal.SIGTERM)

    def kill(self, process: Process) -> None:
        _signal_group(process, signal.SIGKILL)

    def exited(self, process: Process) -> None:
        _signal_group(process, signal.SIGKILL)  # what the process left behind in its group
        shutil.rmtree(self.home, ignore_errors=True)

    def release(self) -> None:
        pass

    def bind_problem(self, process: Process) -> str | None:
        return None

    def usage(self, process: Process) -> Usage:
        return usage_of(group_pids(process.pid))


class LocalDyno:
    def __init__(self, spec: DynoSpec, launch: Launch, pids_dir: Path, output: Output,
                 on_exit: Callable[[int], None] | None, keepers: Path | None = None,
                 survivor: Survivor | None = None, on_notice: Notice | None = None) -> None:
        """Start the dyno through a keeper in `keepers` (directly, as the daemon's child, without one or
        on a terminal), or with `survivor`, take back one a previous daemon started."""
        self.spec, self.launch = spec, launch
        self.address = launch.address
        self.on_notice = on_notice
        self._terminal: int | None = None
        self.link: Link | None = None
        self._detached = False
        self.process: Process
        if survivor is not None:
            self.link, started = survivor.connect()
            self.process = KeptProcess(started["pid"])
            self.identity = started["identity"]
            self.pid_file = pids_dir / survivor.record["pid_file"]
            if started["dropped"] and on_notice:
                on_notice(f"Error L12 (Local buffer overflow): {started['dropped']} lines of output dropped "
                          "while the platform was restarting")
        else:
            self._start(spec, launch, keepers)
            self.pid_file = pids_dir / f"{spec.app}.{spec.name}.{self.process.pid}.pid"
            self.pid_file.write_text(f"{self.process.pid} {process_identity(self.process.pid) or ''}\n")
            if self.link is not None:
                kept.write_record(self.link.folder, self.record())
        self._done = threading.Event()
        reader = threading.Thread(target=self._pump if self.link is None else self._pump_link, args=(output,),
                                  daemon=True, name=f"dyno-{spec.app}-{spec.name}")
        reader.start()
        threading.Thread(target=self._finish, args=(reader, on_exit), daemon=True).start()

    def _start(self, spec: DynoSpec, launch: Launch, keepers: Path | None) -> None:
        command = launch.command(spec)
        try:
            if keepers is not None and not spec.tty:
                self.link, started = kept.spawn(keepers / f"{spec.app}.{spec.name}.{uuid.uuid4().hex[:8]}", command)
                self.process = KeptProcess(started["pid"])
                self.identity = started["identity"]
            else:
                self.process = self._popen(spec, command)
        except BaseException:
            launch.abandon()
            raise
        finally:
            for fd in command.fds:
                os.close(fd)
        launch.started(self.process.pid)

    def _popen(self, spec: DynoSpec, command: Command) -> subprocess.Popen[bytes]:
        streams: dict[str, object] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
        if spec.tty:
            self._terminal, terminal = os.openpty()
            self.resize(*spec.tty)
            streams = {"stdin": terminal, "stdout": terminal, "stderr": terminal, "preexec_fn": _take_terminal}
        try:
            return subprocess.Popen(command.argv, **streams, **command.popen_kwargs())  # type: ignore[arg-type,call-overload,no-any-return]
        finally:
            if spec.tty:
                os.close(terminal)

    def record(self) -> dict[str, Any]:
        """What a restarted daemon needs to take this dyno back (no config vars: it has them in its store)."""
        assert self.link is not None
        spec = self.spec
        return {"app": spec.app, "release": spec.release, "process_type": spec.process_type, "index": spec.index,
                "command": spec.command, "slug": spec.slug, "web": spec.web, "user": spec.user,
                "stop_timeout": spec.stop_timeout, "memory_mb": spec.memory_mb,
                "address": list(self.address) if self.address else None,
                "pid": self.process.pid, "identity": self.identity, "pid_file": self.pid_file.name,
                "keeper": {"pid": self.link.keeper_pid, "identity": process_identity(self.link.keeper_pid)},
                "launch": self.launch.state()}

    def _pump(self, output: Output) -> None:
        """Read the output as fast as it comes, in chunks, until every writer has closed it (a dyno that is
        the daemon's own child)."""
        assert isinstance(self.process, subprocess.Popen)
        fd = self._terminal if self._terminal is not None else self.process.stdout.fileno()  # type: ignore[union-attr]
        try:
            while True:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO on a terminal: every process holding it has exited
                    break
                if not data:
                    break
                output.feed(data)
        finally:
            output.close()
            if self._terminal is not None:
                terminal, self._terminal = self._terminal, None
                os.close(terminal)
            elif self.process.stdout is not None:
                self.process.stdout.close()

    def _pump_link(self, output: Output) -> None:
        """Frames from the keeper: output, the exit status, the end of the output."""
        assert self.link is not None and isinstance(self.process, KeptProcess)
        try:
            while True:
                got = self.link.receive()
                if got is None and self._detached:
                    return
                if got is None:  # the keeper died: nothing holds the dyno's output any more
                    if self.process.poll() is None:
                        self.launch.kill(self.process)
                        self.process.exited(-signal.SIGKILL)
                    break
                kind, payload = got
                if kind == b"O":
                    output.feed(payload)
                elif kind == b"D":
                    output.lost(marshal.loads(payload)["dropped"])
                elif kind == b"X":
                    self.process.exited(marshal.loads(payload)["code"])
                elif kind == b"E":
                    break
        finally:
            output.close()

    def _finish(self, reader: threading.Thread, on_exit: Callable[[int], None] | None) -> None:
        """When the dyno's process exits, the dyno is over: what it left behind is killed too."""
        code = self.process.wait()  # type: ignore[attr-defined]
        self.launch.exited(self.process)
        reader.join(5)  # the rest of its output
        self.pid_file.unlink(missing_ok=True)
        if self.link is not None:  # the keeper may reap the process now, and end
            self.link.close()
        self._done.set()
        if on_exit:
            on_exit(code)
        self.launch.release()  # after: whoever waits for the exit does not wait for the clean-up too

    def detach(self) -> None:
        """Let go of the dyno without stopping it, as a daemon that dies does: it runs on under its keeper,
        which holds its output for the next daemon (`LocalBackend.survivors`). Only with a keeper."""
        assert self.link is not None
        self._detached = True
        try:
            self.link.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def write(self, data: bytes) -> None:
        terminal = self._terminal
        if terminal is None:
            raise OSError(f"{self.spec.name} has no terminal (any more) to write to")
        os.write(terminal, data)

    def resize(self, columns: int, rows: int) -> None:
        if self._terminal is not None:
            fcntl.ioctl(self._terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def exit_code(self) -> int | None:
        """The exit status once the process has exited (its last output may still be on its way)."""
        return self.process.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        """Exit status once the process has exited and all its output was read; None on time-out."""
        self._done.wait(timeout)
        return self.process.returncode if self._done.is_set() else None

    def wait_until_bound(self, timeout: float) -> bool:
        """True once the dyno accepts connections on its port; False if it exits, listens where the
        router cannot reach it (see bind_problem), or time runs out."""
        assert self.address is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if port_open(self.address):
                return True
            if self.bind_problem() is not None:
                return False
            time.sleep(0.01)
        return False

    def bind_problem(self) -> str | None:
        """Why the dyno cannot be reached although it listens on its port, if so."""
        return self.launch.bind_problem(self.process)

    def usage(self) -> Usage | None:
        """What the dyno's processes use now (None once it has exited)."""
        return self.launch.usage(self.process) if self.exit_code() is None else None

    def stop(self, timeout: float) -> int | None:
        """SIGTERM to every process of the dyno, SIGKILL if it is still there after `timeout` seconds."""
        if self.exit_code() is None:
            self.launch.terminate(self.process)
            if self.wait(timeout) is None:
                self.launch.kill(self.process)
        self.launch.kill(self.process)  # anything the process left behind
        return self.wait(5)


class Confinement(Protocol):
    """Where dynos run isolated (dynos/sandboxed.py): gives each its launch, watches its limits."""

    def launch(self, spec: DynoSpec, app_dir: Path, on_notice: Notice | None) -> Launch: ...

    def adopt(self, spec: DynoSpec, state: dict[str, Any], on_notice: Notice | None) -> Launch: ...

    def watch(self, dyno: LocalDyno) -> None: ...

    def reap(self) -> None: ...


class LocalBackend:
    def __init__(self, slugs_dir: Path, run_dir: Path, sandbox: Confinement | None = None,
                 keepers: bool = True) -> None:
        """`keepers=False`: dynos are the daemon's own children, and die with it (the way before keepers;
        for comparing start times)."""
        self.slugs_dir = slugs_dir
        self.run_dir = run_dir / "dynos"
        self.sandbox = sandbox
        for sub, mode in (("pids", 0o700), ("homes", 0o711), ("kept", 0o700)):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
            os.chmod(self.run_dir / sub, mode)
        os.chmod(self.run_dir, 0o711)
        self.keepers = self.run_dir / "kept" if keepers else None

    def start(self, spec: DynoSpec, output: Output, on_exit: Callable[[int], None] | None = None,
              on_notice: Notice | None = None) -> LocalDyno:
        app_dir = self.slugs_dir / spec.slug / "app"
        launch: Launch = (self.sandbox.launch(spec, app_dir, on_notice) if self.sandbox
                          else BareLaunch(spec, app_dir, self.run_dir / "homes"))
        dyno = LocalDyno(spec, launch, self.run_dir / "pids", output, on_exit, self.keepers, on_notice=on_notice)
        if self.sandbox:
            self.sandbox.watch(dyno)
        return dyno

    def cannot_run(self, slug: str, python_version: str) -> str | None:
        """Why this host cannot run the slug: its folder is gone, or the interpreter its venv links to."""
        python = self.slugs_dir / slug / "app" / ".venv" / "bin" / "python"
        if not (self.slugs_dir / slug).is_dir():
            return f"slug {slug[:12]} is not on this host any more"
        if not python.exists():
            return (f"slug {slug[:12]} was built for Python {python_version}, which this host no longer has "
                    f"({os.path.realpath(python)} is missing)")
        return None

    # -- after a restart -------------------------------------------------------------
    def survivors(self) -> list[Survivor]:
        """Dynos a previous daemon started that still run under their keepers (verified by identity), to
        be taken back (`attach`) or stopped; call before `reap_orphans`, and before the sandbox starts."""
        return kept.survivors(self.run_dir / "kept")

    @staticmethod
    def sandboxes(survivors: Iterable[Survivor]) -> list[dict[str, Any]]:
        """The sandboxes (Sandbox.jail_state) the survivors run in: the sandbox's start must keep them."""
        return [s.record["launch"]["jail"] for s in survivors if s.record["launch"].get("kind") == "sandbox"]

    @staticmethod
    def spec_of(survivor: Survivor) -> DynoSpec:
        """The survivor's spec as its record has it (no config vars: enough to stop it, not to restart it)."""
        r = survivor.record
        return DynoSpec(r["app"], r["release"], r["process_type"], r["index"], r["command"], r["slug"], web=r["web"],
                        user=r["user"], stop_timeout=r["stop_timeout"], memory_mb=r["memory_mb"])

    def attach(self, survivor: Survivor, spec: DynoSpec, output: Output, on_exit: Callable[[int], None] | None = None,
               on_notice: Notice | None = None) -> LocalDyno:
        """Take back a survivor as the dyno `spec` describes (its output, exit and stop are this daemon's
        from now on). KeeperGone if it ended meanwhile."""
        state = survivor.record["launch"]
        app_dir = self.slugs_dir / spec.slug / "app"
        if state.get("kind") == "sandbox":
            if not self.sandbox:
                raise KeeperGone(f"{survivor.folder.name} runs in a sandbox, and this daemon has none")
            launch: Launch = self.sandbox.adopt(spec, state, on_notice)
        else:
            launch = BareLaunch(spec, app_dir, self.run_dir / "homes", state)
        dyno = LocalDyno(spec, launch, self.run_dir / "pids", output, on_exit, survivor=survivor, on_notice=on_notice)
        if self.sandbox:
            self.sandbox.watch(dyno)
        return dyno

    def reap_orphans(self, keep: Iterable[Survivor] = ()) -> int:
        """Stop dynos left running by a daemon that died without stopping them (but those in `keep`)."""
        keep = list(keep)
        kept_pid_files = {s.record["pid_file"] for s in keep}
        kept_homes = {Path(s.record["launch"]["home"]).name for s in keep if s.record["launch"].get("kind") == "bare"}
        count = 0
        for pid_file in (self.run_dir / "pids").glob("*.pid"):
            if pid_file.name in kept_pid_files:
                continue
            pid, identity = read_pid_identity(pid_file)
            # only the very process the file was written for: its pid may be another's since (a reboot)
            if pid and identity and process_alive(pid) and process_identity(pid) == identity:
                try:
                    os.killpg(pid, signal.SIGKILL)
                    count += 1
                except (ProcessLookupError, PermissionError):
                    pass
            pid_file.unlink(missing_ok=True)
        for home in (self.run_dir / "homes").iterdir():
            if home.name not in kept_homes:
                shutil.rmtree(home, ignore_errors=True)
        if self.sandbox:
            self.sandbox.reap()
        return count
