"""Platform.metrics on an in-memory runtime: requests the router log reads show at once, releases are markers of
their kind, the window is 1 to 24 hours, the rows follow a rename and go with their app; ps shows memory."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest

from seaway.errors import Invalid, NotFound
from seaway.platform import Platform
from seaway.router.accesslog import RouterLog
from seaway.store.models import Slug
from tests.metrics.conftest import record
from tests.release.stage import PROCFILE


def quiet(_line: str) -> None:
    pass


def slug(platform: Platform, digest: str) -> Slug:
    return platform.store.save_slug(Slug(digest=digest, size=1, python_version="3.12.7", process_types=PROCFILE,
                                         deps_key="d", app_json={}))


def requests(platform: Platform, tmp_path: Path, app: str, *statuses: str) -> None:
    """Records of requests that just ended, read as the router log follower reads them."""
    follower = RouterLog(tmp_path / "access.log", platform.logs, lambda _app, _address: "web.1",
                         on_records=platform.app_metrics.router.on_records)
    follower.write([record(app=app, status=status, at=time.time()) for status in statuses])


def test_a_new_app_has_no_metrics_and_unknown_apps_or_windows_are_refused(inmemory_platform: Platform, new_app):
    app = new_app("m")
    found = inmemory_platform.metrics(app)
    assert (found["app"], found["step"], found["router"], found["dynos"], found["events"]) == (app, 60, [], [], [])
    for hours in (0, 25):
        with pytest.raises(Invalid, match="1 to 24 hours"):
            inmemory_platform.metrics(app, hours)
    with pytest.raises(NotFound):
        inmemory_platform.metrics("no-such-app")


def test_requests_show_at_once_and_releases_are_deploy_config_and_rollback_markers(inmemory_platform: Platform,
                                                                                  new_app, tmp_path: Path):
    platform, app = inmemory_platform, new_app("m")
    platform.releaser.create(platform.store.app(app), slug(platform, "a" * 64), "Deploy aaaaaaa", quiet)
    platform.set_config(app, {"COLOUR": "blue"}, quiet)
    platform.releaser.create(platform.store.app(app), slug(platform, "b" * 64), "Deploy bbbbbbb", quiet)
    platform.rollback(app, 1, "admin", quiet)
    requests(platform, tmp_path, app, "200", "200", "503")
    found = platform.metrics(app, 1)
    assert [(row["requests"]["2xx"], row["requests"]["5xx"]) for row in found["router"]] in ([(2, 1)], [(2, 0), (0, 1)])
    assert [(event["version"], event["kind"], event["status"]) for event in found["events"]] == [
        (1, "deploy", "succeeded"), (2, "config", "succeeded"), (3, "deploy", "succeeded"),
        (4, "rollback", "succeeded")]
    assert found["events"][3]["description"] == "Rollback to v1"
    window = datetime.fromisoformat(found["from"]), datetime.fromisoformat(found["to"])
    assert all(window[0] <= datetime.fromisoformat(event["at"]) <= window[1] for event in found["events"])


def test_stored_minutes_follow_a_rename_and_go_with_the_app(inmemory_platform: Platform, new_app, tmp_path: Path):
    platform, app, renamed = inmemory_platform, new_app("m"), new_app("n", create=False)
    requests(platform, tmp_path, app, "200")
    platform.app_metrics.flush(everything=True)
    platform.rename_app(app, renamed)
    assert sum(row["requests"]["2xx"] for row in platform.metrics(renamed)["router"]) == 1
    platform.destroy_app(renamed)
    platform.create_app(renamed)
    assert platform.metrics(renamed)["router"] == []


def test_ps_shows_memory_when_the_runtime_knows_it(inmemory_platform: Platform, new_app):
    platform, app = inmemory_platform, new_app("m")
    platform.releaser.create(platform.store.app(app), slug(platform, "a" * 64), "Deploy", quiet)
    assert [(dyno["name"], dyno["memory_mb"]) for dyno in platform.ps(app)] == [("web.1", None)]  # in memory: not known
