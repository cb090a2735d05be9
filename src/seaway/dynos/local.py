"""The local backend: each dyno is a child process of the daemon on this host, run from its slug.

How its process starts is the launch's job: `BareLaunch` (a process group with a HOME of its own,
when the daemon is not root) or `SandboxLaunch` (its own namespaces, filesystem, network and
limits; see dynos/sandboxed.py). The dyno itself (output, exit, stop) is the same either way.
"""

from __future__ import annotations

import fcntl
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
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from seaway.dynos.backend import DynoSpec, Notice, Output
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


class Launch(Protocol):
    """How a dyno's process is started and ended: bare on the host, or in a sandbox."""

    address: tuple[str, int] | None

    def popen(self, spec: DynoSpec, streams: dict[str, object]) -> subprocess.Popen[bytes]: ...

    def terminate(self, process: subprocess.Popen[bytes]) -> None: ...  # SIGTERM, as Heroku stops a dyno

    def kill(self, process: subprocess.Popen[bytes]) -> None: ...  # SIGKILL to everything of the dyno

    def exited(self, process: subprocess.Popen[bytes]) -> None: ...  # it exited: end what it left behind

    def release(self) -> None: ...  # once its exit is reported: give back what it held (folders, sandbox)

    def bind_problem(self, process: subprocess.Popen[bytes]) -> str | None: ...


def _open_slug_to(app_dir: Path, user: RunAs) -> None:
    """Let an app's user through to its slug (an ACL entry on the 0550 slug folder) and its interpreter."""
    grant_traverse(app_dir / ".venv", user)
    python = app_dir / ".venv" / "bin" / "python"
    if python.is_symlink():
        grant_traverse(Path(os.path.realpath(python)), user)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


class BareLaunch:
    """A process group on the host, from the slug folder itself, with a throw-away HOME and TMPDIR."""

    def __init__(self, spec: DynoSpec, app_dir: Path, homes: Path) -> None:
        self.app_dir = app_dir
        self.address: tuple[str, int] | None = ("127.0.0.1", free_port()) if spec.web else None
        self.home = Path(tempfile.mkdtemp(prefix=f"{spec.app}.{spec.name}.", dir=homes))
        self.run_as = RunAs.of(pwd.getpwnam(spec.user)) if spec.user else None
        if self.run_as:
            os.chown(self.home, self.run_as.uid, self.run_as.gid)
            _open_slug_to(app_dir, self.run_as)

    def popen(self, spec: DynoSpec, streams: dict[str, object]) -> subprocess.Popen[bytes]:
        env = dyno_environment(spec, str(self.app_dir / ".venv" / "bin"), str(self.home),
                               self.address[1] if self.address else None)
        env["TMPDIR"] = str(self.home)
        return subprocess.Popen(["/bin/bash", "-c", spec.command], cwd=self.app_dir, env=env, start_new_session=True,
                                **streams, **(self.run_as.popen_kwargs() if self.run_as else {}))  # type: ignore[arg-type]

    def terminate(self, process: subprocess.Popen[bytes]) -> None:
        _signal_group(process, signal.SIGTERM)

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        _signal_group(process, signal.SIGKILL)

    def exited(self, process: subprocess.Popen[bytes]) -> None:
        _signal_group(process, signal.SIGKILL)  # what the process left behind in its group
        shutil.rmtree(self.home, ignore_errors=True)

    def release(self) -> None:
        pass

    def bind_problem(self, process: subprocess.Popen[bytes]) -> str | None:
        return None


class LocalDyno:
    def __init__(self, spec: DynoSpec, launch: Launch, pids_dir: Path, output: Output,
                 on_exit: Callable[[int], None] | None) -> None:
        self.spec, self.launch = spec, launch
        self.address = launch.address
        self._terminal: int | None = None
        streams: dict[str, object] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
        if spec.tty:
            self._terminal, terminal = os.openpty()
            self.resize(*spec.tty)
            streams = {"stdin": terminal, "stdout": terminal, "stderr": terminal, "preexec_fn": _take_terminal}
        try:
            self.process = launch.popen(spec, streams)
        finally:
            if spec.tty:
                os.close(terminal)
        self.pid_file = pids_dir / f"{spec.app}.{spec.name}.{self.process.pid}.pid"
        self.pid_file.write_text(f"{self.process.pid} {process_identity(self.process.pid) or ''}\n")
        self._done = threading.Event()
        reader = threading.Thread(target=self._pump, args=(output,), daemon=True, name=f"dyno-{spec.app}-{spec.name}")
        reader.start()
        threading.Thread(target=self._finish, args=(reader, on_exit), daemon=True).start()

    def _pump(self, output: Output) -> None:
        """Read the output as fast as it comes, in chunks, until every writer has closed it."""
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

    def _finish(self, reader: threading.Thread, on_exit: Callable[[int], None] | None) -> None:
        """When the dyno's process exits, the dyno is over: what it left behind is killed too."""
        code = self.process.wait()
        self.launch.exited(self.process)
        reader.join(5)  # the rest of its output
        self.pid_file.unlink(missing_ok=True)
        self._done.set()
        if on_exit:
            on_exit(code)
        self.launch.release()  # after: whoever waits for the exit does not wait for the clean-up too

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

    def watch(self, dyno: LocalDyno) -> None: ...

    def reap(self) -> None: ...


class LocalBackend:
    def __init__(self, slugs_dir: Path, run_dir: Path, sandbox: Confinement | None = None) -> None:
        self.slugs_dir = slugs_dir
        self.run_dir = run_dir / "dynos"
        self.sandbox = sandbox
        for sub, mode in (("pids", 0o700), ("homes", 0o711)):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
            os.chmod(self.run_dir / sub, mode)
        os.chmod(self.run_dir, 0o711)

    def start(self, spec: DynoSpec, output: Output, on_exit: Callable[[int], None] | None = None,
              on_notice: Notice | None = None) -> LocalDyno:
        app_dir = self.slugs_dir / spec.slug / "app"
        launch: Launch = (self.sandbox.launch(spec, app_dir, on_notice) if self.sandbox
                          else BareLaunch(spec, app_dir, self.run_dir / "homes"))
        dyno = LocalDyno(spec, launch, self.run_dir / "pids", output, on_exit)
        if self.sandbox:
            self.sandbox.watch(dyno)
        return dyno

    def reap_orphans(self) -> int:
        """Stop dynos left running by a daemon that died without stopping them."""
        count = 0
        for pid_file in (self.run_dir / "pids").glob("*.pid"):
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
            shutil.rmtree(home, ignore_errors=True)
        if self.sandbox:
            self.sandbox.reap()
        return count
