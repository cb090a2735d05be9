"""Seaway's own certificate authority, for development: made on first start, kept 0600 under
SEAWAY_HOME/tls/ca, and issuing short-lived certificates for the hosts the router serves. A user trusts
it by its certificate (`seaway certs:ca`); its key never leaves the folder."""

from __future__ import annotations

import datetime
import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from seaway.home import PRIVATE, write_secret

CA_YEARS = 10
LEAF_DAYS = 90
RENEW_DAYS = 30  # a local certificate is made again when it has less than this left


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class LocalCA:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cert_path, self.key_path = folder / "ca.pem", folder / "ca.key"

    def ensure(self) -> None:
        """Make the CA if there is none yet."""
        self.folder.mkdir(mode=PRIVATE, parents=True, exist_ok=True)
        self.folder.chmod(PRIVATE)
        if self.cert_path.is_file() and self.key_path.is_file():
            return
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Seaway"),
                          x509.NameAttribute(NameOID.COMMON_NAME, f"Seaway local CA ({socket.gethostname()})")])
        now = _now()
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=365 * CA_YEARS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        write_secret(self.key_path, key_pem(key))
        self.cert_path.write_text(cert_pem(cert))

    def certificate_pem(self) -> str:
        self.ensure()
        return self.cert_path.read_text()

    def issue(self, hosts: list[str]) -> tuple[str, str]:
        """A certificate for `hosts` (the first is its subject): (certificate, key) PEM. Clients trust it by
        the CA's certificate, which is not sent."""
        self.ensure()
        ca_key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        ca = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
                .issuer_name(ca.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(min(now + datetime.timedelta(days=LEAF_DAYS), ca.not_valid_after_utc))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(host) for host in hosts]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        return cert_pem(cert), key_pem(key)
