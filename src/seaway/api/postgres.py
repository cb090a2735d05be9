"""HTTP routes of the PostgreSQL add-on: add-ons, pg:info, credentials, reset, backups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.params import Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from seaway.api.auth import author_of
from seaway.api.openapi import BYTES, JOB
from seaway.platform import Platform

Job = Callable[[str, Callable[[Callable[[str], None]], Any]], StreamingResponse]


class Schedule(BaseModel):
    at: str  # "HH:MM" or "HH:MM Area/City"


def _confirmed(app: str, confirm: str | None, what: str) -> None:
    if confirm != app:
        raise HTTPException(422, f"{what} Confirm with --confirm {app}.")


def add_postgres_routes(api: FastAPI, platform: Platform, auth: list[Depends], job: Job) -> None:
    pg = platform.pg

    @api.get("/apps/{app}/addons", dependencies=auth)
    def addons(app: str) -> list[dict[str, Any]]:
        return [pg.info(app, addon.name) for addon in platform.store.addons(platform.store.app(app))]

    @api.get("/apps/{app}/addons/{name}", dependencies=auth)
    def addon_info(app: str, name: str) -> dict[str, Any]:
        return pg.info(app, name)

    @api.delete("/apps/{app}/addons/{name}", dependencies=auth, **JOB)
    def destroy_addon(app: str, name: str, request: Request, confirm: str | None = None) -> StreamingResponse:
        _confirmed(app, confirm, f"This destroys {name} and its data (a final backup is taken first).")
        who = author_of(request.headers)
        return job(app, lambda emit: pg.destroy(app, name, emit, who))

    @api.get("/apps/{app}/pg", dependencies=auth)
    def pg_info(app: str, addon: str | None = None) -> dict[str, Any]:
        return pg.pg_info(app, addon)

    @api.get("/apps/{app}/pg/credentials", dependencies=auth)
    def pg_credentials(app: str, addon: str | None = None) -> dict[str, str]:
        found = platform.store.app(app)
        chosen = pg.pg_info(app, addon)["config_var"]
        return {"config_var": chosen, "url": platform.store.config(found)[chosen]}

    @api.post("/apps/{app}/pg/credentials/rotate", dependencies=auth, **JOB)
    def rotate(app: str, request: Request, addon: str | None = None) -> StreamingResponse:
        who = author_of(request.headers)
        return job(app, lambda emit: pg.rotate(app, addon, emit, who))

    @api.post("/apps/{app}/pg/reset", dependencies=auth, **JOB)
    def reset(app: str, request: Request, confirm: str | None = None, addon: str | None = None) -> StreamingResponse:
        _confirmed(app, confirm, "This empties the database (a backup is taken first).")
        who = author_of(request.headers)
        return job(app, lambda emit: pg.reset(app, addon, emit, who))

    @api.get("/apps/{app}/pg/backups", dependencies=auth)
    def backups(app: str) -> list[dict[str, Any]]:
        return pg.backups(app)

    @api.post("/apps/{app}/pg/backups", dependencies=auth, **JOB)
    def capture(app: str, addon: str | None = None) -> StreamingResponse:
        return job(app, lambda emit: pg.capture(app, addon, "manual", emit))

    @api.put("/apps/{app}/pg/backups/schedule", dependencies=auth)
    def schedule(app: str, body: Schedule, addon: str | None = None) -> dict[str, Any]:
        return pg.schedule(app, addon, body.at)

    @api.delete("/apps/{app}/pg/backups/schedule", dependencies=auth)
    def unschedule(app: str) -> dict[str, Any]:
        return pg.unschedule(app)

    @api.get("/apps/{app}/pg/backups/{backup}", dependencies=auth)
    def backup_info(app: str, backup: str) -> dict[str, Any]:
        return pg.backup_info(app, None if backup == "latest" else backup)

    @api.get("/apps/{app}/pg/backups/{backup}/download", dependencies=auth, **BYTES)
    def download(app: str, backup: str) -> StreamingResponse:
        name, source = pg.open_backup(app, None if backup == "latest" else backup)

        def chunks() -> Any:
            with source:
                while chunk := source.read(1 << 20):
                    yield chunk

        return StreamingResponse(chunks(), media_type="application/octet-stream",
                                 headers={"Content-Disposition": f'attachment; filename="{app}-{name}.dump"',
                                          "X-Seaway-Backup": name})

    @api.delete("/apps/{app}/pg/backups/{backup}", dependencies=auth)
    def delete_backup(app: str, backup: str) -> dict[str, Any]:
        return pg.delete_backup(app, backup)

    @api.post("/apps/{app}/pg/backups/{backup}/restore", dependencies=auth, **JOB)
    def restore(app: str, backup: str, confirm: str | None = None) -> StreamingResponse:
        _confirmed(app, confirm, "This replaces the database's contents (a safety backup is taken first).")
        return job(app, lambda emit: pg.restore(app, None if backup == "latest" else backup, emit))
