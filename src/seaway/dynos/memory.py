"""Heroku's memory errors for a sandboxed dyno: R14 while it uses more than its quota, R15 and a
kill when it reaches twice the quota (its control group's hard limit, where the kernel steps in)."""

from __future__ import annotations

import time
from collections.abc import Callable

from seaway.dynos.backend import Notice
from seaway.sandbox.cgroups import Cgroup

MB = 1024 * 1024
R14_EVERY = 20.0  # seconds between R14 reports while the dyno stays over its quota
HARD_LIMIT = 2  # times the quota


def max_processes(quota_mb: int) -> int:
    """Heroku's process limit: 256 for a 512 MB dyno, more for bigger ones."""
    return max(256, quota_mb // 2)


class MemoryWatch:
    def __init__(self, quota_mb: int, cgroup: Cgroup, notice: Notice, kill: Callable[[], None]) -> None:
        self.quota_mb, self.cgroup, self.notice, self.kill = quota_mb, cgroup, notice, kill
        self._ooms = cgroup.oom_kills()
        self._next_r14 = 0.0
        self.exceeded = False  # R15 was reported

    def _running(self, used_mb: float) -> None:
        self.notice(f"Process running mem={used_mb:.0f}M({100 * used_mb / self.quota_mb:.1f}%)")

    def check(self) -> None:
        """Look once: report R15 (and kill the dyno) after an out-of-memory kill, R14 over the quota."""
        ooms = self.cgroup.oom_kills()
        if ooms > self._ooms:
            self._ooms = ooms
            self.exceeded = True
            self._running(HARD_LIMIT * self.quota_mb)
            self.notice("Error R15 (Memory quota vastly exceeded)")
            self.notice("Stopping process with SIGKILL")
            self.kill()
            return
        used = self.cgroup.memory_bytes()
        now = time.monotonic()
        if used is not None and used > self.quota_mb * MB and now >= self._next_r14:
            self._next_r14 = now + R14_EVERY
            self._running(used / MB)
            self.notice("Error R14 (Memory quota exceeded)")
