"""HTTPS on the router: the local CA's certificates for APP.localhost (curl --cacert, Python's ssl),
HTTP/2, forwarding headers over TLS, WebSockets over TLS, force_https and HSTS, Django's SSL redirect."""

from __future__ import annotations

import json
import re
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
    assert f"https://{secure}.localhost:{daemon.https_port}/" in daemon.cli("apps:info", "-a", secure).stdout
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


def test_force_https_redirects_plain_http_and_hsts_is_sent_over_https(daemon: Daemon, secure: str) -> None:
    daemon.cli("apps:settings", "force_https=true", "hsts=31536000", "-a", secure)
    try:
        plain = daemon.get(secure, "/headers?x=1&y=2", follow_redirects=False)
        assert plain.status_code == 308
        assert plain.headers["location"] == f"https://{secure}.localhost:{daemon.https_port}/headers?x=1&y=2"
        assert "strict-transport-security" not in plain.headers
        secured = daemon.get_https(f"{secure}.localhost", "/headers?x=1")
        assert secured.status == 200 and secured.getheader("Strict-Transport-Security") == "max-age=31536000"
        shown = daemon.cli("apps:settings", "-a", secure).stdout
        assert re.search(r"force_https:\s+True", shown) and re.search(r"hsts:\s+31536000", shown)
    finally:
        daemon.cli("apps:settings", "force_https=default", "hsts=default", "-a", secure)
    assert daemon.get(secure, "/").status_code == 200
    assert daemon.get_https(f"{secure}.localhost", "/").getheader("Strict-Transport-Security") is None


def test_djangos_ssl_redirect_works_over_https(daemon: Daemon, workdir: Path, app_name: str) -> None:
    """Heroku's Django template (SECURE_SSL_REDIRECT, SECURE_PROXY_SSL_HEADER) unchanged."""
    source = copy_app("django_secure", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    daemon.cli("deploy", cwd=source)
    # Django redirects to https://HOST/ (port 443); the router points that at its HTTPS port
    plain = daemon.get(app_name, "/?q=1", headers={"Host": f"{app_name}.localhost:{daemon.router_port}"},
                       follow_redirects=False)
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://{app_name}.localhost:{daemon.https_port}/?q=1"
    secured = daemon.get_https(f"{app_name}.localhost", "/")
    assert secured.status == 200 and secured.body.decode().startswith("secure=True")  # type: ignore[attr-defined]
    spoofed = daemon.get(app_name, "/", headers={"X-Forwarded-Proto": "https"}, follow_redirects=False)
    assert spoofed.status_code == 301  # a client's own X-Forwarded-Proto is not believed


def test_own_certificate_serves_its_domain_and_refused_ones_change_nothing(daemon: Daemon, secure: str,
                                                                          tmp_path: Path) -> None:
    from tests.certs.pki import DAY, NOW, key_pem, make_ca, make_leaf, pem

    domain = "www.secure.test"
    daemon.cli("domains:add", domain, "-a", secure)
    root = make_ca("Test Root")
    intermediate = make_ca("Test Intermediate", root)
    leaf, key = make_leaf(intermediate, [domain])
    (tmp_path / "root.pem").write_text(pem(root.cert))

    def files(name: str, chain: str, private: str) -> tuple[str, str]:
        (tmp_path / f"{name}.crt").write_text(chain)
        (tmp_path / f"{name}.key").write_text(private)
        return str(tmp_path / f"{name}.crt"), str(tmp_path / f"{name}.key")

    other_leaf, other_key = make_leaf(intermediate, ["shop.other.test"])
    old_leaf, old_key = make_leaf(intermediate, [domain], NOW - 100 * DAY, NOW - DAY)
    refused = {
        "private key does not match": files("wrong", pem(leaf) + pem(intermediate.cert), key_pem(other_key)),
        "expired on": files("old", pem(old_leaf) + pem(intermediate.cert) + pem(root.cert), key_pem(old_key)),
        "covers none of the app's domains": files("other", pem(other_leaf) + pem(intermediate.cert) + pem(root.cert),
                                                  key_pem(other_key)),
        "chain is incomplete": files("alone", pem(leaf), key_pem(key)),
    }
    for message, (crt, private) in refused.items():
        result = daemon.cli("certs:add", crt, private, "-a", secure, check=False)
        assert result.returncode != 0 and message in result.stderr, (message, result.stderr)
    assert json.loads(daemon.cli("certs", "-a", secure, "--json").stdout) == []  # nothing was kept

    added = daemon.cli("certs:add", *files("good", pem(leaf) + pem(intermediate.cert) + pem(root.cert), key_pem(key)),
                       "-a", secure)
    assert re.search(rf"Serving:\s+{re.escape(domain)}", added.stdout), added.stdout
    assert "PRIVATE KEY" not in added.stdout + daemon.cli("logs", "-a", secure, "-n", "50").stdout
    served = daemon.get_https(domain, "/", cafile=tmp_path / "root.pem")  # SNI picks it; chain verifies
    assert served.status == 200 and served.body == b"basic VERSION=1\n"  # type: ignore[attr-defined]
    assert daemon.get_https(f"{secure}.localhost", "/").status == 200  # the app's own host: the local CA's still
    listed = daemon.cli("certs", "-a", secure).stdout
    assert "cert-" in listed and domain in listed and "serving" in listed
    assert "Test Intermediate" in daemon.cli("certs:info", "-a", secure).stdout

    daemon.cli("certs:remove", "--confirm", secure, "-a", secure)
    with pytest.raises(ssl.SSLCertVerificationError):
        daemon.get_https(domain, "/", cafile=tmp_path / "root.pem")
    assert daemon.get_https(domain, "/").status == 200  # back to the local CA's certificate for it
    daemon.cli("domains:remove", domain, "-a", secure)
