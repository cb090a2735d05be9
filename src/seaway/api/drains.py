"""HTTP routes of an app's log drains."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from seaway.api.common import DrainBody, authorised
from seaway.platform import Platform


def router(platform: Platform) -> APIRouter:
    api, auth = APIRouter(), authorised(platform)

    @api.get("/apps/{app}/drains", dependencies=auth)
    def drains(app: str) -> list[dict[str, Any]]:
        """The app's drains with their delivery state: delivered, buffered, dropped, last error."""
        return platform.drain_list(app)

    @api.post("/apps/{app}/drains", dependencies=auth, status_code=201)
    def add_drain(app: str, body: DrainBody) -> dict[str, Any]:
        return platform.add_drain(app, body.url)

    @api.delete("/apps/{app}/drains", dependencies=auth)
    def remove_drain(app: str, url: str) -> dict[str, str]:
        platform.remove_drain(app, url)
        return {"removed": url}

    return api
