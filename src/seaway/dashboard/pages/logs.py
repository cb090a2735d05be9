"""An app's log: the last lines, then a live tail over server-sent events, with the `--source`, `--dyno`
and `--grep` filters of `seaway logs`."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from seaway.api.streaming import log_stream
from seaway.dashboard.web import Web, redirect, secured
from seaway.logs import LogQuery, QueryError
from seaway.logs.query import SOURCES
from seaway.platform import Platform

SHOWN = 200  # lines on the page (and at the start of the stream, which replaces them)


def router(platform: Platform, web: Web) -> APIRouter:
    pages = APIRouter()

    @pages.get("/dashboard/apps/{app}/logs")
    def logs(app: str, request: Request, source: str = "", dyno: str = "", grep: str = "") -> Response:
        session = web.session(request)
        platform.require_app(app)
        filters = {"source": source, "dyno": dyno, "grep": grep}
        try:
            lines = list(platform.log_lines(app, SHOWN, LogQuery(source or None, dyno or None, grep or None)))
        except QueryError as error:
            session.notify("error", str(error))
            lines, filters = [], {"source": "", "dyno": dyno, "grep": grep}
        stream = f"/dashboard/apps/{app}/logs/stream?" + urlencode({k: v for k, v in filters.items() if v})
        return web.page(session, "logs.html", app=app, tab="logs", lines=lines, filters=filters, sources=SOURCES,
                        stream=stream, drains=platform.drain_list(app))

    @pages.get("/dashboard/apps/{app}/logs/stream")
    def stream(app: str, request: Request, source: str = "", dyno: str = "", grep: str = "") -> Response:
        web.session(request)
        platform.require_app(app)
        try:
            query = LogQuery(source or None, dyno or None, grep or None)
        except QueryError as error:
            return secured(Response(str(error), status_code=400))
        lines = platform.log_lines(app, SHOWN, query, follow=True)
        return secured(StreamingResponse(log_stream(lines, events=True), media_type="text/event-stream"))

    @pages.post("/dashboard/apps/{app}/drains")
    async def add_drain(app: str, request: Request) -> Response:
        form = await web.form(request)
        url = form.get("url").strip()
        await web.act(form.session, lambda _emit: f"Drain {platform.add_drain(app, url)['url']} added.")
        return redirect(f"/dashboard/apps/{app}/logs")

    @pages.post("/dashboard/apps/{app}/drains/remove")
    async def remove_drain(app: str, request: Request) -> Response:
        form = await web.form(request)
        url = form.get("url")

        def remove(_emit: object) -> str:
            platform.remove_drain(app, url)
            return f"Drain {url} removed."

        await web.act(form.session, remove)
        return redirect(f"/dashboard/apps/{app}/logs")

    return pages
