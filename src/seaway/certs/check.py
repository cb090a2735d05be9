"""Checking a certificate a user adds (certs:add): PEM that parses, a key that matches, a chain that is
complete, dates that hold, names that cover the app's domains. Each failure says what to do."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

SYSTEM_ROOTS = Path("/etc/ssl/certs/ca-certificates.crt")


class CertificateError(ValueError):
    """A certificate or key that cannot be used, with what to do about it."""


@dataclass(frozen=True)
class CertificateFacts:
    names: tuple[str, ...]  # the DNS names it is valid for (subjectAltName, else the common name)
    subject: str
    issuer: str
    not_before: datetime.datetime
    not_after: datetime.datetime
    fingerprint: str  # SHA-256 of the leaf, hex
    staple: bool  # it names an OCSP responder and its issuer is in the chain


def facts_of(chain: list[x509.Certificate]) -> CertificateFacts:
    leaf = chain[0]
    try:
        names = tuple(leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                      .get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = tuple(str(a.value) for a in leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME))
    try:
        access = leaf.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
        ocsp = any(d.access_method == AuthorityInformationAccessOID.OCSP for d in access)
    except x509.ExtensionNotFound:
        ocsp = False
    return CertificateFacts(tuple(name.lower() for name in names), leaf.subject.rfc4514_string(),
                            leaf.issuer.rfc4514_string(), leaf.not_valid_before_utc, leaf.not_valid_after_utc,
                            leaf.fingerprint(hashes.SHA256()).hex(), ocsp and len(chain) > 1)


def covers(names: tuple[str, ...], host: str) -> bool:
    """Whether a certificate for `names` is valid for `host` (a wildcard covers one label)."""
    host = host.lower()
    return any(name == host or (name.startswith("*.") and host.partition(".")[2] == name[2:]) for name in names)


@lru_cache(maxsize=1)
def _system_roots() -> tuple[x509.Certificate, ...]:
    try:
        return tuple(x509.load_pem_x509_certificates(SYSTEM_ROOTS.read_bytes()))
    except (OSError, ValueError):
        return ()


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except Exception:  # noqa: BLE001 - any signature failure (wrong key type, bad signature) means "not this one"
        return False


def _chain(certs: list[x509.Certificate], roots: tuple[x509.Certificate, ...]) -> list[x509.Certificate]:
    """The leaf and, in order, the certificates up to a root (a root given or trusted is not served)."""
    chain, current = [certs[0]], certs[0]
    while not _issued_by(current, current):  # a self-signed one ends the chain
        parent = next((c for c in certs if c is not current and c not in chain and _issued_by(current, c)), None)
        if parent is None:
            if any(_issued_by(current, root) for root in roots):
                return chain
            raise CertificateError(
                f"The certificate chain is incomplete: nothing in the file issued {current.subject.rfc4514_string()} "
                f"(its issuer is {current.issuer.rfc4514_string()}). Append your CA's intermediate certificates "
                "after your own (the 'chain' or 'fullchain' file your CA gave you).")
        chain.append(parent)
        current = parent
    return chain[:-1] if len(chain) > 1 else chain  # clients have the root; a self-signed leaf is served as is


def _load(cert_pem: str, key_pem: str) -> tuple[list[x509.Certificate], object]:
    try:
        certs = x509.load_pem_x509_certificates(cert_pem.encode())
    except ValueError as error:
        raise CertificateError(f"The certificate file is not PEM certificates (-----BEGIN CERTIFICATE-----): {error}. "
                               "Give the .crt/.pem file your CA issued.") from None
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except TypeError:
        raise CertificateError("The private key is encrypted: decrypt it first (`openssl pkey -in KEY -out "
                               "plain.key`) and add that file.") from None
    except ValueError:
        raise CertificateError("The key file is not a PEM private key (-----BEGIN PRIVATE KEY-----). Give the key "
                               "the certificate was requested with.") from None
    return certs, key


def _public(key: object) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,  # type: ignore[attr-defined]
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def check_certificate(cert_pem: str, key_pem: str, domains: list[str], now: datetime.datetime,
                      roots: tuple[x509.Certificate, ...] | None = None) -> tuple[CertificateFacts, str, str]:
    """The facts of a certificate for an app with custom `domains`, and the chain and key PEM to serve;
    a CertificateError when it cannot serve them. `roots`: trusted CAs (default: the host's bundle)."""
    certs, key = _load(cert_pem, key_pem)
    leaf = certs[0]
    if _public(leaf.public_key()) != _public(key.public_key()):  # type: ignore[attr-defined]
        raise CertificateError("The private key does not match the certificate (their public keys differ). "
                               "Give the key this certificate was issued for.")
    chain = _chain(certs, _system_roots() if roots is None else roots)
    for cert in chain:
        name = cert.subject.rfc4514_string()
        if cert.not_valid_after_utc <= now:
            raise CertificateError(f"{name} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC. Renew it "
                                   "with your CA and add the new one.")
        if cert.not_valid_before_utc > now:
            raise CertificateError(f"{name} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC.")
    facts = facts_of(chain)
    if not domains:
        raise CertificateError("The app has no custom domain for this certificate: add it first "
                               "(`seaway domains:add www.example.com`).")
    if not any(covers(facts.names, domain) for domain in domains):
        raise CertificateError(f"The certificate is for {', '.join(facts.names) or 'no name'}, which covers none of "
                               f"the app's domains ({', '.join(domains)}). Add the matching domain, or a "
                               "certificate for these.")
    served = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain)
    plain_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,  # type: ignore[attr-defined]
                                  serialization.NoEncryption()).decode()
    return facts, served, plain_key
