"""Seed guide 002's flow as a pipeline, end to end: one code base as a staging and a production app, each
with its own APP_SETTINGS and its own PostgreSQL database; what staging tested is promoted to production
as the same slug (no build), migrating production's own database; a release that fails on production
keeps production's release serving, and the same promotion goes through once the cause is fixed, under
load without a failed request; a failed staging release is not promoted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.e2e.daemon import Daemon, Load, copy_app

APP = "tests/apps/pipeline_app"
HEAD = "5d31038af84e"


def page(daemon: Daemon, app: str) -> dict[str, object]:
    answer = daemon.get(app)
    assert answer.status_code == 200, answer.text
    return answer.json()


def releases(daemon: Daemon, app: str) -> list[dict[str, object]]:
    return json.loads(daemon.cli("releases", "--json", "-a", app).stdout)


def set_version(source: Path, version: str) -> None:
    text = (source / "app.py").read_text()
    (source / "app.py").write_text(text.replace(text.split("VERSION = ")[1].split("\n")[0], f'"{version}"', 1))


def test_staging_is_promoted_to_production_as_the_same_slug(daemon: Daemon, app_name: str, workdir: Path):
    staging, production, pipeline = f"{app_name[:22]}-stg", f"{app_name[:22]}-prd", f"{app_name[:22]}-pipe"
    source = copy_app("pipeline_app", workdir)
    for app, settings in ((staging, "config.StagingConfig"), (production, "config.ProductionConfig")):
        daemon.cli("apps:create", app, cwd=workdir)
        daemon.cli("addons:create", "postgresql", "-a", app, cwd=workdir)
        daemon.cli("config:set", f"APP_SETTINGS={settings}", "-a", app, cwd=workdir)
    assert "Creating" in daemon.cli("pipelines:create", pipeline, "-a", staging, "-s", "staging").stdout
    daemon.cli("pipelines:add", pipeline, "-a", production, "-s", "production")

    daemon.cli("deploy", str(source), "-a", staging)
    assert page(daemon, staging)["stage"] == "staging" and page(daemon, staging)["debug"] is True
    diff = daemon.cli("pipelines:diff", "-a", staging).stdout
    assert "they differ" in diff  # deployed without git: the slugs are compared
    listed = daemon.cli("pipelines").stdout
    assert pipeline in listed and f"{staging} (staging)" in listed and f"{production} (production)" in listed
    table = daemon.cli("pipelines:info", pipeline, env={"COLUMNS": "200"}).stdout
    assert f"=== {pipeline}" in table and staging in table and production in table and "differs" in table

    promoted = daemon.cli("pipelines:promote", "-a", staging).stdout
    assert "Python app detected" not in promoted and "Installing" not in promoted  # no build
    assert "Running release command: flask db upgrade" in promoted
    assert f"Running upgrade  -> {HEAD}" in promoted  # production's own database, migrated there
    assert "Capturing b001" in promoted  # after production's own pre-migration backup
    shown = page(daemon, production)
    assert shown["stage"] == "production" and shown["debug"] is False and "greeting" in shown["tables"]
    assert shown["database"] != page(daemon, staging)["database"]
    staging_release, production_release = releases(daemon, staging)[0], releases(daemon, production)[0]
    assert production_release["slug"] == staging_release["slug"]
    assert production_release["description"] == f"Promote {staging} v{staging_release['version']}"
    assert production_release["promoted_from"] == {"app": staging, "version": staging_release["version"]}
    info = json.loads(daemon.cli("pipelines:info", pipeline, "--json").stdout)
    assert [(e["app"], e["differs"]) for e in info["stages"]["production"]] == [(production, False)]
    assert "runs the same slug" in daemon.cli("pipelines:diff", "-a", staging).stdout

    # v2 creates a table that production already has (made by hand): its release fails there
    daemon.cli("run", "-a", production, "--", "python", "-c",
               "import os, psycopg2; c = psycopg2.connect(os.environ['DATABASE_URL']); "
               "c.cursor().execute('CREATE TABLE note (id int)'); c.commit()")
    shutil.copy(source / "later" / "9c4e2f7a1b3d_create_note.py", source / "migrations" / "versions")
    set_version(source, "2")
    daemon.cli("deploy", str(source), "-a", staging)
    assert page(daemon, staging)["version"] == "2"
    serving = releases(daemon, production)[0]["version"]
    with Load(daemon, production) as load:
        failed = daemon.cli("pipelines:promote", "-a", staging, check=False)
    assert load.failed == 0 and load.ok > 0, load.errors[:5]
    assert failed.returncode != 0
    assert 'relation "note" already exists' in failed.stdout + failed.stderr
    assert f"Promotion failed on {production}" in failed.stderr
    assert f"pg:backups:restore b002 -a {production}" in failed.stderr  # its backup before migrating
    assert page(daemon, production)["version"] == "1"  # still serving the release before
    after = releases(daemon, production)
    assert after[0]["status"] == "failed" and next(r for r in after if r["current"])["version"] == serving

    # the table made by hand dropped, the same promotion goes through, with no request failing at the switch
    daemon.cli("run", "-a", production, "--", "python", "-c",
               "import os, psycopg2; c = psycopg2.connect(os.environ['DATABASE_URL']); "
               "c.cursor().execute('DROP TABLE note'); c.commit()")
    with Load(daemon, production) as load:
        daemon.cli("pipelines:promote", "-a", staging, "--to", production)
    assert load.failed == 0 and load.ok > 0, load.errors[:5]
    assert page(daemon, production)["version"] == "2" and "note" in page(daemon, production)["tables"]
    after = releases(daemon, production)

    # a staging release that failed is not promoted
    (source / "Procfile").write_text("web: gunicorn app:app\nrelease: flask db upgrade && exit 3\n")
    set_version(source, "3")
    assert daemon.cli("deploy", str(source), "-a", staging, check=False).returncode != 0
    refused = daemon.cli("pipelines:promote", "-a", staging, check=False)
    assert refused.returncode != 0 and "failed" in refused.stderr and "--release" in refused.stderr
    assert len(releases(daemon, production)) == len(after)  # nothing made on production
    assert page(daemon, staging)["version"] == "2" and page(daemon, production)["version"] == "2"

    assert "Removing" in daemon.cli("pipelines:remove", "-a", production).stdout
    assert "Promoted from" in daemon.cli("releases:info", "-a", production).stdout
    daemon.cli("pipelines:destroy", pipeline)
    for app in (staging, production):
        daemon.cli("apps:destroy", "-a", app, "--confirm", app)
