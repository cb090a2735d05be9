"""An app's database: pg:info's facts, its backups (verified / damaged / failed) with capture and download,
and the migration status and history."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from seaway.dashboard.web import Web, redirect, secured
from seaway.errors import UserError
from seaway.platform import Platform

T = TypeVar("T")


def attempt(read: Callable[[], T]) -> tuple[T | None, str]:
    """What `read` gives, or why it could not (the page shows the reason in its place)."""
    try:
        return read(), ""
    except UserError as error:
        return None, str(error)


def backup_state(backup: dict[str, Any]) -> str:
    """verified / damaged / missing / failed / running, as the page shows a backup."""
    if backup["status"] == "failed" or backup["verification"] == "failed":
        return "failed"
    if backup["integrity"] in ("damaged", "missing"):
        return backup["integrity"]
    return "verified" if backup["verification"] == "verified" else backup["status"]


def router(platform: Platform, web: Web) -> APIRouter:
    pages = APIRouter()

    @pages.get("/dashboard/apps/{app}/database")
    def database(app: str, request: Request) -> Response:
        session = web.session(request)
        platform.require_app(app)
        info, info_error = attempt(lambda: platform.pg.pg_info(app, None))
        backups = [backup | {"state": backup_state(backup)} for backup in platform.backups.backups(app)]
        status, status_error = attempt(lambda: platform.migration_status(app)) if info else (None, "")
        history, _ = attempt(lambda: platform.migration_history(app)) if status else (None, "")
        return web.page(session, "database.html", app=app, tab="database", info=info, info_error=info_error,
                        backups=backups, status=status, status_error=status_error, history=history or [])

    @pages.post("/dashboard/apps/{app}/backups")
    async def capture(app: str, request: Request) -> Response:
        form = await web.form(request)

        def capture_now(emit: Any) -> str:
            backup = platform.backups.capture(app, None, "manual", emit)
            if backup["verification"] != "verified":
                raise UserError(f"Backup {backup['id']} failed: {backup['reason']}")
            return f"Backup {backup['id']} captured and verified by a restore."

        await web.act(form.session, capture_now)
        return redirect(f"/dashboard/apps/{app}/database")

    @pages.post("/dashboard/apps/{app}/backups/{backup}/restore")
    async def restore(app: str, backup: str, request: Request) -> Response:
        form = await web.form(request)
        if form.get("confirm") != app:
            form.session.notify("error", f"Type the app's name, {app}, to restore {backup}. Nothing was restored.")
            return redirect(f"/dashboard/apps/{app}/database")

        def restore_now(emit: Any) -> str:
            result = platform.restore_backup(app, backup, emit)
            return f"Restored {backup}" + (f" (safety backup {result['safety_backup']} taken first)."
                                           if result.get("safety_backup") else ".")

        await web.act(form.session, restore_now)
        return redirect(f"/dashboard/apps/{app}/database")

    @pages.get("/dashboard/apps/{app}/backups/{backup}/download")
    def download(app: str, backup: str, request: Request) -> Response:
        web.session(request)
        name, source = platform.backups.open_backup(app, backup)

        def chunks() -> Iterator[bytes]:
            with source:
                while chunk := source.read(1 << 20):
                    yield chunk

        return secured(StreamingResponse(chunks(), media_type="application/octet-stream",
                                         headers={"Content-Disposition": f'attachment; filename="{app}-{name}.dump"'}))

    return pages
