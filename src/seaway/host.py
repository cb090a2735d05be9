"""One-host helpers: system users, permissions and process lookups the daemon's children need."""

from __future__ import annotations

import errno
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def is_root() -> bool:
    return os.geteuid() == 0


def ensure_system_user(name: str, comment: str) -> "RunAs":
    """The dedicated unprivileged user a child runs as when the daemon is root; created on first use."""
    try:
        return RunAs.of(pwd.getpwnam(name))
    except KeyError:
        pass
    nologin = shutil.which("nologin") or "/usr/sbin/nologin"
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", nologin,
         "--comment", comment, name],
        check=True, capture_output=True,
    )
    return RunAs.of(pwd.getpwnam(name))


_GRANTED: set[tuple[str, int, int]] = set()  # (folder, uid, ctime) already passable: ctime moves on any chmod/ACL change


def grant_traverse(path: Path, user: "RunAs") -> None:
    """Let `user` reach `path` (search permission only) through every ancestor that would stop it.

    An ACL entry for that one user when `setfacl` is there; the `x` bit for others otherwise."""
    for folder in reversed(path.absolute().parents):
        info = folder.stat()
        passable = info.st_mode & stat.S_IXOTH or info.st_uid == user.uid
        if passable or (str(folder), user.uid, info.st_ctime_ns) in _GRANTED:
            continue
        setfacl = shutil.which("setfacl")
        acl = setfacl and subprocess.run([setfacl, "-m", f"u:{user.name}:x", str(folder)], capture_output=True)
        if not acl or acl.returncode != 0:
            os.chmod(folder, stat.S_IMODE(info.st_mode) | stat.S_IXOTH)
        _GRANTED.add((str(folder), user.uid, folder.stat().st_ctime_ns))


def grant_write_tree(root: Path, user: "RunAs", skip: str | None = None) -> None:
    """An ACL entry letting `user` write every file and folder under `root` (but the top-level `skip`).

    One `setfacl` for the whole tree, reading the paths from its standard input."""
    paths = []
    for folder, dirs, files in os.walk(root):
        if skip and folder == str(root):
            dirs[:] = [d for d in dirs if d != skip]
        paths += [os.path.join(folder, name) for name in dirs + files if not os.path.islink(os.path.join(folder, name))]
    paths.append(str(root))
    setfacl = shutil.which("setfacl")
    if setfacl is None:
        return  # dynos can then add files but not change the slug's own
    listed = [p for p in paths if "\n" not in p]
    subprocess.run([setfacl, "-m", f"u:{user.name}:rwX", "-"], input="\n".join(listed) + "\n", text=True,
                   capture_output=True, check=False)


def chown_tree(path: Path, user: "RunAs") -> None:
    for folder, dirs, files in os.walk(path):
        os.chown(folder, user.uid, user.gid)
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), user.uid, user.gid)


def process_table() -> Iterator[tuple[int, str, int, int]]:
    """(pid, state, parent pid, process group) of every process, from /proc."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        yield int(entry), fields[0].decode(), int(fields[1]), int(fields[2])


def child_pids(parent: int) -> set[int]:
    """Direct children of a process."""
    return {pid for pid, _state, ppid, _pgid in process_table() if ppid == parent}


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def process_identity(pid: int) -> str | None:
    """What tells this process from a later one given the same pid (after it exits, or a reboot): the
    boot's id and the process's start time in clock ticks since boot; None when it is not running."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        with open(f"/proc/{pid}/stat", "rb") as f:
            started = f.read().rsplit(b")", 1)[1].split()[19].decode()  # field 22: starttime
    except (OSError, IndexError):
        return None
    return f"{boot}/{started}"


def read_pid_identity(path: Path) -> tuple[int | None, str | None]:
    """A pid file's pid and, when it recorded one (see process_identity), that process's identity."""
    try:
        words = path.read_text().split()
        return int(words[0]), words[1] if len(words) > 1 else None
    except (OSError, ValueError, IndexError):
        return None, None


def read_pid(path: Path) -> int | None:
    """The pid on the first line of a pid file (postmaster.pid, nginx.pid, ...), if any."""
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_leftover(pid: int | None, command_word: str, signum: int, timeout: float) -> None:
    """Stop a process that a killed daemon left running, if that pid still runs `command_word`."""
    if pid is None or not process_alive(pid):
        return
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return
    if command_word not in cmdline:
        return
    os.kill(pid, signum)
    deadline = time.monotonic() + timeout
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


@dataclass(frozen=True)
class RunAs:
    """An unprivileged user a child process runs as (only when the daemon is root)."""

    name: str
    uid: int
    gid: int

    @classmethod
    def of(cls, user: pwd.struct_passwd) -> "RunAs":
        return cls(user.pw_name, user.pw_uid, user.pw_gid)

    def popen_kwargs(self) -> dict[str, object]:
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


ROOT = RunAs("root", 0, 0)


def app_user_name(app: str) -> str:
    return f"s-{app}"  # app names are at most 30 characters; user names at most 32


def app_user(app: str) -> RunAs | None:
    """The app's own system user when the daemon is root (created on first use), else None."""
    if not is_root():
        return None
    return ensure_system_user(app_user_name(app), f"Seaway app {app}")


def remove_app_user(app: str, granted: list[Path]) -> str | None:
    """Delete the app's user, first ending any process it still runs and taking back the ACL entries it
    was given under the `granted` folders (its slugs): a user created later may get the same uid, and
    must not inherit them. Returns what went wrong when the user is still there afterwards."""
    if not is_root():
        return None
    name = app_user_name(app)
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return None
    kill_user_processes(uid)
    for folder in granted:
        subprocess.run(["setfacl", "-R", "-x", f"u:{name}", str(folder)], capture_output=True)
    result = subprocess.run(["userdel", name], capture_output=True, text=True)
    if result.returncode == 0:
        return None
    said = (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
    return (f"The system user {name} (uid {uid}) was left behind: userdel said: {said}. Remove it with "
            f"`userdel {name}` before creating an app named {app} again.")


def rename_app_user(old: str, new: str) -> str | None:
    """Give the app's user (and its group) the new app's name, keeping the uid: its files and the ACL
    entries on its slugs stay its own. Returns why not when usermod refuses (a process of it still runs)."""
    if not is_root():
        return None
    name = app_user_name(old)
    try:
        pwd.getpwnam(name)
    except KeyError:
        return None
    try:
        pwd.getpwnam(app_user_name(new))
        return (f"The system user {app_user_name(new)} exists already (left by an earlier app named {new}, or used by "
                f"another Seaway on this host): remove it with `userdel {app_user_name(new)}` if nothing uses it, or "
                "choose another name.")
    except KeyError:
        pass
    result = subprocess.run(["usermod", "--login", app_user_name(new), "--comment", f"Seaway app {new}", name],
                            capture_output=True, text=True)
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
        return (f"Cannot rename the system user {name}: usermod said: {said}. A one-off dyno or a build of {old} "
                "may still be running: wait for it to end (`seaway ps`), then rename again.")
    try:
        grp.getgrnam(name)
    except KeyError:
        return None
    subprocess.run(["groupmod", "--new-name", app_user_name(new), name], capture_output=True)
    return None


def kill_user_processes(uid: int) -> int:
    """SIGKILL every process running as `uid` (none should be left once its dynos stopped)."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                os.kill(int(entry), 9)
                count += 1
        except (OSError, ProcessLookupError):
            continue
    return count


def port_holder(host: str, port: int) -> str | None:
    """Who holds TCP `host:port`, as "nginx (pid 42)", or None when it can be bound."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            return None
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                return None
    try:  # iproute2's ss names the process (as root, or for the caller's own)
        found = subprocess.run(["ss", "-Htanp", f"sport = :{port}"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        found = ""
    holder = re.search(r'users:\(\("([^"]+)",pid=(\d+)', found)
    if holder:
        return f"{holder[1]} (pid {holder[2]})"
    return "another process (see `ss -tanp` as root)" if not found.strip() else f"a connection ({found.split()[0]})"


def port_taken(what: str, host: str, port: int, setting: str) -> str | None:
    """A start-up error naming the port and its holder, or None when the port is free."""
    holder = port_holder(host, port)
    if holder is None:
        return None
    return (f"{what}'s port {host}:{port} is taken by {holder}. Stop that, or choose another port with "
            f"{setting}=PORT (outside 32768-60999, where Linux picks the ports of outgoing connections).")


class LeftoverProcess:
    """A server a previous daemon started and this one keeps (not its child, so not its to reap): Popen's
    poll, send_signal and wait, by pid."""

    def __init__(self, pid: int, name: str = "process") -> None:
        self.pid, self.name = pid, name
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not process_alive(self.pid):
            self.returncode = -1  # unknown: not ours to reap
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.name, timeout or 0)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]
