"""An app's releases, with a Rollback to vN button (confirmed) and the release watch's verdict."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from seaway.api.common import version_number
from seaway.dashboard.pages.overview import current_release
from seaway.dashboard.web import AUTHOR, Web, redirect
from seaway.platform import Platform


def router(platform: Platform, web: Web) -> APIRouter:
    pages = APIRouter()

    @pages.get("/dashboard/apps/{app}/releases")
    def releases(app: str, request: Request) -> Response:
        session = web.session(request)
        return web.page(session, "releases.html", app=app, tab="releases", releases=platform.releases(app),
                        current=current_release(platform, app))

    @pages.get("/dashboard/apps/{app}/releases/{version}")
    def release(app: str, version: str, request: Request) -> Response:
        session = web.session(request)
        return web.page(session, "release.html", app=app, tab="releases",
                        release=platform.release_info(app, version_number(version)))

    @pages.post("/dashboard/apps/{app}/rollback")
    async def rollback(app: str, request: Request) -> Response:
        form = await web.form(request)
        target = form.get("version")

        def roll_back(emit: object) -> str:
            result = platform.rollback(app, version_number(target), AUTHOR, emit)  # type: ignore[arg-type]
            return f"Rolled back to v{result['rollback_of']}: v{result['release']} is live."

        await web.act(form.session, roll_back)
        return redirect(f"/dashboard/apps/{app}/releases")

    return pages
