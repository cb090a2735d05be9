"""migrations:status / history / validate against a real Flask-Migrate app and its database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon, copy_app

HEAD = "5d31038af84e"
NEXT = '''"""add a column

Revision ID: 7e8f9a0b1c2d
Revises: 5d31038af84e
Create Date: 2026-11-22 01:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = "7e8f9a0b1c2d"
down_revision = "5d31038af84e"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("greeting", sa.Column("lang", sa.String(8), nullable=True))


def downgrade():
    op.drop_column("greeting", "lang")
'''


@pytest.fixture(scope="module")
def migrated(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = copy_app("flask_migrate", tmp_path_factory.mktemp("migrated"))
    daemon.cli("apps:create", "migrated", cwd=source)
    daemon.cli("addons:create", "postgresql", cwd=source)
    daemon.cli("deploy", cwd=source)
    return source


def test_status_history_validate_of_an_up_to_date_app(daemon: Daemon, migrated: Path) -> None:
    status = json.loads(daemon.cli("migrations:status", "--json", cwd=migrated).stdout)
    assert status["framework"] == "flask-migrate" and status["is_up_to_date"]
    assert status["current_revision"] == HEAD == status["head_revision"] and status["pending_revisions"] == []
    assert status["total_revisions"] == 1 and ":****@" in status["database_url_masked"]
    history = json.loads(daemon.cli("migrations:history", "--json", cwd=migrated).stdout)
    assert [(r["revision"], r["applied"], r["message"]) for r in history] == [(HEAD, True, "create greeting")]
    assert "consistent" in daemon.cli("migrations:validate", cwd=migrated).stdout
    log = daemon.cli("logs", "-n", "1000", cwd=migrated).stdout  # the deploy's checks and these probes
    assert "SEAWAY_PROBE_CODE" not in log and "sqlmigrate" not in log and "upgrade --sql" not in log


def test_pending_revision_of_code_that_was_not_migrated(daemon: Daemon, migrated: Path, workdir: Path) -> None:
    source = workdir / "next"
    shutil.copytree(migrated, source)
    (source / "migrations" / "versions" / "7e8f9a0b1c2d_add_a_column.py").write_text(NEXT)
    procfile = source / "Procfile"
    procfile.write_text("web: gunicorn app:app\n")  # no release phase: nothing migrates the database
    daemon.cli("deploy", "-a", "migrated", str(source))
    status = json.loads(daemon.cli("migrations:status", "-a", "migrated", "--json").stdout)
    assert status["pending_revisions"] == ["7e8f9a0b1c2d"] and not status["is_up_to_date"]
    assert status["head_revision"] == "7e8f9a0b1c2d" and status["current_revision"] == HEAD
    text = daemon.cli("migrations:status", "-a", "migrated").stdout
    assert "1 pending" in text


def test_upgrade_runs_pending_migrations_after_a_backup(daemon: Daemon, migrated: Path) -> None:
    info = json.loads(daemon.cli("apps:info", "-a", "migrated", "--json").stdout)["database"]
    assert info["health"] == "ok" and info["migrations"]["is_up_to_date"] is False
    result = daemon.cli("migrations:upgrade", "-a", "migrated")
    assert "Migrations: 1 pending (7e8f9a0b1c2d)" in result.stdout and "taken and verified" in result.stdout
    assert "Running `flask db upgrade`" in result.stdout
    status = json.loads(daemon.cli("migrations:status", "-a", "migrated", "--json").stdout)
    assert status["is_up_to_date"] and status["current_revision"] == "7e8f9a0b1c2d"
    info = json.loads(daemon.cli("apps:info", "-a", "migrated", "--json").stdout)["database"]
    assert info["migrations"] == {"framework": "flask-migrate", "is_up_to_date": True,
                                  "current_revision": "7e8f9a0b1c2d", "head_revision": "7e8f9a0b1c2d"}


def test_downgrade_needs_confirmation_and_takes_a_backup(daemon: Daemon, migrated: Path) -> None:
    refused = daemon.cli("migrations:downgrade", HEAD, "-a", "migrated", check=False)
    assert refused.returncode != 0 and "--confirm migrated" in refused.stderr
    result = daemon.cli("migrations:downgrade", HEAD, "-a", "migrated", "--confirm", "migrated")
    assert f"Downgraded to {HEAD}" in result.stdout and "backup b" in result.stdout
    status = json.loads(daemon.cli("migrations:status", "-a", "migrated", "--json").stdout)
    assert status["current_revision"] == HEAD and status["pending_revisions"] == ["7e8f9a0b1c2d"]
    bad = daemon.cli("migrations:downgrade", "no such; rev", "-a", "migrated", "--confirm", "migrated", check=False)
    assert bad.returncode != 0 and "is not a revision" in bad.stderr


def test_schema_ahead_of_code_is_invalid(daemon: Daemon, migrated: Path) -> None:
    daemon.cli("pg:psql", "-a", "migrated", "-c", "UPDATE alembic_version SET version_num = 'f00dfeed0001'")
    result = daemon.cli("migrations:validate", "-a", "migrated", check=False)
    assert result.returncode == 1 and "revision f00dfeed0001, which this code does not know" in result.stdout
    daemon.cli("pg:psql", "-a", "migrated", "-c", f"UPDATE alembic_version SET version_num = '{HEAD}'")


def test_models_without_a_migration_are_found(daemon: Daemon, migrated: Path, workdir: Path) -> None:
    source = workdir / "unmigrated-model"
    shutil.copytree(migrated, source)
    app_py = source / "app.py"
    app_py.write_text(app_py.read_text() + "\n\nclass Mood(db.Model):\n    id = db.Column(db.Integer, primary_key=True)\n")
    daemon.cli("deploy", "-a", "migrated", str(source))
    result = daemon.cli("migrations:validate", "-a", "migrated", check=False)
    assert result.returncode == 1 and "the models declare tables the database lacks: mood" in result.stdout


def test_an_app_without_migrations_says_so(daemon: Daemon, workdir: Path) -> None:
    source = copy_app("wsgi_basic", workdir)
    daemon.cli("apps:create", "no-migrations", cwd=source)
    daemon.cli("deploy", cwd=source)
    result = daemon.cli("migrations:status", cwd=source, check=False)
    assert result.returncode != 0 and "No migrations found" in result.stderr


def test_fastapi_with_plain_alembic(daemon: Daemon, workdir: Path) -> None:
    source = copy_app("fastapi_alembic", workdir)
    daemon.cli("apps:create", "fastapi-alembic", cwd=source)
    daemon.cli("addons:create", "postgresql", cwd=source)
    result = daemon.cli("deploy", cwd=source)
    assert "Migrations: 1 pending (a1b2c3d4e5f6)" in result.stdout and "migrations applied" in result.stdout
    assert daemon.get("fastapi-alembic").json() == {"items": ["from alembic"]}
    status = json.loads(daemon.cli("migrations:status", "--json", cwd=source).stdout)
    assert status["framework"] == "alembic" and status["is_up_to_date"]
    assert status["current_revision"] == "a1b2c3d4e5f6"


def test_django_migrations(daemon: Daemon, workdir: Path) -> None:
    source = copy_app("django_app", workdir)
    daemon.cli("apps:create", "django-app", cwd=source)
    daemon.cli("addons:create", "postgresql", cwd=source)
    result = daemon.cli("deploy", cwd=source)
    assert "Migrations: 4 pending" in result.stdout and "polls.0002_seed" in result.stdout
    lint = [line for line in result.stdout.splitlines() if "Migration lint" in line]
    assert lint and not any("skipped" in line or "syntax-error" in line for line in lint), lint  # sqlmigrate's own SQL
    assert "taken and verified" in result.stdout and "Running release command: python manage.py migrate" in result.stdout
    assert daemon.get("django-app").json() == {"questions": ["hello from django"]}
    status = json.loads(daemon.cli("migrations:status", "--json", cwd=source).stdout)
    assert status["framework"] == "django" and status["is_up_to_date"] and status["pending_revisions"] == []
    assert status["total_revisions"] == 4
    history = json.loads(daemon.cli("migrations:history", "--json", cwd=source).stdout)
    assert {r["revision"]: r["applied"] for r in history}["polls.0002_seed"] is True
    assert "consistent" in daemon.cli("migrations:validate", cwd=source).stdout
    result = daemon.cli("migrations:downgrade", "polls.0001_initial", "--confirm", "django-app", cwd=source)
    assert "Downgraded to polls.0001_initial" in result.stdout
    status = json.loads(daemon.cli("migrations:status", "--json", cwd=source).stdout)
    assert status["pending_revisions"] == ["polls.0002_seed"] and not status["is_up_to_date"]
    daemon.cli("migrations:upgrade", cwd=source)
    assert json.loads(daemon.cli("migrations:status", "--json", cwd=source).stdout)["is_up_to_date"]


def test_a_probe_that_fails_never_says_up_to_date_and_a_backup_is_still_taken(daemon: Daemon, workdir: Path) -> None:
    source = copy_app("django_app", workdir)
    settings = source / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + "\nimport seaway_module_nobody_installed  # noqa\n")
    daemon.cli("apps:create", "django-broken", cwd=source)
    daemon.cli("addons:create", "postgresql", cwd=source)
    daemon.cli("config:set", "DISABLE_COLLECTSTATIC=1", cwd=source)  # or the build fails on them first
    result = daemon.cli("deploy", cwd=source, check=False)
    assert result.returncode != 0  # the release command fails on the same settings
    assert ("Migrations: could not check them (the app's migrations did not load: ModuleNotFoundError: "
            "No module named 'seaway_module_nobody_installed')") in result.stdout
    assert "up to date" not in result.stdout and "taken and verified" in result.stdout
    kinds = [b["kind"] for b in json.loads(daemon.cli("pg:backups", "--json", cwd=source).stdout)]
    assert len(kinds) == 1 and kinds[0].startswith("pre-v")
    daemon.cli("apps:destroy", "-a", "django-broken", "--confirm", "django-broken")
