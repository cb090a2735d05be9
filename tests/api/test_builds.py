"""GET /apps/APP/builds, /builds/ID and /builds/ID/output: stored builds, and a deploy's output followed live."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from seaway.api.app import create_api
from seaway.platform import Platform
from seaway.tokens import token_hash

TOKEN = "t0ken"


@pytest.fixture
def platform(inmemory_platform: Platform) -> Platform:
    inmemory_platform.store.add_token(token_hash(TOKEN), "the tests'")
    return inmemory_platform


@pytest.fixture
def client(platform: Platform) -> TestClient:
    return TestClient(create_api(platform), headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def app(platform: Platform) -> Iterator[str]:
    name = f"b-{uuid.uuid4().hex[:8]}"
    platform.create_app(name)
    yield name
    platform.destroy_app(name)


def test_a_finished_build_is_listed_with_its_output(platform: Platform, client: TestClient, app: str) -> None:
    build = platform.store.create_build(platform.store.app(app))
    platform.store.finish_build(build.id, "failed", "-----> Python app detected\n !     Build failed: no", None)
    listed = client.get(f"/apps/{app}/builds").json()
    assert [(b["id"], b["status"], b["live"]) for b in listed] == [(build.id, "failed", False)]
    assert client.get(f"/apps/{app}/builds/{build.id}").json()["output"].endswith("Build failed: no")
    assert client.get(f"/apps/{app}/builds/{build.id}/output").text == \
        "-----> Python app detected\n !     Build failed: no\n"
    assert client.get(f"/apps/{app}/builds/{build.id + 1}").status_code == 404
    assert client.get(f"/apps/{app}/builds/0").status_code == 422
    assert client.get(f"/apps/{app}/builds", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_a_running_deploys_output_streams_until_it_ends(platform: Platform, client: TestClient, app: str) -> None:
    build = platform.store.create_build(platform.store.app(app))
    started, go = threading.Event(), threading.Event()

    def deploy() -> None:
        with platform.live.recording(app, build.id, lambda _line: None) as emit:
            emit("-----> Installing requirements")
            started.set()
            go.wait(60)
            emit("-----> Launching v1")

    thread = threading.Thread(target=deploy)
    thread.start()
    started.wait(60)
    assert client.get(f"/apps/{app}/builds").json()[0]["status"] == "running"
    with client.stream("GET", f"/apps/{app}/builds/{build.id}/output", headers={"Accept": "text/event-stream"}) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        chunks = answer.iter_text()
        assert next(chunks) == "data: -----> Installing requirements\n\n"  # before the deploy goes on
        go.set()
        assert "".join(chunks) == "data: -----> Launching v1\n\n"  # and the stream ends with the deploy
    thread.join(60)
