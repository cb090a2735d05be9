"""Failed requests and recovery times across `kill -9` of the daemon and a new one; dyno start time with
and without keepers.

Run from the repository root:  .venv/bin/python -m bench.daemon_restart_bench [--cycles 5] [--starts 30]

1. A real daemon serves tests/apps/wsgi_basic (web=1) behind nginx. A bounded load (2 client threads,
   fresh connections, ~10 ms pause each) runs through the router while, N times, the daemon is
   killed with SIGKILL and a new one started on the same home and ports. Every non-200 answer or
   connection error counts as failed. Per cycle: seconds from the new daemon's launch until /health
   answers, and until `ps` (the API) shows web.1 up with the same pid as before the kill.
2. Dyno start latency: LocalBackend.start of `exit 0` until the process has exited and its output
   ended, M times with keepers and M times without (the way before: the daemon's own child), in
   alternation, bare launches (no sandbox) to time the keeper alone.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from seaway.dynos.backend import DynoSpec
from seaway.dynos.local import LocalBackend
from seaway.dynos.output import LineOutput
from seaway.slugs.slug import remove_tree
from tests.e2e.daemon import Daemon, copy_app, dyno_leader_pid


class Load:
    def __init__(self, daemon: Daemon, app: str, threads: int = 2) -> None:
        self.daemon, self.app = daemon, app
        self.ok = self.failed = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client, daemon=True) for _ in range(threads)]

    def _client(self) -> None:
        while not self._stop.is_set():
            try:
                good = self.daemon.get(self.app).status_code == 200
                error = "" if good else "non-200"
            except httpx.HTTPError as exc:
                good, error = False, repr(exc)
            with self._lock:
                if good:
                    self.ok += 1
                else:
                    self.failed += 1
                    self.errors.append(error)
            time.sleep(0.01)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def launch(daemon: Daemon) -> None:
    """Start the daemon without waiting (Daemon.start waits for /health, which is what is measured)."""
    daemon.log = open(daemon.home.parent / f"{daemon.home.name}-daemon.out", "ab")
    daemon.process = subprocess.Popen([sys.executable, "-m", "seaway", "server"], env=daemon.env,
                                      stdout=daemon.log, stderr=subprocess.STDOUT)


def until(condition, timeout: float = 120) -> float:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return time.monotonic()
        except (httpx.HTTPError, OSError, ValueError, KeyError):
            pass
        time.sleep(0.02)
    raise RuntimeError("timed out")


def restarts(cycles: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="seaway-bench-"))
    daemon = Daemon(folder / "home")
    daemon.start()
    health, ps_up = [], []
    try:
        source = copy_app("wsgi_basic", folder)
        daemon.cli("apps:create", "restart", cwd=source)
        daemon.cli("deploy", cwd=source)
        pid = dyno_leader_pid(daemon, "restart", "web.1")
        with Load(daemon, "restart") as load:
            time.sleep(1)
            for _ in range(cycles):
                daemon.process.send_signal(signal.SIGKILL)
                daemon.process.wait()
                daemon.log.close()
                time.sleep(0.5)
                started = time.monotonic()
                launch(daemon)
                health.append(until(lambda: httpx.get(f"{daemon.api_url}/health", timeout=1).status_code == 200)
                              - started)
                ps_up.append(until(lambda: any(d["name"] == "web.1" and d["state"] == "up" for d in daemon.api(
                    "GET", "/apps/restart/dynos").json())) - started)
                assert dyno_leader_pid(daemon, "restart", "web.1") == pid, "web.1 was started again"
                time.sleep(1)
        return {"cycles": cycles, "requests": load.ok + load.failed, "failed": load.failed,
                "errors": sorted(set(load.errors))[:3], "health": health, "ps": ps_up}
    finally:
        daemon.stop()
        remove_tree(folder)


def start_latency(starts: int) -> dict[str, list[float]]:
    folder = Path(tempfile.mkdtemp(prefix="seaway-bench-"))
    try:
        (folder / "slugs" / "x" / "app" / ".venv" / "bin").mkdir(parents=True)
        backends = {"keeper": LocalBackend(folder / "slugs", folder / "run-keeper"),
                    "direct": LocalBackend(folder / "slugs", folder / "run-direct", keepers=False)}
        times: dict[str, list[float]] = {name: [] for name in backends}
        spec = DynoSpec("bench", 1, "worker", 1, "exit 0", "x")
        for _ in range(starts):
            for name, backend in backends.items():
                began = time.perf_counter()
                dyno = backend.start(spec, LineOutput(lambda _line: None))
                dyno.wait(30)
                times[name].append(time.perf_counter() - began)
        return times
    finally:
        remove_tree(folder)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--starts", type=int, default=30)
    args = parser.parse_args()
    latency = start_latency(args.starts)
    for name, values in latency.items():
        print(f"dyno start to exit, {name}: median {statistics.median(values) * 1000:.1f} ms, "
              f"min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f} ({len(values)} starts)")
    result = restarts(args.cycles)
    print(f"kill -9 + new daemon, {result['cycles']} cycles: {result['failed']} failed of {result['requests']} "
          f"requests {result['errors'] or ''}")
    for key, label in (("health", "/health answers"), ("ps", "ps shows web.1 up (same pid)")):
        values = result[key]
        print(f"  {label}: median {statistics.median(values):.2f} s, every cycle "  # type: ignore[arg-type]
              + ", ".join(f"{v:.2f}" for v in values))  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
