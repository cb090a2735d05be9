"""Release-phase safety: before a release command runs pending migrations, refuse multiple heads,
take a backup linked to the release, and lint the migrations' SQL."""

from __future__ import annotations

import re
from collections.abc import Callable

from seaway.addons.postgres.addon import PostgresAddon
from seaway.errors import Conflict, Invalid, NotFound, UserError
from seaway.logs import LogStore
from seaway.migrations.detect import Framework
from seaway.migrations.lint import lint
from seaway.migrations.report import probe_failure, status
from seaway.migrations.service import Migrations
from seaway.release import ReleaseFailed, Releaser
from seaway.release.releaser import RELEASE_TIMEOUT, SkipReleaseCommand
from seaway.store.models import App, Release, Slug

Emit = Callable[[str], None]
UPGRADE = {"flask-migrate": "flask db upgrade", "alembic": "alembic upgrade head",
           "django": "python manage.py migrate --noinput"}
REVISION = re.compile(r"[A-Za-z0-9_@+.-]{1,64}")


def downgrade_command(framework: Framework, revision: str) -> str:
    if framework.name == "django":  # revisions are APP.NAME (or APP.zero)
        app, _, name = revision.partition(".")
        return f"python manage.py migrate --noinput {app} {name or 'zero'}"
    return f"{'flask db downgrade' if framework.name == 'flask-migrate' else 'alembic downgrade'} {revision}"


class ReleaseSafety:
    def __init__(self, migrations: Migrations, pg: PostgresAddon, releaser: Releaser, logs: LogStore) -> None:
        self.migrations, self.pg, self.releaser, self.logs = migrations, pg, releaser, logs
        self._up_to_date: dict[str, str] = {}  # app -> digest of the migrations its database was last found at

    def before(self, app: App, release: Release, slug: Slug, emit: Emit) -> str | None:
        framework = self.migrations.framework(slug.digest)
        if framework is None or "DATABASE_URL" not in release.config:
            return None
        digest = self.migrations.digest(slug.digest, framework)
        if self._up_to_date.get(app.name) == digest:
            emit("-----> Migrations: unchanged, and the database was up to date with them")
            return None
        spec = self.releaser.spec(app, release, slug, "release", 1, "")
        try:
            found = self.migrations.probe(spec, framework)
        except UserError as error:
            raise ReleaseFailed(f"reading the migrations failed: {error}") from error
        if found.get("conflicts"):
            raise ReleaseFailed(f"conflicting migrations ({'; '.join(found['conflicts'])}), so nothing was run. "
                                "Merge them with `python manage.py makemigrations --merge` and deploy again.")
        if "applied" not in found and len(found["heads"]) > 1:
            heads = " ".join(found["heads"])
            raise ReleaseFailed(f"the code has multiple migration heads ({heads}), so nothing was run. Merge them "
                                f"with `flask db merge {heads}` (or `alembic merge {heads}`) and deploy again.")
        failure = probe_failure(found)
        if failure:  # never "up to date": back up, then let the release command do what it does
            self._up_to_date.pop(app.name, None)
            emit(f" !     Migrations: could not check them ({failure}); backing up before the release command anyway")
            backup = self._backup(app, release, emit)
            return (f"The database was backed up before migrating as {backup}; restore it with "
                    f"`seaway pg:backups:restore {backup} -a {app.name} --confirm {app.name}`.")
        known = {r["revision"] for r in found["revisions"]}
        ahead = [revision for revision in found.get("applied", found["current"]) if revision not in known]
        if ahead:
            self._refuse_or_skip_unknown(app, release, slug, found, ahead)
        pending = status(found, "")["pending_revisions"]
        if not pending:
            emit("-----> Migrations: the database is up to date")
            self._up_to_date[app.name] = digest
            return None
        self._up_to_date.pop(app.name, None)
        emit(f"-----> Migrations: {len(pending)} pending ({', '.join(pending)})")
        backup = self._backup(app, release, emit)
        self._lint(app, release, spec, framework, found["current"], pending, emit)
        return (f"The database was backed up before migrating as {backup}; restore it with "
                f"`seaway pg:backups:restore {backup} -a {app.name} --confirm {app.name}`.")

    def _refuse_or_skip_unknown(self, app: App, release: Release, slug: Slug, found: dict, ahead: list[str]) -> None:
        """The database is at revisions this code does not know. Going live without migrating is right for a
        rollback or a config change of the code that is live (the schema is ahead of it); new code that does
        not know the database's revision lacks a migration that was applied, and is refused."""
        live = self.releaser.live(app)
        heads = ", ".join(found["heads"]) or "none"
        backups = [b for b in self.pg.backups(app.name) if b["status"] == "completed"]
        newest = f" The newest backup is {backups[0]['id']}." if backups else ""
        if release.rollback_of is not None or (live is not None and live[1].digest == slug.digest):
            raise SkipReleaseCommand(
                f"the database is at {', '.join(ahead)}, which this code does not know: the schema is ahead of the "
                f"code (heads here: {heads}). Going live without migrating.{newest}")
        raise ReleaseFailed(
            f"the database is at {', '.join(ahead)}, which this code does not know (its migrations end at {heads}), "
            "so nothing was run or switched. The code lacks a migration that was applied: add the missing migration "
            "file to the code; or, if the database really should be at this code's head, mark it so with "
            f"`seaway run -a {app.name} flask db stamp {found['heads'][0] if found['heads'] else 'HEAD'}` "
            f"(`alembic stamp`, Django: `migrate --fake`); or roll back to the release that applied it with "
            f"`seaway rollback`.{newest}")

    def _backup(self, app: App, release: Release, emit: Emit) -> str:
        taken = self.pg.capture(app.name, None, f"pre-v{release.version}", emit)  # linked to the release
        if taken["status"] != "completed":
            raise ReleaseFailed(f"the backup before migrating failed ({taken['reason']}), so no migration was run")
        return str(taken["id"])

    def _lint(self, app: App, release: Release, spec, framework, current: list[str], pending: list[str],  # type: ignore[no-untyped-def]
              emit: Emit) -> None:
        try:
            findings = lint(self.migrations.offline_sql(spec, framework, current, pending))
        except (UserError, RuntimeError, FileNotFoundError) as error:
            emit(f" !     Migration lint skipped: {error}")
            return
        strict = release.config.get("SEAWAY_MIGRATION_LINT", "warn").lower() == "strict"
        for finding in findings:
            emit(f" !     Migration lint: {finding}")
            self.logs.append(app.name, "seaway", f"Migration lint for v{release.version}: {finding}")
        if findings and strict:
            raise ReleaseFailed(f"SEAWAY_MIGRATION_LINT=strict and the pending migrations have {len(findings)} "
                                "zero-downtime hazard(s) (listed above); nothing was run")
        if not findings:
            emit("-----> Migration lint: no zero-downtime hazards found")

    # -- migrations:upgrade / migrations:downgrade ----------------------------------------
    def upgrade(self, name: str, emit: Emit) -> dict[str, object]:
        """Run the live release's migration step again, in a one-off dyno, after the same checks as a release."""
        app, release, slug, framework = self._live(name)
        command = slug.process_types.get("release") or UPGRADE[framework.name]
        with self.releaser.app_lock(app.name):
            try:
                note = self.before(app, release, slug, emit) or ""
            except (ReleaseFailed, SkipReleaseCommand) as error:
                raise Conflict(f"Not migrating: {error}") from error
            self._run(app, release, slug, command, emit, note)
        return {"command": command}

    def downgrade(self, name: str, revision: str, emit: Emit) -> dict[str, object]:
        """Downgrade the database to `revision`, after a backup."""
        app, release, slug, framework = self._live(name)
        if not REVISION.fullmatch(revision):
            raise Invalid(f"{revision!r} is not a revision (like 5d31038af84e, base or -1).")
        with self.releaser.app_lock(app.name):
            backup = self._backup(app, release, emit)
            self._up_to_date.pop(app.name, None)
            note = (f"The database was backed up first as {backup}; restore it with "
                    f"`seaway pg:backups:restore {backup} -a {app.name} --confirm {app.name}`.")
            self._run(app, release, slug, downgrade_command(framework, revision), emit, note)
        return {"revision": revision, "backup": backup}

    def _live(self, name: str) -> tuple[App, Release, Slug, Framework]:
        app = self.releaser.store.app(name)
        live = self.releaser.live(app)
        framework = self.migrations.framework(live[1].digest) if live else None
        if live is None or framework is None:
            raise NotFound(f"{name} has no deployed Alembic, Flask-Migrate or Django migrations to run.")
        return app, live[0], live[1], framework

    def _run(self, app: App, release: Release, slug: Slug, command: str, emit: Emit, note: str) -> None:
        emit(f"-----> Running `{command}` in a one-off dyno")
        spec = self.releaser.spec(app, release, slug, "release", 1, command)
        code = self.releaser.dynos.run_one_off(spec, lambda line: emit("       " + line),
                                               timeout=app.release_timeout or RELEASE_TIMEOUT)
        self.logs.append(app.name, "seaway", f"`{command}` exited with status {code}")
        if code != 0:
            raise Invalid(f"`{command}` failed (exit status {code}). {note}".strip())
