"""What the API's routers share: the bearer-token check, streamed jobs, request bodies and version numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from seaway.api.openapi import NDJSON
from seaway.api.streaming import stream_job
from seaway.platform import Platform

BEARER = HTTPBearer(auto_error=False)
Work = Callable[[Callable[[str], None]], Any]
Job = Callable[[str, Work], StreamingResponse]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]

MAX_NUMBER = 2**31 - 1  # the largest version, count or line number the API takes (the store's integers)
Bounded = Annotated[int, Field(ge=1, le=MAX_NUMBER)]


def authorised(platform: Platform) -> list[Any]:
    """The dependencies of a route that needs a valid API token (a 401 otherwise)."""
    def authorised(credentials: Credentials) -> None:
        if credentials is None or not platform.valid_token(credentials.credentials):
            raise HTTPException(401, "Invalid or missing API token. Use the token in SEAWAY_HOME/credentials "
                                     "(or set SEAWAY_API_TOKEN).", headers={"WWW-Authenticate": "Bearer"})

    return [Depends(authorised)]


def jobs(platform: Platform) -> Job:
    def job(app: str, work: Work) -> StreamingResponse:
        """Long work on an existing app, streamed as NDJSON (see streaming.py)."""
        platform.require_app(app)
        return StreamingResponse(stream_job(work), media_type=NDJSON)

    return job


def confirmed(app: str, confirm: str | None, what: str) -> None:
    if confirm != app:
        raise HTTPException(422, f"{what} Confirm with --confirm {app}.")


def version_number(text: str) -> int:
    digits = text[1:] if text[:1] in ("v", "V") else text
    if not (digits.isascii() and digits.isdigit()):
        raise HTTPException(422, f"{text!r} is not a release version like v3 or 3.")
    if len(digits) > len(str(MAX_NUMBER)) or not 1 <= int(digits) <= MAX_NUMBER:
        raise HTTPException(422, f"There is no release {text}: versions run from v1 to v{MAX_NUMBER}.")
    return int(digits)



class AppCreate(BaseModel):
    name: str


class AppUpdate(BaseModel):
    name: str = Field(description="A new name: the app's dynos restart under it, and the old name is free afterwards.")


class AddonCreate(BaseModel):
    service: str
    attach_as: str | None = None


class OneOff(BaseModel):
    command: str = Field(min_length=1, description="What to run in the one-off dyno, e.g. `python manage.py shell`")


class Domain(BaseModel):
    hostname: str


class DrainBody(BaseModel):
    url: str


class Rollback(BaseModel):
    version: Bounded | None = None


class Restart(BaseModel):
    target: str | None = None


class AppSetupBody(BaseModel):
    name: str
    app_json: str = Field(max_length=1024 * 1024, description="The app.json manifest, as its text")
    env: dict[str, str] = Field(default_factory=dict, description="Config vars the manifest requires or overrides")


class PipelineCreate(BaseModel):
    name: str
    app: str = Field(description="The first app of the pipeline")
    stage: str = Field(description="development, staging or production")


class PipelineAdd(BaseModel):
    app: str
    stage: str = Field(description="development, staging or production")


class Promote(BaseModel):
    to: list[str] | None = Field(default=None, description="Apps to promote to (default: the next stage's apps)")
    release: Bounded | None = Field(default=None, description="The release to promote (default: the current one)")
