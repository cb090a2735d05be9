"""Migration-aware releases: backup, lint, refusal of multiple heads, safe failure (issue 5)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon, copy_app

HEAD = "5d31038af84e"
APP = "safety"


def revision(rev: str, down: str, upgrade: str) -> str:
    return (f'"""{rev}\n\nRevision ID: {rev}\nRevises: {down}\nCreate Date: 2026-11-22 01:00:00\n"""\n'
            "import sqlalchemy as sa\nfrom alembic import op\n\n"
            f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n{upgrade}\n\n\ndef downgrade():\n    pass\n")


def variant(base: Path, folder: Path, *revisions: tuple[str, str, str]) -> Path:
    source = folder / "-".join(r[0] for r in revisions)
    shutil.copytree(base, source)
    for rev, down, upgrade in revisions:
        (source / "migrations" / "versions" / f"{rev}_change.py").write_text(revision(rev, down, upgrade))
    return source


def columns(daemon: Daemon) -> str:
    return daemon.cli("pg:psql", "-a", APP, "-c", "SELECT column_name FROM information_schema.columns "
                                                  "WHERE table_name = 'greeting' ORDER BY 1").stdout


@pytest.fixture(scope="module")
def base(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = copy_app("flask_migrate", tmp_path_factory.mktemp("safety"))
    daemon.cli("apps:create", APP, cwd=source)
    daemon.cli("addons:create", "postgresql", cwd=source)
    daemon.cli("deploy", cwd=source)
    return source


def test_multiple_heads_are_refused_before_anything_runs(daemon: Daemon, base: Path, workdir: Path) -> None:
    source = variant(base, workdir, ("aaa111", HEAD, "    pass"), ("bbb222", HEAD, "    pass"))
    backups_before = len(json.loads(daemon.cli("pg:backups", "-a", APP, "--json").stdout))
    result = daemon.cli("deploy", "-a", APP, str(source), check=False)
    assert result.returncode != 0 and "multiple migration heads (" in result.stderr
    assert "flask db merge" in result.stderr and "Running release command" not in result.stdout
    assert len(json.loads(daemon.cli("pg:backups", "-a", APP, "--json").stdout)) == backups_before


def test_failing_migration_changes_nothing_and_names_the_backup(daemon: Daemon, base: Path, workdir: Path) -> None:
    failing = '    op.add_column("greeting", sa.Column("mood", sa.Text()))\n    op.execute("SELECT 1/0")'
    source = variant(base, workdir, ("ccc333", HEAD, failing))
    before = columns(daemon)
    result = daemon.cli("deploy", "-a", APP, str(source), check=False)
    assert result.returncode != 0 and "Migrations: 1 pending (ccc333)" in result.stdout
    assert "division by zero" in result.stdout
    assert "backed up before migrating as b" in result.stderr and "seaway pg:backups:restore b" in result.stderr
    assert columns(daemon) == before and "mood" not in before  # transactional DDL: the column went too
    assert daemon.get(APP).json()["greetings"][0] == "hello from the migration"  # the old release serves
    backup = result.stderr.split("migrating as ")[1].split(";")[0]
    kinds = {b["id"]: b["kind"] for b in json.loads(daemon.cli("pg:backups", "-a", APP, "--json").stdout)}
    assert kinds[backup].startswith("pre-v")


def test_lint_warns_then_strict_mode_blocks(daemon: Daemon, base: Path, workdir: Path) -> None:
    risky = ('    op.add_column("greeting", sa.Column("score", sa.Integer(), nullable=False))\n'
             '    op.create_index("ix_greeting_text", "greeting", ["text"])')
    source = variant(base, workdir, ("ddd444", HEAD, risky))
    daemon.cli("config:set", "SEAWAY_MIGRATION_LINT=strict", "-a", APP)
    blocked = daemon.cli("deploy", "-a", APP, str(source), check=False)
    assert blocked.returncode != 0 and "SEAWAY_MIGRATION_LINT=strict" in blocked.stderr
    assert "require-concurrent-index-creation" in blocked.stdout and "adding-required-field" in blocked.stdout
    assert "Running release command" not in blocked.stdout and "score" not in columns(daemon)
    daemon.cli("config:unset", "SEAWAY_MIGRATION_LINT", "-a", APP)
    # Default: warn, and the (here harmless: the table has one row... NOT NULL with no default fails) migration runs.
    safe = ('    op.add_column("greeting", sa.Column("lang", sa.Text(), nullable=True))\n'
            '    op.create_index("ix_greeting_text", "greeting", ["text"])')
    source = variant(base, workdir, ("eee555", HEAD, safe))
    passed = daemon.cli("deploy", "-a", APP, str(source))
    assert "Migration lint: require-concurrent-index-creation" in passed.stdout
    assert "Backup b" in passed.stdout and "taken and verified" in passed.stdout
    assert "lang" in columns(daemon)
    log = daemon.cli("logs", "-a", APP, "-n", "200").stdout
    assert "Migration lint for v" in log


def test_the_lint_reads_only_the_migration_tools_sql_not_the_apps_chatter(daemon: Daemon, base: Path,
                                                                         workdir: Path) -> None:
    index = '    op.create_index("ix_greeting_chatter", "greeting", ["text"])'
    # after the lint test above, whose eee555 the database is at (alone, both revisions are pending)
    source = variant(base, workdir, ("eee555", HEAD, "    pass"), ("fff666", "eee555", index))
    (source / ".flaskenv").write_text("FLASK_APP=app.py\n")  # Flask prints a tip about it (no python-dotenv)
    env = source / "migrations" / "env.py"
    env.write_text('print("loading the migration environment")\nprint("SELECT this is not SQL")\n' + env.read_text())
    ini = source / "migrations" / "alembic.ini"
    ini.write_text(ini.read_text().replace("format = %(levelname)-5.5s [%(name)s] %(message)s",
                                           "format = >> %(name)s says %(message)s"))  # a log format of its own
    daemon.cli("config:set", "SEAWAY_MIGRATION_LINT=strict", "-a", APP)  # blocked: the database stays as it is
    try:
        result = daemon.cli("deploy", "-a", APP, str(source), check=False)
    finally:
        daemon.cli("config:unset", "SEAWAY_MIGRATION_LINT", "-a", APP)
    assert result.returncode != 0 and "zero-downtime hazard(s)" in result.stderr
    lint_lines = [line for line in result.stdout.splitlines() if "Migration lint" in line]
    assert any("require-concurrent-index-creation" in line for line in lint_lines), result.stdout
    assert not any("syntax-error" in line for line in lint_lines), lint_lines
    log = daemon.cli("logs", "-a", APP, "-n", "300").stdout
    assert "syntax-error" not in log


def test_new_code_that_does_not_know_the_databases_revision_is_refused(daemon: Daemon, base: Path) -> None:
    # The database is at eee555 (the lint test's); the base code's migrations end at HEAD, before it.
    live = json.loads(daemon.cli("apps:info", "-a", APP, "--json").stdout)["release"]
    refused = daemon.cli("deploy", "-a", APP, str(base), check=False)
    assert refused.returncode != 0
    assert f"the database is at eee555, which this code does not know (its migrations end at {HEAD})" in refused.stderr
    assert "add the missing migration" in refused.stderr and "flask db stamp" in refused.stderr
    assert "Running release command" not in refused.stdout
    assert json.loads(daemon.cli("apps:info", "-a", APP, "--json").stdout)["release"] == live


def test_rollback_behind_the_schema_goes_live_and_says_so(daemon: Daemon, base: Path) -> None:
    releases = json.loads(daemon.cli("releases", "-a", APP, "--json").stdout)
    first_deploy = min(r["version"] for r in releases if r["description"].startswith("Deploy") and r["status"] == "succeeded")
    result = daemon.cli("rollback", f"v{first_deploy}", "-a", APP)
    assert "schema is ahead of the code" in result.stdout and "Not running the release command" in result.stdout
    assert daemon.get(APP).status_code == 200


def test_unchanged_migrations_need_no_checks(daemon: Daemon, base: Path, workdir: Path) -> None:
    # The schema is still ahead of the rolled-back code: checked again, and the release command skipped again.
    ahead = daemon.cli("config:set", "SOMETHING=else", "-a", APP)
    assert "schema is ahead of the code" in ahead.stdout
    daemon.cli("deploy", "-a", APP, str(variant(base, workdir, ("eee555", HEAD, "    pass"))))
    daemon.cli("config:set", "SOMETHING=more", "-a", APP)  # database up to date with these migrations now
    again = daemon.cli("config:set", "SOMETHING=still-more", "-a", APP)
    assert "Migrations: unchanged, and the database was up to date with them" in again.stdout
