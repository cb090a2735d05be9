"""HTTP routes of pipelines: create, list, show, add and remove apps, diff, destroy, and promotion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from seaway.api.auth import author_of
from seaway.api.common import PipelineAdd, PipelineCreate, Promote, authorised, jobs
from seaway.api.openapi import JOB
from seaway.platform import Platform


def router(platform: Platform) -> APIRouter:
    api, auth, job = APIRouter(), authorised(platform), jobs(platform)
    pipelines, promotion = platform.pipelines, platform.promotion

    @api.get("/pipelines", dependencies=auth)
    def list_pipelines() -> list[dict[str, Any]]:
        return pipelines.list()

    @api.post("/pipelines", dependencies=auth, status_code=201)
    def create_pipeline(body: PipelineCreate) -> dict[str, Any]:
        return pipelines.create(body.name, body.app, body.stage)

    @api.get("/pipelines/{name}", dependencies=auth)
    def pipeline_info(name: str) -> dict[str, Any]:
        """The pipeline's apps by stage, each with its current release, slug and commit."""
        return pipelines.info(name)

    @api.delete("/pipelines/{name}", dependencies=auth)
    def destroy_pipeline(name: str) -> dict[str, Any]:
        """Remove the pipeline; its apps stay as they are."""
        return pipelines.destroy(name)

    @api.post("/pipelines/{name}/apps", dependencies=auth, status_code=201)
    def add_app(name: str, body: PipelineAdd) -> dict[str, Any]:
        return pipelines.add(name, body.app, body.stage)

    @api.delete("/apps/{app}/pipeline", dependencies=auth)
    def remove_app(app: str) -> dict[str, Any]:
        return pipelines.remove(app)

    @api.get("/apps/{app}/pipeline/diff", dependencies=auth)
    def diff(app: str) -> dict[str, Any]:
        """What the app runs that the next stage's apps do not: commits (from git), or whether slugs differ."""
        return pipelines.diff(app)

    @api.post("/apps/{app}/pipeline/promote", dependencies=auth, **JOB)
    def promote(app: str, body: Promote, request: Request) -> StreamingResponse:
        """Release the app's slug, as it is, on the next stage's apps (or `to`), each with its own config
        vars and release phase."""
        promotion.plan(app, body.to, body.release)  # refusals before the stream starts, as HTTP statuses
        author = author_of(request.headers)
        return job(app, lambda emit: promotion.promote(app, body.to, body.release, emit, author))

    return api
