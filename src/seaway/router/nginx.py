"""The nginx process: started in a session of its own, reloaded gracefully when routes change.

nginx outlives a daemon that is killed (it keeps serving the routes it had); the next daemon finds it
by its pid file and takes it back with a reload, rather than stopping it and starting another."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

from seaway.certs.files import CertificateSource
from seaway.home import PRIVATE, open_private, private_file
from seaway.host import (
    LeftoverProcess,
    RunAs,
    child_pids,
    chown_tree,
    grant_traverse,
    is_root,
    port_taken,
    process_alive,
    read_pid,
)
from seaway.logs import LogStore
from seaway.router.accesslog import OnRecords, RouterLog
from seaway.router.config import AppRoute, Https, render_config


class RouterError(Exception):
    pass


UMASK = 0o077  # what nginx creates (pid file, a log file it must make itself) is its owner's alone


def running_master(pid_file: Path, conf: Path) -> int | None:
    """The pid of the nginx master running `conf` that `pid_file` names, if it still runs."""
    pid = read_pid(pid_file)
    if pid is None or not process_alive(pid):
        return None
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    command = b" ".join(words)
    return pid if b"nginx" in command and str(conf).encode() in command else None


def find_nginx() -> str:
    found = os.environ.get("SEAWAY_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(found):
        raise RouterError("nginx is not installed. Install it with `apt-get install nginx-light` (or set SEAWAY_NGINX).")
    return found


def worker_user() -> RunAs | None:
    """When root, nginx's workers drop to an unprivileged user."""
    if not is_root():
        return None
    for name in ("www-data", "nobody"):
        try:
            return RunAs.of(pwd.getpwnam(name))
        except KeyError:
            continue
    return None


def system_resolver(conf: Path = Path("/etc/resolv.conf")) -> str:
    """The host's name servers, for nginx's `resolver` (IPv6 ones in brackets)."""
    try:
        lines = conf.read_text().splitlines()
    except OSError:
        return ""
    servers = [line.split()[1] for line in lines if line.startswith("nameserver") and len(line.split()) > 1]
    return " ".join(f"[{server}]" if ":" in server else server for server in servers)


class NginxRouter:
    def __init__(self, directory: Path, host: str, port: int, logs: LogStore | None = None, keepalive: int = 75,
                 workers: int = 1, https_port: int = 0, certificates: CertificateSource | None = None,
                 trusted_proxies: tuple[str, ...] = (), on_records: OnRecords | None = None) -> None:
        """With `logs`, every request through the router writes a router line into its app's log, and its
        record goes to `on_records` (the router metrics).
        `keepalive`: seconds an idle client connection is kept (0: one request per connection).
        `workers`: nginx worker processes. With `https_port` and `certificates`, HTTPS too, each host
        with the certificate `certificates` gives it. `trusted_proxies`: networks whose X-Forwarded-*
        headers are kept. ACME challenge answers are served from `webroot` (for routes with `acme`)."""
        self.directory, self.listen, self.keepalive, self.workers = directory, f"{host}:{port}", keepalive, workers
        self.https_port = https_port if certificates else 0
        self.certificates, self.trusted_proxies = certificates, trusted_proxies
        self.webroot = directory / "acme"
        self.access_log = (RouterLog(directory / "access.log", logs, self.dyno_of, reopen=self._reopen_logs,
                                     on_records=on_records) if logs is not None else None)
        self._dynos: dict[str, dict[str, str]] = {}  # app -> "host:port" -> dyno, current and previous routes
        self.conf = directory / "nginx.conf"
        self.binary = find_nginx()
        self.user = worker_user()
        self.process: subprocess.Popen[bytes] | LeftoverProcess | None = None
        self._started = False
        self._routes: dict[str, AppRoute] = {}
        self._lock = threading.Lock()

    def _command(self, *extra: str) -> list[str]:
        return [self.binary, "-p", str(self.directory), "-c", str(self.conf), "-e", str(self.directory / "error.log"), *extra]

    def _write_config(self) -> None:
        routes, https = list(self._routes.values()), None
        if self.https_port and self.certificates:
            https = Https(f"{self.listen.rpartition(':')[0]}:{self.https_port}", self.https_port,
                          self.certificates.default())
            routes = [replace(route, tls=self.certificates.for_hosts(route.app, route.hosts)) for route in routes]
        resolver = system_resolver() if any(f.staple for r in routes for f in r.tls.values()) else ""
        if not resolver:  # OCSP stapling needs to look its responder up
            routes = [replace(r, tls={h: replace(f, staple=False) for h, f in r.tls.items()}) for r in routes]
        text = render_config(routes, self.directory, self.listen,
                             f"{self.user.name} {grp.getgrgid(self.user.gid).gr_name}" if self.user else None,
                             workers=self.workers, access_log=self.access_log.directive() if self.access_log else None,
                             keepalive=self.keepalive, https=https, trusted_proxies=self.trusted_proxies,
                             resolver=resolver, webroot=self.webroot)
        candidate = self.conf.with_suffix(".new")
        # 0600 from its creation on, before it holds a word.
        with os.fdopen(open_private(candidate, os.O_WRONLY | os.O_TRUNC), "w", encoding="utf-8") as f:
            f.write(text)
        test = subprocess.run([self.binary, "-t", "-q", "-p", str(self.directory), "-c", str(candidate),
                               "-e", str(self.directory / "error.log")], capture_output=True, text=True, umask=UMASK)
        if test.returncode != 0:
            raise RouterError(f"nginx refused the generated configuration: {test.stderr.strip()}")
        candidate.replace(self.conf)

    def _prepare_directory(self) -> None:
        """The folder and nginx's files are readable by the daemon (and nginx) only: they hold every app's
        hostnames, dyno addresses, paths and client addresses. Workers pass through to their temp folders."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, PRIVATE)
        for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        for name in ("error.log", "nginx.out"):
            private_file(self.directory / name)
        self.webroot.mkdir(exist_ok=True)
        os.chmod(self.webroot, 0o755)  # challenge answers are public by design
        if self.user:
            chown_tree(self.directory / "tmp", self.user)
            grant_traverse(self.directory / "tmp", self.user)
            grant_traverse(self.webroot, self.user)

    def start(self, routes: list[AppRoute]) -> None:
        """Serve `routes` (routes given to `update` before, a daemon's taken-back dynos', win over them). An
        nginx a killed daemon left running is taken back: reloaded with this configuration, never stopped
        (it serves throughout)."""
        self._prepare_directory()
        if self.access_log:
            self.access_log.start()
        with self._lock:
            self._routes = {r.app: r for r in routes} | self._routes
            self._dynos = {r.app: dict(r.dynos) for r in routes} | self._dynos
            self._write_config()
            leftover = running_master(self.directory / "nginx.pid", self.conf)
            if leftover is not None:
                self.process = LeftoverProcess(leftover, "nginx")
                self._started = True
                self._reload()
                return
            log = open_private(self.directory / "nginx.out")
            try:
                self.process = subprocess.Popen(self._command(), stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                                start_new_session=True, umask=UMASK)
            finally:
                os.close(log)
            self._started = True
        self._wait_workers(set(), timeout=10)

    def _wait_workers(self, old: set[int], timeout: float) -> None:
        """Wait until nginx runs workers of the newest configuration and none of `old` is left."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                host, _, port = self.listen.rpartition(":")
                taken = port_taken("The router", host, int(port), "SEAWAY_ROUTER_PORT") or (
                    port_taken("The router's HTTPS", host, self.https_port, "SEAWAY_ROUTER_HTTPS_PORT")
                    if self.https_port else None)
                tail = (self.directory / "error.log").read_text(errors="replace")[-600:]
                raise RouterError(taken or f"nginx exited with status {self.process.returncode}: {tail}")
            workers = child_pids(self.process.pid)
            if workers and not workers & old:
                return
            time.sleep(0.02)

    def update(self, route: AppRoute | None = None, remove: str | None = None) -> None:
        """Change one app's route (or remove it) and reload nginx gracefully."""
        with self._lock:
            previous = dict(self._routes)
            if route is not None:
                self._routes[route.app] = route
                # Requests to the dynos of the route before still finish (and log) after the switch.
                before = previous[route.app].dynos if route.app in previous else {}
                self._dynos[route.app] = {**before, **route.dynos}
            if remove is not None:
                self._routes.pop(remove, None)
                self._dynos.pop(remove, None)
            if not self._started:  # `start` writes the configuration, with this route in it
                return
            try:
                self._write_config()
            except RouterError:
                self._routes = previous
                raise
            self._reload()

    def dyno_of(self, app: str, address: str) -> str:
        """The dyno that served at `address` ("host:port") for `app`, or the address if it is not known."""
        return self._dynos.get(app, {}).get(address, address)

    def _reload(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        old = child_pids(self.process.pid)
        self.process.send_signal(signal.SIGHUP)
        self._wait_workers(old, timeout=15)

    def _reopen_logs(self) -> None:
        """nginx reopens its log files (the access log was rotated away)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)

    def stop(self) -> None:
        self._stop_nginx()
        if self.access_log:
            self.access_log.close()

    def _stop_nginx(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful: finish in-flight requests
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
