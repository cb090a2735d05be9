"""The one place where the kind of a refusal becomes an HTTP status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from seaway.errors import Conflict, Invalid, Misconfigured, NotFound, Unavailable, UserError
from seaway.release import ReleaseFailed

STATUS: dict[type[UserError], int] = {NotFound: 404, Conflict: 409, Invalid: 422, Unavailable: 502, Misconfigured: 500}
REFUSED = 400  # a UserError of no more specific kind


def http_status(error: UserError) -> int:
    return next((STATUS[kind] for kind in type(error).__mro__ if kind in STATUS), REFUSED)


def add_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(UserError)
    def refused(_request: Request, error: UserError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=http_status(error))

    @api.exception_handler(ReleaseFailed)
    def not_now(_request: Request, error: ReleaseFailed) -> JSONResponse:
        """Refused before anything started because of the app's state (no code deployed yet, say)."""
        return JSONResponse({"detail": str(error)}, status_code=409)
