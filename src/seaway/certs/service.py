"""certs:* for the API: list, add (checked first, nothing changed when refused), info and remove an app's
certificates. Private keys are written to their files and nowhere else: not to logs, not to answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seaway.certs.check import CertificateError, check_certificate, covers
from seaway.certs.registry import AppCertificates
from seaway.errors import Invalid, NotFound
from seaway.logs import LogStore
from seaway.router import RouterError
from seaway.store import Store
from seaway.store.models import App, Certificate, aware, utcnow


def certificate_json(certificate: Certificate, domains: list[str], serving: list[str]) -> dict[str, Any]:
    expired = aware(certificate.not_after) <= utcnow()
    return {"name": certificate.name, "kind": certificate.kind, "names": certificate.names,
            "subject": certificate.subject, "issuer": certificate.issuer,
            "not_before": aware(certificate.not_before).isoformat(), "expires_at": aware(certificate.not_after).isoformat(),
            "fingerprint": certificate.fingerprint, "domains": [d for d in domains if covers(tuple(certificate.names), d)],
            "serving": serving, "status": "expired" if expired else ("serving" if serving else "standing by")}


class CertificateService:
    def __init__(self, store: Store, installed: AppCertificates, route: Callable[[str], None], logs: LogStore) -> None:
        self.store, self.installed, self.route, self.logs = store, installed, route, logs

    def _json(self, app: App, certificate: Certificate) -> dict[str, Any]:
        domains = self.store.domains(app)
        serving = [d for d in domains if (found := self.installed.serving(app, d)) and found.id == certificate.id]
        return certificate_json(certificate, domains, serving)

    def list(self, name: str) -> list[dict[str, Any]]:
        app = self.store.app(name)
        return [self._json(app, certificate) for certificate in self.store.certificates(app)]

    def find(self, app: App, cert_name: str) -> Certificate:
        found = next((c for c in self.store.certificates(app) if c.name == cert_name), None)
        if found is None:
            names = ", ".join(c.name for c in self.store.certificates(app)) or "none"
            raise NotFound(f"{app.name} has no certificate {cert_name!r} (its certificates: {names}).")
        return found

    def info(self, name: str, cert_name: str) -> dict[str, Any]:
        app = self.store.app(name)
        return self._json(app, self.find(app, cert_name))

    def add(self, name: str, cert_pem: str, key_pem: str) -> dict[str, Any]:
        """Check and install the user's certificate, then route with it; refused as a whole otherwise."""
        app = self.store.app(name)
        try:
            facts, chain, key = check_certificate(cert_pem, key_pem, self.store.domains(app), utcnow())
        except CertificateError as error:
            raise Invalid(f"Certificate not added: {error}") from error
        certificate = self.installed.install(app, "own", facts, chain, key)
        try:
            self.route(name)
        except RouterError as error:
            self.installed.remove(certificate)
            self.route(name)
            raise Invalid(f"Certificate not added: nginx refused it ({error}).") from error
        self.logs.append(name, "seaway", f"Certificate {certificate.name} added for {', '.join(facts.names)} "
                                         f"(issuer {facts.issuer}, expires {facts.not_after:%Y-%m-%d})")
        return self._json(app, certificate)

    def remove(self, name: str, cert_name: str) -> dict[str, Any]:
        app = self.store.app(name)
        certificate = self.find(app, cert_name)
        self.installed.remove(certificate)
        self.route(name)
        self.logs.append(name, "seaway", f"Certificate {certificate.name} removed")
        return {"removed": certificate.name}
