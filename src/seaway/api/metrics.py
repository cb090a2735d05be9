"""HTTP routes of an app's metrics: router and dyno minutes over the last hours, with its releases as markers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from seaway.api.common import authorised
from seaway.platform import Platform


def router(platform: Platform) -> APIRouter:
    api, auth = APIRouter(), authorised(platform)

    @api.get("/apps/{app}/metrics", dependencies=auth)
    def metrics(app: str, hours: int = Query(24, ge=1, le=24)) -> dict[str, Any]:
        return platform.metrics(app, hours)

    return api
