"""The walking skeleton end to end: Flask + Flask-Migrate on PostgreSQL behind nginx."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.daemon import Daemon, copy_app

HEAD_REVISION = "5d31038af84e"


def test_flask_migrate_app_deploys_migrates_serves_and_redeploys(daemon: Daemon, app_name: str, workdir: Path) -> None:
    source = copy_app("flask_migrate", workdir)
    created = daemon.cli("apps:create", app_name, cwd=source)
    assert f"Creating {app_name}... done" in created.stdout
    daemon.cli("addons:create", "postgresql", cwd=source)  # -a omitted: the directory is linked
    config = json.loads(daemon.cli("config", "--json", cwd=source).stdout)
    assert config["DATABASE_URL"].startswith("postgres://")

    first = daemon.cli("deploy", cwd=source)
    assert "Running release command: flask db upgrade" in first.stdout
    assert f"Running upgrade  -> {HEAD_REVISION}" in first.stdout
    page = daemon.get(app_name).json()
    assert page == {"version": "1", "greetings": ["hello from the migration"]}

    assert daemon.get(app_name, "/greetings", ).status_code in (404, 405)  # GET is not a route there
    created_row = __import__("httpx").post(
        f"http://127.0.0.1:{daemon.router_port}/greetings", json={"text": "stored"},
        headers={"Host": f"{app_name}.localhost"}, timeout=30)
    assert created_row.status_code == 201
    assert daemon.get(app_name).json()["greetings"] == ["hello from the migration", "stored"]

    current = daemon.cli("run", "-a", app_name, "--", "flask", "db", "current", cwd=workdir)
    assert f"{HEAD_REVISION} (head)" in current.stdout

    (source / "app.py").write_text((source / "app.py").read_text().replace('VERSION = "1"', 'VERSION = "2"'))
    second = daemon.cli("deploy", cwd=source)
    assert "reusing them" in second.stdout  # a code-only change reinstalls nothing
    page = daemon.get(app_name).json()
    assert page["version"] == "2" and "stored" in page["greetings"]  # new code, same data

    releases = json.loads(daemon.cli("releases", "--json", cwd=source).stdout)
    assert [(r["version"], r["status"]) for r in releases] == [(3, "succeeded"), (2, "succeeded"), (1, "succeeded")]
    assert releases[0]["description"].startswith("Deploy ")
    assert releases[2]["description"].startswith("Attach postgresql")
    info = json.loads(daemon.cli("apps:info", "--json", cwd=source).stdout)
    assert info["release"] == 3 and info["slug"]["python_version"].startswith("3.11.")
    ps = json.loads(daemon.cli("ps", "--json", cwd=source).stdout)
    assert [(d["name"], d["state"], d["release"]) for d in ps] == [("web.1", "up", 3)]

    log = daemon.cli("logs", "-n", "500", cwd=source).stdout
    assert "app[web.1]:" in log and "app[release.1]:" in log and "Release v3 is live" in log
    assert config["DATABASE_URL"] not in log  # config values never reach the log
