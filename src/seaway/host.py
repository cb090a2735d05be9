"""One-host helpers: system users, permissions and process lookups the daemon's children need."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import time
from pathlib import Path


def is_root() -> bool:
    return os.geteuid() == 0


def ensure_system_user(name: str, comment: str) -> pwd.struct_passwd:
    """The dedicated unprivileged user a child runs as when the daemon is root; created on first use."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    nologin = shutil.which("nologin") or "/usr/sbin/nologin"
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", nologin,
         "--comment", comment, name],
        check=True, capture_output=True,
    )
    return pwd.getpwnam(name)


def grant_traverse(path: Path, user: pwd.struct_passwd) -> None:
    """Let `user` reach `path` (search permission only) through every ancestor that would stop it.

    An ACL entry for that one user when `setfacl` is there; the `x` bit for others otherwise."""
    for folder in reversed(path.absolute().parents):
        info = folder.stat()
        if info.st_mode & stat.S_IXOTH or info.st_uid == user.pw_uid:
            continue
        setfacl = shutil.which("setfacl")
        if setfacl and subprocess.run([setfacl, "-m", f"u:{user.pw_name}:x", str(folder)], capture_output=True).returncode == 0:
            continue
        os.chmod(folder, stat.S_IMODE(info.st_mode) | stat.S_IXOTH)


def chown_tree(path: Path, user: pwd.struct_passwd) -> None:
    for folder, dirs, files in os.walk(path):
        os.chown(folder, user.pw_uid, user.pw_gid)
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), user.pw_uid, user.pw_gid)


def child_pids(parent: int) -> set[int]:
    """Direct children of a process, from /proc."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.add(int(entry))
    return found


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
