"""HTTP route of an app's log: its last lines, or a stream that goes on (text or server-sent events)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from seaway.api.common import MAX_NUMBER, authorised
from seaway.api.openapi import LOG
from seaway.api.streaming import log_stream
from seaway.logs import LogQuery, QueryError
from seaway.platform import Platform


def router(platform: Platform) -> APIRouter:
    api, auth = APIRouter(), authorised(platform)

    @api.get("/apps/{app}/logs", dependencies=auth, **LOG)
    def logs(app: str, request: Request, num: Annotated[int, Query(ge=0, le=MAX_NUMBER)] = 100, tail: bool = False,
             source: str | None = None, dyno: str | None = None, grep: str | None = None,
             since: str | None = None) -> StreamingResponse:
        """The app's log as text lines; with `tail`, a stream that goes on (`text/event-stream` if asked for)."""
        platform.require_app(app)
        try:
            query = LogQuery(source or None, dyno or None, grep or None, since or None)
        except QueryError as error:
            raise HTTPException(400, str(error)) from error
        events = "text/event-stream" in request.headers.get("accept", "")
        lines = platform.log_lines(app, num, query, follow=tail)
        return StreamingResponse(log_stream(lines, events), media_type="text/event-stream" if events else "text/plain")

    return api
