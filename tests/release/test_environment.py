"""dyno_environment: what every dyno of a release gets besides its config vars."""

from __future__ import annotations

from seaway.release.environment import dyno_environment


def test_defaults():
    assert dyno_environment({}, 3) == {"PYTHONUNBUFFERED": "1", "WEB_CONCURRENCY": "3"}


def test_config_vars_are_included():
    env = dyno_environment({"DATABASE_URL": "postgres://u:p@127.0.0.1:5432/d", "DEBUG": "0"}, 2)
    assert env == {"PYTHONUNBUFFERED": "1", "WEB_CONCURRENCY": "2",
                   "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/d", "DEBUG": "0"}


def test_config_overrides_web_concurrency():
    assert dyno_environment({"WEB_CONCURRENCY": "8"}, 2)["WEB_CONCURRENCY"] == "8"


def test_config_overrides_pythonunbuffered():
    assert dyno_environment({"PYTHONUNBUFFERED": ""}, 2)["PYTHONUNBUFFERED"] == ""


def test_values_are_strings():
    env = dyno_environment({}, 4)
    assert all(isinstance(value, str) for value in env.values())


def test_config_is_not_modified():
    config = {"A": "1"}
    env = dyno_environment(config, 2)
    env["B"] = "2"
    assert config == {"A": "1"}
