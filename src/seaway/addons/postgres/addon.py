"""The PostgreSQL add-on's operations: attach, detach, inspect, rotate, reset, and proven backups."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, BinaryIO

import psycopg
from psycopg import sql

from seaway.addons.postgres.backups import BackupError, capture, restore, verify
from seaway.addons.postgres.provision import AppDatabase, create_database, drop_database
from seaway.addons.postgres.schedule import due_action, parse_at, to_prune
from seaway.addons.postgres.server import Server
from seaway.addons.postgres.storage import LocalStorage
from seaway.addons.services import attachment_var
from seaway.errors import Conflict, Invalid, NotFound
from seaway.logs import LogStore
from seaway.release import Releaser
from seaway.store import Store
from seaway.store.models import Addon, App, Backup, BackupSchedule, aware, utcnow

Emit = Callable[[str], None]


def backup_json(backup: Backup, integrity: str | None = None) -> dict[str, Any]:
    return {"id": backup.name, "addon": backup.addon, "kind": backup.kind, "status": backup.status,
            "verification": backup.verification, "reason": backup.reason, "size": backup.size,
            "location": backup.location, "tables": backup.tables, "created_at": backup.created_at.isoformat(),
            "finished_at": backup.finished_at.isoformat() if backup.finished_at else None,
            "sha256": backup.sha256, "integrity": integrity}


def database_of(store: Store, app: App, addon_name: str | None) -> Addon:
    """The add-on named, or the app's primary database (DATABASE_URL's, else its first)."""
    addons = [a for a in store.addons(app) if a.service == "postgresql"]
    if addon_name:
        return store.addon(app, addon_name)
    primary = next((a for a in addons if a.config_var == "DATABASE_URL"), addons[0] if addons else None)
    if primary is None:
        raise NotFound(f"{app.name} has no PostgreSQL database. Add one with `seaway addons:create postgresql`.")
    return primary


class PostgresBackups:
    """Backups proven by a restore, their schedules, and restores (after a safety backup)."""

    def __init__(self, store: Store, logs: LogStore, server: Callable[[], Server], storage: LocalStorage) -> None:
        self.store, self.logs, self.server, self.storage = store, logs, server, storage

    # -- backups -----------------------------------------------------------------------
    def capture(self, name: str, addon_name: str | None, kind: str, emit: Emit) -> dict[str, Any]:
        """Take a backup and prove it by a restore; a failure is recorded and reported, never silent."""
        app = self.store.app(name)
        addon = database_of(self.store, app, addon_name)
        backup = self.store.create_backup(app, addon.name, kind)
        emit(f"Capturing {backup.name} of {addon.name}...")
        written = self.storage.write_path(name, backup.name)
        server = self.server()
        try:
            counts = capture(server, addon.details["database"], written)
            size = written.stat().st_size
            location = self.storage.keep(name, backup.name, written)
            digest = self.storage.digest(name, backup.name, fresh=True)
            if digest is None:
                raise OSError(f"the stored file {location} cannot be read back")
        except (BackupError, OSError) as error:
            written.unlink(missing_ok=True)
            return self._failed(name, backup, "failed", f"capture failed: {error}", emit)
        backup = self.store.update_backup(backup, status="completed", size=size, location=location, tables=counts,
                                          sha256=digest, finished_at=utcnow())
        emit(f"Verifying {backup.name} by restoring it into a scratch database...")
        try:
            verify(server, self.storage.fetch(name, backup.name), counts)
        except (BackupError, psycopg.Error) as error:
            return self._failed(name, backup, "completed", f"verification failed: {error}", emit)
        backup = self.store.update_backup(backup, verification="verified")
        emit(f"Backup {backup.name} taken and verified: {len(counts)} tables, {sum(counts.values())} rows, "
             f"{size / 1e6:.1f} MB")
        self.logs.append(name, "seaway", f"Backup {backup.name} of {addon.name} taken and verified")
        return backup_json(backup)

    def _failed(self, app: str, backup: Backup, status: str, reason: str, emit: Emit) -> dict[str, Any]:
        verification = "failed" if status == "completed" else None
        backup = self.store.update_backup(backup, status=status, verification=verification, reason=reason,
                                          finished_at=utcnow())
        emit(f" !     Backup {backup.name}: {reason}")
        self.logs.append(app, "seaway", f"Error: backup {backup.name} of {backup.addon}: {reason}")
        return backup_json(backup)

    # -- schedules -----------------------------------------------------------------
    def schedule(self, name: str, addon_name: str | None, at_text: str) -> dict[str, Any]:
        app = self.store.app(name)
        addon = database_of(self.store, app, addon_name)
        try:
            at, zone = parse_at(at_text)
        except ValueError as error:
            raise Invalid(str(error)) from error
        self.store.set_schedule(app, addon.name, at, zone)
        self.logs.append(name, "seaway", f"Backups of {addon.name} scheduled daily at {at} {zone}")
        return {"addon": addon.name, "at": at, "timezone": zone}

    def unschedule(self, name: str) -> dict[str, Any]:
        app = self.store.app(name)
        if self.store.schedule(app) is None:
            raise NotFound(f"{name} has no backup schedule.")
        self.store.set_schedule(app, None)
        self.logs.append(name, "seaway", "Backup schedule removed")
        return {"unscheduled": name}

    def run_schedules(self, stop: threading.Event, interval: float) -> None:
        """The scheduler: take each backup when due; a missed one is reported, then taken at once."""
        while not stop.wait(interval):
            for schedule in self.store.schedules():
                try:
                    self._run_schedule(schedule, utcnow())
                except Exception as error:  # noqa: BLE001 - report and go on with the others
                    app = next((a for a in self.store.apps() if a.id == schedule.app_id), None)
                    if app:
                        self.logs.append(app.name, "seaway", f"Error: scheduled backup failed: {error!r}")

    def _run_schedule(self, schedule: BackupSchedule, now: datetime) -> None:
        app = next(a for a in self.store.apps() if a.id == schedule.app_id)
        taken = [b for b in self.store.backups(app) if b.kind == "scheduled"]
        last = max((aware(b.created_at) for b in taken), default=None)
        action = due_action(schedule.at, schedule.timezone, aware(schedule.created_at), last, now)
        if action is None:
            return
        kind, due = action
        if kind == "missed":
            missed = self.store.create_backup(app, schedule.addon, "scheduled")
            self._failed(app.name, missed, "failed", f"missed: the backup scheduled for {due:%Y-%m-%d %H:%M} UTC did not run "
                                           "when due (was the platform down?); taking one now", lambda _l: None)
        self.capture(app.name, schedule.addon, "scheduled", lambda _line: None)
        completed = [(b.name, aware(b.created_at)) for b in self.store.backups(app)
                     if b.kind == "scheduled" and b.status == "completed"]
        for backup_name in to_prune(completed):
            self.delete_backup(app.name, backup_name)

    def rename_app(self, old: str, new: str) -> None:
        """An app renamed to `new`: its backup files follow, and so do their recorded locations."""
        self.storage.rename_app(old, new)
        for backup in self.store.backups(self.store.app(new)):
            if backup.location:
                self.store.update_backup(backup, location=self.storage.location(new, backup.name))

    def backups(self, name: str) -> list[dict[str, Any]]:
        return [backup_json(b, self.integrity(name, b)) for b in self.store.backups(self.store.app(name))]

    def backup_info(self, name: str, backup_name: str | None) -> dict[str, Any]:
        backup = self.store.backup(self.store.app(name), backup_name)
        return backup_json(backup, self.integrity(name, backup, fresh=True))

    def integrity(self, name: str, backup: Backup, fresh: bool = False) -> str | None:
        """ok / damaged (the file no longer matches its capture's SHA-256) / missing / unchecked (taken
        before digests were kept); None for a backup with no file."""
        if backup.status != "completed":
            return None
        digest = self.storage.digest(name, backup.name, fresh)
        if digest is None:
            return "missing"
        if not backup.sha256:
            return "unchecked"
        return "ok" if digest == backup.sha256 else "damaged"

    def _refuse_unsound(self, name: str, backup: Backup) -> None:
        """Before a restore touches anything: the file must be the one that was captured and verified."""
        state = self.integrity(name, backup, fresh=True)
        if state in ("ok", "unchecked"):
            return
        why = ("its file no longer matches the SHA-256 taken when it was captured: it is damaged" if state == "damaged"
               else "its file is missing or cannot be read")
        sound = [b for b in self.store.backups(self.store.app(name)) if b.addon == backup.addon
                 and b.verification == "verified" and b.name != backup.name and self.integrity(name, b) == "ok"]
        other = f" The newest sound, verified backup is {sound[0].name}." if sound else " No other sound backup exists."
        raise Conflict(f"Backup {backup.name} was not restored: {why}. The database {backup.addon} is unchanged; "
                       f"no safety backup was needed.{other}")

    def open_backup(self, name: str, backup_name: str | None) -> tuple[str, BinaryIO]:
        backup = self.store.backup(self.store.app(name), backup_name)
        if backup.status != "completed":
            raise Conflict(f"Backup {backup.name} {backup.status}; it has no file to download.")
        return backup.name, self.storage.open(name, backup.name)

    def delete_backup(self, name: str, backup_name: str) -> dict[str, Any]:
        app = self.store.app(name)
        backup = self.store.backup(app, backup_name)
        self.storage.delete(name, backup.name)
        self.store.delete_backup(backup)
        self.logs.append(name, "seaway", f"Backup {backup.name} deleted")
        return {"deleted": backup.name}

    def restore(self, name: str, backup_name: str | None, emit: Emit) -> dict[str, Any]:
        """Restore a backup into its database, in one transaction, after a safety backup."""
        app = self.store.app(name)
        backup = self.store.backup(app, backup_name)
        if backup.status != "completed":
            raise Conflict(f"Backup {backup.name} {backup.status}; restore a completed one (see `seaway pg:backups`).")
        addon = self.store.addon(app, backup.addon)
        self._refuse_unsound(name, backup)
        safety = self.capture(name, addon.name, "safety", emit)
        if safety["status"] != "completed":
            raise Conflict(f"The safety backup before the restore failed ({safety['reason']}); nothing was restored.")
        emit(f"Restoring {backup.name} into {addon.name} in one transaction...")
        try:
            restore(self.server(), self.storage.fetch(name, backup.name), addon.details["database"],
                    addon.details["role"])
        except BackupError as error:
            raise Invalid(f"Restoring {backup.name} failed, and {addon.name} was left as it was: {error}. "
                          f"The safety backup is {safety['id']}.") from error
        self.logs.append(name, "seaway", f"Backup {backup.name} restored into {addon.name} (safety backup {safety['id']})")
        return {"restored": backup.name, "safety_backup": safety["id"]}


class PostgresAddon:
    """Attach, detach, inspect, rotate and reset databases; `backups` takes and restores their backups."""

    def __init__(self, store: Store, releaser: Releaser, logs: LogStore, server: Callable[[], Server],
                 backups: PostgresBackups) -> None:
        self.store, self.releaser, self.logs, self.server, self.backups = store, releaser, logs, server, backups

    # -- attach and detach ---------------------------------------------------------
    def create(self, name: str, attach_as: str | None, emit: Emit, author: str, plan: str = "") -> dict[str, Any]:
        """A database of its own for the app, attached as DATABASE_URL (or `attach_as`). `plan` (Heroku's
        `mini`, `standard-0`, ...) is recorded and shown; Seaway enforces no plan's limits."""
        app = self.store.app(name)
        taken = {addon.config_var for addon in self.store.addons(app)}
        config_var = self._config_var(app, attach_as, taken)
        server = self.server()
        db = create_database(server.conninfo(), server.host_for_apps, server.port)
        addon_name = f"postgresql-{db.database[1:]}"
        self.store.add_addon(app, addon_name, "postgresql", config_var,
                             {"role": db.role, "database": db.database, "host": db.host, "port": db.port,
                              "plan": plan})
        release = self.releaser.create(app, None, f"Attach {addon_name} as {config_var}", emit, author,
                                       changes={config_var: db.url})
        return {"name": addon_name, "config_var": config_var, "release": release.version, "plan": plan}

    def _config_var(self, app: App, attach_as: str | None, taken: set[str]) -> str:
        if attach_as is None:
            return "DATABASE_URL" if "DATABASE_URL" not in taken else f"POSTGRESQL_{len(taken) + 1}_URL"
        config_var = attachment_var(attach_as)
        if config_var in taken or config_var in self.store.config(app):
            raise Conflict(f"{config_var} is already set on {app.name}; choose another name with --as.")
        return config_var

    def destroy(self, name: str, addon_name: str, emit: Emit, author: str) -> dict[str, Any]:
        """Take a final backup (kept until deleted), then drop the database and detach it."""
        app = self.store.app(name)
        addon = self.store.addon(app, addon_name)
        final = self.backups.capture(name, addon.name, "final", emit)
        if final["status"] != "completed":
            raise Conflict(f"The final backup of {addon.name} failed ({final['reason']}); nothing was destroyed. "
                           "Fix the cause, or take a backup yourself, and try again.")
        server = self.server()
        drop_database(server.conninfo(), addon.details["role"], addon.details["database"])
        self.store.remove_addon(addon)
        release = self.releaser.create(app, None, f"Detach {addon.name}", emit, author,
                                       changes={addon.config_var: None})
        return {"destroyed": addon.name, "final_backup": final["id"], "location": final["location"],
                "release": release.version}

    def info(self, name: str, addon_name: str) -> dict[str, Any]:
        app = self.store.app(name)
        addon = self.store.addon(app, addon_name)
        return {"name": addon.name, "service": addon.service, "config_var": addon.config_var,
                "database": addon.details["database"], "role": addon.details["role"],
                "plan": addon.details.get("plan", ""), "created_at": addon.created_at.isoformat()}

    # -- pg:info, credentials, reset -------------------------------------------------
    def pg_info(self, name: str, addon_name: str | None) -> dict[str, Any]:
        app = self.store.app(name)
        addon = database_of(self.store, app, addon_name)
        database = addon.details["database"]
        with psycopg.connect(self.server().conninfo(database), connect_timeout=10) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]  # type: ignore[index]
            tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                                  "('pg_catalog', 'information_schema')").fetchone()[0]  # type: ignore[index]
            connections = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        backups = [b for b in self.store.backups(app) if b.addon == addon.name]
        verified = next((b for b in backups if b.verification == "verified"
                         and self.backups.integrity(name, b) in ("ok", "unchecked")), None)
        failed = [b.name for b in backups if b.status == "failed" or b.verification == "failed"]
        schedule = self.store.schedule(app)
        return {"addon": addon.name, "config_var": addon.config_var, "server_version": version, "database_size": size,
                "tables": tables, "connections": connections, "created_at": addon.created_at.isoformat(),
                "backups": len(backups), "last_verified_backup": backup_json(verified) if verified else None,
                "failed_backups": failed,
                "backup_schedule": f"{schedule.at} {schedule.timezone}" if schedule else None}

    def rotate(self, name: str, addon_name: str | None, emit: Emit, author: str) -> dict[str, Any]:
        app = self.store.app(name)
        addon = database_of(self.store, app, addon_name)
        server = self.server()
        db = AppDatabase(addon.details["role"], secrets.token_urlsafe(24), addon.details["database"], server.host_for_apps,
                         server.port)
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(db.role), sql.Literal(db.password)))
        release = self.releaser.create(app, None, f"Rotate {addon.name} credentials", emit, author,
                                       changes={addon.config_var: db.url})
        return {"addon": addon.name, "release": release.version}

    def reset(self, name: str, addon_name: str | None, emit: Emit, author: str) -> dict[str, Any]:
        """Empty the database (a backup first): drop and recreate its public schema."""
        app = self.store.app(name)
        addon = database_of(self.store, app, addon_name)
        safety = self.backups.capture(name, addon.name, "safety", emit)
        if safety["status"] != "completed":
            raise Conflict(f"The backup before the reset failed ({safety['reason']}); nothing was reset.")
        with psycopg.connect(self.server().conninfo(addon.details["database"]), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public AUTHORIZATION {}")
                         .format(sql.Identifier(addon.details["role"])))
        self.logs.append(name, "seaway", f"Database {addon.name} reset; backup {safety['id']} taken first")
        return {"addon": addon.name, "backup": safety["id"]}
