"""The daemon's side of a dyno's keeper (dynos/keeper.py): start one, talk to it, find it again.

Each keeper has a folder under run/dynos/kept/ (0700, root's): its socket, `keeper` (its pid and the
dyno's, with their identities, written by the keeper), `dyno.json` (what the daemon needs to take the
dyno back after a restart, written atomically by the daemon), `exit` once the dyno's process exited.
Nothing an app runs can write there. A restarted daemon believes a folder only for a keeper whose
recorded identity is the running process's (see seaway.host.process_identity), so a pid given to
another process since is never signalled.
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seaway.host import process_alive, process_identity

KEEPER = Path(__file__).with_name("keeper.py")
RECORD = "dyno.json"


class KeeperGone(OSError):
    """The keeper is not there (any more) to talk to."""


@dataclass
class Command:
    """How a dyno's process is started: what the keeper (or the daemon itself, for a terminal) runs."""

    argv: list[str]
    cwd: str
    env: dict[str, str]
    uid: int | None = None
    gid: int | None = None
    groups: list[int] = field(default_factory=list)
    fds: tuple[int, ...] = ()  # descriptors the process inherits (closed by the caller once it started)

    def popen_kwargs(self) -> dict[str, object]:
        kwargs: dict[str, object] = {"cwd": self.cwd, "env": self.env, "pass_fds": self.fds, "start_new_session": True}
        if self.uid is not None:
            kwargs.update(user=self.uid, group=self.gid, extra_groups=self.groups)
        return kwargs


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload


class KeptProcess:
    """The dyno's process as the daemon sees it through its keeper: Popen's pid, poll, wait, returncode."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._exited = threading.Event()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        self._exited.wait(timeout)
        return self.returncode

    def exited(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
        self._exited.set()


class Link:
    """A connection to a keeper, read by one thread."""

    def __init__(self, sock: socket.socket, folder: Path, keeper_pid: int, process: subprocess.Popen[bytes] | None) -> None:
        self.sock, self.folder, self.keeper_pid, self.popen = sock, folder, keeper_pid, process
        self._buffer = b""

    def receive(self) -> tuple[bytes, bytes] | None:
        """The next frame (type, payload), or None once the keeper closed the connection."""
        while True:
            if len(self._buffer) >= 5:
                size = int.from_bytes(self._buffer[1:5], "big")
                if len(self._buffer) >= 5 + size:
                    kind, payload = self._buffer[:1], self._buffer[5:5 + size]
                    self._buffer = self._buffer[5 + size:]
                    return kind, payload
            try:
                data = self.sock.recv(1 << 20)
            except OSError:
                data = b""
            if not data:
                return None
            self._buffer += data

    def started(self) -> dict[str, Any]:
        """The keeper's first frame: the dyno's pid and identity (an OSError if it could not start)."""
        got = self.receive()
        if got is None:
            raise KeeperGone(f"the dyno's keeper ended before it started the dyno (see {self.folder}/keeper.err)")
        kind, payload = got
        if kind == b"F":
            failure = marshal.loads(payload)
            raise OSError(failure["errno"], failure["message"])
        if kind != b"S":
            raise KeeperGone(f"the dyno's keeper said {kind!r} first")
        return marshal.loads(payload)  # type: ignore[no-any-return]

    def close(self, timeout: float = 5) -> None:
        """Let the keeper go (it reaps the dyno's process and exits), wait for it, remove its folder."""
        try:
            self.sock.close()
        except OSError:
            pass
        deadline = time.monotonic() + timeout
        if self.popen is not None:
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        else:
            while process_alive(self.keeper_pid) and time.monotonic() < deadline:
                time.sleep(0.01)
        shutil.rmtree(self.folder, ignore_errors=True)


def spawn(folder: Path, command: Command) -> tuple[Link, dict[str, Any]]:
    """Start a keeper in `folder` (made here, 0700) running `command`; its link, and what it started."""
    folder.mkdir(mode=0o700)
    ours, theirs = socket.socketpair()
    errors = os.open(folder / "keeper.err", os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        keeper = subprocess.Popen([sys.executable, "-I", "-S", str(KEEPER), str(folder), str(theirs.fileno())],
                                  pass_fds=(theirs.fileno(), *command.fds), stdin=subprocess.DEVNULL,
                                  stdout=errors, stderr=errors, start_new_session=True, env={"LANG": "C.UTF-8"},
                                  cwd="/")
    except BaseException:
        ours.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        theirs.close()
        os.close(errors)
    link = Link(ours, folder, keeper.pid, keeper)
    try:
        what = {"argv": command.argv, "cwd": command.cwd, "env": command.env, "uid": command.uid,
                "gid": command.gid, "groups": list(command.groups), "fds": list(command.fds)}
        ours.sendall(frame(b"L", marshal.dumps(what)))
        return link, link.started()
    except BaseException:
        keeper.kill()
        link.close()
        raise


def write_record(folder: Path, record: dict[str, Any]) -> None:
    """dyno.json, whole or not at all (a temporary file renamed over it), 0600."""
    temporary = folder / (RECORD + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(record, f)  # no fsync: a record matters only while this boot lasts (its processes too)
    os.replace(temporary, folder / RECORD)


def _read_pairs(path: Path) -> list[tuple[int, str]]:
    try:
        return [(int(pid), ident) for pid, ident in (line.split() for line in path.read_text().splitlines())]
    except (OSError, ValueError):
        return []


@dataclass
class Survivor:
    """A dyno a previous daemon started whose keeper still runs (the dyno itself may have exited since)."""

    folder: Path
    record: dict[str, Any]

    @property
    def app(self) -> str:
        return str(self.record["app"])

    @property
    def name(self) -> str:
        return f"{self.record['process_type']}.{self.record['index']}"

    def fills(self, release: int, process_type: str, index: int, slug: str, command: str) -> bool:
        r = self.record
        return (r["release"], r["process_type"], r["index"], r["slug"], r["command"]) == (
            release, process_type, index, slug, command)

    def connect(self) -> tuple[Link, dict[str, Any]]:
        """Attach to the keeper; what it says first (the dyno's pid, identity, lines dropped meanwhile)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            folder = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
            try:  # through the folder's descriptor: a socket's path is limited to 107 bytes
                sock.connect(f"/proc/self/fd/{folder}/sock")
            finally:
                os.close(folder)
        except OSError as error:
            sock.close()
            raise KeeperGone(f"{self.folder.name}: its keeper is gone ({error})") from error
        link = Link(sock, self.folder, int(self.record["keeper"]["pid"]), None)
        started = link.started()
        if started["pid"] != self.record["pid"] or started["identity"] != self.record["identity"]:
            link.close()
            raise KeeperGone(f"{self.folder.name}: its keeper runs another process than the one recorded")
        return link, started


def survivors(kept_dir: Path) -> list[Survivor]:
    """Keepers still running in `kept_dir`, verified by identity. Folders of keepers that are gone are
    removed; a keeper that has no record (its daemon died as it started it) is killed, with its dyno."""
    found = []
    for folder in sorted(kept_dir.iterdir()) if kept_dir.is_dir() else []:
        pairs = _read_pairs(folder / "keeper")
        keeper = pairs[0] if pairs else None
        alive = keeper is not None and process_alive(keeper[0]) and process_identity(keeper[0]) == keeper[1]
        try:
            record = json.loads((folder / RECORD).read_text())
        except (OSError, ValueError):
            record = None
        if alive and record is not None and record.get("keeper", {}).get("pid") == keeper[0]:  # type: ignore[index]
            found.append(Survivor(folder, record))
            continue
        if alive:
            for pid, ident in reversed(pairs):  # the dyno's group first, then the keeper
                if process_identity(pid) == ident:
                    try:
                        os.killpg(pid, signal.SIGKILL) if pid != keeper[0] else os.kill(pid, signal.SIGKILL)  # type: ignore[index]
                    except OSError:
                        pass
        shutil.rmtree(folder, ignore_errors=True)
    return found
