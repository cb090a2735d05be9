"""HTTP routes of an app's custom domains."""

from __future__ import annotations

from fastapi import APIRouter

from seaway.api.common import Domain, authorised
from seaway.platform import Platform


def router(platform: Platform) -> APIRouter:
    api, auth = APIRouter(), authorised(platform)

    @api.get("/apps/{app}/domains", dependencies=auth)
    def domains(app: str) -> list[str]:
        return platform.domains(app)

    @api.post("/apps/{app}/domains", dependencies=auth)
    def add_domain(app: str, body: Domain) -> list[str]:
        return platform.add_domain(app, body.hostname)

    @api.delete("/apps/{app}/domains/{hostname}", dependencies=auth)
    def remove_domain(app: str, hostname: str) -> list[str]:
        return platform.remove_domain(app, hostname)

    return api
