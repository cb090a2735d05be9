"""Router overhead: throughput and latency of one dyno direct, through Seaway's router, and through a minimal nginx.

Run from the repository root:  .venv/bin/python -m bench.router_bench [--duration 10] [--rounds 3] [--connections 50]

A real daemon (nginx router, PostgreSQL, uv) deploys two apps, each as ONE web dyno of ONE worker
(SEAWAY_WEB_CONCURRENCY=1):
- `wsgi`: tests/apps/wsgi_basic under gunicorn (sync worker: it closes every connection);
- `uvicorn`: bench/apps/uvicorn_hello, a pure ASGI app under uvicorn (keeps connections alive).
Each app is loaded by wrk (`wrk --latency -t2 -cN -dDs`, GET /) on these targets:
- direct: the dyno's own 127.0.0.1:PORT, read from the upstream in the nginx.conf Seaway generated;
- direct-headers (diagnostic): the same, the request also carrying the headers Heroku's router adds
  (X-Forwarded-For/Proto/Port, X-Request-ID, X-Request-Start): what they cost the app, no proxy;
- router: Seaway's router, `Host: APP.localhost`, configured (logging included) as the platform does;
- minimal: a hand-written nginx reverse proxy (same binary, same worker_processes, upstream
  keepalive 16, HTTP/1.1 with `Connection ""` to the dyno, access_log off, nginx's default client
  keep-alive), started in its own temp folder and stopped at the end;
- minimal-headers: the minimal proxy, also sending Heroku's headers (and Host): the hand-written
  proxy that gives the app the same request as Seaway's router;
- router-nolog (diagnostic): a copy of Seaway's generated nginx.conf, word for word except its
  port, folder and `access_log off`, run as another nginx: what router logging costs.
Targets are interleaved within each round (the starting target rotates from round to round), so
the machine's noise hits them all alike; a short warm-up run per target comes first. A ratio is
the median over rounds of the ratio within each round. Goals: router / direct and router /
direct-headers >= 0.9x; router / minimal and router / minimal-headers >= 0.95x. The daemon's CPU
time is taken around each run: it reads the router's per-request records and writes log lines.
The output is a Markdown section ready for bench/RESULTS.md, with the raw per-round figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from seaway.host import process_table, read_pid
from seaway.slugs.slug import remove_tree
from tests.e2e.daemon import APPS, Daemon, dyno_leader_pid, free_port

BENCH_APPS = Path(__file__).parent / "apps"
WARMUP_SECONDS = 2


@dataclass(frozen=True)
class App:
    name: str  # the Seaway app's name
    source: Path  # the sample app's folder
    server: str  # for the report
    body: str  # GET / answers with this (start of the body)


APP_SPECS = [
    App("wsgi", APPS / "wsgi_basic", "gunicorn, 1 sync worker", "basic VERSION="),
    App("uvicorn", BENCH_APPS / "uvicorn_hello", "uvicorn, 1 worker", "hello from uvicorn"),
]
TARGETS = ["direct", "direct-headers", "router", "minimal", "minimal-headers", "router-nolog"]
TARGET_LABELS = {
    "direct": "direct to the dyno",
    "direct-headers": "direct, the request carrying Heroku's headers (diagnostic)",
    "router": "Seaway router",
    "minimal": "minimal nginx proxy",
    "minimal-headers": "minimal proxy + Heroku's headers (diagnostic)",
    "router-nolog": "Seaway's config, access_log off (diagnostic)",
}


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    socket_errors: int
    non_2xx_3xx: int
    daemon_cpu_s: float = 0.0  # CPU the Seaway daemon used during the run (it writes the router's log lines)
    dyno_cpu_s: float = 0.0  # CPU of the dyno's processes (gunicorn or uvicorn, master and worker)
    proxy_cpu_s: float = 0.0  # CPU of the nginx in front (none for the direct targets)

    def per_request_us(self, cpu_s: float) -> float:
        return cpu_s / self.requests * 1e6 if self.requests else 0.0


# --- wrk -------------------------------------------------------------------------------------------

LATENCY_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _latency_ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
    if not match:
        raise ValueError(f"no {percentile}% latency in wrk's output:\n{output}")
    return float(match.group(1)) * LATENCY_UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    requests = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    if not rps or not requests:
        raise ValueError(f"unexpected wrk output:\n{output}")
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        rps=float(rps.group(1)),
        p50_ms=_latency_ms(output, "50"),
        p99_ms=_latency_ms(output, "99"),
        requests=int(requests.group(1)),
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


# What the router adds to a request, as the dyno receives it (`direct-headers` sends them straight to the dyno).
HEROKU_REQUEST_HEADERS = ("X-Forwarded-For: 127.0.0.1", "X-Forwarded-Proto: http", "X-Forwarded-Port: 8080",
                          "X-Request-ID: 6f1c2d3e4b5a69788796a5b4c3d2e1f0", "X-Request-Start: 1763786400123")
TARGET_HEADERS = {"direct-headers": HEROKU_REQUEST_HEADERS}


def wrk_command(url: str, host: str, connections: int, seconds: int, headers: tuple[str, ...] = ()) -> list[str]:
    extra = [arg for header in headers for arg in ("-H", header)]
    return ["wrk", "--latency", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Host: {host}", *extra, url]


def run_wrk(url: str, host: str, connections: int, seconds: int, headers: tuple[str, ...] = ()) -> WrkResult:
    done = subprocess.run(wrk_command(url, host, connections, seconds, headers), capture_output=True, text=True,
                          timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited {done.returncode}: {done.stderr}{done.stdout}")
    return parse_wrk(done.stdout)


# --- Seaway's generated nginx.conf -------------------------------------------------------------------


def dyno_address(conf: str, app: str) -> tuple[str, int]:
    """The one web dyno of `app`: the only server of its upstream in Seaway's nginx.conf."""
    key = app.replace("-", "_")
    block = re.search(rf"upstream\s+(?:\S*_)?{re.escape(key)}\s*\{{([^}}]*)\}}", conf)
    if not block:
        raise RuntimeError(f"no upstream for {app} in Seaway's nginx.conf:\n{conf}")
    servers = re.findall(r"^\s*server\s+([\d.]+):(\d+)", block.group(1), re.MULTILINE)
    if len(servers) != 1:
        raise RuntimeError(f"expected one web dyno for {app}, the upstream has {servers}")
    return servers[0][0], int(servers[0][1])


def directives(conf: str, name: str) -> list[str]:
    """The distinct values of `name ...;` in nginx.conf, in order (port numbers as PORT)."""
    values = (re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", v.strip())
              for v in re.findall(rf"^\s*{name}\s+([^;]*);", conf, re.MULTILINE))
    return list(dict.fromkeys(values))


def directive(conf: str, name: str) -> str | None:
    """The value of the first `name ...;` in nginx.conf (None if absent)."""
    match = re.search(rf"^\s*{name}\s+([^;]*);", conf, re.MULTILINE)
    return match.group(1).strip() if match else None


def describe_router(conf: str) -> str:
    """The settings of Seaway's nginx.conf that matter here, for the report."""
    keepalive = directives(conf, "keepalive_timeout") or ["(nginx's default, 75s)"]
    access_log = directives(conf, "access_log") or ["(nginx's default)"]
    return (f"`worker_processes {directive(conf, 'worker_processes')}`, "
            + ", ".join(f"`keepalive_timeout {v}`" for v in keepalive) + ", "
            + ", ".join(f"`access_log {v}`" for v in access_log))


# --- nginx servers of the bench's own -------------------------------------------------------------------

MINIMAL_HEAD = """\
daemon off;
worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
{user}
events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
"""

MINIMAL_APP = """
    upstream bench_{app} {{
        server {host}:{port};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{listen};
        location / {{
            proxy_pass http://bench_{app};
            proxy_http_version 1.1;
            proxy_set_header Connection "";{headers}
        }}
    }}
"""
HEROKU_HEADERS = """
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Port $server_port;
            proxy_set_header X-Request-ID $request_id;
            proxy_set_header X-Request-Start $msec;"""


def minimal_conf(directory: Path, seaway_conf: str, dynos: dict[str, tuple[str, int]],
                 ports: dict[str, int], headers: str = "") -> str:
    """A hand-written reverse proxy: one port per app, Seaway's worker_processes (and worker user)."""
    user = directive(seaway_conf, "user")
    parts = [MINIMAL_HEAD.format(dir=directory, workers=directive(seaway_conf, "worker_processes") or "1",
                                 user=f"user {user};" if user else "")]
    for app, (host, port) in dynos.items():
        parts.append(MINIMAL_APP.format(app=app.replace("-", "_"), host=host, port=port, listen=ports[app],
                                        headers=headers))
    parts.append("}\n")
    return "".join(parts)


def router_copy_conf(directory: Path, seaway_conf: str, router_dir: Path, router_port: int, port: int,
                     log: bool) -> str:
    """Seaway's generated nginx.conf, word for word, but on `port`, in `directory` (and without any access
    log unless `log`)."""
    conf = seaway_conf.replace(str(router_dir), str(directory))
    conf = re.sub(rf"(listen\s+\S*?):{router_port}\b", rf"\g<1>:{port}", conf)
    if not log:
        conf = re.sub(r"access_log\s+[^;]*;", "access_log off;", conf)
    return conf


class Nginx:
    """An nginx of the bench's own, in its own folder, with the machine's nginx binary."""

    def __init__(self, directory: Path, conf: str, ports: list[int]) -> None:
        self.directory, self.conf, self.ports = directory, conf, ports
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        (self.directory / "tmp").mkdir(parents=True, exist_ok=True)
        conf = self.directory / "nginx.conf"
        conf.write_text(self.conf)
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        with open(self.directory / "nginx.out", "ab") as log:
            self.process = subprocess.Popen([binary, "-p", str(self.directory), "-c", str(conf),
                                             "-e", str(self.directory / "error.log")],
                                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        for port in self.ports:
            self._wait_listening(port)

    def _wait_listening(self, port: int, timeout: float = 10) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx in {self.directory} exited {self.process.returncode}: "
                                   f"{(self.directory / 'nginx.out').read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx in {self.directory} does not listen on {port} after {timeout}s")

    @property
    def pid(self) -> int:
        assert self.process is not None, "start() it first"
        return self.process.pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- deploying and measuring ---------------------------------------------------------------------------


def deploy(daemon: Daemon, app: App, work: Path) -> None:
    source = work / app.name
    shutil.copytree(app.source, source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    daemon.cli("apps:create", app.name, cwd=source)
    daemon.cli("deploy", cwd=source)


def own_proxies(daemon: Daemon, work: Path, seaway_conf: str,
                dynos: dict[str, tuple[str, int]]) -> tuple[dict[str, Nginx], dict[str, dict[str, str]]]:
    """The minimal proxies and the copy of Seaway's router, by target (not started yet), and every target's URL."""
    proxies, ports = {}, {}
    for target, headers in (("minimal", ""), ("minimal-headers", HEROKU_HEADERS)):
        ports[target] = {app: free_port() for app in dynos}
        folder = work / f"{target}-nginx"
        proxies[target] = Nginx(folder, minimal_conf(folder, seaway_conf, dynos, ports[target], headers),
                                list(ports[target].values()))
    copy_port = free_port()
    folder = work / "router-nolog-nginx"
    conf = router_copy_conf(folder, seaway_conf, daemon.home / "router", daemon.router_port, copy_port, log=False)
    proxies["router-nolog"] = Nginx(folder, conf, [copy_port])
    urls = {app: {
        "direct": f"http://{host}:{port}/",
        "direct-headers": f"http://{host}:{port}/",
        "router": f"http://127.0.0.1:{daemon.router_port}/",
        "minimal": f"http://127.0.0.1:{ports['minimal'][app]}/",
        "minimal-headers": f"http://127.0.0.1:{ports['minimal-headers'][app]}/",
        "router-nolog": f"http://127.0.0.1:{copy_port}/",
    } for app, (host, port) in dynos.items()}
    return proxies, urls


def check_answers(urls: dict[str, str], host: str, body: str) -> None:
    """Every target must serve this app's own page before it is measured."""
    for target, url in urls.items():
        response = httpx.get(url, headers={"Host": host}, timeout=10)
        if response.status_code != 200 or not response.text.startswith(body):
            raise RuntimeError(f"{target} ({url}, Host: {host}) answered {response.status_code}: {response.text[:200]!r}")


Results = dict[tuple[str, str], list[WrkResult]]  # (app, target) -> one result per round


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """CPU time of `root` and all its descendants (an nginx master and its workers, a dyno and its worker).
    On loopback, the kernel's TCP work is mostly charged to the process whose system call triggered it."""
    parents = {pid: ppid for pid, _state, ppid, _group in process_table()}
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0.0
    for pid in tree:
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue
    return total


@dataclass(frozen=True)
class Processes:
    """Whose CPU a run is charged with: the daemon, each app's dyno and each target's nginx (by root pid)."""
    daemon: int
    dynos: dict[str, int]  # app -> its web.1's process group leader
    proxies: dict[str, int]  # target -> its nginx master (the direct targets have none)

    def cpu(self, app: str, target: str) -> tuple[float, float, float]:
        proxy = self.proxies.get(target)
        return (cpu_seconds(self.daemon), tree_cpu_seconds(self.dynos[app]),
                tree_cpu_seconds(proxy) if proxy else 0.0)


def measured_run(url: str, app: str, target: str, connections: int, duration: int,
                 processes: Processes) -> WrkResult:
    """One wrk run against `target`, with the CPU the daemon, the dyno and the proxy spent meanwhile."""
    before = processes.cpu(app, target)
    result = run_wrk(url, f"{app}.localhost", connections, duration, TARGET_HEADERS.get(target, ()))
    daemon, dyno, proxy = (after - earlier for after, earlier in zip(processes.cpu(app, target), before, strict=True))
    return dataclasses.replace(result, daemon_cpu_s=daemon, dyno_cpu_s=dyno, proxy_cpu_s=proxy)


def measure(apps: list[App], urls: dict[str, dict[str, str]], rounds: int, duration: int, connections: int,
            processes: Processes) -> Results:
    """A warm-up run per target, then `rounds` rounds of every app's targets back to back."""
    for app in apps:
        for target in TARGETS:
            run_wrk(urls[app.name][target], f"{app.name}.localhost", connections, WARMUP_SECONDS,
                    TARGET_HEADERS.get(target, ()))
    results: Results = {(app.name, target): [] for app in apps for target in TARGETS}
    for round_ in range(rounds):
        order = TARGETS[round_ % len(TARGETS):] + TARGETS[:round_ % len(TARGETS)]
        for app in apps:
            for target in order:
                result = measured_run(urls[app.name][target], app.name, target, connections, duration, processes)
                results[(app.name, target)].append(result)
                print(f"  round {round_ + 1} {app.name:<8} {target:<18} {result.rps:>9.0f} req/s  "
                      f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms  "
                      f"errors {result.socket_errors} non-2xx/3xx {result.non_2xx_3xx}  "
                      f"CPU µs/request: dyno {result.per_request_us(result.dyno_cpu_s):.0f} "
                      f"proxy {result.per_request_us(result.proxy_cpu_s):.0f} "
                      f"daemon {result.per_request_us(result.daemon_cpu_s):.1f}", file=sys.stderr, flush=True)
    return results


# --- the report ------------------------------------------------------------------------------------------


def ratio_line(results: Results, app: str, over: str, under: str, goal: float | None) -> str:
    """The median of the per-round ratios: each pairs two runs of one round, made within seconds of each other,
    so the machine's drift from round to round cancels out."""
    ratios = [a.rps / b.rps for a, b in zip(results[(app, over)], results[(app, under)], strict=True)]
    ratio = statistics.median(ratios)
    per_round = ", ".join(f"{r:.2f}" for r in ratios)
    target = "—" if goal is None else f"≥ {goal:.2f}× ({'meets' if ratio >= goal else '**misses**'})"
    return f"| {app} | {over} / {under} | **{ratio:.2f}×** | {target} | {per_round} |"


def cpu_cell(runs: list[WrkResult]) -> str:
    """Median CPU µs per request: dyno + proxy + daemon = their sum."""
    dyno, proxy, daemon = (statistics.median(r.per_request_us(getattr(r, f"{who}_cpu_s")) for r in runs)
                           for who in ("dyno", "proxy", "daemon"))
    return f"{dyno:.0f} + {proxy:.0f} + {daemon:.1f} = {dyno + proxy + daemon:.0f}"


def summary_table(apps: list[App], results: Results) -> list[str]:
    lines = ["| App | Target | req/s (median) | p50 | p99 | socket errors | non-2xx/3xx "
             "| CPU µs/request: dyno + proxy + daemon | req/s per round |",
             "|---|---|---|---|---|---|---|---|---|"]
    for app in apps:
        for target in TARGETS:
            runs = results[(app.name, target)]
            lines.append(
                f"| {app.name} | {TARGET_LABELS[target]} | {statistics.median(r.rps for r in runs):,.0f} "
                f"| {statistics.median(r.p50_ms for r in runs):.2f} ms | {statistics.median(r.p99_ms for r in runs):.2f} ms "
                f"| {sum(r.socket_errors for r in runs)} | {sum(r.non_2xx_3xx for r in runs)} "
                f"| {cpu_cell(runs)} | {', '.join(f'{r.rps:,.0f}' for r in runs)} |")
    return lines


def raw_table(apps: list[App], results: Results) -> list[str]:
    lines = ["| Round | App | Target | req/s | p50 | p99 | requests | socket errors | non-2xx/3xx "
             "| CPU µs/request: dyno + proxy + daemon |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    rounds = len(results[(apps[0].name, TARGETS[0])])
    for round_ in range(rounds):
        for app in apps:
            for target in TARGETS:
                r = results[(app.name, target)][round_]
                lines.append(f"| {round_ + 1} | {app.name} | {target} | {r.rps:,.0f} | {r.p50_ms:.2f} ms "
                             f"| {r.p99_ms:.2f} ms | {r.requests} | {r.socket_errors} | {r.non_2xx_3xx} "
                             f"| {cpu_cell([r])} |")
    return lines


def report(args: argparse.Namespace, apps: list[App], results: Results, seaway_conf: str) -> str:
    command = ".venv/bin/python -m bench.router_bench " + shlex.join(sys.argv[1:])
    wrk_line = shlex.join(wrk_command("URL", "APP.localhost", args.connections, args.duration))
    lines = [
        f"## Issue 6: router overhead against direct and a minimal nginx proxy ({datetime.date.today()})",
        "",
        "```",
        command.strip(),
        "```",
        "",
        "One web dyno of one worker per app, all on this machine: "
        + "; ".join(f"`{a.name}` = {a.server}" for a in apps) + f". Load: `{wrk_line}` (GET /), "
        f"{args.rounds} round(s) of {args.duration} s per target, targets interleaved; a ratio is the median of "
        "the per-round ratios. "
        f"Seaway's router as generated: {describe_router(seaway_conf)}. The minimal proxy has the same "
        "worker_processes, upstream `keepalive 16`, `proxy_http_version 1.1`, `Connection \"\"`, access_log off "
        "and nginx's default client keep-alive. `minimal-headers` is the same proxy also sending the headers "
        "Heroku's router sends (Host, X-Forwarded-For/Proto/Port, X-Request-ID, X-Request-Start); `router-nolog` "
        "is another nginx running a copy of Seaway's generated config with only its port, folder and "
        "`access_log off` changed. `direct-headers` is wrk straight to the dyno with those headers in the request "
        f"({', '.join(f'`{h}`' for h in HEROKU_REQUEST_HEADERS)}): what they cost the app with no proxy at all. "
        "CPU µs/request: CPU time used during a run, divided by its requests, by the dyno (its processes), the "
        "nginx in front (master and workers; 0 for the direct targets) and the Seaway daemon (it turns the "
        "router's records into log lines); on loopback the kernel's TCP work is mostly charged to the process "
        "whose system call caused it, and wrk's own CPU is not counted. "
        f"This machine has {os.cpu_count()} cores, shared by wrk, nginx, the dyno and the daemon.",
        "",
        *summary_table(apps, results),
        "",
        "| App | Throughput ratio | Median | Target | Per round |",
        "|---|---|---|---|---|",
    ]
    for app in apps:
        lines.append(ratio_line(results, app.name, "router", "direct", 0.90))
        lines.append(ratio_line(results, app.name, "router", "minimal", 0.95))
        lines.append(ratio_line(results, app.name, "direct-headers", "direct", None))  # the headers' cost in the app
        lines.append(ratio_line(results, app.name, "router", "direct-headers", 0.90))  # same request at the dyno
        lines.append(ratio_line(results, app.name, "router", "minimal-headers", 0.95))  # same request at the dyno
        lines.append(ratio_line(results, app.name, "minimal", "direct", None))  # any nginx in front
        lines.append(ratio_line(results, app.name, "router", "router-nolog", None))  # cost of router logging
    lines += ["", "Raw figures (within a round, each app's targets ran back to back; the first target rotates "
              "from round to round):",
              "", *raw_table(apps, results), ""]
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed. Install it with:  apt-get install -y wrk", file=sys.stderr)
        sys.exit(2)
    work = Path(tempfile.mkdtemp(prefix="seaway-router-bench-"))
    daemon = Daemon(work / "home", boot_timeout=60)  # SEAWAY_WEB_CONCURRENCY=1: one worker per dyno
    proxies: dict[str, Nginx] = {}
    try:
        daemon.start()
        for app in APP_SPECS:
            deploy(daemon, app, work)
        seaway_conf = (daemon.home / "router" / "nginx.conf").read_text()
        dynos = {app.name: dyno_address(seaway_conf, app.name) for app in APP_SPECS}
        proxies, urls = own_proxies(daemon, work, seaway_conf, dynos)
        for proxy in proxies.values():
            proxy.start()
        for app in APP_SPECS:
            check_answers(urls[app.name], f"{app.name}.localhost", app.body)
        assert daemon.process is not None
        router_pid = read_pid(daemon.home / "router" / "nginx.pid")
        if router_pid is None:
            raise RuntimeError(f"Seaway's nginx has no pid file in {daemon.home / 'router'}")
        processes = Processes(daemon.process.pid, {app.name: dyno_leader_pid(daemon, app.name, "web.1")
                                                    for app in APP_SPECS},
                              {"router": router_pid,
                               **{target: proxy.pid for target, proxy in proxies.items()}})
        results = measure(APP_SPECS, urls, args.rounds, args.duration, args.connections, processes)
    finally:
        for proxy in proxies.values():
            proxy.stop()
        if daemon.process is not None:
            daemon.stop()
        remove_tree(work)
    print(report(args, APP_SPECS, results, seaway_conf))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
