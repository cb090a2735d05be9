"""HTTPS on the router: the local CA's certificates for APP.localhost (curl --cacert, Python's ssl),
HTTP/2, forwarding headers over TLS, WebSockets over TLS."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from tests.e2e.daemon import Daemon, copy_app, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def secure(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> str:
    source = copy_app("wsgi_basic", tmp_path_factory.mktemp("secure"))
    daemon.cli("apps:create", "secure", cwd=source)
    daemon.cli("deploy", cwd=source)
    return "secure"


def curl(daemon: Daemon, host: str, path: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["curl", "-sS", "--max-time", "60", "--cacert", str(daemon.ca_file()), "--resolve",
                           f"{host}:{daemon.https_port}:127.0.0.1", *extra, f"https://{host}:{daemon.https_port}{path}"],
                          capture_output=True, text=True, timeout=120)


def test_the_local_ca_is_printed_and_signs_the_apps_certificate(daemon: Daemon, secure: str) -> None:
    ca = x509.load_pem_x509_certificate(daemon.cli("certs:ca").stdout.encode())
    assert "Seaway local CA" in ca.subject.rfc4514_string()
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    served = ssl.get_server_certificate(("127.0.0.1", daemon.https_port), timeout=30)  # no SNI: the default one
    assert x509.load_pem_x509_certificate(served.encode()).issuer == ca.subject


def test_https_reaches_the_app_with_forwarded_proto_https(daemon: Daemon, secure: str) -> None:
    answer = curl(daemon, f"{secure}.localhost", "/headers", "-w", "\n%{http_version}")
    assert answer.returncode == 0, answer.stderr
    body, version = answer.stdout.rsplit("\n", 1)
    headers = json.loads(body)
    assert headers["X-Forwarded-Proto"] == "https" and headers["X-Forwarded-Port"] == str(daemon.https_port)
    assert version == "2"  # curl and nginx agreed on HTTP/2 by ALPN
    response = daemon.get_https(f"{secure}.localhost", "/")  # Python's ssl, checking against the CA
    assert response.status == 200 and response.body == b"basic VERSION=1\n"  # type: ignore[attr-defined]
    wait_for(lambda: any('path="/headers"' in line and "protocol=https" in line for line in
                         daemon.cli("logs", "-a", secure, "--source", "router", "-n", "20").stdout.splitlines()), timeout=30)


def test_the_certificate_is_refused_without_the_ca(daemon: Daemon, secure: str, tmp_path: Path) -> None:
    other = tmp_path / "empty.pem"
    other.write_text((Path(ssl.get_default_verify_paths().openssl_cafile or "/etc/ssl/certs/ca-certificates.crt"))
                     .read_text())
    with pytest.raises(ssl.SSLCertVerificationError):
        daemon.get_https(f"{secure}.localhost", "/", cafile=other)


def test_an_unknown_host_over_https_gets_the_404(daemon: Daemon) -> None:
    answer = curl(daemon, "nobody-at-all.localhost", "/", "-o", "/dev/null", "-w", "%{http_code}", "-k")
    assert answer.stdout == "404", answer.stderr  # -k: the default certificate names localhost only


def test_websockets_over_tls(daemon: Daemon, workdir: Path) -> None:
    from websockets.sync.client import connect

    source = copy_app("websocket_echo", workdir)
    daemon.cli("apps:create", "wss-echo", cwd=source)
    daemon.cli("deploy", cwd=source)
    context = ssl.create_default_context(cafile=str(daemon.ca_file()))
    sock = socket.create_connection(("127.0.0.1", daemon.https_port), timeout=30)
    with connect(f"wss://wss-echo.localhost:{daemon.https_port}/", sock=sock, ssl=context) as ws:
        ws.send("over tls")
        assert ws.recv(timeout=10) == "echo from web.1: over tls"
