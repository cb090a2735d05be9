"""HTTP routes of apps: create, list, show, rename, destroy, their settings, and whose token this is."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from seaway.api.auth import author_of
from seaway.api.common import AppCreate, AppSetupBody, AppUpdate, Credentials, authorised
from seaway.api.openapi import JOB, NDJSON
from seaway.api.streaming import stream_job
from seaway.platform import Platform


def router(platform: Platform) -> APIRouter:
    api, auth = APIRouter(), authorised(platform)

    @api.get("/account", dependencies=auth)
    def account(credentials: Credentials) -> dict[str, str]:
        """Whose token this is (`seaway auth:whoami`)."""
        assert credentials is not None
        return {"token": platform.token_description(credentials.credentials)}

    @api.get("/apps", dependencies=auth)
    def list_apps() -> list[dict[str, Any]]:
        return platform.apps()

    @api.post("/apps", dependencies=auth, status_code=201)
    def create_app(body: AppCreate) -> dict[str, Any]:
        return platform.create_app(body.name)

    @api.post("/app-setups", dependencies=auth, **JOB)
    def setup_app(body: AppSetupBody, request: Request) -> StreamingResponse:
        """Create an app and set it up from an app.json (`apps:create --manifest`): add-ons, config vars
        (given, generated, required), formation; refused before anything is created if it cannot be."""
        manifest = platform.check_setup(body.name, body.app_json, body.env)
        author = author_of(request.headers)
        return StreamingResponse(stream_job(lambda emit: platform.setup_app(body.name, manifest, body.env, emit,
                                                                             author)), media_type=NDJSON)

    @api.get("/apps/{app}", dependencies=auth)
    def app_info(app: str) -> dict[str, Any]:
        return platform.app_info(app)

    @api.patch("/apps/{app}", dependencies=auth)
    def rename_app(app: str, body: AppUpdate) -> dict[str, Any]:
        return platform.rename_app(app, body.name)

    @api.delete("/apps/{app}", dependencies=auth)
    def destroy_app(app: str) -> dict[str, Any]:
        return platform.destroy_app(app)

    @api.get("/apps/{app}/settings", dependencies=auth)
    def app_settings(app: str) -> dict[str, Any]:
        return platform.app_settings(app)

    @api.patch("/apps/{app}/settings", dependencies=auth)
    def update_settings(app: str, values: dict[str, int | None]) -> dict[str, Any]:
        return platform.update_settings(app, values)

    return api
