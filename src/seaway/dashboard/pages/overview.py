"""An app's overview: its current release (who, when, commit), formation and dynos, add-ons, domains and
certificates, pipeline stage; adding a database or a domain, and destroying the app."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from seaway.addons.services import addon_service
from seaway.dashboard.web import AUTHOR, Web, redirect
from seaway.errors import NotFound
from seaway.platform import Platform


def current_release(platform: Platform, app: str) -> dict[str, Any] | None:
    try:
        return platform.release_info(app, None)
    except NotFound:  # no release yet
        return None


def router(platform: Platform, web: Web) -> APIRouter:
    pages = APIRouter()

    @pages.get("/dashboard/apps/{app}")
    def overview(app: str, request: Request) -> Response:
        session = web.session(request)
        platform.require_app(app)
        return web.page(session, "overview.html", app=app, tab="overview", url=platform.web_url(app),
                        release=current_release(platform, app), formation=platform.formation(app),
                        dynos=platform.ps(app), addons=platform.addons(app), domains=platform.domains(app),
                        certificates=platform.certs.list(app), pipeline=platform.pipeline_of(app))

    @pages.post("/dashboard/apps/{app}/addons")
    async def create_addon(app: str, request: Request) -> Response:
        form = await web.form(request)
        service, attach_as = form.get("service", "heroku-postgresql"), form.get("as").strip() or None

        def create(emit: Any) -> str:
            _service, plan = addon_service(service)
            addon = platform.pg.create(app, attach_as, emit, AUTHOR, plan)
            return f"Created {addon['name']} as {addon['config_var']}."

        await web.act(form.session, create)
        return redirect(f"/dashboard/apps/{app}")

    @pages.post("/dashboard/apps/{app}/domains")
    async def add_domain(app: str, request: Request) -> Response:
        form = await web.form(request)
        hostname = form.get("hostname")
        await web.act(form.session, lambda _emit: f"Added {platform.add_domain(app, hostname)[-1]}.")
        return redirect(f"/dashboard/apps/{app}")

    @pages.post("/dashboard/apps/{app}/domains/remove")
    async def remove_domain(app: str, request: Request) -> Response:
        form = await web.form(request)
        hostname = form.get("hostname")
        await web.act(form.session, lambda _emit: _removed(platform.remove_domain(app, hostname), hostname))
        return redirect(f"/dashboard/apps/{app}")

    @pages.post("/dashboard/apps/{app}/rename")
    async def rename(app: str, request: Request) -> Response:
        form = await web.form(request)
        new = form.get("name").strip()
        if await web.act(form.session, lambda _emit: f"Renamed {app} to {platform.rename_app(app, new)['name']}."):
            return redirect(f"/dashboard/apps/{new}")
        return redirect(f"/dashboard/apps/{app}")

    @pages.post("/dashboard/apps/{app}/promote")
    async def promote(app: str, request: Request) -> Response:
        form = await web.form(request)

        def promote_now(emit: Any) -> str:
            result = platform.promotion.promote(app, None, None, emit, AUTHOR)
            return "Promoted to " + ", ".join(f"{done['app']} (v{done['release']})" for done in result["promoted"]) + "."

        await web.act(form.session, promote_now)
        return redirect(f"/dashboard/apps/{app}")

    return pages


def _removed(_domains: list[str], hostname: str) -> str:
    return f"Removed {hostname}."
