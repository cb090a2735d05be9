"""What every dashboard page shares: the signed-in session, forms checked for their CSRF token, templates,
notices after an action, and the security headers of each response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool

from seaway import __version__
from seaway.api.streaming import USER_ERRORS
from seaway.dashboard.sessions import COOKIE, Session, Sessions
from seaway.faults import report_fault

MAX_FORM = 1 << 20  # bytes: config vars are at most 32 kB in all
AUTHOR = "dashboard"  # recorded on the releases the dashboard makes
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInFirst(Exception):
    """A page asked for without a session: the browser goes to the sign-in form, then back."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class Refused(Exception):
    """A form without a session or without its CSRF token: nothing is done."""


class Form:
    def __init__(self, session: Session, fields: dict[str, str]) -> None:
        self.session, self.fields = session, fields

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)


def form_fields(body: bytes) -> dict[str, str]:
    """An urlencoded form's fields (the first value of each)."""
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=1000)
    return {name: values[0] for name, values in parsed.items()}


async def read_form(request: Request) -> dict[str, str]:
    """A posted form's fields, read up to MAX_FORM bytes (Refused beyond)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise Refused("The form is too large.")
    return form_fields(body)


class Web:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.templates = Environment(loader=PackageLoader("seaway.dashboard", "templates"),
                                     autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)
        self.templates.globals.update(version=__version__)

    def session(self, request: Request) -> Session:
        """The signed-in session of a page's request (SignInFirst otherwise)."""
        session = self.sessions.find(request.cookies.get(COOKIE))
        if session is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInFirst(target)
        return session

    async def form(self, request: Request) -> Form:
        """A posted form's fields, once it comes from a session and carries that session's CSRF token."""
        session = self.sessions.find(request.cookies.get(COOKIE))
        if session is None:
            raise Refused("You are not signed in (or your session ended): sign in and try again.")
        fields = await read_form(request)
        if not session.carries(fields.get("csrf")):
            raise Refused("The form's CSRF token is missing or wrong: reload the page and try again.")
        return Form(session, fields)

    def page(self, session: Session | None, template: str, http_status: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.get_template(template).render(
            csrf=session.csrf if session else "", notices=session.take_notices() if session else [], **context)
        return secured(HTMLResponse(html, status_code=http_status))

    async def act(self, session: Session, work: Callable[[Callable[[str], None]], str]) -> bool:
        """Run an action (`work(emit)` returns what to tell the user; in a worker thread: actions take time)
        and show its result or error on the next page; True if it succeeded."""
        try:
            session.notify("ok", await run_in_threadpool(work, lambda _line: None))
            return True
        except USER_ERRORS as error:
            session.notify("error", str(error))
        except HTTPException as error:  # a value the API's own checks refuse (a version like v3, say)
            session.notify("error", str(error.detail))
        except Exception as error:  # reported, not swallowed: the daemon keeps serving
            session.notify("error", report_fault(error, "the dashboard's action"))
        return False


def secured(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response


def redirect(url: str) -> Response:
    """After a form: the browser asks for `url` with GET (so a reload does not post again)."""
    return secured(RedirectResponse(url, status_code=303))


def sign_in_url(path: str) -> str:
    return f"/login?next={quote(path, safe='/')}"
