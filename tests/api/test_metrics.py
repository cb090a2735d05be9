"""GET /apps/{app}/metrics: the app's metrics as Platform.metrics gives them, over 1 to 24 hours."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from seaway.platform import Platform
from tests.api.test_routes import client, platform  # noqa: F401 - the fixtures

__all__ = ["client", "platform"]


@pytest.fixture
def name(platform: Platform) -> Iterator[str]:  # noqa: F811
    made = f"m-{uuid.uuid4().hex[:8]}"
    platform.create_app(made)
    yield made
    platform.destroy_app(made)


def test_metrics_of_an_app_over_the_hours_asked(client: TestClient, name: str):  # noqa: F811
    answer = client.get(f"/apps/{name}/metrics", params={"hours": 3})
    assert answer.status_code == 200
    assert set(answer.json()) == {"app", "from", "to", "step", "router", "dynos", "events"}
    assert answer.json()["app"] == name and answer.json()["step"] == 60
    assert client.get(f"/apps/{name}/metrics").status_code == 200  # 24 hours


@pytest.mark.parametrize("hours", ["0", "25", "a day"])
def test_a_window_out_of_range_is_refused(client: TestClient, name: str, hours: str):  # noqa: F811
    assert client.get(f"/apps/{name}/metrics", params={"hours": hours}).status_code == 422


def test_an_unknown_app_is_404(client: TestClient):  # noqa: F811
    assert client.get("/apps/no-such-app/metrics").status_code == 404
