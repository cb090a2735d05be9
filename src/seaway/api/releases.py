"""HTTP routes of releases: the list, one release, rollback, and deploys (an uploaded source tarball)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from seaway.api.auth import author_of
from seaway.api.common import Bounded, Rollback, authorised, jobs, version_number
from seaway.api.openapi import JOB, LOG
from seaway.api.streaming import log_stream
from seaway.platform import Platform
from seaway.store.models import Commit

MAX_UPLOAD = 512 * 1024 * 1024


def router(platform: Platform) -> APIRouter:
    api, auth, job = APIRouter(), authorised(platform), jobs(platform)

    @api.get("/apps/{app}/releases", dependencies=auth)
    def releases(app: str) -> list[dict[str, Any]]:
        return platform.releases(app)

    @api.get("/apps/{app}/releases/{version}", dependencies=auth)
    def release_info(app: str, version: str) -> dict[str, Any]:
        number = None if version == "current" else version_number(version)
        return platform.release_info(app, number)

    @api.post("/apps/{app}/releases/rollback", dependencies=auth, **JOB)
    def rollback(app: str, body: Rollback, request: Request) -> StreamingResponse:
        author = author_of(request.headers)
        return job(app, lambda emit: platform.rollback(app, body.version, author, emit))

    @api.post("/apps/{app}/builds", dependencies=auth, **JOB)
    async def deploy(app: str, request: Request,
                     commit: Annotated[str | None, Query(pattern="^[0-9a-f]{40}$")] = None,
                     subject: Annotated[str, Query(max_length=200)] = "", uncommitted: bool = False) -> StreamingResponse:
        """Build an uploaded source tarball and release it; `commit`/`subject`: the git commit it is (with
        `uncommitted`: and the work tree's changes on top of it)."""
        author = author_of(request.headers)
        source_commit = Commit(commit, subject, uncommitted) if commit else None
        platform.require_app(app)
        upload = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD:
                raise HTTPException(413, f"The upload is larger than {MAX_UPLOAD >> 20} MB. Add large files to .slugignore.")
            upload.write(chunk)
        upload.seek(0)

        def build_and_release(emit: Callable[[str], None]) -> Any:
            with upload:
                return platform.deploy(app, upload, emit, author, source_commit)  # type: ignore[arg-type]

        return job(app, build_and_release)

    @api.get("/apps/{app}/builds", dependencies=auth)
    def builds(app: str) -> list[dict[str, Any]]:
        """The app's newest builds (up to 50), newest first; `running` while their deploy goes on."""
        return platform.builds(app)

    @api.get("/apps/{app}/builds/{build}", dependencies=auth)
    def build_info(app: str, build: Bounded) -> dict[str, Any]:
        return platform.build_info(app, build)

    @api.get("/apps/{app}/builds/{build}/output", dependencies=auth, **LOG)
    def build_output(app: str, build: Bounded, request: Request) -> StreamingResponse:
        """The build's output; while its deploy runs, a stream that goes on until it ends (release phase
        included; `text/event-stream` if asked for)."""
        events = "text/event-stream" in request.headers.get("accept", "")
        lines = platform.build_output(app, build)
        return StreamingResponse(log_stream(lines, events), media_type="text/event-stream" if events else "text/plain")

    return api
