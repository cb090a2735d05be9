"""HTTP routes of an app's database migrations: status, history, validate, upgrade, downgrade."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from seaway.api.common import authorised, confirmed, jobs
from seaway.api.openapi import JOB
from seaway.platform import Platform


def router(platform: Platform) -> APIRouter:
    api, auth, job = APIRouter(), authorised(platform), jobs(platform)

    @api.get("/apps/{app}/migrations/status", dependencies=auth)
    def migrations_status(app: str) -> dict[str, Any]:
        return platform.migration_status(app)

    @api.get("/apps/{app}/migrations/history", dependencies=auth)
    def migrations_history(app: str) -> list[dict[str, Any]]:
        return platform.migration_history(app)

    @api.post("/apps/{app}/migrations/upgrade", dependencies=auth, **JOB)
    def migrations_upgrade(app: str) -> StreamingResponse:
        return job(app, lambda emit: platform.migrations_upgrade(app, emit))

    @api.post("/apps/{app}/migrations/downgrade", dependencies=auth, **JOB)
    def migrations_downgrade(app: str, revision: str, confirm: str | None = None) -> StreamingResponse:
        confirmed(app, confirm, "This downgrades the database schema (a backup is taken first).")
        return job(app, lambda emit: platform.migrations_downgrade(app, revision, emit))

    @api.get("/apps/{app}/migrations/validate", dependencies=auth)
    def migrations_validate(app: str) -> dict[str, Any]:
        return platform.migration_validate(app)

    return api
