"""What the OpenAPI document says beyond the routes' own types: the error bodies every route may answer
with, and the streams (NDJSON for long work, text or server-sent events for logs, bytes for backups)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

NDJSON = "application/x-ndjson"


class ErrorBody(BaseModel):
    detail: str | list[dict[str, Any]] = Field(
        description="What was wrong and how to fix it; for a malformed request, FastAPI's list of field errors.")


_WHY = {
    400: "A malformed query (a log filter, say)",
    401: "No valid API token",
    404: "No such app, release, add-on, backup or dyno",
    409: "Conflicts with the app's state (a name taken, work under way)",
    413: "The upload or a value is too large",
    422: "A value refused (what was wrong, how to fix it); nothing was stored",
}
# JSON even on routes that stream: the error is known before the stream starts. (Inline schemas: with
# `model`, FastAPI would give them the route's streaming media type.)
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": why, "content": {"application/json": {"schema": ErrorBody.model_json_schema()}}}
    for status, why in _WHY.items()}

STREAM_EVENT = {
    "type": "object",
    "description": "One JSON object per line: `{\"line\": TEXT}` while the work goes on, then exactly one "
                   "`{\"result\": ...}` or `{\"error\": MESSAGE}` (a failure found after the stream began; `failed` "
                   "says which stage: `build` or `release`).",
    "properties": {"line": {"type": "string"}, "result": {}, "error": {"type": "string"},
                   "failed": {"type": "string", "enum": ["build", "release"]}},
}


class NDJSONResponse(StreamingResponse):
    media_type = NDJSON


class LogResponse(StreamingResponse):
    media_type = "text/plain"


class BytesResponse(StreamingResponse):
    media_type = "application/octet-stream"


JOB = {"response_class": NDJSONResponse,
       "responses": {200: {"description": "The work's progress and outcome, streamed as it happens",
                           "content": {NDJSON: {"schema": STREAM_EVENT}}}}}
LOG = {"response_class": LogResponse,
       "responses": {200: {"description": "Log lines, one per line; with tail=true the stream goes on. With "
                                          "`Accept: text/event-stream`, server-sent events (`data: LINE`).",
                           "content": {"text/plain": {"schema": {"type": "string"}},
                                       "text/event-stream": {"schema": {"type": "string"}}}}}}
BYTES = {"response_class": BytesResponse,
         "responses": {200: {"description": "The backup, as pg_dump's custom format",
                             "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                 "format": "binary"}}}}}}
