"""check_certificate: what certs:add accepts, and what it refuses with which message."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from seaway.certs.check import CertificateError, check_certificate, covers
from tests.certs.pki import DAY, NOW, key_pem, make_ca, make_leaf, pem

DOMAINS = ["www.example.test"]


@pytest.fixture(scope="module")
def pki():
    root = make_ca("Test Root")
    intermediate = make_ca("Test Intermediate", root)
    leaf, key = make_leaf(intermediate, ["www.example.test", "example.test"])
    return root, intermediate, leaf, key


def test_a_full_chain_is_accepted_and_served_without_its_root(pki):
    root, intermediate, leaf, key = pki
    facts, chain, plain_key = check_certificate(pem(leaf) + pem(intermediate.cert) + pem(root.cert), key_pem(key),
                                                DOMAINS, NOW, roots=())
    assert facts.names == ("www.example.test", "example.test") and "Test Intermediate" in facts.issuer
    assert chain == pem(leaf) + pem(intermediate.cert)  # clients have roots
    assert "PRIVATE KEY" in plain_key


def test_a_chain_up_to_a_trusted_root_is_complete(pki):
    root, intermediate, leaf, key = pki
    _facts, chain, _key = check_certificate(pem(leaf) + pem(intermediate.cert), key_pem(key), DOMAINS, NOW,
                                            roots=(root.cert,))
    assert chain == pem(leaf) + pem(intermediate.cert)


def test_intermediates_in_any_order_are_put_in_order(pki):
    root, intermediate, leaf, key = pki
    _facts, chain, _key = check_certificate(pem(leaf) + pem(root.cert) + pem(intermediate.cert), key_pem(key),
                                            DOMAINS, NOW, roots=())
    assert chain == pem(leaf) + pem(intermediate.cert)


def test_a_missing_intermediate_is_an_incomplete_chain(pki):
    _root, _intermediate, leaf, key = pki
    with pytest.raises(CertificateError, match="chain is incomplete.*issuer is CN=Test Intermediate.*intermediate"):
        check_certificate(pem(leaf), key_pem(key), DOMAINS, NOW, roots=())


def test_the_wrong_key_is_refused(pki):
    root, intermediate, leaf, _key = pki
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(CertificateError, match="private key does not match the certificate"):
        check_certificate(pem(leaf) + pem(intermediate.cert), key_pem(other), DOMAINS, NOW, roots=(root.cert,))


def test_an_expired_or_future_certificate_is_refused(pki):
    root, intermediate, _leaf, _key = pki
    old, old_key = make_leaf(intermediate, DOMAINS, NOW - 100 * DAY, NOW - DAY)
    with pytest.raises(CertificateError, match="CN=www.example.test expired on"):
        check_certificate(pem(old) + pem(intermediate.cert), key_pem(old_key), DOMAINS, NOW, roots=(root.cert,))
    future, future_key = make_leaf(intermediate, DOMAINS, NOW + DAY, NOW + 90 * DAY)
    with pytest.raises(CertificateError, match="is not valid before"):
        check_certificate(pem(future) + pem(intermediate.cert), key_pem(future_key), DOMAINS, NOW, roots=(root.cert,))


def test_a_certificate_for_other_names_is_refused(pki):
    root, intermediate, leaf, key = pki
    with pytest.raises(CertificateError, match=r"for www.example.test, example.test, which covers none of the "
                                               r"app's domains \(shop.other.test\)"):
        check_certificate(pem(leaf) + pem(intermediate.cert), key_pem(key), ["shop.other.test"], NOW,
                          roots=(root.cert,))
    with pytest.raises(CertificateError, match="no custom domain.*domains:add"):
        check_certificate(pem(leaf) + pem(intermediate.cert), key_pem(key), [], NOW, roots=(root.cert,))


def test_unreadable_files_say_what_they_should_be(pki):
    root, intermediate, leaf, key = pki
    with pytest.raises(CertificateError, match="not PEM certificates"):
        check_certificate("hello", key_pem(key), DOMAINS, NOW)
    with pytest.raises(CertificateError, match="not a PEM private key"):
        check_certificate(pem(leaf), "nope", DOMAINS, NOW)
    with pytest.raises(CertificateError, match="encrypted: decrypt it first"):
        check_certificate(pem(leaf), key_pem(key, b"secret"), DOMAINS, NOW)


def test_wildcards_cover_one_label():
    assert covers(("*.example.test",), "www.example.test")
    assert not covers(("*.example.test",), "a.b.example.test") and not covers(("*.example.test",), "example.test")
    assert covers(("WWW.Example.test".lower(),), "www.EXAMPLE.test")
