"""/docs comes with its script and style from the daemon itself: it renders without internet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from seaway.api.app import create_api
from seaway.dynos.inmemory import InMemoryRuntime
from seaway.platform import Platform
from seaway.settings import Settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path / "home", sandbox=False, release_watch=0, router_port=1, router_https_port=0)
    platform = Platform(settings, runtime=InMemoryRuntime())
    yield TestClient(create_api(platform))  # no token: the page is public, like /openapi.json
    platform.store.engine.dispose()


def local_urls(html: str) -> list[str]:
    """Every src/href and quoted URL-looking value of a page; fails on any absolute http(s) URL."""
    assert not re.findall(r"https?://", html), "a page that loads from the internet is blank offline"
    return re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html)


def test_the_schema_browser_references_only_local_files(client: TestClient):
    answer = client.get("/docs")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert set(local_urls(answer.text)) == {"/docs/static/swagger-ui-bundle.js", "/docs/static/swagger-ui.css",
                                            "/docs/static/favicon.png", "/openapi.json"}
    assert client.get("/redoc").status_code == 404  # ReDoc loads its logo from a CDN: not served


@pytest.mark.parametrize(("asset", "content_type"), [
    ("swagger-ui-bundle.js", "text/javascript"), ("swagger-ui.css", "text/css"), ("favicon.png", "image/png"),
])
def test_its_assets_are_served(client: TestClient, asset: str, content_type: str):
    answer = client.get(f"/docs/static/{asset}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] in {content_type, content_type.replace("text/", "application/")}
    assert len(answer.content) > 500
    if asset == "swagger-ui-bundle.js":  # Swagger UI 5: 4.x can't render FastAPI's OpenAPI 3.1
        assert re.search(rb'version:"5\.\d+\.\d+"|"5\.\d+\.\d+"', answer.content)


def test_the_openapi_document_does_not_list_them(client: TestClient):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/apps" in paths and not [path for path in paths if path.startswith(("/docs", "/redoc"))]
