"""One sandbox: its scratch folders, network, control groups and the command line that enters it.

A sandboxed command starts as root in fresh mount, PID, IPC and UTS namespaces (joined to the
sandbox's network namespace), joins its control groups before anything forks, mounts its view,
changes root into it, drops to the app's user with no capabilities and no way to gain any
(no_new_privs), and runs under tini, the PID namespace's init: when the command ends, the kernel
kills whatever it left behind, `setsid` and double forks included.

The environment never passes through the privileged steps (an `LD_PRELOAD` config var must not
reach a root process) nor any command line: it travels in a memory file on a descriptor and is
loaded by the first unprivileged process, which closes it.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

from seaway.host import RunAs, child_pids
from seaway.sandbox.cgroups import Cgroup, kill_all
from seaway.sandbox.network import Lease
from seaway.sandbox.view import Bind, Overlay

SETUP_FAILED = 125  # the sandbox could not be set up (like podman's 125)
PRIVILEGED_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}

# Runs as root inside the new namespaces: join the groups, name the host, mount the view, enter it.
INIT = r"""
fstab=$1 root=$2 wd=$3 uid=$4 gid=$5 name=$6; shift 6
while [ "$1" != -- ]; do echo 0 > "$1" || exit 125; shift; done; shift
echo "$name" > /proc/sys/kernel/hostname || exit 125
/usr/bin/mount -a -T "$fstab" || { echo "seaway: the sandbox's filesystem could not be mounted" >&2; exit 125; }
exec /usr/bin/unshare --root="$root" --wd="$wd" /usr/bin/setpriv --reuid="$uid" --regid="$gid" --clear-groups \
    --no-new-privs --inh-caps=-all --bounding-set=-all -- /usr/bin/tini -- "$@"
"""
# Runs as the app's user: load the environment from the descriptor named by $1, close it, run the command.
LOADER = 'while IFS= read -r -d "" kv; do export "$kv"; done <&"$1"; eval "exec $1<&-"; shift; exec "$@"'


@dataclass(frozen=True)
class JailSpec:
    """What a sandbox holds and may use."""

    name: str  # unique among the daemon's sandboxes: names its scratch folder and groups, and is its hostname
    user: RunAs
    overlay_lower: Path | None = None  # a dyno: its slug's app folder, under a writable layer at /app
    binds: tuple[Bind, ...] = ()  # more host folders in the view (the interpreter; a build's folders)
    memory_mb: int | None = None  # hard memory limit (None: none)
    max_processes: int | None = None
    network: bool = True  # a private network (else the host's, for builds on a host without NAT)
    workdir: str = "/app"
    kind: str = "dyno"  # sandboxes of one kind share a skeleton root (its mount points)


def environment_file(env: dict[str, str]) -> int:
    """A memory file holding NUL-separated KEY=value pairs, positioned at its start."""
    fd = os.memfd_create("seaway-env", 0)
    os.write(fd, b"".join(f"{key}={value}".encode() + b"\0" for key, value in env.items()))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


@dataclass
class Jail:
    spec: JailSpec
    scratch: Path
    fstab: Path
    skeleton: Path
    lease: Lease | None
    cgroup: Cgroup | None
    closed: bool = field(default=False)

    @property
    def address(self) -> str | None:
        return self.lease.address if self.lease else None

    def command(self, argv: list[str], env_fd: int) -> list[str]:
        """The command line that runs `argv` in the sandbox with the environment in `env_fd` (see
        `environment_file`); start it as root with `popen_kwargs(env_fd)`."""
        spec = self.spec
        enter = ["/usr/bin/nsenter", f"--net={self.lease.netns_path}", "--"] if self.lease and spec.network else []
        groups = [str(path) for path in (self.cgroup.procs_files if self.cgroup else ())]
        return [*enter, "/usr/bin/unshare", "--mount", "--uts", "--ipc", "--pid", "--fork", "--kill-child",
                "--propagation", "private", "--", "/bin/sh", "-c", INIT, "seaway-sandbox",
                str(self.fstab), str(self.skeleton), spec.workdir, str(spec.user.uid), str(spec.user.gid), spec.name,
                *groups, "--", "/bin/bash", "-c", LOADER, "seaway-env", str(env_fd), *argv]

    @staticmethod
    def popen_kwargs(env_fd: int) -> dict[str, object]:
        return {"env": dict(PRIVILEGED_ENV), "pass_fds": (env_fd,)}

    def init_pid(self, launcher: int) -> int | None:
        """The host pid of the sandbox's init (tini), the one child of the launcher process."""
        children = child_pids(launcher)
        return min(children) if children else None

    def processes(self) -> list[int]:
        return self.cgroup.pids() if self.cgroup else []

    def terminate(self, launcher: int) -> None:
        """SIGTERM to every process of the sandbox but its init, as Heroku stops a dyno; without control
        groups, to the init, which passes it to the command."""
        init = self.init_pid(launcher)
        if self.cgroup is None or not kill_all(self.cgroup, signal.SIGTERM, spare=init):
            if init is not None:
                _kill(init, signal.SIGTERM)

    def kill(self, launcher: int) -> None:
        """SIGKILL to the init: the kernel then kills every other process of the PID namespace."""
        init = self.init_pid(launcher)
        if init is not None:
            _kill(init, signal.SIGKILL)
        _kill(launcher, signal.SIGKILL)
        if self.cgroup is not None:
            kill_all(self.cgroup, signal.SIGKILL)


def _kill(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


__all__ = ["Bind", "Jail", "JailSpec", "Overlay", "SETUP_FAILED", "environment_file"]
