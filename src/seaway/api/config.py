"""HTTP routes of config vars: read them, and set or unset some (a new release)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from seaway.api.auth import author_of
from seaway.api.common import authorised, jobs
from seaway.api.openapi import JOB
from seaway.platform import Platform


def router(platform: Platform) -> APIRouter:
    api, auth, job = APIRouter(), authorised(platform), jobs(platform)

    @api.get("/apps/{app}/config", dependencies=auth)
    def config(app: str) -> dict[str, str]:
        return platform.config(app)

    @api.patch("/apps/{app}/config", dependencies=auth, **JOB)
    def set_config(app: str, changes: dict[str, str | None], request: Request) -> StreamingResponse:
        author = author_of(request.headers)
        platform.check_config(app, changes)  # refused values get their status, before the stream starts
        return job(app, lambda emit: platform.set_config(app, changes, emit, author))

    return api
