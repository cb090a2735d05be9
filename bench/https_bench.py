"""Issue 15: what HTTPS costs through Seaway's router (router_bench.py's HTTPS targets).

Run from the repository root:  .venv/bin/python -m bench.https_bench [--duration 10] [--rounds 5] [--connections 50]

A real daemon deploys bench/apps/uvicorn_hello as one web dyno of one uvicorn worker (it keeps client
connections alive). In each round, in turn (the starting one rotating):
- keep-alive throughput with wrk (`-t2 -cN`, GET /, `Host: uvicorn.localhost`): the router over plain
  HTTP, and the router over HTTPS (the same connections kept, so this is the cost of encrypting);
- new TLS handshakes per second with `openssl s_time -new` (a fresh full handshake per connection, one
  small GET each, no resumption), and with `-reuse` (session resumption): against the router's HTTPS
  listener, and against a minimal nginx TLS proxy (same nginx binary, same worker count, the same
  certificate and key, nginx's default TLS settings, proxying to the same dyno).
Ratios are the median over rounds of the ratio within each round. Goals: HTTPS keep-alive >= 0.9x plain
HTTP through the router; router handshakes within 10 % of the minimal TLS proxy (>= 0.9x).
wrk connects to 127.0.0.1 (it sends no SNI for an address), so its TLS sessions get the router's
default certificate, from the same local CA and of the same kind (P-256) as the app's own.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench.router_bench import BENCH_APPS, MINIMAL_HEAD, App, Nginx, deploy, directive, dyno_address, run_wrk
from seaway.slugs.slug import remove_tree
from tests.e2e.daemon import Daemon, free_port

APP = App("uvicorn", BENCH_APPS / "uvicorn_hello", "uvicorn, 1 worker", "hello from uvicorn")

MINIMAL_TLS = """
    upstream bench_tls {{
        server {host}:{port};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{listen} ssl http2;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://bench_tls;
        }}
    }}
}}
"""


def s_time(port: int, seconds: int, reuse: bool) -> float:
    """Connections per second openssl s_time made (each a handshake, `-new`, or resumed, `-reuse`)."""
    done = subprocess.run(["openssl", "s_time", "-connect", f"127.0.0.1:{port}", "-www", "/",
                           "-reuse" if reuse else "-new", "-time", str(seconds)],
                          capture_output=True, text=True, timeout=seconds * 4 + 60)
    found = re.findall(r"(\d+) connections in ([\d.]+) real seconds", done.stdout)
    if not found:
        raise RuntimeError(f"openssl s_time said: {done.stdout}{done.stderr}")
    count, real = found[-1]
    return int(count) / float(real)


def minimal_tls_proxy(work: Path, seaway_conf: str, dyno: tuple[str, int], cert: Path, key: Path) -> Nginx:
    folder = work / "minimal-tls"
    folder.mkdir()
    shutil.copy(cert, folder / "cert.pem")
    shutil.copy(key, folder / "key.pem")
    port = free_port()
    user = directive(seaway_conf, "user")
    conf = MINIMAL_HEAD.format(dir=folder, workers=directive(seaway_conf, "worker_processes") or "1",
                               user=f"user {user};" if user else "")
    conf += MINIMAL_TLS.format(host=dyno[0], port=dyno[1], listen=port, cert=folder / "cert.pem", key=folder / "key.pem")
    return Nginx(folder, conf, [port])


def measure(daemon: Daemon, proxy: Nginx, rounds: int, duration: int, connections: int) -> dict[str, list[float]]:
    host = f"{APP.name}.localhost"
    runs = {
        "http keep-alive": lambda: run_wrk(f"http://127.0.0.1:{daemon.router_port}/", host, connections, duration).rps,
        "https keep-alive": lambda: run_wrk(f"https://127.0.0.1:{daemon.https_port}/", host, connections,
                                            duration).rps,
        "router handshakes": lambda: s_time(daemon.https_port, duration, reuse=False),
        "minimal handshakes": lambda: s_time(proxy.ports[0], duration, reuse=False),
        "router resumed": lambda: s_time(daemon.https_port, duration, reuse=True),
        "minimal resumed": lambda: s_time(proxy.ports[0], duration, reuse=True),
    }
    for run in runs.values():  # warm up
        run()
    results: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for index in range(rounds):
        for name in names[index % len(names):] + names[:index % len(names)]:
            results[name].append(runs[name]())
            print(f"round {index + 1} {name}: {results[name][-1]:.0f}/s", flush=True)
    return results


def ratio(results: dict[str, list[float]], over: str, under: str) -> float:
    return statistics.median(a / b for a, b in zip(results[over], results[under], strict=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="seaway-bench-https-"))
    daemon = Daemon(work / "home", boot_timeout=60)
    daemon.env["SEAWAY_WEB_CONCURRENCY"] = "1"
    daemon.start()
    proxy = None
    try:
        deploy(daemon, APP, work)
        seaway_conf = (daemon.home / "router" / "nginx.conf").read_text()
        tls = daemon.home / "tls" / "local"
        proxy = minimal_tls_proxy(work, seaway_conf, dyno_address(seaway_conf, APP.name),
                                  tls / f"{APP.name}.localhost.pem", tls / f"{APP.name}.localhost.key")
        proxy.start()
        results = measure(daemon, proxy, args.rounds, args.duration, args.connections)
        print("\n| measure | median | every round |\n|---|---|---|")
        for name, values in results.items():
            print(f"| {name} | {statistics.median(values):.0f}/s | {', '.join(f'{v:.0f}' for v in values)} |")
        print(f"\nHTTPS / HTTP keep-alive through the router: {ratio(results, 'https keep-alive', 'http keep-alive'):.2f}x"
              f" (goal >= 0.9x)")
        print(f"router / minimal TLS proxy, new handshakes: {ratio(results, 'router handshakes', 'minimal handshakes'):.2f}x"
              f" (goal >= 0.9x); resumed: {ratio(results, 'router resumed', 'minimal resumed'):.2f}x")
    finally:
        if proxy is not None:
            proxy.stop()
        daemon.stop()
        remove_tree(work)


if __name__ == "__main__":
    main()
