"""HTTP routes of the router's certificates: the local CA's certificate (to trust), and each app's."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.params import Depends
from fastapi.responses import PlainTextResponse

from seaway.platform import Platform


def add_cert_routes(api: FastAPI, platform: Platform, auth: list[Depends]) -> None:
    @api.get("/certs/ca", dependencies=auth, response_class=PlainTextResponse,
             responses={200: {"content": {"text/plain": {}}, "description": "The local CA's certificate (PEM)"}})
    def local_ca() -> str:
        """The certificate of Seaway's local CA, which signs the certificates of APP.localhost (trust it
        with `curl --cacert`, or in a browser's certificate store)."""
        return platform.certificates.ca.certificate_pem()
