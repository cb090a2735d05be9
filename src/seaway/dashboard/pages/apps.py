"""The apps page (`/`): every app with its state, current release, web dynos, URL and last deploy; and
creating and destroying apps."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from seaway.dashboard.web import Web, redirect
from seaway.platform import Platform


def app_state(dynos: list[dict[str, Any]], deploying: bool) -> str:
    """up / crashed / deploying / starting / idle (no dynos), as the apps page shows it."""
    if deploying:
        return "deploying"
    if any(dyno["state"] == "crashed" for dyno in dynos):
        return "crashed"
    if any(dyno["type"] == "web" and dyno["state"] == "up" for dyno in dynos):
        return "up"
    return "starting" if dynos else "idle"


def summary(platform: Platform, app: dict[str, Any]) -> dict[str, Any]:
    name = app["name"]
    dynos = platform.ps(name, usage=False)  # states only: measuring every app's dynos would cost the page
    releases = platform.releases(name)
    deploying = bool(platform.live.running(name)) or bool(releases and releases[0]["status"] == "pending")
    web = [dyno for dyno in dynos if dyno["type"] == "web"]
    deploys = [release for release in releases if release["description"].startswith(("Deploy", "Promote", "Rollback"))]
    return {"name": name, "state": app_state(dynos, deploying), "release": app["release"],
            "web_up": sum(dyno["state"] == "up" for dyno in web), "web_total": len(web),
            "url": platform.web_url(name), "last_deploy": deploys[0] if deploys else None}


def router(platform: Platform, web: Web) -> APIRouter:
    pages = APIRouter()

    @pages.get("/")
    def apps(request: Request) -> Response:
        session = web.session(request)
        return web.page(session, "apps.html", apps=[summary(platform, app) for app in platform.apps()])

    @pages.post("/dashboard/apps")
    async def create(request: Request) -> Response:
        form = await web.form(request)
        name = form.get("name").strip()
        if await web.act(form.session, lambda _emit: f"Created {platform.create_app(name)['name']}."):
            return redirect(f"/dashboard/apps/{name}")
        return redirect("/")

    @pages.post("/dashboard/apps/{app}/destroy")
    async def destroy(app: str, request: Request) -> Response:
        form = await web.form(request)
        if form.get("confirm") != app:
            form.session.notify("error", f"Type the app's name, {app}, to destroy it. Nothing was destroyed.")
            return redirect(f"/dashboard/apps/{app}")
        if await web.act(form.session, lambda _emit: _destroyed(platform.destroy_app(app))):
            return redirect("/")
        return redirect(f"/dashboard/apps/{app}")

    return pages


def _destroyed(result: dict[str, Any]) -> str:
    finals = "; ".join(result["final_backups"])
    return f"Destroyed {result['destroyed']}." + (f" Final backups: {finals}." if finals else "")
