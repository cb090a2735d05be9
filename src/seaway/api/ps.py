"""HTTP routes of dynos: the formation and scaling, the dynos, restart and ps:stop, and one-off dynos
(streamed, detached, or attached to a terminal over a WebSocket)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket
from fastapi.responses import StreamingResponse

from seaway.api.attach import attach
from seaway.api.common import OneOff, Restart, authorised, jobs
from seaway.api.openapi import JOB
from seaway.platform import Platform


def router(platform: Platform) -> APIRouter:
    api, auth, job = APIRouter(), authorised(platform), jobs(platform)

    @api.get("/apps/{app}/formation", dependencies=auth)
    def formation(app: str) -> dict[str, int]:
        return platform.formation(app)

    @api.patch("/apps/{app}/formation", dependencies=auth, **JOB)
    def scale(app: str, quantities: dict[str, int]) -> StreamingResponse:
        platform.check_scale(app, quantities)  # a refused formation gets its status, before the stream starts
        return job(app, lambda emit: platform.scale(app, quantities, emit))

    @api.get("/apps/{app}/dynos", dependencies=auth)
    def dynos(app: str) -> list[dict[str, Any]]:
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
        platform.require_app(app)
        return platform.run_detached(app, body.command)

    @api.post("/apps/{app}/dynos", dependencies=auth, **JOB)
    def run(app: str, body: OneOff) -> StreamingResponse:
        return job(app, lambda emit: {"exit_code": platform.run(app, body.command, emit)})

    return api
