"""An app's activity: builds and releases newest first, each build's output (followed live while its
deploy runs, over server-sent events), failed releases with their reason and release-phase output."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from seaway.api.streaming import log_stream
from seaway.dashboard.web import Web, secured
from seaway.platform import Platform

SHOWN = 40  # items on the page


def feed(platform: Platform, app: str) -> list[dict[str, Any]]:
    """Builds and releases, newest first; a failed release with its output."""
    items = [{"kind": "build", **build} for build in platform.builds(app)]
    for release in platform.releases(app)[:SHOWN]:
        if release["status"] == "failed":
            release = platform.release_info(app, release["version"])
        items.append({"kind": "release", **release})
    return sorted(items, key=lambda item: item["created_at"], reverse=True)[:SHOWN]


def events(lines: Iterator[str | None]) -> Iterator[str]:
    """Server-sent events of `lines`, then an `end` event (the page stops listening)."""
    yield from log_stream(lines, events=True)
    yield "event: end\ndata: end\n\n"


def router(platform: Platform, web: Web) -> APIRouter:
    pages = APIRouter()

    @pages.get("/dashboard/apps/{app}/activity")
    def activity(app: str, request: Request) -> Response:
        session = web.session(request)
        items = feed(platform, app)
        return web.page(session, "activity.html", app=app, tab="activity", items=items,
                        live=[item for item in items if item["kind"] == "build" and item["live"]])

    @pages.get("/dashboard/apps/{app}/builds/{build}")
    def build(app: str, build: int, request: Request) -> Response:
        session = web.session(request)
        return web.page(session, "build.html", app=app, tab="activity", build=platform.build_info(app, build))

    @pages.get("/dashboard/apps/{app}/builds/{build}/stream")
    def build_stream(app: str, build: int, request: Request) -> Response:
        web.session(request)
        lines = platform.build_output(app, build)
        return secured(StreamingResponse(events(lines), media_type="text/event-stream"))

    return pages
