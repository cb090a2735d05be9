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


# -- pipelines and app setups -------------------------------------------------------------------------

PROCFILE = {"web": "gunicorn app:app", "release": "flask db upgrade"}


def events_of(answer) -> list[dict]:  # noqa: ANN001 (an httpx Response)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in answer.text.splitlines()]


def deploy(platform: Platform, app: str, digest: str) -> int:
    """A release of a built slug, as a deploy makes it (no build runs on the in-memory runtime)."""
    slug = platform.store.save_slug(Slug(digest=digest, size=1, python_version="3.12.7", process_types=PROCFILE,
                                         deps_key="d", app_json={}))
    return platform.releaser.create(platform.store.app(app), slug, "Deploy", lambda _line: None).version


@pytest.fixture
def names(platform: Platform) -> Iterator[list[str]]:
    """App names a test makes through the API; those that exist afterwards are destroyed."""
    made: list[str] = []
    yield made
    for name in made:
        if name in {app.name for app in platform.store.apps()}:
            platform.destroy_app(name)


@pytest.fixture
def pair(client: TestClient, names: list[str]) -> tuple[str, str, str]:
    """A pipeline with a staging app and a production app, made through the routes."""
    tag = uuid.uuid4().hex[:8]
    pipeline, staging, production = f"pipe-{tag}", f"stag-{tag}", f"prod-{tag}"
    for name, settings in ((staging, "config.StagingConfig"), (production, "config.ProductionConfig")):
        names.append(name)
        assert client.post("/apps", json={"name": name}).status_code == 201
        events_of(client.patch(f"/apps/{name}/config", json={"APP_SETTINGS": settings}))
    created = client.post("/pipelines", json={"name": pipeline, "app": staging, "stage": "staging"})
    assert created.status_code == 201, created.text
    assert created.json()["stages"]["staging"][0]["app"] == staging
    added = client.post(f"/pipelines/{pipeline}/apps", json={"app": production, "stage": "production"})
    assert added.status_code == 201, added.text
    assert [entry["app"] for entry in added.json()["stages"]["production"]] == [production]
    return pipeline, staging, production


def test_pipelines_list_info_diff_remove_and_destroy(platform: Platform, client: TestClient,
                                                    pair: tuple[str, str, str]):
    pipeline, staging, production = pair
    listed = client.get("/pipelines").json()
    assert [(p["name"], p["apps"]) for p in listed] == [(pipeline, {production: "production", staging: "staging"})]
    deploy(platform, production, "1" * 64)
    deploy(platform, staging, "2" * 64)

    info = client.get(f"/pipelines/{pipeline}").json()
    assert info["name"] == pipeline and info["stages"]["development"] == []
    (stag,), (prod,) = info["stages"]["staging"], info["stages"]["production"]
    assert (stag["app"], stag["slug"], stag["differs"]) == (staging, "2" * 64, False)
    assert (prod["app"], prod["slug"], prod["differs"]) == (production, "1" * 64, True)
    assert client.get(f"/apps/{production}").json()["pipeline"] == {"name": pipeline, "stage": "production"}

    diff = client.get(f"/apps/{staging}/pipeline/diff").json()
    assert (diff["app"], diff["stage"], diff["pipeline"], diff["slug"]) == (staging, "staging", pipeline, "2" * 64)
    (target,) = diff["downstream"]
    assert target["app"] == production and target["same_slug"] is False
    assert target["commits"] is None  # no git history links them: the slugs are compared

    assert client.delete(f"/apps/{production}/pipeline").json() == {"app": production, "pipeline": pipeline,
                                                                     "stage": "production"}
    assert client.get(f"/apps/{production}").json()["pipeline"] is None
    assert client.delete(f"/pipelines/{pipeline}").json() == {"destroyed": pipeline, "apps": [staging]}
    assert client.get("/pipelines").json() == []
    assert client.get(f"/apps/{staging}").json()["pipeline"] is None  # the apps stay, out of any pipeline
    assert client.get(f"/apps/{staging}/releases").json()[0]["slug"] == "2" * 64


def test_promotion_streams_its_result_and_releases_the_same_slug_downstream(platform: Platform, client: TestClient,
                                                                          pair: tuple[str, str, str]):
    _pipeline, staging, production = pair
    deploy(platform, production, "1" * 64)
    version = deploy(platform, staging, "2" * 64)
    events = events_of(client.post(f"/apps/{staging}/pipeline/promote", json={}))
    result = events[-1]["result"]
    assert (result["app"], result["release"], result["slug"]) == (staging, version, "2" * 64)
    (promoted,) = result["promoted"]
    assert promoted["app"] == production and promoted["status"] == "succeeded"
    assert any(f"Promoting {staging} v{version}" in event.get("line", "") for event in events)

    current = client.get(f"/apps/{production}/releases/v{promoted['release']}").json()
    assert current["slug"] == "2" * 64 and current["current"] and current["status"] == "succeeded"
    assert current["description"] == f"Promote {staging} v{version}"
    assert current["promoted_from"] == {"app": staging, "version": version}
    assert client.get(f"/apps/{production}/config").json() == {"APP_SETTINGS": "config.ProductionConfig"}
    assert client.get(f"/apps/{staging}/pipeline/diff").json()["downstream"][0]["same_slug"] is True


def test_promotion_refusals_are_statuses_and_failures_end_the_stream(platform: Platform, client: TestClient,
                                                                     pair: tuple[str, str, str]):
    _pipeline, staging, production = pair
    runtime = platform.runtime
    assert isinstance(runtime, InMemoryRuntime)
    before = deploy(platform, production, "1" * 64)
    deploy(platform, staging, "2" * 64)

    runtime.missing_pythons.add("3.12.7")
    refused = client.post(f"/apps/{staging}/pipeline/promote", json={})  # refused before the stream starts
    assert refused.status_code == 409 and "Cannot promote" in refused.json()["detail"]
    assert "Python 3.12.7" in refused.json()["detail"]
    runtime.missing_pythons.clear()

    runtime.script(lambda spec: spec.app == production and spec.process_type == "release",
                   lambda _spec: (1, ["relation already exists"]))
    failed = events_of(client.post(f"/apps/{staging}/pipeline/promote", json={"to": [production]}))[-1]
    assert failed["failed"] == "release" and f"Promotion failed on {production}" in failed["error"]
    assert client.get(f"/apps/{production}/releases/current").json()["version"] == before  # still serving
    wrong = client.post(f"/apps/{staging}/pipeline/promote", json={"to": ["elsewhere"]})
    assert wrong.status_code == 422 and "--to takes other apps of pipeline" in wrong.json()["detail"]


def test_pipeline_refusals_get_their_status(client: TestClient, pair: tuple[str, str, str], app: str):
    pipeline, staging, _production = pair
    assert client.get("/pipelines/nope").status_code == 404
    assert client.delete("/pipelines/nope").status_code == 404
    assert client.post("/pipelines/nope/apps", json={"app": app, "stage": "staging"}).status_code == 404
    assert client.post(f"/pipelines/{pipeline}/apps", json={"app": "nope", "stage": "staging"}).status_code == 404
    again = client.post(f"/pipelines/{pipeline}/apps", json={"app": staging, "stage": "production"})
    assert again.status_code == 409 and f"{staging} is already in pipeline {pipeline}" in again.json()["detail"]
    assert client.post("/pipelines", json={"name": "other-pipe", "app": staging, "stage": "staging"}).status_code == 409
    assert client.post("/pipelines", json={"name": pipeline, "app": app, "stage": "staging"}).status_code == 409
    bad_stage = client.post(f"/pipelines/{pipeline}/apps", json={"app": app, "stage": "qa"})
    assert bad_stage.status_code == 422 and "Unknown pipeline stage 'qa'" in bad_stage.json()["detail"]
    assert client.post("/pipelines", json={"name": "Not A Name", "app": app, "stage": "staging"}).status_code == 422
    assert client.post("/pipelines", json={"name": "no-stage", "app": app}).status_code == 422  # FastAPI's own
    assert client.get(f"/apps/{app}/pipeline/diff").status_code == 404  # in no pipeline
    assert client.delete(f"/apps/{app}/pipeline").status_code == 404
    assert client.post("/apps/nope/pipeline/promote", json={}).status_code == 404  # before the stream starts
    assert client.post(f"/apps/{staging}/pipeline/promote", json={"release": 0}).status_code == 422
    assert [p["name"] for p in client.get("/pipelines").json()] == [pipeline]  # nothing else was made


MANIFEST = {
    "name": "Seed app",
    "env": {"APP_SETTINGS": {"value": "config.StagingConfig"}, "SECRET_KEY": {"generator": "secret"},
            "MAIL_TO": {"description": "Who gets the reports"}, "OPTIONAL": {"required": False}},
    "formation": {"web": {"quantity": 2}, "worker": {"quantity": 1}},
    "buildpacks": [{"url": "heroku/python"}],
}


def test_an_app_setup_missing_a_required_var_is_refused_and_creates_nothing(client: TestClient,
                                                                           names: list[str]):
    name = f"s-{uuid.uuid4().hex[:8]}"
    names.append(name)
    refused = client.post("/app-setups", json={"name": name, "app_json": json.dumps(MANIFEST), "env": {}})
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/json")
    assert "MAIL_TO: Who gets the reports" in refused.json()["detail"]
    invalid = client.post("/app-setups", json={"name": name, "app_json": '{\n  "env": {,\n}'})
    assert invalid.status_code == 422 and "line 2" in invalid.json()["detail"]
    assert client.post("/app-setups", json={"name": "Bad Name", "app_json": "{}"}).status_code == 422
    assert name not in [listed["name"] for listed in client.get("/apps").json()]
    assert client.get(f"/apps/{name}").status_code == 404


def test_an_app_setup_sets_config_vars_and_formation(client: TestClient, app: str, names: list[str]):
    assert client.post("/app-setups", json={"name": app, "app_json": "{}"}).status_code == 409  # a taken name
    name = f"s-{uuid.uuid4().hex[:8]}"
    names.append(name)
    body = {"name": name, "app_json": json.dumps(MANIFEST), "env": {"MAIL_TO": "ops@example.com"}}
    events = events_of(client.post("/app-setups", json=body))
    result = events[-1]["result"]
    assert result["name"] == name and result["web_url"]
    assert result["setup"] == {"addons": [], "config_vars": ["APP_SETTINGS", "MAIL_TO", "SECRET_KEY"],
                               "formation": {"web": 2, "worker": 1}, "postdeploy": None}
    lines = [event["line"] for event in events[:-1]]
    assert any('"buildpacks" is ignored' in line for line in lines)
    config = client.get(f"/apps/{name}/config").json()
    assert config["APP_SETTINGS"] == "config.StagingConfig" and config["MAIL_TO"] == "ops@example.com"
    assert len(config["SECRET_KEY"]) == 64 and "OPTIONAL" not in config
    assert client.get(f"/apps/{name}/formation").json() == {"web": 2, "worker": 1}
    again = client.post("/app-setups", json=body)
    assert again.status_code == 409


def test_the_openapi_document_lists_the_pipeline_and_setup_routes(client: TestClient):
    paths = client.get("/openapi.json").json()["paths"]
    expected = {"/pipelines": {"get", "post"}, "/pipelines/{name}": {"get", "delete"},
                "/pipelines/{name}/apps": {"post"}, "/apps/{app}/pipeline": {"delete"},
                "/apps/{app}/pipeline/diff": {"get"}, "/apps/{app}/pipeline/promote": {"post"},
                "/app-setups": {"post"}}
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    for path in ("/apps/{app}/pipeline/promote", "/app-setups"):
        assert "application/x-ndjson" in paths[path]["post"]["responses"]["200"]["content"]
