"""The release phase's migration steps, run in this order before the `release:` command:

1. `MigrationCheck`: read the new code's migrations and the database's revision (a probe in a one-off
   dyno); refuse conflicting or multiple heads and a database at a revision the new code does not
   know (or skip the release command when that is a rollback's schema ahead of its code); find
   what is pending.
2. `PreMigrationBackup`: when something is pending (or the check could not tell), a backup linked to
   the release, named in any failure's message.
3. `MigrationLint`: the pending migrations' SQL, rendered offline, checked for zero-downtime hazards
   (SEAWAY_MIGRATION_LINT=strict refuses them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seaway.addons.postgres.addon import PostgresBackups
from seaway.dynos import DynoSpec
from seaway.errors import UserError
from seaway.logs import LogStore
from seaway.migrations.detect import Framework
from seaway.migrations.lint import lint
from seaway.migrations.report import probe_failure, status
from seaway.migrations.service import Migrations
from seaway.release.phase import PhaseContext, ReleaseFailed
from seaway.release.specs import Specs

FACTS = "migrations"  # where MigrationCheck leaves what it found, in PhaseContext.facts


@dataclass
class Found:
    framework: Framework
    spec: DynoSpec  # a one-off of the new release, to run the framework's tools as
    current: list[str]  # the database's revisions
    pending: list[str]  # what the release command will apply ([] when none, or unknown)
    unknown: str | None = None  # why the check could not tell (then a backup is taken anyway)


class MigrationCheck:
    def __init__(self, migrations: Migrations, specs: Specs, backups: PostgresBackups) -> None:
        self.migrations, self.specs, self.backups = migrations, specs, backups
        self._up_to_date: dict[str, str] = {}  # app -> digest of the migrations its database was last found at

    def forget(self, app: str) -> None:
        """The app's database changed behind the checks' back (a downgrade): look again next time."""
        self._up_to_date.pop(app, None)

    def __call__(self, context: PhaseContext) -> None:
        app, release, slug, emit = context.app, context.release, context.slug, context.emit
        framework = self.migrations.framework(slug.digest)
        if framework is None or "DATABASE_URL" not in release.config:
            return
        digest = self.migrations.digest(slug.digest, framework)
        if self._up_to_date.get(app.name) == digest:
            emit("-----> Migrations: unchanged, and the database was up to date with them")
            return
        spec = self.specs.spec(app, release, slug, "release", 1, "")
        try:
            found = self.migrations.probe(spec, framework)
        except UserError as error:
            raise ReleaseFailed(f"reading the migrations failed: {error}") from error
        self._refuse_conflicts(found)
        failure = probe_failure(found)
        if failure:  # never "up to date": back up, then let the release command do what it does
            self._up_to_date.pop(app.name, None)
            emit(f" !     Migrations: could not check them ({failure}); backing up before the release command anyway")
            context.facts[FACTS] = Found(framework, spec, [], [], unknown=failure)
            return
        known = {r["revision"] for r in found["revisions"]}
        ahead = [revision for revision in found.get("applied", found["current"]) if revision not in known]
        if ahead:
            context.skip_command = self._refuse_or_skip_unknown(context, found, ahead)
            return
        pending = status(found, "")["pending_revisions"]
        if not pending:
            emit("-----> Migrations: the database is up to date")
            self._up_to_date[app.name] = digest
            return
        self._up_to_date.pop(app.name, None)
        emit(f"-----> Migrations: {len(pending)} pending ({', '.join(pending)})")
        context.facts[FACTS] = Found(framework, spec, found["current"], pending)

    @staticmethod
    def _refuse_conflicts(found: dict[str, Any]) -> None:
        if found.get("conflicts"):
            raise ReleaseFailed(f"conflicting migrations ({'; '.join(found['conflicts'])}), so nothing was run. "
                                "Merge them with `python manage.py makemigrations --merge` and deploy again.")
        if "applied" not in found and len(found["heads"]) > 1:
            heads = " ".join(found["heads"])
            raise ReleaseFailed(f"the code has multiple migration heads ({heads}), so nothing was run. Merge them "
                                f"with `flask db merge {heads}` (or `alembic merge {heads}`) and deploy again.")

    def _refuse_or_skip_unknown(self, context: PhaseContext, found: dict[str, Any], ahead: list[str]) -> str:
        """The database is at revisions this code does not know. Going live without migrating is right for a
        rollback or a config change of the code that is live (the schema is ahead of it); new code that does
        not know the database's revision lacks a migration that was applied, and is refused."""
        app, release, slug = context.app, context.release, context.slug
        live = self.specs.live(app)
        heads = ", ".join(found["heads"]) or "none"
        backups = [b for b in self.backups.backups(app.name) if b["status"] == "completed"]
        newest = f" The newest backup is {backups[0]['id']}." if backups else ""
        if release.rollback_of is not None or (live is not None and live[1].digest == slug.digest):
            return (f"the database is at {', '.join(ahead)}, which this code does not know: the schema is ahead of "
                    f"the code (heads here: {heads}). Going live without migrating.{newest}")
        raise ReleaseFailed(
            f"the database is at {', '.join(ahead)}, which this code does not know (its migrations end at {heads}), "
            "so nothing was run or switched. The code lacks a migration that was applied: add the missing migration "
            "file to the code; or, if the database really should be at this code's head, mark it so with "
            f"`seaway run -a {app.name} flask db stamp {found['heads'][0] if found['heads'] else 'HEAD'}` "
            f"(`alembic stamp`, Django: `migrate --fake`); or roll back to the release that applied it with "
            f"`seaway rollback`.{newest}")


def restore_hint(app: str, backup: str, when: str = "before migrating") -> str:
    return (f"The database was backed up {when} as {backup}; restore it with "
            f"`seaway pg:backups:restore {backup} -a {app} --confirm {app}`.")


class PreMigrationBackup:
    def __init__(self, backups: PostgresBackups) -> None:
        self.backups = backups

    def __call__(self, context: PhaseContext) -> None:
        if FACTS in context.facts:
            backup = self.take(context.app.name, context.release.version, context.emit)
            context.notes.append(restore_hint(context.app.name, backup))

    def take(self, app: str, version: int, emit: Any) -> str:
        taken = self.backups.capture(app, None, f"pre-v{version}", emit)  # linked to the release
        if taken["status"] != "completed":
            raise ReleaseFailed(f"the backup before migrating failed ({taken['reason']}), so no migration was run")
        return str(taken["id"])


class MigrationLint:
    def __init__(self, migrations: Migrations, logs: LogStore) -> None:
        self.migrations, self.logs = migrations, logs

    def __call__(self, context: PhaseContext) -> None:
        found: Found | None = context.facts.get(FACTS)
        if found is None or not found.pending:
            return
        app, release, emit = context.app, context.release, context.emit
        try:
            findings = lint(self.migrations.offline_sql(found.spec, found.framework, found.current, found.pending))
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
