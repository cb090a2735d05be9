"""What the sandbox costs, against the same thing without it, measured in one run (root only).

Run from the repository root:  .venv/bin/python -m bench.sandbox_bench [--starts 40] [--rounds 7]
                                                    [--wrk-rounds 5] [--duration 10] [--connections 50]

1. Dyno start: the local backend starts the same command from the same slug (tests/apps/wsgi_basic,
   built once) as the same app user, bare and in a sandbox, alternately. A start is timed from
   `Backend.start` until the dyno's first line of output arrives: `exec python -c "print('ready')"`
   with the slug's venv first on PATH (the interpreter's own start-up is in both).
2. Redeploy to serving (issue 2's measure): two daemons, one with SEAWAY_SANDBOX=off and one with
   sandboxes, each deploys tests/apps/flask_migrate with its PostgreSQL database, then both redeploy
   a code-only change in alternate rounds; a round is timed from launching `seaway deploy` until the
   new code answers through the router.
3. Router throughput: `wrk -t2 -cN -dDs` on each daemon's router for the wsgi_basic app (one
   gunicorn dyno, one sync worker): the router reaches the bare dyno on 127.0.0.1 and the sandboxed
   one through its veth pair. Rounds alternate which goes first; a ratio is the median of the
   per-round ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.deploy_bench import redeploy_until_serving
from bench.router_bench import run_wrk
from seaway.cli.upload import pack_source
from seaway.dynos.local import LocalBackend
from seaway.dynos.output import LineOutput
from seaway.dynos.sandboxed import SandboxedDynos
from seaway.host import ensure_system_user
from seaway.sandbox import Sandbox, home_tag
from seaway.slugs.builder import Builder, BuildRequest
from seaway.slugs.slug import remove_tree
from tests.dynos.conftest import make_spec
from tests.e2e.daemon import APPS, Daemon, copy_app, dyno_network

READY = "exec python -c \"print('ready', flush=True)\""


def start_time(backend: LocalBackend, spec) -> float:  # type: ignore[no-untyped-def]
    ready = threading.Event()
    started = time.perf_counter()
    dyno = backend.start(spec, LineOutput(lambda line: ready.set() if line == "ready" else None))
    if not ready.wait(30):
        raise RuntimeError("the dyno printed nothing within 30 s")
    elapsed = time.perf_counter() - started
    dyno.wait(10)
    return elapsed


def dyno_starts(count: int, work: Path) -> dict[str, list[float]]:
    user = ensure_system_user("s-sandbox-bench", "Seaway sandbox benchmark")
    builder_sandbox = Sandbox(work / "sandbox", dyno_network(), home_tag(work), allowed_ports=())
    builder_sandbox.start()
    try:
        builder = Builder(work / "slugs", work / "builds", work / "cache", builder_sandbox)
        built = builder.build(pack_source(APPS / "wsgi_basic"), lambda _line: None,
                              BuildRequest("bench", user, work / "cache" / "app"))
        bare = LocalBackend(work / "slugs", work / "run-bare")
        boxed = LocalBackend(work / "slugs", work / "run-boxed", SandboxedDynos(builder_sandbox))
        spec = dataclasses.replace(make_spec(READY, process_type="worker", user=user.name), slug=built.digest)
        times: dict[str, list[float]] = {"bare": [], "sandbox": []}
        for backend in (bare, boxed):
            start_time(backend, spec)  # warm-up: page cache, the first overlay of this slug
        for index in range(count):
            order = [(bare, "bare"), (boxed, "sandbox")][:: 1 if index % 2 else -1]
            for backend, label in order:
                times[label].append(start_time(backend, spec))
        return times
    finally:
        builder_sandbox.stop()


def start_daemon(home: Path, sandbox: bool) -> Daemon:
    daemon = Daemon(home, boot_timeout=60)
    daemon.env["SEAWAY_WEB_CONCURRENCY"] = "1"
    if not sandbox:
        daemon.env["SEAWAY_SANDBOX"] = "off"
    daemon.start()
    return daemon


def deploy_apps(daemon: Daemon, work: Path) -> Path:
    flask = copy_app("flask_migrate", work)
    daemon.cli("apps:create", "bench", cwd=flask)
    daemon.cli("addons:create", "postgresql", cwd=flask)
    daemon.cli("deploy", cwd=flask)
    basic = copy_app("wsgi_basic", work)
    daemon.cli("apps:create", "wsgi", cwd=basic)
    daemon.cli("deploy", cwd=basic)
    return flask


Figures = dict[str, dict[str, list[float]]]  # measure -> bare / sandbox -> rounds


def daemons_compared(rounds: int, wrk_rounds: int, seconds: int, connections: int, work: Path) -> Figures:
    daemons = {"bare": start_daemon(work / "bare" / "home", False),
               "sandbox": start_daemon(work / "boxed" / "home", True)}
    try:
        sources = {label: deploy_apps(daemon, work / label) for label, daemon in daemons.items()}
        found: Figures = {"redeploy": {"bare": [], "sandbox": []},
                                                    "rps": {"bare": [], "sandbox": []}}
        labels = list(daemons)
        for index in range(rounds):
            for label in labels[:: 1 if index % 2 else -1]:
                found["redeploy"][label].append(redeploy_until_serving(daemons[label], sources[label], index + 2))
        for daemon in daemons.values():  # warm-up
            run_wrk(f"http://127.0.0.1:{daemon.router_port}/", "wsgi.localhost", connections, 2)
        for index in range(wrk_rounds):
            for label in labels[:: 1 if index % 2 else -1]:
                daemon = daemons[label]
                result = run_wrk(f"http://127.0.0.1:{daemon.router_port}/", "wsgi.localhost", connections, seconds)
                found["rps"][label].append(result.rps)
        return found
    finally:
        for daemon in daemons.values():
            daemon.stop()


def report(starts: dict[str, list[float]], compared: Figures, args: argparse.Namespace) -> str:
    ms = {label: statistics.median(times) * 1000 for label, times in starts.items()}
    redeploy = {label: statistics.median(times) for label, times in compared["redeploy"].items()}
    rps = compared["rps"]
    ratios = [boxed / bare for bare, boxed in zip(rps["bare"], rps["sandbox"], strict=True)]
    command = (f".venv/bin/python -m bench.sandbox_bench --starts {args.starts} --rounds {args.rounds} "
               f"--wrk-rounds {args.wrk_rounds} --duration {args.duration} --connections {args.connections}")
    lines = [f"## Issue 11: what the sandbox costs ({datetime.date.today().isoformat()})", "", "```", command, "```", "",
             "| What | Bare | Sandboxed | Sandbox adds / ratio | Target |", "|---|---|---|---|---|",
             f"| dyno start until its first line (median of {args.starts}) | {ms['bare']:.1f} ms | {ms['sandbox']:.1f} ms | "
             f"{ms['sandbox'] - ms['bare']:+.1f} ms | ≤ +50 ms |",
             f"| code-only redeploy until the new code answers (median of {args.rounds}) | {redeploy['bare']:.2f} s | "
             f"{redeploy['sandbox']:.2f} s | {redeploy['sandbox'] - redeploy['bare']:+.2f} s | sandboxed ≤ 1.5 s |",
             f"| router throughput, wsgi_basic (median of {args.wrk_rounds} rounds) | "
             f"{statistics.median(rps['bare']):.0f} req/s | {statistics.median(rps['sandbox']):.0f} req/s | "
             f"{statistics.median(ratios):.2f}× | ≥ 0.95× |", "",
             "Raw figures:", "",
             f"- dyno start, bare (ms): {', '.join(f'{t * 1000:.1f}' for t in starts['bare'])}",
             f"- dyno start, sandboxed (ms): {', '.join(f'{t * 1000:.1f}' for t in starts['sandbox'])}",
             f"- redeploy, bare (s): {', '.join(f'{t:.2f}' for t in compared['redeploy']['bare'])}",
             f"- redeploy, sandboxed (s): {', '.join(f'{t:.2f}' for t in compared['redeploy']['sandbox'])}",
             f"- router req/s, bare: {', '.join(f'{r:.0f}' for r in rps['bare'])}",
             f"- router req/s, sandboxed: {', '.join(f'{r:.0f}' for r in rps['sandbox'])}",
             f"- per-round ratios: {', '.join(f'{r:.2f}' for r in ratios)}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--wrk-rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("The sandbox exists only when the daemon is root: run this as root.")
    work = Path(tempfile.mkdtemp(prefix="seaway-sandbox-bench-"))
    try:
        starts = dyno_starts(args.starts, work / "starts")
        compared = daemons_compared(args.rounds, args.wrk_rounds, args.duration, args.connections, work)
    finally:
        remove_tree(work)
    print(report(starts, compared, args))


if __name__ == "__main__":
    main()
