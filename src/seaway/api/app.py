"""HTTP routes. Thin: each one checks input, calls the Platform and shapes the answer."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, WebSocket
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from seaway import __version__
from seaway.api.attach import attach
from seaway.api.auth import author_of, token_hash, valid_token
from seaway.api.certs import add_cert_routes
from seaway.api.errors import add_error_handlers
from seaway.api.git import add_git_routes
from seaway.api.openapi import ERRORS, JOB, LOG, NDJSON
from seaway.api.postgres import add_postgres_routes
from seaway.api.streaming import log_stream, stream_job
from seaway.logs import LogQuery, QueryError
from seaway.platform import Platform, release_json
from seaway.store.models import Commit

MAX_UPLOAD = 512 * 1024 * 1024
BEARER = HTTPBearer(auto_error=False)


class AppCreate(BaseModel):
    name: str


class AppUpdate(BaseModel):
    name: str = Field(description="A new name: the app's dynos restart under it, and the old name is free afterwards.")


class AddonCreate(BaseModel):
    service: str
    attach_as: str | None = None


class OneOff(BaseModel):
    command: str = Field(min_length=1, description="What to run in the one-off dyno, e.g. `python manage.py shell`")


class Domain(BaseModel):
    hostname: str


class DrainBody(BaseModel):
    url: str


MAX_NUMBER = 2**31 - 1  # the largest version, count or line number the API takes (the store's integers)
Bounded = Annotated[int, Field(ge=1, le=MAX_NUMBER)]


class Rollback(BaseModel):
    version: Bounded | None = None


class Restart(BaseModel):
    target: str | None = None


def _version_number(text: str) -> int:
    digits = text[1:] if text[:1] in ("v", "V") else text
    if not (digits.isascii() and digits.isdigit()):
        raise HTTPException(422, f"{text!r} is not a release version like v3 or 3.")
    if len(digits) > len(str(MAX_NUMBER)) or not 1 <= int(digits) <= MAX_NUMBER:
        raise HTTPException(422, f"There is no release {text}: versions run from v1 to v{MAX_NUMBER}.")
    return int(digits)


def create_api(platform: Platform) -> FastAPI:
    api = FastAPI(title="Seaway", version=__version__, description="A self-hosted, Heroku-compatible platform API.",
                  responses=ERRORS)
    def authorised(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> None:
        if credentials is None or not valid_token(platform.store, credentials.credentials):
            raise HTTPException(401, "Invalid or missing API token. Use the token in SEAWAY_HOME/credentials "
                                     "(or set SEAWAY_API_TOKEN).", headers={"WWW-Authenticate": "Bearer"})

    add_error_handlers(api)

    @api.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    auth = [Depends(authorised)]

    def job(app: str, work: Callable[[Callable[[str], None]], Any]) -> StreamingResponse:
        """Long work on an existing app, streamed as NDJSON (see streaming.py)."""
        platform.store.app(app)
        return StreamingResponse(stream_job(work), media_type=NDJSON)

    @api.get("/account", dependencies=auth)
    def account(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> dict[str, str]:
        """Whose token this is (`seaway auth:whoami`)."""
        assert credentials is not None
        return {"token": platform.store.token_description(token_hash(credentials.credentials)) or ""}

    @api.get("/apps", dependencies=auth)
    def list_apps() -> list[dict[str, Any]]:
        return [{"name": app.name, "created_at": app.created_at.isoformat(), "release": app.current_release}
                for app in platform.store.apps()]

    @api.post("/apps", dependencies=auth, status_code=201)
    def create_app(body: AppCreate) -> dict[str, Any]:
        return platform.create_app(body.name)

    @api.get("/apps/{app}", dependencies=auth)
    def app_info(app: str) -> dict[str, Any]:
        return platform.app_info(app)

    @api.patch("/apps/{app}", dependencies=auth)
    def rename_app(app: str, body: AppUpdate) -> dict[str, Any]:
        return platform.rename_app(app, body.name)

    @api.delete("/apps/{app}", dependencies=auth)
    def destroy_app(app: str) -> dict[str, Any]:
        return platform.destroy_app(app)

    @api.get("/apps/{app}/config", dependencies=auth)
    def config(app: str) -> dict[str, str]:
        return platform.store.config(platform.store.app(app))

    @api.patch("/apps/{app}/config", dependencies=auth, **JOB)
    def set_config(app: str, changes: dict[str, str | None], request: Request) -> StreamingResponse:
        author = author_of(request.headers)
        platform.check_config(app, changes)  # refused values get their status, before the stream starts
        return job(app, lambda emit: platform.set_config(app, changes, emit, author))

    @api.get("/apps/{app}/domains", dependencies=auth)
    def domains(app: str) -> list[str]:
        return platform.domains(app)

    @api.post("/apps/{app}/domains", dependencies=auth)
    def add_domain(app: str, body: Domain) -> list[str]:
        return platform.add_domain(app, body.hostname)

    @api.delete("/apps/{app}/domains/{hostname}", dependencies=auth)
    def remove_domain(app: str, hostname: str) -> list[str]:
        return platform.remove_domain(app, hostname)

    @api.get("/apps/{app}/drains", dependencies=auth)
    def drains(app: str) -> list[dict[str, Any]]:
        """The app's drains with their delivery state: delivered, buffered, dropped, last error."""
        return platform.drain_list(app)

    @api.post("/apps/{app}/drains", dependencies=auth, status_code=201)
    def add_drain(app: str, body: DrainBody) -> dict[str, Any]:
        return platform.add_drain(app, body.url)

    @api.delete("/apps/{app}/drains", dependencies=auth)
    def remove_drain(app: str, url: str) -> dict[str, str]:
        platform.remove_drain(app, url)
        return {"removed": url}

    @api.get("/apps/{app}/settings", dependencies=auth)
    def app_settings(app: str) -> dict[str, Any]:
        return platform.app_settings(app)

    @api.patch("/apps/{app}/settings", dependencies=auth)
    def update_settings(app: str, values: dict[str, int | None]) -> dict[str, Any]:
        return platform.update_settings(app, values)

    @api.post("/apps/{app}/addons", dependencies=auth, **JOB)
    def create_addon(app: str, body: AddonCreate, request: Request) -> StreamingResponse:
        service, _, plan = body.service.partition(":")
        if service not in ("postgresql", "heroku-postgresql", "postgres") or len(plan) > 50:
            raise HTTPException(422, f"Unknown add-on service {body.service!r}. Available: postgresql "
                                     "(also as heroku-postgresql[:PLAN]).")
        author = author_of(request.headers)
        return job(app, lambda emit: platform.pg.create(app, body.attach_as, emit, author, plan))

    add_postgres_routes(api, platform, auth, job)
    add_git_routes(api, platform, auth, job)
    add_cert_routes(api, platform, auth)

    @api.get("/apps/{app}/migrations/status", dependencies=auth)
    def migrations_status(app: str) -> dict[str, Any]:
        return platform.migrations.status(app)

    @api.get("/apps/{app}/migrations/history", dependencies=auth)
    def migrations_history(app: str) -> list[dict[str, Any]]:
        return platform.migrations.history(app)

    @api.post("/apps/{app}/migrations/upgrade", dependencies=auth, **JOB)
    def migrations_upgrade(app: str) -> StreamingResponse:
        return job(app, lambda emit: platform.migration_commands.upgrade(app, emit))

    @api.post("/apps/{app}/migrations/downgrade", dependencies=auth, **JOB)
    def migrations_downgrade(app: str, revision: str, confirm: str | None = None) -> StreamingResponse:
        if confirm != app:
            raise HTTPException(422, f"This downgrades the database schema (a backup is taken first). "
                                     f"Confirm with --confirm {app}.")
        return job(app, lambda emit: platform.migration_commands.downgrade(app, revision, emit))

    @api.get("/apps/{app}/migrations/validate", dependencies=auth)
    def migrations_validate(app: str) -> dict[str, Any]:
        return platform.migrations.validate(app)

    @api.get("/apps/{app}/releases", dependencies=auth)
    def releases(app: str) -> list[dict[str, Any]]:
        found = platform.store.app(app)
        return [release_json(r, found.current_release) for r in platform.store.releases(found)]

    @api.get("/apps/{app}/releases/{version}", dependencies=auth)
    def release_info(app: str, version: str) -> dict[str, Any]:
        number = None if version == "current" else _version_number(version)
        return platform.release_info(app, number)

    @api.post("/apps/{app}/releases/rollback", dependencies=auth, **JOB)
    def rollback(app: str, body: Rollback, request: Request) -> StreamingResponse:
        author = author_of(request.headers)
        return job(app, lambda emit: platform.rollback(app, body.version, author, emit))

    @api.get("/apps/{app}/formation", dependencies=auth)
    def formation(app: str) -> dict[str, int]:
        return platform.store.formation(platform.store.app(app))

    @api.patch("/apps/{app}/formation", dependencies=auth, **JOB)
    def scale(app: str, quantities: dict[str, int]) -> StreamingResponse:
        platform.check_scale(app, quantities)  # a refused formation gets its status, before the stream starts
        return job(app, lambda emit: platform.scale(app, quantities, emit))

    @api.get("/apps/{app}/dynos", dependencies=auth)
    def dynos(app: str) -> list[dict[str, Any]]:
        platform.store.app(app)
        return platform.ps(app)

    @api.post("/apps/{app}/dynos/restart", dependencies=auth, **JOB)
    def restart(app: str, body: Restart) -> StreamingResponse:
        return job(app, lambda emit: {"restarted": platform.restart(app, body.target, emit)})

    @api.post("/apps/{app}/dynos/{dyno}/stop", dependencies=auth)
    def stop_dyno(app: str, dyno: str) -> dict[str, str]:
        return platform.stop_dyno(app, dyno)

    @api.websocket("/apps/{app}/dynos/attach")
    async def attach_one_off(websocket: WebSocket, app: str) -> None:
        await attach(platform, websocket, app)

    @api.post("/apps/{app}/dynos/detached", dependencies=auth)
    def run_detached(app: str, body: OneOff) -> dict[str, Any]:
        platform.store.app(app)
        return platform.run_detached(app, body.command)

    @api.post("/apps/{app}/dynos", dependencies=auth, **JOB)
    def run(app: str, body: OneOff) -> StreamingResponse:
        return job(app, lambda emit: {"exit_code": platform.run(app, body.command, emit)})

    @api.post("/apps/{app}/builds", dependencies=auth, **JOB)
    async def deploy(app: str, request: Request,
                     commit: Annotated[str | None, Query(pattern="^[0-9a-f]{40}$")] = None,
                     subject: Annotated[str, Query(max_length=200)] = "", uncommitted: bool = False) -> StreamingResponse:
        """Build an uploaded source tarball and release it; `commit`/`subject`: the git commit it is (with
        `uncommitted`: and the work tree's changes on top of it)."""
        author = author_of(request.headers)
        source_commit = Commit(commit, subject, uncommitted) if commit else None
        platform.store.app(app)
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

    @api.get("/apps/{app}/logs", dependencies=auth, **LOG)
    def logs(app: str, request: Request, num: Annotated[int, Query(ge=0, le=MAX_NUMBER)] = 100, tail: bool = False,
             source: str | None = None, dyno: str | None = None, grep: str | None = None,
             since: str | None = None) -> StreamingResponse:
        """The app's log as text lines; with `tail`, a stream that goes on (`text/event-stream` if asked for)."""
        platform.store.app(app)
        try:
            query = LogQuery(source or None, dyno or None, grep or None, since or None)
        except QueryError as error:
            raise HTTPException(400, str(error)) from error
        events = "text/event-stream" in request.headers.get("accept", "")
        lines = platform.logs.follow(app, num, query) if tail else iter(platform.logs.tail(app, num, query))
        return StreamingResponse(log_stream(lines, events), media_type="text/event-stream" if events else "text/plain")

    return api
