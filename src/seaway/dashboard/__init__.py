"""The web dashboard, served by the daemon at `/`: server-rendered pages of the apps, their activity,
releases, config vars, dynos, logs, database and metrics, each action through the same Platform
operations as the API (and so the CLI). Sign-in is with an API token; see sessions.py and web.py."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from seaway.api.errors import http_status
from seaway.dashboard.pages import PAGES
from seaway.dashboard.sessions import Sessions
from seaway.dashboard.web import Refused, SignInFirst, Web, redirect, sign_in_url
from seaway.errors import UserError
from seaway.platform import Platform

STATIC = "/dashboard/static"


def is_page(path: str) -> bool:
    return path == "/" or path.startswith("/dashboard/")


def mount(api: FastAPI, platform: Platform) -> None:
    web = Web(Sessions(platform.valid_token))
    api.mount(STATIC, StaticFiles(directory=str(files("seaway.dashboard") / "static")), name="dashboard-static")
    for page in PAGES:
        api.include_router(page.router(platform, web), include_in_schema=False)

    @api.exception_handler(SignInFirst)
    def sign_in_first(_request: Request, error: SignInFirst) -> Response:
        return redirect(sign_in_url(error.path))

    json_refusal = api.exception_handlers[UserError]

    @api.exception_handler(UserError)
    def not_found_page(request: Request, error: UserError) -> Response:
        """A page's refusal (no such app, say) as a page; the API's as JSON, as before."""
        if not is_page(request.url.path):
            return json_refusal(request, error)
        return web.page(None, "refused.html", http_status=http_status(error), reason=str(error))

    @api.exception_handler(Refused)
    def refused(_request: Request, error: Refused) -> HTMLResponse:
        return web.page(None, "refused.html", http_status=403, reason=str(error))
