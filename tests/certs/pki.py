"""A small PKI for tests: a root, an intermediate, and leaf certificates for given names and dates."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key: ec.EllipticCurvePrivateKey, password: bytes | None = None) -> str:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode()


@dataclass
class Issuer:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca(common: str = "Test Root", parent: Issuer | None = None) -> Issuer:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(_name(common))
               .issuer_name(parent.cert.subject if parent else _name(common)).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(NOW - DAY)
               .not_valid_after(NOW + 3650 * DAY)
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True))
    return Issuer(builder.sign(parent.key if parent else key, hashes.SHA256()), key)


def make_leaf(issuer: Issuer, names: list[str], not_before: datetime.datetime = NOW - DAY,
              not_after: datetime.datetime = NOW + 90 * DAY) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(issuer.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .sign(issuer.key, hashes.SHA256()))
    return cert, key
