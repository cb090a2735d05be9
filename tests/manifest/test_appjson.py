"""app.json read as Heroku's manifest: what each key may hold, what is ignored with a warning, and errors
that name the key (or the line) and say how to fix it."""

from __future__ import annotations

import json

import pytest

from seaway.manifest.appjson import AddonWanted, EnvVar, Manifest, ManifestError, parse_manifest

FULL = {
    "name": "Seed app", "description": "shown by Heroku only", "repository": "https://example.com/x",
    "env": {
        "APP_SETTINGS": "config.StagingConfig",
        "SECRET_KEY": {"description": "Signs sessions", "generator": "secret"},
        "MAIL_TO": {"description": "Who gets reports"},
        "SENTRY_DSN": {"required": False},
        "WEB_CONCURRENCY": {"value": "3", "description": "gunicorn workers"},
    },
    "addons": ["heroku-postgresql:essential-0", {"plan": "postgresql", "as": "ANALYTICS"}],
    "formation": {"web": {"quantity": 2, "size": "standard-1x"}, "worker": {"quantity": 1}},
    "scripts": {"postdeploy": "python seed.py", "pr-predestroy": "python teardown.py"},
    "buildpacks": [{"url": "heroku/python"}], "stack": "heroku-24",
    "healthchecks": {"web": [{"path": "/health", "attempts": 3}]},
    "colour": "blue",
}


def test_a_full_manifest_reads_as_heroku_means_it():
    manifest = parse_manifest(json.dumps(FULL))
    assert manifest.env == (
        EnvVar("APP_SETTINGS", "config.StagingConfig"),
        EnvVar("SECRET_KEY", None, True, "secret", "Signs sessions"),
        EnvVar("MAIL_TO", None, True, None, "Who gets reports"),  # required unless it says otherwise
        EnvVar("SENTRY_DSN", None, False),
        EnvVar("WEB_CONCURRENCY", "3", True, None, "gunicorn workers"),
    )
    assert manifest.addons == (AddonWanted("postgresql", "essential-0"), AddonWanted("postgresql", "", "ANALYTICS"))
    assert manifest.formation == {"web": 2, "worker": 1}
    assert manifest.postdeploy == "python seed.py"
    assert manifest.healthchecks == ({"path": "/health", "attempts": 3, "timeout": 5, "wait": 1, "initialDelay": 0},)
    assert manifest.sets_up
    warnings = "\n".join(manifest.warnings)
    assert "\"buildpacks\" is ignored" in warnings and "\"stack\" is ignored" in warnings
    assert "scripts.pr-predestroy is ignored" in warnings
    assert "does not know: \"colour\"" in warnings
    assert "description" not in warnings and "repository" not in warnings  # Heroku's own keys, silently taken


def test_only_required_vars_without_a_value_are_missing():
    manifest = parse_manifest(json.dumps(FULL))
    assert [var.name for var in manifest.missing({})] == ["MAIL_TO"]
    assert manifest.missing({"MAIL_TO": "ops@example.com"}) == []


def test_what_a_slug_records_reads_back_the_same():
    manifest = parse_manifest(json.dumps(FULL))
    back = Manifest.from_json(json.loads(json.dumps(manifest.as_json())))
    assert back == Manifest(manifest.env, manifest.addons, manifest.formation, manifest.postdeploy,
                            manifest.healthchecks)  # warnings are said at build time, not kept
    assert Manifest.from_json({}) == Manifest() and not Manifest().sets_up


def test_a_manifest_of_health_checks_only_sets_nothing_up():
    manifest = parse_manifest('{"healthchecks": {"web": [{"path": "/up"}]}}')
    assert not manifest.sets_up and manifest.as_json() == {"healthchecks": {"web": [
        {"path": "/up", "attempts": 5, "timeout": 5, "wait": 1, "initialDelay": 0}]}}


def test_invalid_json_is_an_error_naming_the_line():
    text = '{\n  "env": {\n    "A": "1",\n  }\n}\n'
    with pytest.raises(ManifestError, match="app.json is not valid JSON: .* at line 4, column 3"):
        parse_manifest(text)


def test_postdeploy_may_be_an_object_with_a_command():
    assert parse_manifest('{"scripts": {"postdeploy": {"command": "flask seed", "size": "basic"}}}').postdeploy == \
        "flask seed"


@pytest.mark.parametrize(("manifest", "message"), [
    ([], "must hold a JSON object"),
    ({"env": []}, "\"env\" must be an object"),
    ({"env": {"1BAD": "x"}}, "env.1BAD: a config var name"),
    ({"env": {"PORTS": {"value": 3}}}, "env.PORTS.value must be a string"),
    ({"env": {"K": {"generator": "uuid"}}}, "generator 'uuid' is not one Seaway has"),
    ({"env": {"K": {"required": "yes"}}}, "env.K.required must be true or false"),
    ({"env": {"K": 3}}, "env.K must be a string"),
    ({"addons": "heroku-postgresql"}, "\"addons\" must be a list"),
    ({"addons": ["heroku-redis"]}, "addons\\[0\\]: Seaway has no add-on service 'heroku-redis'"),
    ({"addons": [{"plan": "postgresql", "as": 3}]}, "addons\\[0\\].as must be a string"),
    ({"addons": [{"as": "X"}]}, "addons\\[0\\] must be a string"),
    ({"addons": [{"plan": "postgresql", "as": "9bad"}]}, "addons\\[0\\].as '9bad': use letters, digits"),
    ({"formation": {"web": {"quantity": 101}}}, "formation.web must be an object like"),
    ({"formation": {"web": 2}}, "formation.web must be an object like"),
    ({"formation": {"we b": {"quantity": 1}}}, "formation.we b: a process type"),
    ({"scripts": {"postdeploy": ["a"]}}, "scripts.postdeploy must be a command"),
    ({"scripts": "x"}, "\"scripts\" must be an object"),
    ({"healthchecks": {"web": [{"path": "health"}]}}, "needs a \"path\" starting with /"),
])
def test_each_wrong_key_is_named(manifest: object, message: str):
    with pytest.raises(ManifestError, match=message):
        parse_manifest(json.dumps(manifest))


def test_json_nested_too_deeply_is_an_error_not_a_fault():
    with pytest.raises(ManifestError, match="nests too deeply"):
        parse_manifest("[" * 100_000)
