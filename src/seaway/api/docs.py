"""The API's schema browser, /docs (Swagger UI), served with its script and style from the installed package
fastapi-offline instead of FastAPI's CDN, so that it renders on a host without internet.

fastapi-offline ships Swagger UI 5, the first to render OpenAPI 3.1 (FastAPI's): swagger-ui-bundle's 4.15 only
says "Unable to render this definition". Only its static files are used, not its FastAPI factory. No /redoc:
ReDoc loads its logo from a CDN whatever its options. The page needs no token: it only shows /openapi.json
(public too); the calls made from it still need one."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs/static"  # under /docs: clear of any /static mount, whichever is added first


def add_docs(api: FastAPI) -> None:
    """Serve /docs from local files; `api` must be made with docs_url=None (and redoc_url=None)."""
    api.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-static")

    @api.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        assets = f"{root}{ASSETS_URL}"
        return get_swagger_ui_html(openapi_url=f"{root}{api.openapi_url}", title=f"{api.title} - Swagger UI",
                                   swagger_js_url=f"{assets}/swagger-ui-bundle.js", swagger_css_url=f"{assets}/swagger-ui.css",
                                   swagger_favicon_url=f"{assets}/favicon.png", oauth2_redirect_url=None,
                                   swagger_ui_parameters=api.swagger_ui_parameters)
