"""certs:auto: certificates for an app's custom domains from the ACME CA, one per domain, renewed
RENEW_DAYS before they expire. A failed order is retried with backoff; until a new certificate is in
place the old one keeps serving (it is removed only after the router serves the new one)."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from typing import Any

from cryptography import x509

from seaway.certs.acme_issuer import AcmeError, AcmeIssuer
from seaway.certs.check import facts_of
from seaway.certs.registry import AppCertificates
from seaway.errors import Invalid, UserError
from seaway.faults import report_fault
from seaway.logs import LogStore
from seaway.store import Store
from seaway.store.models import App, Certificate, Domain, aware, utcnow

RENEW_DAYS = 30
FIRST_RETRY = datetime.timedelta(minutes=1)
LAST_RETRY = datetime.timedelta(hours=6)


def retry_delay(failures: int) -> datetime.timedelta:
    """After the Nth failure in a row: 1 min, 2, 4, … up to 6 h (the CA's rate limits stay far away)."""
    return min(FIRST_RETRY * 2 ** max(failures - 1, 0), LAST_RETRY)


def due(certificate: Certificate | None, now: datetime.datetime) -> bool:
    return certificate is None or aware(certificate.not_after) - now < datetime.timedelta(days=RENEW_DAYS)


class AutoCertificates:
    def __init__(self, store: Store, installed: AppCertificates, issuer: Callable[[], AcmeIssuer],
                 route: Callable[[str], None], logs: LogStore) -> None:
        self.store, self.installed, self.issuer, self.route, self.logs = store, installed, issuer, route, logs
        self._lock = threading.Lock()  # one order at a time

    def enable(self, name: str) -> dict[str, Any]:
        app = self.store.app(name)
        if not self.store.domains(app):
            raise Invalid(f"{name} has no custom domain to get a certificate for: add one first "
                          "(`seaway domains:add www.example.com`, its DNS pointing at this host).")
        self.store.update_settings(app, acm=1)
        for row in self.store.domain_rows(app):
            self.store.update_domain(row.hostname, acme_retry_at=None, acme_failures=0)
        self.route(name)  # the router answers the CA's challenges from now on
        self.logs.append(name, "seaway", "Automatic certificates enabled")
        threading.Thread(target=self._check_safely, args=(name,), daemon=True, name=f"acme-{name}").start()
        return self.status(name)

    def disable(self, name: str) -> dict[str, Any]:
        app = self.store.app(name)
        self.store.update_settings(app, acm=0)
        for certificate in self.store.certificates(app):
            if certificate.kind == "auto":
                self.installed.remove(certificate)
        for row in self.store.domain_rows(app):
            self.store.update_domain(row.hostname, acme_status=None, acme_error=None, acme_failures=0, acme_retry_at=None)
        self.route(name)
        self.logs.append(name, "seaway", "Automatic certificates disabled; their certificates removed")
        return self.status(name)

    def refresh(self, name: str) -> dict[str, Any]:
        """Order new certificates now, due or not (Heroku's certs:auto:refresh)."""
        app = self.store.app(name)
        if not app.acm:
            raise Invalid(f"Automatic certificates are off for {name}: `seaway certs:auto:enable` first.")
        threading.Thread(target=self._check_safely, args=(name, True), daemon=True, name=f"acme-{name}").start()
        return self.status(name)

    def status(self, name: str) -> dict[str, Any]:
        app = self.store.app(name)
        domains = []
        for row in self.store.domain_rows(app):
            current = self._current(app, row.hostname)
            state = {"issued": "Cert issued", "failing": "Failing"}.get(row.acme_status or "", "In progress")
            domains.append({"domain": row.hostname, "status": state if app.acm else "Disabled",
                            "expires_at": aware(current.not_after).isoformat() if current else None,
                            "last_error": row.acme_error,
                            "retry_at": aware(row.acme_retry_at).isoformat() if row.acme_retry_at else None})
        return {"enabled": bool(app.acm), "domains": domains}

    def _current(self, app: App, host: str) -> Certificate | None:
        autos = [c for c in self.store.certificates(app) if c.kind == "auto" and host in c.names]
        return max(autos, key=lambda c: aware(c.not_after), default=None)

    def run(self, stop: threading.Event, interval: float) -> None:
        """The renewal loop: every `interval` seconds, each enabled app's domains that are due."""
        while not stop.wait(interval):
            for app in self.store.apps():
                if app.acm:
                    self._check_safely(app.name)

    def _check_safely(self, name: str, force: bool = False) -> None:
        """check_app, a platform fault reported in the app's log rather than ending the loop or thread."""
        try:
            self.check_app(name, force)
        except Exception as error:  # noqa: BLE001 - the other apps' renewals go on
            self.logs.append(name, "seaway", f"Error: automatic certificates: {report_fault(error, 'a renewal')}")

    def check_app(self, name: str, force: bool = False) -> None:
        with self._lock:
            try:
                app = self.store.app(name)
            except UserError:
                return
            if not app.acm:
                return
            now = utcnow()
            for row in self.store.domain_rows(app):
                waiting = row.acme_retry_at is not None and aware(row.acme_retry_at) > now
                if (force or due(self._current(app, row.hostname), now)) and (force or not waiting):
                    self._order(app, row)

    def _order(self, app: App, row: Domain) -> None:
        try:
            chain, key = self.issuer().issue([row.hostname])
        except AcmeError as error:
            failures = row.acme_failures + 1
            retry = utcnow() + retry_delay(failures)
            self.store.update_domain(row.hostname, acme_status="failing", acme_error=str(error),
                                     acme_failures=failures, acme_retry_at=retry)
            self.logs.append(app.name, "seaway", f"Certificate for {row.hostname} not issued: {error} "
                                                 f"(attempt {failures}; next at {retry:%H:%M:%S} UTC)")
            return
        old = [c for c in self.store.certificates(app) if c.kind == "auto" and row.hostname in c.names]
        new = self.installed.install(app, "auto", facts_of(x509.load_pem_x509_certificates(chain.encode())),
                                     chain, key)
        self.route(app.name)  # the new one serves...
        for certificate in old:  # ...before the old ones go
            self.installed.remove(certificate)
        self.store.update_domain(row.hostname, acme_status="issued", acme_error=None, acme_failures=0,
                                 acme_retry_at=None)
        self.logs.append(app.name, "seaway", f"Certificate {new.name} issued for {row.hostname} "
                                             f"(expires {aware(new.not_after):%Y-%m-%d %H:%M} UTC)")
