"""certs:auto against a real ACME server (Debian's pebble on loopback, its DNS pointing every name at
127.0.0.1): a certificate issued for a custom domain over HTTP-01 answered by the router, renewed when it
comes due, and the old one kept serving while a renewal fails."""

from __future__ import annotations

import json
import socket
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from seaway.slugs.slug import remove_tree
from tests.e2e.daemon import Daemon, copy_app, wait_for
from tests.e2e.pebble import Pebble

pytestmark = pytest.mark.e2e
DOMAIN = "www.acme.test"
# Certificates that come due for renewal (30 days before expiry) 20 seconds after they are issued.
VALIDITY = 30 * 86400 + 20


@pytest.fixture(scope="module")
def acme() -> Iterator[tuple[Daemon, Pebble]]:
    folder = Path(tempfile.mkdtemp(prefix="seaway-e2e-acme-"))
    daemon = Daemon(folder / "home")
    pebble = Pebble(folder / "pebble", daemon.router_port, VALIDITY)
    pebble.start()
    daemon.env.update({"SEAWAY_ACME_DIRECTORY": pebble.directory, "SEAWAY_ACME_CA_BUNDLE": str(pebble.ca_bundle),
                       "SEAWAY_ACME_EMAIL": "ops@seaway.test"})
    daemon.start()
    yield daemon, pebble
    daemon.stop()
    pebble.stop()
    remove_tree(folder)


def served(daemon: Daemon, host: str) -> x509.Certificate:
    """The certificate the router serves for `host` (not verified: that is checked apart)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", daemon.https_port), timeout=30) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def domain_status(daemon: Daemon, app: str) -> dict:
    return json.loads(daemon.cli("certs:auto", "-a", app, "--json").stdout)["domains"][0]


def test_issue_renew_and_keep_serving_through_a_failed_renewal(acme: tuple[Daemon, Pebble], tmp_path: Path) -> None:
    daemon, pebble = acme
    source = copy_app("wsgi_basic", tmp_path)
    daemon.cli("apps:create", "acme-app", cwd=source)
    daemon.cli("deploy", cwd=source)
    refused = daemon.cli("certs:auto:enable", "-a", "acme-app", check=False)
    assert refused.returncode != 0 and "no custom domain" in refused.stderr
    daemon.cli("domains:add", DOMAIN, "-a", "acme-app")
    assert "Enabling automatic certificates" in daemon.cli("certs:auto:enable", "-a", "acme-app").stdout

    wait_for(lambda: domain_status(daemon, "acme-app")["status"] == "Cert issued", timeout=300)
    first = served(daemon, DOMAIN)
    assert "Pebble" in first.issuer.rfc4514_string() and DOMAIN in str(first.extensions)
    root = tmp_path / "pebble-root.pem"
    root.write_text(pebble.root_pem())
    answer = daemon.get_https(DOMAIN, "/", cafile=root)  # the chain the router sends verifies to pebble's root
    assert answer.status == 200 and answer.body == b"basic VERSION=1\n"  # type: ignore[attr-defined]

    wait_for(lambda: fingerprint(served(daemon, DOMAIN)) != fingerprint(first), timeout=300)  # renewed when due
    assert "issued for www.acme.test" in daemon.cli("logs", "-a", "acme-app", "-n", "200").stdout

    pebble.stop_acme()  # renewals fail from now on
    wait_for(lambda: domain_status(daemon, "acme-app")["status"] == "Failing", timeout=300)
    status = domain_status(daemon, "acme-app")
    assert status["last_error"] and status["retry_at"], status
    kept = served(daemon, DOMAIN)
    listed = json.loads(daemon.cli("certs", "-a", "acme-app", "--json").stdout)
    assert [c["fingerprint"] for c in listed if c["kind"] == "auto"] == [fingerprint(kept)]  # the old one serves
    assert daemon.get_https(DOMAIN, "/", cafile=root).status == 200
    shown = daemon.cli("certs:auto", "-a", "acme-app").stdout
    assert "Failing" in shown and DOMAIN in shown

    daemon.cli("certs:auto:disable", "-a", "acme-app")
    assert "Pebble" not in served(daemon, DOMAIN).issuer.rfc4514_string()  # back to the local CA's
