"""Platform's operations on an in-memory runtime: per-app settings, domains, scaling, ps:stop, and the app
lock that every change of dynos or routing takes."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest

from seaway.dynos.inmemory import InMemoryRuntime
from seaway.errors import Invalid, NotFound
from seaway.platform import Platform
from seaway.release import ReleaseFailed
from seaway.store.models import Slug
from tests.release.stage import PROCFILE


@pytest.fixture
def platform(inmemory_platform: Platform) -> Platform:
    return inmemory_platform


@pytest.fixture
def app(platform: Platform) -> Iterator[str]:
    name = f"p-{uuid.uuid4().hex[:8]}"  # system users (as root) outlive a test's home
    platform.create_app(name)
    slug = platform.store.save_slug(Slug(digest="c" * 64, size=1, python_version="3.12.7",
                                         process_types=PROCFILE, deps_key="d", app_json={}))
    platform.releaser.create(platform.store.app(name), slug, "Deploy", lambda _line: None)
    yield name
    platform.destroy_app(name)  # and its system user, when root
    assert runtime(platform).events[-1] == f"retire {name}"


def runtime(platform: Platform) -> InMemoryRuntime:
    assert isinstance(platform.runtime, InMemoryRuntime)
    return platform.runtime


def test_settings_show_the_value_in_effect_and_refuse_what_is_out_of_range(platform: Platform, app: str):
    assert platform.app_settings(app) == {"boot_timeout": 60, "stop_timeout": 30, "release_timeout": 3600,
                                          "router_timeout": 30, "max_body_size": 100, "memory": 300,
                                          "release_watch": 0, "force_https": False, "hsts": 0}
    with pytest.raises(Invalid, match="Unknown setting 'colour'"):
        platform.update_settings(app, {"colour": 1})
    with pytest.raises(Invalid, match="router_timeout must be from 1 to 3600 seconds, got 0"):
        platform.update_settings(app, {"router_timeout": 0})
    assert platform.update_settings(app, {"router_timeout": 45, "max_body_size": 0})["router_timeout"] == 45
    assert runtime(platform).routes[app].read_timeout == 45 and runtime(platform).routes[app].max_body_mb == 0
    assert platform.update_settings(app, {"router_timeout": None})["router_timeout"] == 30  # back to the default


def test_a_new_memory_quota_restarts_the_dynos(platform: Platform, app: str):
    platform.update_settings(app, {"memory": 1024})
    assert runtime(platform).events[-1] == f"replace {app} web.1"
    assert platform.app_settings(app)["memory"] == 1024


def test_domains_are_routed(platform: Platform, app: str):
    assert platform.add_domain(app, "WWW.Example.com.") == [f"{app}.localhost", "www.example.com"]
    assert runtime(platform).routes[app].domains == ("www.example.com",)
    platform.remove_domain(app, "www.example.com")
    assert runtime(platform).routes[app].domains == ()


def test_scaling_refuses_unknown_types_and_undoes_a_formation_that_does_not_boot(platform: Platform, app: str):
    with pytest.raises(Invalid, match="No such process type clock in the Procfile of v1. Types: web, worker."):
        platform.scale(app, {"clock": 1}, lambda _line: None)
    runtime(platform).fail_boot(app, "worker")
    with pytest.raises(ReleaseFailed, match="Scaling failed: worker.1 exited"):
        platform.scale(app, {"worker": 1}, lambda _line: None)
    assert platform.formation(app) == {"web": 1, "worker": 0}
    assert [d["name"] for d in platform.ps(app)] == ["web.1"]
    runtime(platform).boot_failures.clear()
    assert platform.scale(app, {"web": 2, "worker": 1}, lambda _line: None) == {"web": 2, "worker": 1}
    assert [d["name"] for d in platform.ps(app)] == ["web.1", "web.2", "worker.1"]


def test_ps_stop_of_a_dyno_that_is_not_there(platform: Platform, app: str):
    with pytest.raises(NotFound, match="No dyno 'web.9'"):
        platform.stop_dyno(app, "web.9")
    assert platform.stop_dyno(app, "web.1") == {"stopped": "web.1"}
    assert platform.ps(app)[0]["restarts"] == 1


@pytest.mark.parametrize("change", [
    lambda p, a: p.stop_dyno(a, "web.1"),
    lambda p, a: p.add_domain(a, "shop.example.com"),
    lambda p, a: p.update_settings(a, {"hsts": 60}),
    lambda p, a: p.restart(a, None, lambda _line: None),
    lambda p, a: p.scale(a, {"web": 2}, lambda _line: None),
], ids=["ps:stop", "domains:add", "apps:settings", "ps:restart", "ps:scale"])
def test_every_change_of_dynos_or_routing_waits_for_the_apps_lock(platform: Platform, app: str,
                                                                   change: Callable[[Platform, str], object]):
    done = threading.Event()
    before = len(runtime(platform).events), dict(runtime(platform).routes)

    def run() -> None:
        change(platform, app)
        done.set()

    with platform.watcher.changing(app):  # another change of the app is under way
        worker = threading.Thread(target=run)
        worker.start()
        assert not done.wait(0.5)
        assert (len(runtime(platform).events), dict(runtime(platform).routes)) == before  # nothing happened yet
    assert done.wait(30)
    worker.join()
