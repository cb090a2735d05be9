"""The local backend: each dyno is a child process group on this host, run from its slug folder."""

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

from seaway.dynos.backend import DynoSpec, Output
from seaway.host import RunAs, grant_traverse, process_alive, read_pid

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


def _open_slug_to(app_dir: Path, user: RunAs) -> None:
    """Let an app's user through to its slug (an ACL entry on the 0550 slug folder) and its interpreter."""
    grant_traverse(app_dir / ".venv", user)
    python = app_dir / ".venv" / "bin" / "python"
    if python.is_symlink():
        grant_traverse(Path(os.path.realpath(python)), user)


class LocalDyno:
    def __init__(self, spec: DynoSpec, app_dir: Path, run_dir: Path, output: Output,
                 on_exit: Callable[[int], None] | None) -> None:
        self.spec = spec
        self.address: tuple[str, int] | None = ("127.0.0.1", free_port()) if spec.web else None
        # The slug is read-only and shared; each dyno gets its own writable, throw-away HOME and TMPDIR.
        self.home = Path(tempfile.mkdtemp(prefix=f"{spec.app}.{spec.name}.", dir=run_dir / "homes"))
        run_as = RunAs.of(pwd.getpwnam(spec.user)) if spec.user else None
        if run_as:
            os.chown(self.home, run_as.uid, run_as.gid)
            _open_slug_to(app_dir, run_as)
        env = {"PATH": f"{app_dir / '.venv' / 'bin'}:{SYSTEM_PATH}", "HOME": str(self.home),
               "TMPDIR": str(self.home), "LANG": "C.UTF-8"}
        env.update(spec.env)
        env["DYNO"] = spec.name
        if self.address:
            env["PORT"] = str(self.address[1])
        self._terminal: int | None = None
        streams: dict[str, object] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
        if spec.tty:
            env["TERM"] = spec.env.get("TERM", "xterm-256color")
            self._terminal, terminal = os.openpty()
            self.resize(*spec.tty)
            streams = {"stdin": terminal, "stdout": terminal, "stderr": terminal, "preexec_fn": _take_terminal}
        self.process = subprocess.Popen(
            ["/bin/bash", "-c", spec.command], cwd=app_dir, env=env, start_new_session=True,
            **streams, **(run_as.popen_kwargs() if run_as else {}),  # type: ignore[arg-type]
        )
        if spec.tty:
            os.close(terminal)
        self.pid_file = run_dir / "pids" / f"{spec.app}.{spec.name}.{self.process.pid}.pid"
        self.pid_file.write_text(str(self.process.pid))
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
        """When the dyno's process exits, the dyno is over: what it left in its group is killed too."""
        code = self.process.wait()
        self._signal(signal.SIGKILL)
        reader.join(5)  # the rest of its output
        self.pid_file.unlink(missing_ok=True)
        shutil.rmtree(self.home, ignore_errors=True)
        self._done.set()
        if on_exit:
            on_exit(code)

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
        """True once the dyno accepts connections on its port; False if it exits or time runs out."""
        assert self.address is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if port_open(self.address):
                return True
            time.sleep(0.01)
        return False

    def _signal(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float) -> int | None:
        """SIGTERM to the whole process group, SIGKILL if it is still there after `timeout` seconds."""
        if self.exit_code() is None:
            self._signal(signal.SIGTERM)
            if self.wait(timeout) is None:
                self._signal(signal.SIGKILL)
        self._signal(signal.SIGKILL)  # anything the process left behind in its group
        return self.wait(5)


class LocalBackend:
    def __init__(self, slugs_dir: Path, run_dir: Path) -> None:
        self.slugs_dir = slugs_dir
        self.run_dir = run_dir / "dynos"
        for sub, mode in (("pids", 0o700), ("homes", 0o711)):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
            os.chmod(self.run_dir / sub, mode)
        os.chmod(self.run_dir, 0o711)

    def start(self, spec: DynoSpec, output: Output, on_exit: Callable[[int], None] | None = None) -> LocalDyno:
        return LocalDyno(spec, self.slugs_dir / spec.slug / "app", self.run_dir, output, on_exit)

    def reap_orphans(self) -> int:
        """Stop dynos left running by a daemon that died without stopping them."""
        count = 0
        for pid_file in (self.run_dir / "pids").glob("*.pid"):
            pid = read_pid(pid_file)
            if pid and process_alive(pid):
                try:
                    os.killpg(pid, signal.SIGKILL)
                    count += 1
                except (ProcessLookupError, PermissionError):
                    pass
            pid_file.unlink(missing_ok=True)
        for home in (self.run_dir / "homes").iterdir():
            shutil.rmtree(home, ignore_errors=True)
        return count
