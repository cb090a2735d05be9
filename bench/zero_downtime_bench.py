"""Failed requests during deploys, rollbacks and stop-then-start restarts; rollback-to-serving time.

Run from the repository root:  .venv/bin/python -m bench.zero_downtime_bench [--cycles 20] [--keepalive 75]

A real daemon serves tests/apps/wsgi_basic (gunicorn, 2 workers) behind nginx. A bounded,
constant load (4 client threads, keep-alive, ~10 ms pause between requests each) runs through the
router during each phase, and every non-200 answer or connection error counts as failed:
1. N consecutive deploys, each with a code change;
2. N consecutive rollbacks (each to the previous release: the code flips back and forth);
3. the baseline in the same run: N stop-then-start restarts (scale web to 0, then back to 1),
   the way Piku restarts an app.
Rollback-to-serving: from launching `seaway rollback` until the old code answers through the
router, and how long after the command returned that was.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from seaway.slugs.slug import remove_tree
from tests.e2e.daemon import Daemon, copy_app


class Load:
    def __init__(self, url: str, host: str, threads: int = 4) -> None:
        self.url, self.host = url, host
        self.ok = self.failed = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client, daemon=True) for _ in range(threads)]

    def _client(self) -> None:
        deadline = time.monotonic() + 900  # bounded whatever happens
        with httpx.Client(headers={"Host": self.host}, timeout=30) as client:
            while not self._stop.is_set() and time.monotonic() < deadline:
                try:
                    good = client.get(self.url).status_code == 200
                    error = None if good else "non-200"
                except httpx.HTTPError as exc:
                    good, error = False, repr(exc)
                with self._lock:
                    if good:
                        self.ok += 1
                    else:
                        self.failed += 1
                        self.errors.append(error or "")
                time.sleep(0.01)

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def set_version(source: Path, version: int) -> None:
    app_py = source / "app.py"
    text = app_py.read_text()
    start = text.index('VERSION = "') + len('VERSION = "')
    end = text.index('"', start)
    app_py.write_text(text[:start] + str(version) + text[end:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--keepalive", type=int, default=75,
                        help="SEAWAY_ROUTER_KEEPALIVE for the daemon (0: client keep-alive off)")
    args = parser.parse_args()
    cycles = args.cycles
    work = Path(tempfile.mkdtemp(prefix="seaway-zdt-"))
    daemon = Daemon(work / "home", boot_timeout=60)
    daemon.env["SEAWAY_WEB_CONCURRENCY"] = "2"
    daemon.env["SEAWAY_ROUTER_KEEPALIVE"] = str(args.keepalive)
    daemon.start()
    try:
        source = copy_app("wsgi_basic", work)
        daemon.cli("apps:create", "zdt", cwd=source)
        daemon.cli("deploy", cwd=source)
        url = f"http://127.0.0.1:{daemon.router_port}/"
        results = {}

        with Load(url, "zdt.localhost") as load:
            for version in range(2, cycles + 2):
                set_version(source, version)
                daemon.cli("deploy", cwd=source)
        results["deploys"] = load

        rollback_times, stale_after_return = [], 0
        probe = httpx.Client(headers={"Host": "zdt.localhost", "Connection": "close"}, timeout=30)
        with Load(url, "zdt.localhost") as load:
            for _ in range(cycles):
                before = probe.get(url).text
                started = time.perf_counter()
                daemon.cli("rollback", cwd=source)
                if probe.get(url).text == before:  # the first request sent after the command returned
                    stale_after_return += 1
                    while probe.get(url).text == before:
                        time.sleep(0.002)
                rollback_times.append(time.perf_counter() - started)
        results["rollbacks"] = load

        with Load(url, "zdt.localhost") as load:
            for _ in range(cycles):
                daemon.cli("ps:scale", "web=0", cwd=source)
                daemon.cli("ps:scale", "web=1", cwd=source)
        results["stop-then-start (baseline)"] = load
    finally:
        daemon.stop()
        remove_tree(work)

    print(f"{'phase':<32}{'requests':>10}{'failed':>9}")
    for name, load in results.items():
        print(f"{f'{cycles} {name}':<32}{load.ok + load.failed:>10}{load.failed:>9}")
        if load.errors:
            print("    e.g. " + "; ".join(sorted(set(load.errors))[:3]))
    med = statistics.median
    print(f"rollback, from launching the command until the old code answers: median {med(rollback_times):.2f} s, "
          f"max {max(rollback_times):.2f} s")
    print(f"rollbacks whose first request after the command returned still got the newer code: "
          f"{stale_after_return} of {cycles}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
