"""Smart HTTP for the app repositories: one `git http-backend` (the host's git, as CGI) per request,
the request body streamed in and its answer streamed out, so a push can wait for its deploy."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from seaway.git_remote.repos import AppRepos

CHUNK = 64 * 1024
# Request headers http-backend reads from its environment, by CGI's naming.
PASSED_HEADERS = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH",
                  "content-encoding": "HTTP_CONTENT_ENCODING", "git-protocol": "GIT_PROTOCOL"}


def _cgi_environment(request: Request, repos: AppRepos, path_info: str, user: str,
                     extra: Mapping[str, str]) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "GIT_PROJECT_ROOT": str(repos.root),
           "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": path_info, "REQUEST_METHOD": request.method,
           "QUERY_STRING": request.url.query, "REMOTE_USER": user or "seaway",
           "REMOTE_ADDR": request.client.host if request.client else "", **repos.git_config(), **extra}
    for header, name in PASSED_HEADERS.items():
        if header in request.headers:
            env[name] = request.headers[header]
    return env


async def _feed(request: Request, process: asyncio.subprocess.Process) -> None:
    assert process.stdin is not None
    try:
        async for chunk in request.stream():
            process.stdin.write(chunk)
            await process.stdin.drain()
    except (BrokenPipeError, ConnectionResetError, ClientDisconnect):
        pass
    finally:
        process.stdin.close()


class _AnswerWhileReading(StreamingResponse):
    """A streamed answer that starts while the request body is still being read (http-backend answers
    a push at once). Starlette's own listens on the request channel for a disconnect meanwhile, taking
    the body's chunks: a large push then reached receive-pack cut short ("early EOF")."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.stream_response(send)
        except OSError as error:
            raise ClientDisconnect() from error


def _headers(raw: bytes) -> tuple[int, dict[str, str]]:
    status, headers = 200, {}
    for line in raw.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "status":
            status = int(value.split()[0])
        elif name.strip():
            headers[name.strip()] = value.strip()
    return status, headers


async def serve_git(request: Request, repos: AppRepos, path_info: str, user: str,
                    extra: Mapping[str, str]) -> Response:
    """Answer one smart-HTTP request for `path_info` (/APP.git/info/refs, /APP.git/git-receive-pack, ...)."""
    process = await asyncio.create_subprocess_exec(
        "git", "http-backend", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env=_cgi_environment(request, repos, path_info, user, extra))
    feeding = asyncio.create_task(_feed(request, process))
    assert process.stdout is not None
    try:
        head = await process.stdout.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        await feeding
        await process.wait()
        return Response(f"git http-backend stopped with status {process.returncode} before answering; "
                        "the daemon's log says why.\n", status_code=502, media_type="text/plain")
    status, headers = _headers(head)

    async def body() -> AsyncIterator[bytes]:
        assert process.stdout is not None
        try:
            while chunk := await process.stdout.read(CHUNK):
                yield chunk
        finally:
            if not process.stdout.at_eof():  # the client went away: nobody reads the rest
                process.kill()
            await feeding
            await process.wait()

    return _AnswerWhileReading(body(), status_code=status, headers=headers)
