"""app.json as a manifest, end to end: `apps:create --manifest` refuses a setup that lacks a required
config var (nothing created) and otherwise attaches a real database, sets the given and generated config
vars and the formation; the postdeploy script runs once, after the first release; an app created without
the manifest is set up by its first deploy, with a secret of its own; invalid JSON names its line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.daemon import Daemon, copy_app, wait_for


def page(daemon: Daemon, app: str) -> dict[str, object]:
    answer = daemon.get(app)
    assert answer.status_code == 200, answer.text
    return answer.json()


def config(daemon: Daemon, app: str) -> dict[str, str]:
    return json.loads(daemon.cli("config", "--json", "-a", app).stdout)


def states(daemon: Daemon, app: str) -> dict[str, str]:
    return {d["name"]: d["state"] for d in json.loads(daemon.cli("ps", "--json", "-a", app).stdout)}


def apps(daemon: Daemon) -> list[str]:
    return [a["name"] for a in json.loads(daemon.cli("apps", "--json").stdout)]


def test_apps_create_with_a_manifest_sets_the_app_up(daemon: Daemon, app_name: str, workdir: Path):
    source = copy_app("manifest_app", workdir)
    refused = daemon.cli("apps:create", app_name, "--manifest", cwd=source, check=False)
    assert refused.returncode != 0
    assert "MAIL_TO: Where the reports go" in refused.stderr and "--env NAME=VALUE" in refused.stderr
    assert app_name not in apps(daemon)  # nothing created

    created = daemon.cli("apps:create", app_name, "--manifest", "--env", "MAIL_TO=ops@example.com", cwd=source)
    assert "\"buildpacks\" is ignored" in created.stdout and "does not know: \"colour\"" in created.stdout
    assert "scripts.pr-predestroy is ignored" in created.stdout
    values = config(daemon, app_name)
    assert values["DATABASE_URL"].startswith("postgres://") and values["MAIL_TO"] == "ops@example.com"
    assert values["GREETING"] == "hello from app.json" and len(values["SECRET_KEY"]) == 64
    assert "SENTRY_DSN" not in values

    first = daemon.cli("deploy", "-a", app_name, cwd=source)
    assert "Running postdeploy script on run.1: python seed.py" in first.stdout and "seeded" in first.stdout
    shown = page(daemon, app_name)
    assert shown["seed_runs"] == 1 and shown["secret_length"] == 64 and shown["greeting"] == "hello from app.json"
    wait_for(lambda: states(daemon, app_name) == {"web.1": "up", "worker.1": "up"}, timeout=60)

    (source / "app.py").write_text((source / "app.py").read_text().replace('VERSION = "1"', 'VERSION = "2"'))
    second = daemon.cli("deploy", "-a", app_name, cwd=source)
    assert "postdeploy" not in second.stdout
    shown = page(daemon, app_name)
    assert shown["version"] == "2" and shown["seed_runs"] == 1  # ran once
    assert config(daemon, app_name)["SECRET_KEY"] == values["SECRET_KEY"]  # stable across deploys
    daemon.cli("apps:destroy", "-a", app_name, "--confirm", app_name)


def test_the_first_deploy_sets_an_app_up_from_its_app_json(daemon: Daemon, app_name: str, workdir: Path):
    source = copy_app("manifest_app", workdir)
    daemon.cli("apps:create", app_name, cwd=workdir)
    refused = daemon.cli("deploy", str(source), "-a", app_name, check=False)
    assert refused.returncode != 0 and "MAIL_TO" in refused.stdout + refused.stderr
    assert "Installing" not in refused.stdout  # refused before the build installs anything
    assert json.loads(daemon.cli("releases", "--json", "-a", app_name).stdout) == []
    assert "DATABASE_URL" not in config(daemon, app_name)

    daemon.cli("config:set", "MAIL_TO=dev@example.com", "-a", app_name)
    deployed = daemon.cli("deploy", str(source), "-a", app_name)
    assert "Setting up" in deployed.stdout and "Running postdeploy script" in deployed.stdout
    values = config(daemon, app_name)
    assert values["DATABASE_URL"].startswith("postgres://") and len(values["SECRET_KEY"]) == 64
    assert page(daemon, app_name)["seed_runs"] == 1
    wait_for(lambda: states(daemon, app_name) == {"web.1": "up", "worker.1": "up"}, timeout=60)

    (source / "app.json").write_text('{\n  "env": {\n    "A": "1",\n  }\n}\n')
    broken = daemon.cli("deploy", str(source), "-a", app_name, check=False)
    assert broken.returncode != 0 and "app.json is not valid JSON" in broken.stdout + broken.stderr
    assert "at line 4" in broken.stdout + broken.stderr
    assert page(daemon, app_name)["seed_runs"] == 1  # still serving
    daemon.cli("apps:destroy", "-a", app_name, "--confirm", app_name)
