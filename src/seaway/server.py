"""The daemon, `seaway server`: owns the API, nginx, PostgreSQL and every dyno, and stops them all on exit.

A requested stop (SIGTERM, SIGINT) stops everything, as before: dynos (SIGTERM, SIGKILL after their
stop timeout), nginx, PostgreSQL and the sandbox network. Operators and the tests rely on it leaving
nothing behind. A daemon that dies instead (kill -9, a crash, the OOM killer) stops nothing: dynos run
on under their keepers (dynos/keeper.py), nginx and PostgreSQL in sessions of their own, and the next
`seaway server` on the same home takes them all back (Platform.start) without a request failing."""

from __future__ import annotations

import signal
import sys
from types import FrameType

import uvicorn

from seaway.api.app import create_api
from seaway.host import port_taken
from seaway.platform import Platform
from seaway.settings import Settings
from seaway.tokens import ensure_admin_token


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    # uvicorn re-raises the signal it caught once it has shut down; ending `serve` through an
    # exception (rather than the default handler) lets its `finally` stop every child first.
    raise KeyboardInterrupt


def serve(settings: Settings) -> None:
    taken = port_taken("The API", settings.api_host, settings.api_port, "SEAWAY_API_PORT")
    if taken:  # checked first: the API binds last, once everything else has started
        raise SystemExit(f"seaway server: {taken}")
    platform = Platform(settings)
    token = ensure_admin_token(platform.store, settings.credentials_path, settings.api_url)
    if token:
        print(f"Created the admin API token (shown once; also in {settings.credentials_path}):\n  {token}", flush=True)
    print(f"Seaway home: {settings.home}", flush=True)
    server = uvicorn.Server(uvicorn.Config(create_api(platform), host=settings.api_host, port=settings.api_port,
                                           log_level="warning", access_log=False, timeout_graceful_shutdown=5))
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        platform.start()
        for warning in platform.isolation_warnings():
            print(f"Warning: {warning}", file=sys.stderr, flush=True)
        https = (f" and https://{settings.router_host}:{settings.router_https_port} (`seaway certs:ca` for its CA)"
                 if settings.router_https_port else "")
        print(f"PostgreSQL on 127.0.0.1:{settings.postgres_port}; router on "
              f"http://{settings.router_host}:{settings.router_port}{https} (APP.localhost)", flush=True)
        print(f"API on {settings.api_url}; ready.", flush=True)
        server.run()
    except KeyboardInterrupt:
        pass  # SIGINT or SIGTERM: a requested stop, not a failure
    except Exception as error:
        print(f"seaway server: {error}", file=sys.stderr, flush=True)
        raise SystemExit(1) from error
    finally:
        print("Stopping dynos, router and PostgreSQL...", flush=True)
        platform.stop()
        print("Stopped.", flush=True)
