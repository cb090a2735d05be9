"""X-Forwarded-For/Proto/Port through the real nginx: kept and extended from a trusted proxy
(SEAWAY_TRUSTED_PROXIES), replaced (Proto, Port) or appended to (For) for anyone else."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seaway.dynos.local import free_port, port_open
from seaway.router import AppRoute, NginxRouter

pytestmark = pytest.mark.timeout(60)

ECHO = """
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class Echo(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(dict(self.headers)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
"""


@pytest.fixture
def echo() -> Iterator[tuple[str, int]]:
    address = ("127.0.0.1", free_port())
    process = subprocess.Popen([sys.executable, "-c", ECHO, str(address[1])])
    deadline = time.monotonic() + 30
    while not port_open(address):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    yield address
    process.kill()
    process.wait()


def headers_seen(port: int, sent: dict[str, str]) -> dict[str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/", headers={"Host": "fwd.localhost", **sent})
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


@pytest.fixture
def start_router(tmp_path: Path, echo: tuple[str, int]) -> Iterator:
    started: list[NginxRouter] = []

    def start(trusted: tuple[str, ...]) -> int:
        port = free_port()
        router = NginxRouter(tmp_path / f"router-{port}", "127.0.0.1", port, trusted_proxies=trusted)
        router.start([AppRoute("fwd", [echo])])
        started.append(router)
        return port

    yield start
    for router in started:
        router.stop()


CLAIMS = {"X-Forwarded-Proto": "https", "X-Forwarded-Port": "443", "X-Forwarded-For": "203.0.113.9"}


def test_an_untrusted_clients_claims_are_replaced(start_router) -> None:
    port = start_router(())
    seen = headers_seen(port, CLAIMS)
    assert seen["X-Forwarded-Proto"] == "http" and seen["X-Forwarded-Port"] == str(port)
    assert seen["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"  # appended to, as on Heroku: the last is the peer


def test_a_trusted_proxys_headers_are_kept_and_extended(start_router) -> None:
    port = start_router(("127.0.0.0/8",))
    seen = headers_seen(port, CLAIMS)
    assert seen["X-Forwarded-Proto"] == "https" and seen["X-Forwarded-Port"] == "443"
    assert seen["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"
    alone = headers_seen(port, {})  # a trusted proxy that says nothing: the listener's own facts
    assert alone["X-Forwarded-Proto"] == "http" and alone["X-Forwarded-For"] == "127.0.0.1"
    odd = headers_seen(port, {"X-Forwarded-Proto": "gopher", "X-Forwarded-Port": "99999999"})
    assert odd["X-Forwarded-Proto"] == "http" and odd["X-Forwarded-Port"] == str(port)


def test_a_proxy_outside_the_trusted_networks_is_not_believed(start_router) -> None:
    port = start_router(("10.0.0.0/8", "192.168.0.0/16"))
    assert headers_seen(port, CLAIMS)["X-Forwarded-Proto"] == "http"
