"""The HTTP API: a FastAPI app of the topics' routers, each one thin (it checks input, calls the Platform's
operations and shapes the answer). errors.py maps the kinds of refusal to HTTP statuses for all of them."""

from __future__ import annotations

from fastapi import FastAPI

from seaway import __version__
from seaway.api import apps, certs, config, domains, drains, git, logs, metrics, migrations, pipelines, postgres, ps, releases
from seaway.api.docs import add_docs
from seaway.api.errors import add_error_handlers
from seaway.api.openapi import ERRORS
from seaway.dashboard import mount as mount_dashboard
from seaway.platform import Platform

TOPICS = (apps, config, domains, drains, postgres, git, certs, migrations, releases, ps, logs, pipelines, metrics)


def create_api(platform: Platform) -> FastAPI:
    api = FastAPI(title="Seaway", version=__version__, description="A self-hosted, Heroku-compatible platform API.",
                  responses=ERRORS, docs_url=None, redoc_url=None)
    add_docs(api)  # /docs from local files, not a CDN
    add_error_handlers(api)
    api.add_api_route("/health", health, methods=["GET"])
    for topic in TOPICS:
        api.include_router(topic.router(platform))
    mount_dashboard(api, platform)  # the web pages at / (not in the OpenAPI document)
    return api


def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}
