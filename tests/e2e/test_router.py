"""nginx routes APP.localhost to the app's web dyno with Heroku's forwarding headers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.daemon import SANDBOXED, Daemon, copy_app


@pytest.fixture(scope="module")
def basic(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> str:
    source = copy_app("wsgi_basic", tmp_path_factory.mktemp("basic"))
    daemon.cli("apps:create", "basic", cwd=source)
    daemon.cli("deploy", cwd=source)
    return "basic"


def test_unknown_host_gets_a_clear_404(daemon: Daemon) -> None:
    response = daemon.get("nobody-here")
    assert response.status_code == 404
    assert "No such app" in response.text and "nobody-here.localhost" in response.text


def test_app_without_dynos_gets_503(daemon: Daemon, app_name: str) -> None:
    daemon.cli("apps:create", app_name)
    response = daemon.get(app_name)
    assert response.status_code == 503 and "no web dynos running" in response.text


def test_forwarding_headers(daemon: Daemon, basic: str) -> None:
    headers = daemon.get(basic, "/headers").json()
    assert headers["Host"] == f"{basic}.localhost"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Port"] == str(daemon.router_port)
    assert len(headers["X-Request-Id"]) >= 20
    again = daemon.get(basic, "/headers").json()
    assert again["X-Request-Id"] != headers["X-Request-Id"]


def test_incoming_request_id_is_kept_and_forwarded_for_appended(daemon: Daemon, basic: str) -> None:
    given = "0123456789abcdef-request-id"
    headers = daemon.get(basic, "/headers", headers={"X-Request-ID": given, "X-Forwarded-For": "203.0.113.9"}).json()
    assert headers["X-Request-Id"] == given
    assert headers["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"


def test_dyno_environment(daemon: Daemon, basic: str) -> None:
    env = daemon.get(basic, "/env").json()
    assert env["DYNO"] == "web.1" and env["PORT"].isdigit() and env["PYTHONUNBUFFERED"] == "1"
    assert env["WEB_CONCURRENCY"] == "1"
    assert env["PATH"].split(":")[0].endswith("/app/.venv/bin")
    if SANDBOXED:
        assert env["HOME"] == "/app" and env["PATH"].startswith("/app/.venv/bin:")
    else:
        assert str(daemon.home) in env["HOME"]


def test_config_set_makes_a_release_the_app_sees(daemon: Daemon, basic: str) -> None:
    result = daemon.cli("config:set", "GREETING=hello world", "-a", basic)
    assert "done, v" in result.stdout
    assert daemon.get(basic).text == "basic VERSION=1 GREETING=hello world\n"
    assert daemon.cli("config", "-a", basic).stdout.splitlines()[1].startswith("GREETING:")
    bad = daemon.cli("config:set", "1BAD=x", "-a", basic, check=False)
    assert bad.returncode != 0 and "Invalid config var name '1BAD'" in bad.stderr


def test_run_propagates_exit_status_and_output(daemon: Daemon, basic: str) -> None:
    result = daemon.cli("run", "-a", basic, "--", "echo $DYNO from one-off; exit 3", check=False)
    assert result.returncode == 3
    assert "run." in result.stdout and "from one-off" in result.stdout
    assert daemon.cli("run", "-a", basic, "--", "python", "-c", "print(40 + 2)").stdout.splitlines()[-1] == "42"


def test_open_prints_the_url(daemon: Daemon, basic: str) -> None:
    url = daemon.cli("open", "-a", basic).stdout.strip()
    assert url == f"http://{basic}.localhost:{daemon.router_port}/"


def test_logs_tail_follows_new_lines(daemon: Daemon, basic: str) -> None:
    follower = subprocess.Popen([sys.executable, "-m", "seaway", "logs", "-a", basic, "-n", "0", "--tail"],
                                env=daemon.env, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        daemon.cli("run", "-a", basic, "--", "true")
        deadline = time.monotonic() + 20
        seen = ""
        while "Process exited with status 0" not in seen and time.monotonic() < deadline:
            seen += follower.stdout.readline()  # type: ignore[union-attr]
        assert "Starting process with command `true`" in seen
    finally:
        follower.kill()
    assert httpx.get(f"{daemon.api_url}/health").status_code == 200


def _talk(master: int, until: bytes, timeout: float = 30) -> bytes:
    import select

    seen = b""
    deadline = time.monotonic() + timeout
    while until not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def _run_on_a_terminal(daemon: Daemon, app: str, command: str) -> tuple[subprocess.Popen[bytes], int]:
    master, terminal = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "seaway", "run", "-a", app, "--", command],
                               stdin=terminal, stdout=terminal, stderr=terminal, env=daemon.env, start_new_session=True)
    os.close(terminal)
    return process, master


def test_run_from_a_terminal_is_interactive(daemon: Daemon, basic: str) -> None:
    script = ("import sys; print('stdin is a tty:', sys.stdin.isatty()); "
              "name = input('name? '); print('hello', name); sys.exit(7)")
    process, master = _run_on_a_terminal(daemon, basic, f'python -c "{script}"')
    try:
        assert b"stdin is a tty: True" in _talk(master, b"name? ")
        os.write(master, b"seaway\r")
        assert b"hello seaway" in _talk(master, b"hello seaway")
        assert process.wait(30) == 7
    finally:
        process.kill()
        os.close(master)


def test_ctrl_c_reaches_the_dyno(daemon: Daemon, basic: str) -> None:
    process, master = _run_on_a_terminal(daemon, basic, "echo ready; sleep 60")
    try:
        assert b"ready" in _talk(master, b"ready")
        os.write(master, b"\x03")
        assert process.wait(30) == 130  # killed by SIGINT, reported as a shell would
    finally:
        process.kill()
        os.close(master)


def test_custom_domains(daemon: Daemon, basic: str) -> None:
    daemon.cli("domains:add", "www.example.test", "-a", basic)
    assert daemon.cli("domains", "-a", basic).stdout.split() == [f"{basic}.localhost", "www.example.test"]
    response = httpx.get(f"http://127.0.0.1:{daemon.router_port}/", headers={"Host": "www.example.test"})
    assert response.text == "basic VERSION=1 GREETING=hello world\n" or response.text.startswith("basic VERSION=1")
    daemon.cli("apps:create", "domain-thief")
    taken = daemon.cli("domains:add", "www.example.test", "-a", "domain-thief", check=False)
    assert taken.returncode != 0 and f"already belongs to the app {basic}" in taken.stderr
    bad = daemon.cli("domains:add", "not a host", "-a", basic, check=False)
    assert bad.returncode != 0 and "is not a hostname" in bad.stderr
    daemon.cli("domains:remove", "www.example.test", "-a", basic)
    gone = httpx.get(f"http://127.0.0.1:{daemon.router_port}/", headers={"Host": "www.example.test"})
    assert gone.status_code == 404


def test_request_start_header(daemon: Daemon, basic: str) -> None:
    sent = time.time() * 1000
    start = int(daemon.get(basic, "/headers").json()["X-Request-Start"])
    assert abs(start - sent) < 5000


def test_router_timeout_gives_a_clear_503(daemon: Daemon, workdir: Path) -> None:
    source = copy_app("formation", workdir)
    (source / "app.json").unlink()
    daemon.cli("apps:create", "slowpoke", cwd=source)
    daemon.cli("config:set", "SLOW_SECONDS=3", cwd=source)
    # stop_timeout: the dyno left busy at the end is stopped at once when the daemon stops
    daemon.cli("apps:settings", "router_timeout=300", "stop_timeout=1", cwd=source)
    daemon.cli("deploy", cwd=source)
    # Long requests are allowed per app: one taking 3 s passes a router_timeout of 300 s (daemon.get waits 30 s).
    assert daemon.get("slowpoke", "/slow").text == "slow done by web.1\n"
    # Now the app would answer after 10 minutes (gunicorn ends its worker after 30 s first: an H10, never an H12).
    # Lowered to 1 s without a new release, router_timeout makes the router give up on it with a clear H12.
    daemon.cli("config:set", "SLOW_SECONDS=600", cwd=source)
    daemon.cli("apps:settings", "router_timeout=1", cwd=source)
    response = daemon.get("slowpoke", "/slow")
    assert response.status_code == 503 and "did not answer within 1 seconds (H12)" in response.text


def test_websockets_pass_through(daemon: Daemon, workdir: Path) -> None:
    import socket

    from websockets.sync.client import connect

    source = copy_app("websocket_echo", workdir)
    daemon.cli("apps:create", "ws-echo", cwd=source)
    daemon.cli("deploy", cwd=source)
    with connect("ws://ws-echo.localhost/", sock=socket.create_connection(("127.0.0.1", daemon.router_port))) as ws:
        ws.send("hello")
        assert ws.recv(timeout=10) == "echo from web.1: hello"
        ws.send("again")
        assert ws.recv(timeout=10) == "echo from web.1: again"
