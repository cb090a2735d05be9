"""Log ingestion: lines per second from a dyno into its app's log, and router records into router lines.

Run from the repository root:  .venv/bin/python -m bench.log_bench [--lines 2000000] [--rounds 3]

1. dyno output: a real process (`yes LINE | head -n N`) started by the local backend, its output
   read in chunks and written by DynoOutput (rate limit lifted) into a real LogStore with the
   default bounds (so rotation is part of the cost). Baseline in the same run: the same command
   with its output sent straight to a file by the shell (`> file`), i.e. the disk alone.
2. router records: a file of records in nginx's format (log_format seaway_router), read by
   RouterLog as it follows the router's access log (read, parse, name the dyno, write) into the
   LogStore. Writing the file is nginx's work and is not timed. Baseline: LogStore.write of
   ready-made lines (the store alone).
Figures are medians over the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from seaway.dynos.backend import DynoSpec
from seaway.dynos.local import LocalBackend
from seaway.logs import LogStore
from seaway.logs.ingest import DynoOutput
from seaway.router.accesslog import OnRecords, RouterLog
from seaway.slugs.slug import remove_tree

LINE = "GET /api/items/42 200 3.1ms user=alice request_id=6f1c2d3e"  # a typical ~60-byte app log line


def dyno_to_log(folder: Path, lines: int) -> float:
    """Seconds for a dyno's `lines` lines to be read and written into the log."""
    (folder / "slug" / "app" / ".venv" / "bin").mkdir(parents=True, exist_ok=True)
    backend = LocalBackend(folder, folder / "run")
    logs = LogStore(folder / "logs")
    output = DynoOutput(logs, "bench", "web.1", rate=1e12, burst=1e12)
    spec = DynoSpec("bench", 1, "web", 1, f"yes '{LINE}' | head -n {lines}", "slug")
    started = time.perf_counter()
    dyno = backend.start(spec, output)
    dyno.wait(600)
    elapsed = time.perf_counter() - started
    logs.close()
    return elapsed


def shell_to_file(folder: Path, lines: int) -> float:
    started = time.perf_counter()
    subprocess.run(["bash", "-c", f"yes '{LINE}' | head -n {lines} > {folder / 'plain.log'}"], check=True)
    return time.perf_counter() - started


RECORD = ("bench\t\tGET\t/api/items/42?page=2\tbench.localhost\t6f1c2d3e4b5a69788796a5b4c3d2e1f0\t127.0.0.1\t"
          "127.0.0.1:5001\t0.001\t0.012\t0.013\t200\t415\thttp\n")  # one request, as nginx writes it


def router_records(folder: Path, records: int, on_records: OnRecords | None = None,
                   sample: tuple[str, ...] = (RECORD,), clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds (by `clock`) for RouterLog to read `records` records (`sample`'s, in turn) into the log, with
    `on_records` as its observer (bench/metrics_bench.py gives the router metrics')."""
    logs = LogStore(folder / "router-logs")
    follower = RouterLog(folder / "access.log", logs,
                         lambda _app, address: {"127.0.0.1:5001": "web.1"}.get(address, address), on_records=on_records)
    (folder / "access.log").write_bytes("".join(sample).encode() * (records // len(sample)))
    started = clock()
    while follower.poll():  # as the follower's thread does when it finds a backlog
        pass
    elapsed = clock() - started
    follower.close()
    logs.close()
    return elapsed


def store_alone(folder: Path, records: int) -> float:
    logs = LogStore(folder / "plain-logs")
    batch = [LINE] * 2000
    started = time.perf_counter()
    for _ in range(records // len(batch)):
        logs.write("bench", "router", batch)
    elapsed = time.perf_counter() - started
    logs.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[float]] = {"dyno": [], "shell": [], "router": [], "store": []}
    for _ in range(args.rounds):
        folder = Path(tempfile.mkdtemp(prefix="seaway-log-bench-"))
        try:
            runs["shell"].append(shell_to_file(folder, args.lines))
            runs["dyno"].append(dyno_to_log(folder, args.lines))
            runs["store"].append(store_alone(folder, args.lines // 4))
            runs["router"].append(router_records(folder, args.lines // 4))
        finally:
            remove_tree(folder)
    rate = {key: (args.lines if key in ("dyno", "shell") else args.lines // 4 // 2000 * 2000) / statistics.median(times)
            for key, times in runs.items()}
    print(f"## Log ingestion ({time.strftime('%Y-%m-%d')})\n")
    print(f"```\n.venv/bin/python -m bench.log_bench --lines {args.lines} --rounds {args.rounds}\n```\n")
    print("| What (median of rounds) | lines/s | raw seconds |")
    print("|---|---|---|")
    names = {"shell": "baseline: `yes \\| head > file` (disk alone)", "dyno": "dyno output → DynoOutput → LogStore",
             "store": "baseline: LogStore.write of ready lines", "router": "router records → RouterLog → LogStore"}
    for key in ("shell", "dyno", "store", "router"):
        print(f"| {names[key]} | {rate[key]:,.0f} | {', '.join(f'{t:.2f}' for t in runs[key])} |")
    print(f"\ndyno ingestion / disk alone: {rate['dyno'] / rate['shell']:.2f}×; "
          f"router ingestion / store alone: {rate['router'] / rate['store']:.2f}×")


if __name__ == "__main__":
    main()
