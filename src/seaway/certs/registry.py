"""The certificates installed for apps (certs:add, certs:auto) and which one each host is served with:
the user's own where one covers the host, else the ACME CA's, else the local CA's (made on demand).
Their files live under SEAWAY_HOME/tls/apps/<app id>/ (keys 0600); the store holds their facts."""

from __future__ import annotations

import datetime

from seaway.certs.check import CertificateFacts, covers
from seaway.certs.files import CertificateFiles, TlsFiles
from seaway.errors import UserError
from seaway.home import PRIVATE, write_secret
from seaway.slugs.slug import remove_tree
from seaway.store import Store
from seaway.store.models import App, Certificate, aware, utcnow


def _preference(certificate: Certificate) -> tuple[bool, float]:
    """Own certificates first, then the one that lasts longest."""
    return certificate.kind != "own", -aware(certificate.not_after).timestamp()


class AppCertificates:
    def __init__(self, store: Store, files: CertificateFiles) -> None:
        self.store, self.files = store, files

    def default(self) -> TlsFiles:
        return self.files.default()

    def paths(self, certificate: Certificate) -> TlsFiles:
        folder = self.files.folder / "apps" / str(certificate.app_id)
        return TlsFiles(folder / f"{certificate.id}.pem", folder / f"{certificate.id}.key", certificate.staple)

    def serving(self, app: App, host: str, now: datetime.datetime | None = None) -> Certificate | None:
        """The installed certificate `host` is served with, if any is valid for it now."""
        moment = now or utcnow()
        usable = [c for c in self.store.certificates(app) if covers(tuple(c.names), host) and
                  aware(c.not_before) <= moment < aware(c.not_after) and self.paths(c).key.is_file()]
        return min(usable, key=_preference, default=None)

    def for_hosts(self, app_name: str, hosts: list[str]) -> dict[str, TlsFiles]:
        """The certificate each of the app's hosts is served with (the router asks on every change)."""
        try:
            app = self.store.app(app_name)
        except UserError:
            return {host: self.files.local(host) for host in hosts}
        chosen = {host: self.serving(app, host) for host in hosts}
        return {host: self.paths(found) if found else self.files.local(host) for host, found in chosen.items()}

    def install(self, app: App, kind: str, facts: CertificateFacts, chain_pem: str, key_pem: str) -> Certificate:
        """Record a checked certificate and write its files (the key 0600 from the start)."""
        certificate = self.store.add_certificate(
            app, kind, names=list(facts.names), subject=facts.subject, issuer=facts.issuer,
            not_before=facts.not_before, not_after=facts.not_after, fingerprint=facts.fingerprint, staple=facts.staple)
        files = self.paths(certificate)
        files.cert.parent.mkdir(mode=PRIVATE, parents=True, exist_ok=True)
        write_secret(files.key, key_pem)
        write_secret(files.cert, chain_pem)
        return certificate

    def remove(self, certificate: Certificate) -> None:
        self.store.remove_certificate(certificate)
        files = self.paths(certificate)
        files.cert.unlink(missing_ok=True)
        files.key.unlink(missing_ok=True)

    def remove_app(self, app: App) -> None:
        """A destroyed app's certificate files go with it (its rows go with the app's)."""
        remove_tree(self.files.folder / "apps" / str(app.id))
