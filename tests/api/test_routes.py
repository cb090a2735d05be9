"""The routers on a Platform with an in-memory runtime: auth, the shapes of a few answers, the statuses
errors.py gives refusals, and the streamed jobs' NDJSON."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from seaway.api.app import create_api
from seaway.dynos.inmemory import InMemoryRuntime
from seaway.platform import Platform
from seaway.settings import Settings
from seaway.store.models import Slug
from seaway.tokens import token_hash

TOKEN = "t0ken"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    settings = Settings(home=tmp_path / "home", sandbox=False, release_watch=0, router_port=1, router_https_port=0)
    platform = Platform(settings, runtime=InMemoryRuntime())
    platform.store.add_token(token_hash(TOKEN), "the tests'")
    yield platform
    platform.store.engine.dispose()


@pytest.fixture
def client(platform: Platform) -> TestClient:
    return TestClient(create_api(platform), headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def app(platform: Platform, client: TestClient) -> Iterator[str]:
    name = f"r-{uuid.uuid4().hex[:8]}"  # system users (as root) outlive a test's home
    assert client.post("/apps", json={"name": name}).status_code == 201
    yield name
    platform.destroy_app(name)


def test_health_needs_no_token_and_the_rest_do(client: TestClient):
    assert client.get("/health", headers={"Authorization": ""}).json()["status"] == "ok"
    refused = client.get("/apps", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/account").json() == {"token": "the tests'"}


def test_apps_config_releases_and_logs(client: TestClient, app: str):
    assert [listed["name"] for listed in client.get("/apps").json()] == [app]
    assert client.get(f"/apps/{app}/config").json() == {}
    assert client.get(f"/apps/{app}/releases").json() == []
    assert client.get(f"/apps/{app}/formation").json() == {"web": 1}
    assert client.get(f"/apps/{app}/dynos").json() == []
    assert f"App {app} created" in client.get(f"/apps/{app}/logs").text
    assert client.get(f"/apps/{app}/domains").json() == [f"{app}.localhost"]


def test_refusals_get_their_status(client: TestClient, app: str):
    assert client.get("/apps/nope/config").status_code == 404
    assert client.get("/apps/nope/logs").status_code == 404
    assert client.get(f"/apps/{app}/releases/v0").status_code == 422
    assert client.get(f"/apps/{app}/releases/current").status_code == 404
    assert client.get(f"/apps/{app}/logs", params={"source": "nonsense"}).status_code == 400
    assert client.post(f"/apps/{app}/pg/reset").status_code == 422  # not confirmed
    assert client.post(f"/apps/{app}/addons", json={"service": "redis"}).status_code == 422
    assert client.patch("/apps/nope/config", json={"A": "1"}).status_code == 404  # before the stream starts


def test_a_config_change_streams_its_release(platform: Platform, client: TestClient, app: str):
    platform.store.save_slug(Slug(digest="c" * 64, size=1, python_version="3.12.7", process_types={},
                                  deps_key="d", app_json={}))
    answer = client.patch(f"/apps/{app}/config", json={"GREETING": "hi"})
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    events = [json.loads(line) for line in answer.text.splitlines()]
    assert events[-1] == {"result": {"release": 1}}
    assert client.get(f"/apps/{app}/config").json() == {"GREETING": "hi"}
    assert [r["version"] for r in client.get(f"/apps/{app}/releases").json()] == [1]
