"""What a dyno's processes use: memory and CPU time, read from /proc. A sandboxed dyno's control group lists
its processes (and may count its memory and CPU itself); a bare dyno is its process group."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import NamedTuple

from seaway.host import process_table

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
# /proc/PID/smaps_rollup: a process's share of the pages it shares with others (gunicorn's forked workers),
# resident and swapped; file-backed pages (the slug's code, the page cache) left out, as Heroku counts memory
COUNTED = (b"Pss_Anon:", b"Pss_Shmem:", b"SwapPss:")


class Usage(NamedTuple):
    memory_bytes: int | None
    cpu_seconds: float | None


def cpu_seconds(pid: int) -> float:
    """CPU time of the process and of its children it has waited for (so a child's time is not lost when it ends)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(value) for value in fields[11:15]) / TICKS  # utime, stime, cutime, cstime


def memory_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            lines = f.read().splitlines()
    except OSError:
        return _resident_bytes(pid)
    counted = [int(line.split()[1]) * 1024 for line in lines if line.startswith(COUNTED)]
    return sum(counted) if counted else _resident_bytes(pid)


def _resident_bytes(pid: int) -> int:
    """Resident pages not backed by a file, from /proc/PID/statm (kernels without smaps_rollup's Pss_Anon)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            resident, shared = f.read().split()[1:3]
    except (OSError, ValueError):
        return 0
    return max(0, int(resident) - int(shared)) * PAGE


def usage_of(pids: Iterable[int]) -> Usage:
    found = list(pids)
    return Usage(sum(memory_bytes(pid) for pid in found), sum(cpu_seconds(pid) for pid in found))


def group_pids(pgid: int) -> list[int]:
    """The processes of a process group."""
    return [pid for pid, _state, _ppid, group in process_table() if group == pgid]


def tree_pids(root: int) -> list[int]:
    """A process and its descendants."""
    children: dict[int, list[int]] = {}
    for pid, _state, ppid, _group in process_table():
        children.setdefault(ppid, []).append(pid)
    found, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting += children.get(pid, [])
    return found
