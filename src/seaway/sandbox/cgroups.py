"""Control groups for sandboxed processes: a memory and a process limit per dyno or build, on cgroup v1
or v2 (whichever holds each controller), nested under the daemon's own group.

A group also lists every process of its dyno (host pids), so the dyno can be signalled whole."""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path

CONTROLLERS = ("memory", "pids")


def _mounts() -> dict[str, tuple[str, Path]]:
    """controller -> (version, mount point) from /proc/self/mountinfo; v1 mounts win over the v2 one."""
    found: dict[str, tuple[str, Path]] = {}
    v2: Path | None = None
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fstype, _source, options = (right.split() + ["", ""])[:3]
        point = Path(left.split()[4])
        if fstype == "cgroup":
            for controller in CONTROLLERS:
                if controller in options.split(","):
                    found.setdefault(controller, ("v1", point))
        elif fstype == "cgroup2":
            v2 = v2 or point
    if v2 is not None:
        available = (v2 / "cgroup.controllers").read_text().split() if (v2 / "cgroup.controllers").exists() else []
        for controller in CONTROLLERS:
            if controller in available:
                found.setdefault(controller, ("v2", v2))
    return found


def _own_path(version: str, controller: str) -> str:
    """The daemon's own group in that hierarchy, from /proc/self/cgroup."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        number, names, path = line.split(":", 2)
        if (version == "v2" and number == "0") or (version == "v1" and controller in names.split(",")):
            return path.lstrip("/")
    return ""


def _write(path: Path, value: str) -> None:
    path.write_text(value)


@dataclass(frozen=True)
class Cgroup:
    """One sandboxed dyno's (or build's) groups, one folder per hierarchy that holds a controller."""

    folders: tuple[Path, ...]
    memory: tuple[str, Path] | None  # (version, folder) of the memory controller

    @property
    def procs_files(self) -> tuple[Path, ...]:
        """Where a process writes `0` to join (the sandbox's first step, as root, before anything forks)."""
        return tuple(folder / "cgroup.procs" for folder in self.folders)

    def pids(self) -> list[int]:
        for folder in self.folders:
            try:
                return [int(pid) for pid in (folder / "cgroup.procs").read_text().split()]
            except OSError:
                continue
        return []

    def memory_bytes(self) -> int | None:
        """Memory the processes use as Heroku counts it: resident, shared (tmpfs) and swapped, not file cache."""
        if self.memory is None:
            return None
        version, folder = self.memory
        try:
            stat = dict(line.split() for line in (folder / "memory.stat").read_text().splitlines())
        except OSError:
            return None
        if version == "v1":
            return sum(int(stat.get(f"total_{key}", 0)) for key in ("rss", "shmem", "swap"))
        swap = folder / "memory.swap.current"
        return int(stat.get("anon", 0)) + int(stat.get("shmem", 0)) + (int(swap.read_text()) if swap.exists() else 0)

    def cpu_seconds(self) -> float | None:
        """CPU time the group's processes have used, when a hierarchy of the group counts it (v2's cpu.stat,
        v1's cpuacct); None otherwise."""
        for folder in self.folders:
            try:
                for line in (folder / "cpu.stat").read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "usage_usec":
                        return int(value) / 1e6
            except OSError:
                pass
            try:
                return int((folder / "cpuacct.usage").read_text()) / 1e9
            except OSError:
                continue
        return None

    def oom_kills(self) -> int:
        """How many processes the kernel killed for reaching the hard limit."""
        if self.memory is None:
            return 0
        version, folder = self.memory
        name = "memory.oom_control" if version == "v1" else "memory.events"
        try:
            for line in (folder / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except OSError:
            pass
        return 0

    def remove(self, timeout: float = 5) -> None:
        """Remove the groups once their processes are gone (the kernel refuses while any remains)."""
        deadline = time.monotonic() + timeout
        for folder in self.folders:
            while True:
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as error:
                    if error.errno != errno.EBUSY or time.monotonic() > deadline:
                        break
                    time.sleep(0.02)


class Cgroups:
    """The host's memory and pids controllers, with a parent group of this daemon's in each."""

    def __init__(self, tag: str) -> None:
        mounts = _mounts()
        self.parents: dict[str, tuple[str, Path]] = {}
        for controller, (version, point) in mounts.items():
            parent = point / _own_path(version, controller) / f"seaway-{tag}"
            if version == "v2" and not self._enable_v2(parent.parent, controller):
                continue
            self.parents[controller] = (version, parent)
        self.missing = [c for c in CONTROLLERS if c not in self.parents]

    @staticmethod
    def _enable_v2(base: Path, controller: str) -> bool:
        """Let groups below the daemon's own use `controller` (v2 needs it in the parent's subtree_control)."""
        try:
            if controller not in (base / "cgroup.subtree_control").read_text().split():
                _write(base / "cgroup.subtree_control", f"+{controller}")
            return True
        except OSError:
            return False

    def prepare(self) -> None:
        for controller, (version, parent) in self.parents.items():
            parent.mkdir(exist_ok=True)
            if version == "v2":
                self._enable_v2(parent, controller)

    def create(self, name: str, memory_mb: int | None, max_processes: int | None) -> Cgroup:
        """A group for one sandbox: hard memory limit `memory_mb` (None: none), at most `max_processes` tasks."""
        folders: dict[Path, None] = {}
        memory = None
        for controller, (version, parent) in self.parents.items():
            folder = parent / name
            folder.mkdir(exist_ok=True)
            folders[folder] = None
            if controller == "memory" and memory_mb:
                limit = str(memory_mb * 1024 * 1024)
                if version == "v1":
                    _write(folder / "memory.limit_in_bytes", limit)
                    if (folder / "memory.memsw.limit_in_bytes").exists():  # swap counts too
                        _write(folder / "memory.memsw.limit_in_bytes", limit)
                else:
                    _write(folder / "memory.max", limit)
                    if (folder / "memory.swap.max").exists():
                        _write(folder / "memory.swap.max", "0")
                memory = (version, folder)
            elif controller == "memory":
                memory = (version, folder)
            elif controller == "pids" and max_processes:
                _write(folder / "pids.max", str(max_processes))
        return Cgroup(tuple(folders), memory)

    def leftovers(self) -> list[Cgroup]:
        """Groups a daemon that was killed left behind (their processes may still run)."""
        names = {child.name for _version, parent in self.parents.values() if parent.is_dir()
                 for child in parent.iterdir() if child.is_dir()}
        return [Cgroup(tuple(parent / name for _v, parent in self.parents.values() if (parent / name).is_dir()), None)
                for name in sorted(names)]

    def remove_parents(self) -> None:
        for _version, parent in self.parents.values():
            try:
                parent.rmdir()
            except OSError:
                pass


def kill_all(group: Cgroup, signum: int, spare: int | None = None) -> int:
    """Send `signum` to every process in the group except `spare`; how many were signalled."""
    count = 0
    for pid in group.pids():
        if pid == spare:
            continue
        try:
            os.kill(pid, signum)
            count += 1
        except ProcessLookupError:
            pass
    return count
