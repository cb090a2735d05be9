"""HTTP routes of the PostgreSQL add-on: add-ons, pg:info, credentials, reset, backups."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from seaway.addons.services import addon_service
from seaway.api.auth import author_of
from seaway.api.common import AddonCreate, authorised, confirmed, jobs
from seaway.api.openapi import BYTES, JOB
from seaway.platform import Platform


class Schedule(BaseModel):
    at: str  # "HH:MM" or "HH:MM Area/City"


def router(platform: Platform) -> APIRouter:
    """Add-ons and pg:* (`platform.pg` attaches and inspects databases, `platform.backups` backs them up)."""
    api, auth, job = APIRouter(), authorised(platform), jobs(platform)
    pg, backup_service = platform.pg, platform.backups  # not `backups`: a route has that name

    @api.post("/apps/{app}/addons", dependencies=auth, **JOB)
    def create_addon(app: str, body: AddonCreate, request: Request) -> StreamingResponse:
        _service, plan = addon_service(body.service)
        author = author_of(request.headers)
        return job(app, lambda emit: pg.create(app, body.attach_as, emit, author, plan))

    @api.get("/apps/{app}/addons", dependencies=auth)
    def addons(app: str) -> list[dict[str, Any]]:
        return platform.addons(app)

    @api.get("/apps/{app}/addons/{name}", dependencies=auth)
    def addon_info(app: str, name: str) -> dict[str, Any]:
        return pg.info(app, name)

    @api.delete("/apps/{app}/addons/{name}", dependencies=auth, **JOB)
    def destroy_addon(app: str, name: str, request: Request, confirm: str | None = None) -> StreamingResponse:
        confirmed(app, confirm, f"This destroys {name} and its data (a final backup is taken first).")
        who = author_of(request.headers)
        return job(app, lambda emit: pg.destroy(app, name, emit, who))

    @api.get("/apps/{app}/pg", dependencies=auth)
    def pg_info(app: str, addon: str | None = None) -> dict[str, Any]:
        return pg.pg_info(app, addon)

    @api.get("/apps/{app}/pg/credentials", dependencies=auth)
    def pg_credentials(app: str, addon: str | None = None) -> dict[str, str]:
        return platform.database_credentials(app, addon)

    @api.post("/apps/{app}/pg/credentials/rotate", dependencies=auth, **JOB)
    def rotate(app: str, request: Request, addon: str | None = None) -> StreamingResponse:
        who = author_of(request.headers)
        return job(app, lambda emit: pg.rotate(app, addon, emit, who))

    @api.post("/apps/{app}/pg/reset", dependencies=auth, **JOB)
    def reset(app: str, request: Request, confirm: str | None = None, addon: str | None = None) -> StreamingResponse:
        confirmed(app, confirm, "This empties the database (a backup is taken first).")
        who = author_of(request.headers)
        return job(app, lambda emit: platform.reset_database(app, addon, emit, who))

    @api.get("/apps/{app}/pg/backups", dependencies=auth)
    def backups(app: str) -> list[dict[str, Any]]:
        return backup_service.backups(app)

    @api.post("/apps/{app}/pg/backups", dependencies=auth, **JOB)
    def capture(app: str, addon: str | None = None) -> StreamingResponse:
        return job(app, lambda emit: backup_service.capture(app, addon, "manual", emit))

    @api.put("/apps/{app}/pg/backups/schedule", dependencies=auth)
    def schedule(app: str, body: Schedule, addon: str | None = None) -> dict[str, Any]:
        return backup_service.schedule(app, addon, body.at)

    @api.delete("/apps/{app}/pg/backups/schedule", dependencies=auth)
    def unschedule(app: str) -> dict[str, Any]:
        return backup_service.unschedule(app)

    @api.get("/apps/{app}/pg/backups/{backup}", dependencies=auth)
    def backup_info(app: str, backup: str) -> dict[str, Any]:
        return backup_service.backup_info(app, None if backup == "latest" else backup)

    @api.get("/apps/{app}/pg/backups/{backup}/download", dependencies=auth, **BYTES)
    def download(app: str, backup: str) -> StreamingResponse:
        name, source = backup_service.open_backup(app, None if backup == "latest" else backup)

        def chunks() -> Any:
            with source:
                while chunk := source.read(1 << 20):
                    yield chunk

        return StreamingResponse(chunks(), media_type="application/octet-stream",
                                 headers={"Content-Disposition": f'attachment; filename="{app}-{name}.dump"',
                                          "X-Seaway-Backup": name})

    @api.delete("/apps/{app}/pg/backups/{backup}", dependencies=auth)
    def delete_backup(app: str, backup: str) -> dict[str, Any]:
        return backup_service.delete_backup(app, backup)

    @api.post("/apps/{app}/pg/backups/{backup}/restore", dependencies=auth, **JOB)
    def restore(app: str, backup: str, confirm: str | None = None) -> StreamingResponse:
        confirmed(app, confirm, "This replaces the database's contents (a safety backup is taken first).")
        return job(app, lambda emit: platform.restore_backup(app, None if backup == "latest" else backup, emit))

    return api
