"""An app's resources: its formation and dynos; scale process types, restart one dyno or all."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from seaway.app_settings import SETTINGS
from seaway.dashboard.web import Web, redirect
from seaway.errors import Invalid
from seaway.platform import Platform


def quantities(fields: dict[str, str]) -> dict[str, int]:
    """The formation a scale form asks for: its `qty-TYPE` fields."""
    wanted = {}
    for field, value in fields.items():
        if field.startswith("qty-"):
            if not value.strip().isdigit():
                raise Invalid(f"{field[4:]}: {value!r} is not a number of dynos (0 to 100).")
            wanted[field[4:]] = int(value)
    return wanted


def setting_changes(fields: dict[str, str], current: dict[str, object]) -> dict[str, int | None]:
    """The settings a form changes: its `set-NAME` fields that differ from the values in effect
    (`default` resets one; true/false for the switches)."""
    changes: dict[str, int | None] = {}
    for name in SETTINGS:
        text = fields.get(f"set-{name}", "").strip().lower()
        text = {"true": "1", "on": "1", "false": "0", "off": "0"}.get(text, text)
        if not text or text == str(int(current[name])):  # type: ignore[call-overload]
            continue
        if text != "default" and not text.isdigit():
            raise Invalid(f"{name}: {text!r} is not a number (or `default`).")
        changes[name] = None if text == "default" else int(text)
    return changes


def router(platform: Platform, web: Web) -> APIRouter:
    pages = APIRouter()

    @pages.get("/dashboard/apps/{app}/resources")
    def resources(app: str, request: Request) -> Response:
        session = web.session(request)
        formation = platform.formation(app)
        types = sorted(set(formation) | set(platform.process_types(app)))
        return web.page(session, "resources.html", app=app, tab="resources", formation=formation, types=types,
                        dynos=platform.ps(app), settings=platform.app_settings(app), limits=SETTINGS)

    @pages.post("/dashboard/apps/{app}/scale")
    async def scale(app: str, request: Request) -> Response:
        form = await web.form(request)

        def scale_to(emit: object) -> str:
            done = platform.scale(app, quantities(form.fields), emit)  # type: ignore[arg-type]
            return "Scaled to " + ", ".join(f"{kind}={count}" for kind, count in sorted(done.items())) + "."

        await web.act(form.session, scale_to)
        return redirect(f"/dashboard/apps/{app}/resources")

    @pages.post("/dashboard/apps/{app}/restart")
    async def restart(app: str, request: Request) -> Response:
        form = await web.form(request)
        target = form.get("target") or None

        def restart_dynos(emit: object) -> str:
            count = platform.restart(app, target, emit)  # type: ignore[arg-type]
            return f"Restarted {target or 'all dynos'} ({count} dyno{'s' if count != 1 else ''})."

        await web.act(form.session, restart_dynos)
        return redirect(f"/dashboard/apps/{app}/resources")

    @pages.post("/dashboard/apps/{app}/settings")
    async def settings(app: str, request: Request) -> Response:
        form = await web.form(request)

        def change(_emit: object) -> str:
            changes = setting_changes(form.fields, platform.app_settings(app))
            if not changes:
                return "Nothing changed."
            platform.update_settings(app, changes)
            return "Changed " + ", ".join(f"{k}={'default' if v is None else v}" for k, v in changes.items()) + "."

        await web.act(form.session, change)
        return redirect(f"/dashboard/apps/{app}/resources")

    @pages.post("/dashboard/apps/{app}/run")
    async def run_detached(app: str, request: Request) -> Response:
        form = await web.form(request)
        command = form.get("command").strip()

        def run(_emit: object) -> str:
            if not command:
                raise Invalid("Give a command to run, e.g. `python manage.py clearsessions`.")
            dyno = platform.run_detached(app, command)
            return f"Running `{command}` as {dyno['name']}: its output goes to the log."

        await web.act(form.session, run)
        return redirect(f"/dashboard/apps/{app}/resources")

    return pages
