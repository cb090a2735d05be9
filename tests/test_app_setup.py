"""Setting an app up from app.json on an in-memory runtime: refused before anything is created when a
required config var has no value; generated secrets per app that later deploys keep; the formation; and
the postdeploy script, once, after the first release that goes live (its failure leaves that release live)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from seaway.dynos.inmemory import InMemoryRuntime
from seaway.errors import Conflict, Invalid
from seaway.platform import Platform
from seaway.slugs.errors import BuildError
from seaway.store.models import Slug
from tests.release.stage import PROCFILE

MANIFEST = {
    "env": {"APP_SETTINGS": {"value": "config.StagingConfig"}, "SECRET_KEY": {"generator": "secret"},
            "MAIL_TO": {"description": "Who gets the reports"}, "OPTIONAL": {"required": False}},
    "formation": {"worker": {"quantity": 1}},
    "scripts": {"postdeploy": "python seed.py"},
    "buildpacks": [{"url": "heroku/python"}],
}


def runtime(platform: Platform) -> InMemoryRuntime:
    assert isinstance(platform.runtime, InMemoryRuntime)
    return platform.runtime


def setup(platform: Platform, name: str, manifest: dict[str, object], env: dict[str, str]) -> list[str]:
    lines: list[str] = []
    checked = platform.check_setup(name, json.dumps(manifest), env)
    platform.setup_app(name, checked, env, lines.append, "tester")
    return lines


def deploy(platform: Platform, name: str, digest: str = "c" * 64) -> list[str]:
    lines: list[str] = []
    slug = platform.store.save_slug(Slug(digest=digest, size=1, python_version="3.12.7", process_types=PROCFILE,
                                         deps_key="d", app_json={}))
    platform.releaser.create(platform.store.app(name), slug, "Deploy", lines.append)
    return lines


def postdeploys(platform: Platform, name: str) -> list[str]:
    return [spec.name for spec in runtime(platform).one_offs_run if spec.app == name and spec.command == "python seed.py"]


def test_a_required_var_without_a_value_refuses_the_setup_and_creates_nothing(inmemory_platform: Platform):
    with pytest.raises(Invalid, match="(?s)requires config vars that have no value:\n  MAIL_TO: Who gets the reports"
                                      ".*--env NAME=VALUE"):
        inmemory_platform.check_setup("new-one", json.dumps(MANIFEST), {})
    assert inmemory_platform.store.apps() == []


def test_a_taken_name_or_a_bad_value_is_refused_before_anything_is_created(inmemory_platform: Platform,
                                                                           new_app: Callable[..., str]):
    taken = new_app("taken")
    with pytest.raises(Conflict, match=f"Name {taken} is already taken"):
        inmemory_platform.check_setup(taken, "{}", {})
    with pytest.raises(Invalid, match="Invalid config var name"):
        inmemory_platform.check_setup("fresh-app", "{}", {"1X": "y"})
    with pytest.raises(Invalid, match="at line 1"):
        inmemory_platform.check_setup("fresh-app", "{nope", {})
    assert [app.name for app in inmemory_platform.store.apps()] == [taken]


def test_setup_sets_values_secrets_and_formation_and_postdeploy_runs_once(inmemory_platform: Platform,
                                                                          new_app: Callable[..., str]):
    platform = inmemory_platform
    name = new_app("setup", create=False)
    lines = setup(platform, name, MANIFEST, {"MAIL_TO": "ops@example.com"})
    config = platform.config(name)
    assert config["APP_SETTINGS"] == "config.StagingConfig" and config["MAIL_TO"] == "ops@example.com"
    assert len(config["SECRET_KEY"]) == 64 and "OPTIONAL" not in config
    assert platform.formation(name) == {"web": 1, "worker": 1}
    assert any("\"buildpacks\" is ignored" in line for line in lines)
    assert postdeploys(platform, name) == []  # nothing to run it on yet

    first = deploy(platform, name)
    assert postdeploys(platform, name) == ["run.1"]
    assert any("Running postdeploy script on run.1: python seed.py" in line for line in first)
    deploy(platform, name, "d" * 64)
    assert postdeploys(platform, name) == ["run.1"]  # once only
    assert platform.config(name)["SECRET_KEY"] == config["SECRET_KEY"]  # deploys keep the secret
    assert any("Postdeploy script succeeded after v2" in line for line in platform.logs.tail(name, 100))


def test_each_app_gets_its_own_secret(inmemory_platform: Platform, new_app: Callable[..., str]):
    names = [new_app("secret", create=False) for _ in range(2)]
    for name in names:
        setup(inmemory_platform, name, MANIFEST, {"MAIL_TO": "x"})
    assert len({inmemory_platform.config(name)["SECRET_KEY"] for name in names}) == 2


def test_a_failing_postdeploy_is_shown_and_leaves_the_release_live(inmemory_platform: Platform,
                                                                   new_app: Callable[..., str]):
    platform = inmemory_platform
    name = new_app("failing", create=False)
    setup(platform, name, MANIFEST, {"MAIL_TO": "x"})
    runtime(platform).script(lambda spec: spec.command == "python seed.py", lambda _spec: (3, ["no seed"]))
    lines = deploy(platform, name)
    assert "       no seed" in lines
    assert any("`python seed.py` exited with status 3. v2 stays live" in line and
               f"seaway run -a {name} -- python seed.py" in line for line in lines)
    current = platform.releases(name)[0]
    assert current["current"] and current["status"] == "succeeded"
    deploy(platform, name, "d" * 64)
    assert postdeploys(platform, name) == ["run.1"]  # it ran once: it is not retried


def test_the_first_deploys_app_json_is_checked_before_the_build_installs(inmemory_platform: Platform,
                                                                         new_app: Callable[..., str]):
    from seaway.manifest.appjson import parse_manifest
    platform = inmemory_platform
    name = new_app("first")
    manifest = parse_manifest(json.dumps(MANIFEST))
    app = platform.store.app(name)
    with pytest.raises(BuildError, match=f"(?s)MAIL_TO.*seaway config:set NAME=VALUE -a {name}"):
        platform._check_first_manifest(app, manifest)
    platform.set_config(name, {"MAIL_TO": "x"}, lambda _line: None)
    platform._check_first_manifest(app, manifest)  # now it can be set up
    deploy(platform, name)
    assert not platform.setups.first_deploy(app)  # after a deploy its app.json never sets it up again
    platform.set_config(name, {"MAIL_TO": None}, lambda _line: None)
    platform._check_first_manifest(app, manifest)


def test_a_setup_that_fails_half_way_removes_the_new_app(inmemory_platform: Platform, new_app: Callable[..., str]):
    platform = inmemory_platform  # no PostgreSQL runs here: attaching the database fails
    name = new_app("halfway", create=False)
    manifest = {"env": {"GREETING": "hi"}, "addons": ["heroku-postgresql"]}
    lines: list[str] = []
    with pytest.raises(Exception):  # noqa: B017 - whatever the database server's absence raises
        platform.setup_app(name, platform.check_setup(name, json.dumps(manifest), {}), {}, lines.append, "tester")
    assert f" !     Setting {name} up failed: removing it" in lines
    assert name not in [app.name for app in platform.store.apps()]
    platform.check_setup(name, json.dumps(manifest), {})  # the name is free again


def test_an_add_on_whose_config_var_is_set_already_is_refused_first(inmemory_platform: Platform,
                                                                   new_app: Callable[..., str]):
    platform = inmemory_platform
    clash = {"env": {"DATABASE_URL": "postgres://elsewhere/db"}, "addons": ["heroku-postgresql"]}
    with pytest.raises(Invalid, match="addons\\[0\\] attaches a database as DATABASE_URL, which is set already by "
                                      "app.json env"):
        platform.check_setup(new_app("clash", create=False), json.dumps(clash), {})
    from seaway.manifest.appjson import parse_manifest
    name = new_app("byhand")
    platform.set_config(name, {"ANALYTICS_URL": "postgres://elsewhere/db"}, lambda _line: None)
    wanted = parse_manifest('{"addons": [{"plan": "postgresql", "as": "ANALYTICS"}]}')
    with pytest.raises(BuildError, match="attaches a database as ANALYTICS_URL, which is set already: remove"):
        platform._check_first_manifest(platform.store.app(name), wanted)
    assert platform.store.addons(platform.store.app(name)) == []
