"""Getting a certificate from an ACME CA (RFC 8555: Let's Encrypt, or any other) with certbot's `acme`
library: one account per Seaway (its key 0600 under SEAWAY_HOME/tls/acme), HTTP-01 challenges answered
by the router from files this writes into its webroot."""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

import josepy
from acme import challenges, client, crypto_util, errors, messages
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from seaway import __version__
from seaway.home import PRIVATE, write_secret

CHALLENGE_DIR = Path(".well-known") / "acme-challenge"
ORDER_TIMEOUT = datetime.timedelta(seconds=180)


class AcmeError(Exception):
    """An order that did not end in a certificate, with the CA's reason."""


def _reason(error: Exception) -> str:
    if isinstance(error, errors.ValidationError):
        problems = [f"{authz.body.identifier.value}: {ch.error.detail if ch.error else ch.status}"
                    for authz in error.failed_authzrs for ch in authz.body.challenges if ch.error]
        return "validation failed (" + "; ".join(problems) + ")" if problems else "validation failed"
    if isinstance(error, messages.Error):
        return f"{error.typ.rsplit(':', 1)[-1]}: {error.detail}"
    return str(error) or type(error).__name__


class AcmeIssuer:
    def __init__(self, directory: str, email: str, folder: Path, webroot: Path, ca_bundle: str = "") -> None:
        self.directory, self.email, self.folder, self.webroot = directory, email, folder, webroot
        self.verify: bool | str = ca_bundle or True

    def _account_key(self) -> josepy.JWKRSA:
        path = self.folder / "account.key"
        if not path.is_file():
            self.folder.mkdir(mode=PRIVATE, parents=True, exist_ok=True)
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            write_secret(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()).decode())
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        return josepy.JWKRSA(key=loaded)

    def _saved_account(self) -> Path:
        return self.folder / f"account-{hashlib.sha256(self.directory.encode()).hexdigest()[:16]}.json"  # per CA

    def _client(self) -> client.ClientV2:
        net = client.ClientNetwork(self._account_key(), user_agent=f"seaway/{__version__}",
                                   verify_ssl=self.verify)  # type: ignore[arg-type] - requests takes a CA file too
        acme = client.ClientV2(client.ClientV2.get_directory(self.directory, net), net)
        saved = self._saved_account()
        try:
            url = json.loads(saved.read_text())["url"]
            net.account = messages.RegistrationResource(body=messages.Registration(), uri=url)
        except (OSError, ValueError, KeyError):
            registration = messages.NewRegistration.from_data(email=self.email or None, terms_of_service_agreed=True)
            try:
                account = acme.new_account(registration)
            except errors.ConflictError as existing:  # the key has an account already
                account = messages.RegistrationResource(body=messages.Registration(), uri=existing.location)
                net.account = account
            saved.write_text(json.dumps({"url": account.uri}))
        return acme

    def issue(self, domains: list[str]) -> tuple[str, str]:
        """A certificate for `domains`: (full chain, key) PEM; an AcmeError saying why not."""
        key = ec.generate_private_key(ec.SECP256R1())
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        answers: list[Path] = []
        try:
            acme = self._client()
            order = acme.new_order(crypto_util.make_csr(key_pem, domains))
            for authorization in order.authorizations:
                answers.append(self._answer(acme, authorization))
            done = acme.poll_and_finalize(order, datetime.datetime.now() + ORDER_TIMEOUT)
        except (errors.Error, messages.Error, OSError, ValueError) as error:
            if isinstance(error, messages.Error) and str(error.typ).endswith("accountDoesNotExist"):
                self._saved_account().unlink(missing_ok=True)  # the CA forgot it: register again next time
            raise AcmeError(_reason(error)) from error
        except Exception as error:  # requests' connection errors and the like: the CA could not be reached
            raise AcmeError(f"{type(error).__name__}: {error}") from error
        finally:
            for path in answers:
                path.unlink(missing_ok=True)
        return done.fullchain_pem, key_pem.decode()

    def _answer(self, acme: client.ClientV2, authorization: messages.AuthorizationResource) -> Path:
        """Put the HTTP-01 answer where the router serves it, and tell the CA to look."""
        if authorization.body.status == messages.STATUS_VALID:  # the CA still trusts an earlier validation
            return self.webroot / CHALLENGE_DIR / ".none"
        challenge = next((c for c in authorization.body.challenges if isinstance(c.chall, challenges.HTTP01)), None)
        if challenge is None:
            raise AcmeError(f"the CA offers no HTTP-01 challenge for {authorization.body.identifier.value}")
        response, validation = challenge.response_and_validation(acme.net.key)
        folder = self.webroot / CHALLENGE_DIR
        folder.mkdir(mode=0o755, parents=True, exist_ok=True)
        path = folder / challenge.chall.encode("token")
        path.write_text(validation)
        path.chmod(0o644)  # nginx's workers read it; the token is public by design
        acme.answer_challenge(challenge, response)
        return path
