"""HTTP routes of the router's certificates: the local CA's certificate (to trust), and each app's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from seaway.api.common import authorised
from seaway.platform import Platform


class CertificateAdd(BaseModel):
    certificate: str = Field(max_length=200_000, description="PEM: the certificate, then its intermediates")
    private_key: str = Field(max_length=100_000, description="PEM: its private key, unencrypted")


def router(platform: Platform) -> APIRouter:
    api, auth = APIRouter(), authorised(platform)

    @api.get("/certs/ca", dependencies=auth, response_class=PlainTextResponse,
             responses={200: {"content": {"text/plain": {}}, "description": "The local CA's certificate (PEM)"}})
    def local_ca() -> str:
        """The certificate of Seaway's local CA, which signs the certificates of APP.localhost (trust it
        with `curl --cacert`, or in a browser's certificate store)."""
        return platform.ca_certificate_pem()

    @api.get("/apps/{app}/certs", dependencies=auth)
    def certificates(app: str) -> list[dict[str, Any]]:
        return platform.certs.list(app)

    @api.post("/apps/{app}/certs", dependencies=auth, status_code=201)
    def add_certificate(app: str, body: CertificateAdd) -> dict[str, Any]:
        """Add your own certificate: the key must match, the chain be complete, the dates valid and the names
        cover one of the app's custom domains (each refusal is a 422 saying which)."""
        return platform.certs.add(app, body.certificate, body.private_key)

    @api.get("/apps/{app}/certs/auto", dependencies=auth)
    def auto_status(app: str) -> dict[str, Any]:
        """Automatic certificates (ACME): on or off, and each custom domain's state and last error."""
        return platform.auto_certs.status(app)

    @api.post("/apps/{app}/certs/auto", dependencies=auth)
    def auto_enable(app: str) -> dict[str, Any]:
        """Get certificates for the app's custom domains from the ACME CA (SEAWAY_ACME_DIRECTORY), renewed
        30 days before they expire; the router answers the HTTP-01 challenges."""
        return platform.auto_certs.enable(app)

    @api.delete("/apps/{app}/certs/auto", dependencies=auth)
    def auto_disable(app: str) -> dict[str, Any]:
        return platform.auto_certs.disable(app)

    @api.post("/apps/{app}/certs/auto/refresh", dependencies=auth)
    def auto_refresh(app: str) -> dict[str, Any]:
        """Order the app's automatic certificates again now."""
        return platform.auto_certs.refresh(app)

    @api.get("/apps/{app}/certs/{name}", dependencies=auth)
    def certificate_info(app: str, name: str) -> dict[str, Any]:
        return platform.certs.info(app, name)

    @api.delete("/apps/{app}/certs/{name}", dependencies=auth)
    def remove_certificate(app: str, name: str) -> dict[str, Any]:
        return platform.certs.remove(app, name)

    return api
