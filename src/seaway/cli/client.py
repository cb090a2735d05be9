"""Talking to the daemon: where it is, which token, and turning its answers into output or errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import click

# httpx imports its own command line (rich, pygments: ~0.1 s) whenever click and rich are installed,
# as they are here. It handles that module being unavailable, and `seaway` never uses it.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
import httpx  # noqa: E402 (after the sys.modules entry above)

from seaway.credentials import api_location, author  # noqa: E402
from seaway.settings import Settings  # noqa: E402


class ApiClient:
    def __init__(self) -> None:
        settings = Settings.from_env()
        self.url, self.token = api_location(settings)
        headers = {"X-Seaway-Author": author()}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # No TLS context for a plain-http API: building one loads the CA bundle (~0.08 s per command).
        self.http = httpx.Client(base_url=self.url, headers=headers, verify=self.url.startswith("https:"),
                                 timeout=httpx.Timeout(60, read=None))

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.is_success:
            return response
        response.read()
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        if isinstance(detail, list):  # FastAPI's validation errors
            detail = "; ".join(f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in detail)
        raise click.ClickException(str(detail))

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return self._check(self.http.request(method, path, **kwargs)).json()
        except httpx.TransportError as error:
            raise self._unreachable(error) from error

    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[str]:
        """Raw lines of a streamed answer."""
        try:
            with self.http.stream(method, path, **kwargs) as response:
                self._check(response)
                yield from response.iter_lines()
        except httpx.TransportError as error:
            raise self._unreachable(error) from error

    def job(self, method: str, path: str, **kwargs: Any) -> Any:
        """Follow an NDJSON job: print its lines live, return its result or fail with its error."""
        for raw in self.stream(method, path, **kwargs):
            if not raw.strip():
                continue
            message = json.loads(raw)
            if "line" in message:
                click.echo(message["line"])
            elif "error" in message:
                raise click.ClickException(message["error"])
            else:
                return message.get("result")
        raise click.ClickException("The connection to the Seaway API closed before the work finished; "
                                   "check `seaway releases` and `seaway logs` for what happened.")

    def _unreachable(self, error: Exception) -> click.ClickException:
        return click.ClickException(f"Cannot reach the Seaway API at {self.url} ({error}). "
                                    "Is `seaway server` running? Set SEAWAY_API_URL if it listens elsewhere.")
