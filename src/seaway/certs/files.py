"""Which certificate serves each host, as files nginx reads (SEAWAY_HOME/tls, 0700; keys 0600): an
installed one that covers the host (certs:add, certs:auto), else one from the local CA, made on demand."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography import x509

from seaway.certs.local_ca import RENEW_DAYS, LocalCA
from seaway.home import PRIVATE, write_secret


@dataclass(frozen=True)
class TlsFiles:
    """A certificate nginx serves: its chain and key files; `staple`: OCSP stapling (its chain names a responder)."""

    cert: Path
    key: Path
    staple: bool = False


class CertificateSource(Protocol):
    """What the router asks: the certificate for hosts nobody routes, and each app host's."""

    def default(self) -> TlsFiles: ...

    def for_hosts(self, app: str, hosts: list[str]) -> dict[str, TlsFiles]: ...


def expires(path: Path) -> datetime.datetime | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc
    except (OSError, ValueError):
        return None


class CertificateFiles:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ca = LocalCA(folder / "ca")
        self.local_dir = folder / "local"
        self._expiry: dict[str, datetime.datetime | None] = {}

    def prepare(self) -> None:
        for folder in (self.folder, self.local_dir):
            folder.mkdir(mode=PRIVATE, parents=True, exist_ok=True)
            folder.chmod(PRIVATE)
        self.ca.ensure()

    def local(self, host: str) -> TlsFiles:
        """The local CA's certificate for `host`, made now if there is none or it expires within RENEW_DAYS."""
        files = TlsFiles(self.local_dir / f"{host}.pem", self.local_dir / f"{host}.key")
        soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=RENEW_DAYS)
        ends = self._expiry.get(host) if files.key.is_file() else None
        if ends is None or ends < soon:  # not known yet (read the file), or due
            ends = expires(files.cert) if files.key.is_file() else None
        if ends is None or ends < soon:
            chain, key = self.ca.issue([host])
            write_secret(files.key, key)
            write_secret(files.cert, chain)
            ends = expires(files.cert)
        self._expiry[host] = ends  # every route change asks again for every host: no file read each time
        return files

    def default(self) -> TlsFiles:
        """For a TLS client naming no host the router knows: the local CA's `localhost`."""
        return self.local("localhost")

    def for_hosts(self, app: str, hosts: list[str]) -> dict[str, TlsFiles]:
        """The certificate each of the app's hosts is served with."""
        return {host: self.local(host) for host in hosts}
