"""An app's config vars: values hidden until revealed; add, edit, remove (each a new release); the
add-ons' own vars (DATABASE_URL) are shown read-only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from seaway.dashboard.web import AUTHOR, Web, redirect
from seaway.platform import Platform


def router(platform: Platform, web: Web) -> APIRouter:
    pages = APIRouter()

    @pages.get("/dashboard/apps/{app}/config")
    def config(app: str, request: Request, reveal: bool = False) -> Response:
        session = web.session(request)
        values = platform.config(app)
        owned = {addon["config_var"]: addon["name"] for addon in platform.addons(app)}
        return web.page(session, "config.html", app=app, tab="config", reveal=reveal, owned=owned,
                        config=sorted(values.items()) if reveal else [(key, None) for key in sorted(values)])

    @pages.post("/dashboard/apps/{app}/config")
    async def set_config(app: str, request: Request) -> Response:
        form = await web.form(request)
        key, value = form.get("key").strip(), form.get("value")

        def set_var(emit: object) -> str:
            release = platform.set_config(app, {key: value}, emit, AUTHOR)  # type: ignore[arg-type]
            return f"Set {key}: release v{release['release']}."

        await web.act(form.session, set_var)
        return redirect(f"/dashboard/apps/{app}/config" + ("?reveal=true" if form.get("reveal") else ""))

    @pages.post("/dashboard/apps/{app}/config/unset")
    async def unset_config(app: str, request: Request) -> Response:
        form = await web.form(request)
        key = form.get("key")

        def unset_var(emit: object) -> str:
            release = platform.set_config(app, {key: None}, emit, AUTHOR)  # type: ignore[arg-type]
            return f"Removed {key}: release v{release['release']}."

        await web.act(form.session, unset_var)
        return redirect(f"/dashboard/apps/{app}/config")

    return pages
