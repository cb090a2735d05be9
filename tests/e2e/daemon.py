"""A real Seaway daemon for end-to-end tests: real nginx, PostgreSQL, uv and gunicorn; driven by the real CLI."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.helpers import free_dyno_network

APPS = Path(__file__).parent.parent / "apps"
SANDBOXED = os.geteuid() == 0  # as root the daemon runs every dyno in a sandbox (HOME=/app, own network)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dyno_network() -> str:
    """A dyno network of its own for each test daemon (daemons on one host may not share one): a free /20."""
    return free_dyno_network()


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes whose command line or working directory mentions `text`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(f"/proc/{pid}/cwd")
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and (text in cmdline or cwd.startswith(text)) and int(pid) != os.getpid():
            found.append(f"{pid}: {cmdline.strip()}")
    return found


class Daemon:
    def __init__(self, home: Path, boot_timeout: int = 6) -> None:
        self.home = home
        self.router_port = free_port()
        self.https_port = free_port()
        self.api_port = free_port()
        self.env = {
            **os.environ,
            "SEAWAY_HOME": str(home),
            "SEAWAY_API_PORT": str(self.api_port),
            "SEAWAY_ROUTER_PORT": str(self.router_port),
            "SEAWAY_ROUTER_HTTPS_PORT": str(self.https_port),
            "SEAWAY_ACME_DIRECTORY": "https://127.0.0.1:1/directory",  # never a real CA (test_acme runs pebble)
            "SEAWAY_POSTGRES_PORT": str(free_port()),
            "SEAWAY_BOOT_TIMEOUT": str(boot_timeout),
            "SEAWAY_STOP_TIMEOUT": "5",
            "SEAWAY_WEB_CONCURRENCY": "1",
            "SEAWAY_SCHEDULE_INTERVAL": "1",
            "SEAWAY_DYNO_NETWORK": dyno_network(),
            "SEAWAY_PYTHON_DOWNLOADS": "never",  # no interpreter downloads here: builds use the host's
            "SEAWAY_RELEASE_WATCH": "0",  # old dynos stop at the switch; the watch's tests turn it on per app
            "XDG_CONFIG_HOME": str(home.parent / "config"),  # where `seaway login` writes: never the user's own
            "GIT_CONFIG_GLOBAL": str(home.parent / "gitconfig"),  # and git's global config it changes
        }
        for key in ("SEAWAY_API_TOKEN", "SEAWAY_API_URL", "SEAWAY_APP"):
            self.env.pop(key, None)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, timeout: float = 90) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.log = open(self.home.parent / f"{self.home.name}-daemon.out", "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "seaway", "server"], env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"seaway server exited {self.process.returncode}: {self.output()}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"seaway server did not answer within {timeout}s: {self.output()}")

    def output(self) -> str:
        return (self.home.parent / f"{self.home.name}-daemon.out").read_text(errors="replace")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        code = self.process.wait(timeout)
        self.log.close()
        return code

    @property
    def token(self) -> str:
        for line in (self.home / "credentials").read_text().splitlines():
            if line.startswith("SEAWAY_API_TOKEN="):
                return line.split("=", 1)[1]
        raise AssertionError("no token in credentials")

    def cli(self, *args: str, cwd: Path | None = None, check: bool = True, timeout: float = 600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "seaway", *args], cwd=cwd or self.home.parent,
                                env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"seaway {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def get(self, app: str, path: str = "/", **kwargs: object) -> httpx.Response:
        headers = {"Host": f"{app}.localhost", **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        return httpx.get(f"http://127.0.0.1:{self.router_port}{path}", headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]

    def ca_file(self) -> Path:
        """The local CA's certificate, as `seaway certs:ca` prints it, in a file next to the home."""
        path = self.home.parent / f"{self.home.name}-ca.pem"
        if not path.exists():
            path.write_text(self.cli("certs:ca").stdout)
        return path

    def get_https(self, host: str, path: str = "/", headers: dict[str, str] | None = None,
                  cafile: Path | None = None) -> http.client.HTTPResponse:
        """GET https://HOST:HTTPS_PORT/PATH through 127.0.0.1, HOST sent by SNI and in Host, the certificate
        checked against `cafile` (default: the local CA); the answer's body is read."""
        context = ssl.create_default_context(cafile=str(cafile or self.ca_file()))
        raw = socket.create_connection(("127.0.0.1", self.https_port), timeout=30)
        with context.wrap_socket(raw, server_hostname=host) as tls:
            lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close",
                     *(f"{name}: {value}" for name, value in (headers or {}).items())]
            tls.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            response = http.client.HTTPResponse(tls)
            response.begin()
            response.body = response.read()  # type: ignore[attr-defined]
            return response

    def api(self, method: str, path: str, token: str | None = None, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token if token is not None else self.token}"}
        return httpx.request(method, f"{self.api_url}{path}", headers=headers, timeout=120, **kwargs)  # type: ignore[arg-type]


def copy_app(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(APPS / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def dyno_leader_pid(daemon: Daemon, app: str, dyno: str) -> int:
    """The pid of the process group leader running `dyno` of `app` (from the daemon's pid files): the
    dyno's shell, or in a sandbox the launcher whose death takes the sandbox down.

    The newest one: a replaced dyno of the same name may still be finishing its requests."""
    files = sorted((daemon.home / "run" / "dynos" / "pids").glob(f"{app}.{dyno}.*.pid"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise AssertionError(f"no process for {app} {dyno}")
    return int(files[-1].read_text().split()[0])  # the pid, then its identity


def dyno_processes(daemon: Daemon, app: str, process_type: str) -> list[str]:
    """Command lines of every live process of `app`'s dynos of that type (by their HOME, or in a
    sandbox by their control group)."""
    prefix = f"HOME={daemon.home}/run/dynos/homes/{app}.{process_type}.".encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if SANDBOXED:
                mine = f"/{app}.{process_type}." in Path(f"/proc/{pid}/cgroup").read_text()
            else:
                mine = any(i.startswith(prefix) for i in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"))
            if mine and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return found


def wait_for(condition: object, timeout: float = 30, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


class Load:
    """Constant requests through the router in a thread, one after another, until the block ends: counts
    what answered 200 (and keeps the distinct answers) and what failed."""

    def __init__(self, daemon: Daemon, app: str, path: str = "/") -> None:
        self.daemon, self.app, self.path = daemon, app, path
        self.ok = self.failed = 0
        self.errors: list[str] = []
        self.answers: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                response = self.daemon.get(self.app, self.path)
                if response.status_code == 200:
                    self.ok += 1
                    self.answers.add(response.text)
                else:
                    self.failed += 1
                    self.errors.append(f"{response.status_code}: {response.text[:100]}")
            except Exception as error:  # noqa: BLE001 - any failure counts
                self.failed += 1
                self.errors.append(repr(error))
            time.sleep(0.01)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
