"""migrations:upgrade and migrations:downgrade: the framework's own commands in a one-off dyno of the live
release, after the release phase's checks (upgrade) or a backup (downgrade)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from seaway.app_settings import effective
from seaway.dynos.runtime import Runtime
from seaway.errors import Conflict, Invalid, NotFound
from seaway.logs import LogStore
from seaway.migrations.detect import Framework
from seaway.migrations.phase import MigrationCheck, PreMigrationBackup, restore_hint
from seaway.migrations.service import Migrations
from seaway.release.locks import AppLocks
from seaway.release.phase import PhaseContext, PhaseStep, ReleaseFailed
from seaway.release.specs import Specs
from seaway.settings import Settings
from seaway.store import Store
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


class MigrationCommands:
    def __init__(self, store: Store, specs: Specs, runtime: Runtime, locks: AppLocks, migrations: Migrations,
                 checks: Sequence[PhaseStep], check: MigrationCheck, backup: PreMigrationBackup, logs: LogStore,
                 settings: Settings) -> None:
        self.store, self.specs, self.runtime, self.locks, self.migrations = store, specs, runtime, locks, migrations
        self.checks, self.check, self.backup, self.logs, self.settings = tuple(checks), check, backup, logs, settings

    def upgrade(self, name: str, emit: Emit) -> dict[str, object]:
        """Run the live release's migration step again, in a one-off dyno, after the same checks as a release."""
        app, release, slug, framework = self._live(name)
        command = slug.process_types.get("release") or UPGRADE[framework.name]
        with self.locks.held(app.name):
            context = PhaseContext(app, release, slug, command, emit, still="")
            try:
                for step in self.checks:
                    step(context)
            except ReleaseFailed as error:
                raise Conflict(f"Not migrating: {error}") from error
            if context.skip_command:
                raise Conflict(f"Not migrating: {context.skip_command}")
            self._run(app, release, slug, command, emit, " ".join(context.notes))
        return {"command": command}

    def downgrade(self, name: str, revision: str, emit: Emit) -> dict[str, object]:
        """Downgrade the database to `revision`, after a backup."""
        app, release, slug, framework = self._live(name)
        if not REVISION.fullmatch(revision):
            raise Invalid(f"{revision!r} is not a revision (like 5d31038af84e, base or -1).")
        with self.locks.held(app.name):
            backup = self.backup.take(app.name, release.version, emit)
            self.check.forget(app.name)
            note = restore_hint(app.name, backup, when="first")
            self._run(app, release, slug, downgrade_command(framework, revision), emit, note)
        return {"revision": revision, "backup": backup}

    def _live(self, name: str) -> tuple[App, Release, Slug, Framework]:
        app = self.store.app(name)
        live = self.specs.live(app)
        framework = self.migrations.framework(live[1].digest) if live else None
        if live is None or framework is None:
            raise NotFound(f"{name} has no deployed Alembic, Flask-Migrate or Django migrations to run.")
        return app, live[0], live[1], framework

    def _run(self, app: App, release: Release, slug: Slug, command: str, emit: Emit, note: str) -> None:
        emit(f"-----> Running `{command}` in a one-off dyno")
        spec = self.specs.spec(app, release, slug, "release", 1, command)
        code = self.runtime.run(spec, lambda line: emit("       " + line),
                                timeout=effective(app, self.settings).release_timeout)
        self.logs.append(app.name, "seaway", f"`{command}` exited with status {code}")
        if code != 0:
            raise Invalid(f"`{command}` failed (exit status {code}). {note}".strip())
