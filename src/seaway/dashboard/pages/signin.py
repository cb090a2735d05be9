"""Signing in with an API token, and out. The sign-in form carries a CSRF token of its own (a cookie and
the same value in the form), so another site cannot sign a browser in under its token."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import Response

from seaway.dashboard.sessions import COOKIE, IDLE
from seaway.dashboard.web import Web, read_form, redirect, secured
from seaway.platform import Platform

LOGIN_COOKIE = "seaway_login"


def safe_next(target: str) -> str:
    """Where to go after signing in: a path of this site only."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def router(platform: Platform, web: Web) -> APIRouter:
    pages = APIRouter()

    def form(next_path: str, error: str = "", status: int = 200) -> Response:
        nonce = secrets.token_urlsafe(24)
        response = web.page(None, "signin.html", http_status=status, next=safe_next(next_path), login_csrf=nonce,
                            error=error, api_url=platform.api_url())
        response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", path="/login")
        return response

    @pages.get("/login")
    def sign_in_form(request: Request, next: str = "/") -> Response:
        if web.sessions.find(request.cookies.get(COOKIE)) is not None:
            return redirect(safe_next(next))
        return form(next)

    @pages.post("/login")
    async def sign_in(request: Request) -> Response:
        fields = await read_form(request)
        cookie, sent = request.cookies.get(LOGIN_COOKIE, ""), fields.get("login_csrf", "")
        next_path = fields.get("next", "/")
        if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
            return form(next_path, "The sign-in form expired or did not come from this page: try again.", 403)
        session = web.sessions.open(fields.get("token", "").strip())
        if session is None:
            return form(next_path, "That is not a valid API token. Use the token in SEAWAY_HOME/credentials "
                                   "(or `seaway auth:token`).", 401)
        response = redirect(safe_next(next_path))
        response.set_cookie(COOKIE, session.id, max_age=IDLE, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @pages.post("/logout")
    async def sign_out(request: Request) -> Response:
        await web.form(request)
        web.sessions.close(request.cookies.get(COOKIE))
        response = redirect("/login")
        response.delete_cookie(COOKIE, path="/")
        return secured(response)

    return pages
