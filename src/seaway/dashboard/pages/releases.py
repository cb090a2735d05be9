"""An app's releases, with a Rollback to vN button (confirmed) and the release watch's verdict."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from seaway.api.common import version_number
from seaway.dashboard.pages.overview import current_release
from seaway.dashboard.web import AUTHOR, Web, redirect
from seaway.platform import Platform

WATCHED = 10  # the newest releases whose release watch verdict the page shows


def watch_verdicts(platform: Platform, app: str, releases: list[dict[str, Any]]) -> dict[int, str]:
    """What the release watch said of the newest releases (kept, or switched back), from their output;
    for the release under watch now, the seconds left."""
    verdicts = {}
    for release in releases[:WATCHED]:
        info = platform.release_info(app, release["version"])
        if info.get("watch"):
            verdicts[release["version"]] = f"watching, {info['watch']['seconds_left']} s left"
            continue
        said = [line.strip(" ->!") for line in info["output"].splitlines() if " kept: " in line or "serving again" in line]
        if said:
            verdicts[release["version"]] = said[-1]
    return verdicts


def router(platform: Platform, web: Web) -> APIRouter:
    pages = APIRouter()

    @pages.get("/dashboard/apps/{app}/releases")
    def releases(app: str, request: Request) -> Response:
        session = web.session(request)
        releases = platform.releases(app)
        return web.page(session, "releases.html", app=app, tab="releases", releases=releases,
                        current=current_release(platform, app), verdicts=watch_verdicts(platform, app, releases))

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
