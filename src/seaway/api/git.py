"""HTTP routes of the app repositories: git's smart HTTP at /git/APP.git (HTTP basic auth, the token as
password, as Heroku's git endpoint takes its API key), and deploying a commit those repositories hold."""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from seaway.api.auth import author_of
from seaway.api.common import authorised, jobs
from seaway.api.openapi import JOB
from seaway.git_remote.http import serve_git
from seaway.platform import Platform

GIT_PATHS = ("info/refs", "git-upload-pack", "git-receive-pack")
ASK_FOR_TOKEN = {"WWW-Authenticate": 'Basic realm="Seaway"'}


class CommitDeploy(BaseModel):
    commit: str = Field(pattern="^[0-9a-f]{40}$", description="The full sha of a commit the app's repository holds")


def _basic_credentials(request: Request) -> tuple[str, str]:
    """(user, token) from `Authorization: Basic` (or a bearer token), else a 401 git understands."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return "", value.strip()
    if scheme.lower() == "basic":
        try:
            user, _, token = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            return user, token
        except (binascii.Error, UnicodeDecodeError):
            pass
    raise HTTPException(401, "Seaway's git needs your API token as the password: run `seaway login`.",
                        headers=ASK_FOR_TOKEN)


def router(platform: Platform) -> APIRouter:
    api, auth, job = APIRouter(), authorised(platform), jobs(platform)

    @api.api_route("/git/{repository}/{path:path}", methods=["GET", "POST"], include_in_schema=False)
    async def smart_http(repository: str, path: str, request: Request) -> Response:
        user, token = _basic_credentials(request)
        if not platform.valid_token(token):
            raise HTTPException(401, "Invalid API token. Run `seaway login` (or `seaway auth:token` for the token).",
                                headers=ASK_FOR_TOKEN)
        app = repository.removesuffix(".git")
        if path not in GIT_PATHS or not repository.endswith(".git"):
            raise HTTPException(404, f"No such git path. The app's remote is {platform.api_url()}/git/APP.git")
        repositories = platform.git_repositories(app)
        hook_env = {"SEAWAY_APP": app, "SEAWAY_API_URL": platform.api_url(), "SEAWAY_API_TOKEN": token,
                    "SEAWAY_AUTHOR": user[:200] or "git push"}
        return await serve_git(request, repositories, f"/{app}.git/{path}", user, hook_env)

    @api.post("/apps/{app}/builds/git", dependencies=auth, **JOB)
    def deploy_commit(app: str, body: CommitDeploy, request: Request) -> StreamingResponse:
        """Build and release a commit pushed to the app's repository (what `git push seaway main` runs)."""
        author = author_of(request.headers)
        platform.check_commit(app, body.commit)  # a 404 now, before the stream starts
        return job(app, lambda emit: platform.deploy_commit(app, body.commit, emit, author))

    return api
