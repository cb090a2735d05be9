"""The Store: one SQLite (WAL) database through SQLAlchemy 2, schema kept by Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from seaway.errors import Conflict, NotFound
from seaway.store.metrics import MetricsRecords
from seaway.store.models import (
    Addon,
    ApiToken,
    App,
    Backup,
    BackupSchedule,
    Build,
    Certificate,
    Commit,
    ConfigVar,
    Domain,
    Drain,
    FormationEntry,
    Release,
    Slug,
    utcnow,
)
from seaway.store.pipelines import PipelineRecords, SetupRecords

MIGRATIONS = Path(__file__).parent / "migrations"
Row = TypeVar("Row")


def _sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to Alembic's head."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _name_free(s: Session, name: str) -> None:
    if s.scalar(select(App).where(App.name == name)):
        raise Conflict(f"Name {name} is already taken. Choose another app name.")


class Store:
    def __init__(self, path: Path) -> None:
        self.engine = _sqlite_engine(path)
        migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.pipelines = PipelineRecords(self.session)
        self.setups = SetupRecords(self.session)
        self.metrics = MetricsRecords(self.session)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # -- apps ------------------------------------------------------------
    def create_app(self, name: str) -> App:
        with self.session() as s:
            _name_free(s, name)
            app = App(name=name)
            s.add(app)
            s.flush()
            s.add(FormationEntry(app_id=app.id, process_type="web", quantity=1))
            return app

    def app(self, name: str) -> App:
        with self.session() as s:
            app = s.scalar(select(App).where(App.name == name))
            if app is None:
                raise NotFound(f"Couldn't find that app: {name!r}. Run `seaway apps` to list your apps.")
            return app

    def apps(self) -> list[App]:
        with self.session() as s:
            return list(s.scalars(select(App).order_by(App.name)))

    def rename_app(self, app: App, new: str) -> App:
        with self.session() as s:
            _name_free(s, new)
            found = s.get(App, app.id)
            if found is None:
                raise NotFound(f"Couldn't find that app: {app.name!r}. Run `seaway apps` to list your apps.")
            found.name = new
            return found

    def destroy_app(self, name: str) -> None:
        app = self.app(name)
        with self.session() as s:
            s.delete(s.get(App, app.id))

    # -- config vars -----------------------------------------------------
    def config(self, app: App) -> dict[str, str]:
        with self.session() as s:
            rows = s.scalars(select(ConfigVar).where(ConfigVar.app_id == app.id).order_by(ConfigVar.key))
            return {row.key: row.value for row in rows}

    def replace_config(self, app: App, config: dict[str, str]) -> dict[str, str]:
        """Make the app's config vars exactly `config` (a rollback restores a release's vars)."""
        current = self.config(app)
        return self.change_config(app, {**{key: None for key in current if key not in config}, **config})

    def change_config(self, app: App, changes: dict[str, str | None]) -> dict[str, str]:
        """Set (or, for None, unset) config vars; return the whole new config."""
        unset = [key for key, value in changes.items() if value is None]
        values = [{"app_id": app.id, "key": key, "value": value} for key, value in changes.items() if value is not None]
        with self.session() as s:  # one statement each way: two requests setting the same key cannot collide
            if unset:
                s.execute(delete(ConfigVar).where(ConfigVar.app_id == app.id, ConfigVar.key.in_(unset)))
            if values:
                upsert = sqlite_insert(ConfigVar).values(values)
                s.execute(upsert.on_conflict_do_update(index_elements=[ConfigVar.app_id, ConfigVar.key],
                                                       set_={"value": upsert.excluded.value}))
        return self.config(app)

    # -- slugs and builds ------------------------------------------------
    def slug(self, digest: str) -> Slug | None:
        with self.session() as s:
            return s.get(Slug, digest)

    def save_slug(self, slug: Slug) -> Slug:
        with self.session() as s:
            existing = s.get(Slug, slug.digest)
            if existing is not None:
                return existing
            s.add(slug)
            return slug

    def create_build(self, app: App) -> Build:
        with self.session() as s:
            build = Build(app_id=app.id, status="pending", output="")
            s.add(build)
            return build

    def finish_build(self, build_id: int, status: str, output: str, slug_digest: str | None) -> None:
        with self.session() as s:
            build = s.get(Build, build_id)
            assert build is not None
            build.status, build.output, build.slug_digest = status, output, slug_digest
            build.finished_at = utcnow()

    def builds(self, app: App, limit: int = 50) -> list[Build]:
        """The app's newest builds, newest first."""
        with self.session() as s:
            return list(s.scalars(select(Build).where(Build.app_id == app.id).order_by(Build.id.desc()).limit(limit)))

    def build(self, app: App, build_id: int) -> Build:
        with self.session() as s:
            build = s.scalar(select(Build).where(Build.app_id == app.id, Build.id == build_id))
            if build is None:
                raise NotFound(f"Build {build_id} not found for {app.name}. Run `seaway releases` to see its deploys.")
            return build

    def last_slug(self, app: App) -> Slug | None:
        """The slug of the newest successful build, for reusing its dependencies."""
        with self.session() as s:
            digest = s.scalar(
                select(Build.slug_digest)
                .where(Build.app_id == app.id, Build.status == "succeeded")
                .order_by(Build.id.desc())
                .limit(1)
            )
            return s.get(Slug, digest) if digest else None

    # -- releases --------------------------------------------------------
    def create_release(self, app: App, slug_digest: str | None, config: dict[str, str], description: str,
                       author: str = "admin", rollback_of: int | None = None,
                       commit: Commit | None = None, promoted_from: tuple[str, int] | None = None) -> Release:
        with self.session() as s:
            version = (s.scalar(select(func.max(Release.version)).where(Release.app_id == app.id)) or 0) + 1
            release = Release(
                app_id=app.id, version=version, slug_digest=slug_digest, config=config, description=description,
                status="pending", output="", author=author, rollback_of=rollback_of,
                commit=commit.sha if commit else None, commit_subject=commit.subject[:200] if commit else "",
                promoted_from=promoted_from[0] if promoted_from else None,
                promoted_version=promoted_from[1] if promoted_from else None,
            )
            s.add(release)
            return release

    def finish_release(self, release: Release, status: str, output: str) -> None:
        with self.session() as s:
            row = s.get(Release, release.id)
            assert row is not None
            row.status, row.output = status, output
            if status == "succeeded":
                s.get(App, release.app_id).current_release = release.version  # type: ignore[union-attr]

    def revert_release(self, release: Release, previous: int | None, note: str) -> None:
        """A release that went live and then failed (its web dynos crashed under watch): failed, with
        `note` added to its output, and `previous` current again."""
        with self.session() as s:
            row = s.get(Release, release.id)
            assert row is not None
            row.status, row.output = "failed", f"{row.output}\n{note}".lstrip("\n")
            app = s.get(App, release.app_id)
            if app is not None and app.current_release == release.version:
                app.current_release = previous

    def note_release(self, release: Release, note: str) -> None:
        """Add `note` to a release's output (what its watch saw, say)."""
        with self.session() as s:
            row = s.get(Release, release.id)
            if row is not None:
                row.output = f"{row.output}\n{note}".lstrip("\n")

    def release(self, app: App, version: int) -> Release:
        with self.session() as s:
            release = s.scalar(select(Release).where(Release.app_id == app.id, Release.version == version))
            if release is None:
                raise NotFound(f"Release v{version} not found for {app.name}.")
            return release

    def current_release(self, app: App) -> Release | None:
        fresh = self.app(app.name)
        return self.release(fresh, fresh.current_release) if fresh.current_release else None

    def releases(self, app: App) -> list[Release]:
        with self.session() as s:
            return list(s.scalars(select(Release).where(Release.app_id == app.id).order_by(Release.version.desc())))

    def fail_pending_releases(self) -> int:
        """Mark releases left pending by a daemon that died mid-deploy as failed."""
        with self.session() as s:
            pending = list(s.scalars(select(Release).where(Release.status == "pending")))
            for release in pending:
                release.status = "failed"
                release.output += "\nThe platform stopped while this release was in progress.\n"
            return len(pending)

    # -- formation -------------------------------------------------------
    def formation(self, app: App) -> dict[str, int]:
        with self.session() as s:
            rows = s.scalars(select(FormationEntry).where(FormationEntry.app_id == app.id))
            return {row.process_type: row.quantity for row in rows}

    def scale(self, app: App, quantities: dict[str, int]) -> dict[str, int]:
        with self.session() as s:
            for process_type, quantity in quantities.items():
                row = s.get(FormationEntry, (app.id, process_type))
                if row is None:
                    s.add(FormationEntry(app_id=app.id, process_type=process_type, quantity=quantity))
                else:
                    row.quantity = quantity
        return self.formation(app)

    # -- per-app settings --------------------------------------------------
    def update_settings(self, app: App, **values: int | None) -> App:
        return self._update(App, app.id, values)

    def _update(self, model: type[Row], key: Any, values: dict[str, Any]) -> Row:
        """Set some columns of one row; return it."""
        with self.session() as s:
            row = s.get(model, key)
            assert row is not None
            for column, value in values.items():
                setattr(row, column, value)
            return row

    # -- add-ons ---------------------------------------------------------
    def add_addon(self, app: App, name: str, service: str, config_var: str, details: dict[str, Any]) -> Addon:
        with self.session() as s:
            addon = Addon(app_id=app.id, name=name, service=service, config_var=config_var, details=details)
            s.add(addon)
            return addon

    def addons(self, app: App) -> list[Addon]:
        with self.session() as s:
            return list(s.scalars(select(Addon).where(Addon.app_id == app.id).order_by(Addon.id)))

    def addon(self, app: App, name: str) -> Addon:
        for addon in self.addons(app):
            if name in (addon.name, addon.config_var, addon.config_var.removesuffix("_URL")):
                return addon
        raise NotFound(f"No add-on {name!r} on {app.name}. See `seaway addons -a {app.name}`.")

    def remove_addon(self, addon: Addon) -> None:
        with self.session() as s:
            s.delete(s.get(Addon, addon.id))

    # -- backups -----------------------------------------------------------
    def create_backup(self, app: App, addon: str, kind: str) -> Backup:
        with self.session() as s:
            number = (s.scalar(select(func.max(Backup.number)).where(Backup.app_id == app.id)) or 0) + 1
            backup = Backup(app_id=app.id, number=number, addon=addon, kind=kind, status="running", tables={})
            s.add(backup)
            return backup

    def update_backup(self, backup: Backup, **values: Any) -> Backup:
        return self._update(Backup, backup.id, values)

    def backups(self, app: App) -> list[Backup]:
        with self.session() as s:
            return list(s.scalars(select(Backup).where(Backup.app_id == app.id).order_by(Backup.number.desc())))

    def backup(self, app: App, name: str | None) -> Backup:
        """A backup by name (b003, 3), or the newest completed one."""
        backups = self.backups(app)
        if name is None:
            found = next((b for b in backups if b.status == "completed"), None)
            if found is None:
                raise NotFound(f"{app.name} has no completed backup yet. Take one with `seaway pg:backups:capture`.")
            return found
        digits = name.lower().lstrip("b")
        found = next((b for b in backups if digits.isdigit() and b.number == int(digits)), None)
        if found is None:
            raise NotFound(f"No backup {name!r} on {app.name}. See `seaway pg:backups -a {app.name}`.")
        return found

    def delete_backup(self, backup: Backup) -> None:
        with self.session() as s:
            s.delete(s.get(Backup, backup.id))

    def schedule(self, app: App) -> BackupSchedule | None:
        with self.session() as s:
            return s.get(BackupSchedule, app.id)

    def schedules(self) -> list[BackupSchedule]:
        with self.session() as s:
            return list(s.scalars(select(BackupSchedule)))

    def set_schedule(self, app: App, addon: str | None, at: str = "", timezone: str = "UTC") -> None:
        with self.session() as s:
            row = s.get(BackupSchedule, app.id)
            if row is not None:
                s.delete(row)
            if addon is not None:
                s.add(BackupSchedule(app_id=app.id, addon=addon, at=at, timezone=timezone))

    # -- domains -----------------------------------------------------------
    def domains(self, app: App) -> list[str]:
        with self.session() as s:
            return list(s.scalars(select(Domain.hostname).where(Domain.app_id == app.id).order_by(Domain.hostname)))

    def add_domain(self, app: App, hostname: str) -> None:
        with self.session() as s:
            existing = s.get(Domain, hostname)
            if existing is not None:
                owner = s.get(App, existing.app_id)
                where = "this app" if existing.app_id == app.id else f"the app {owner.name if owner else '?'}"
                raise Conflict(f"{hostname} already belongs to {where}; a domain routes to one app. Remove it there "
                               "first with `seaway domains:remove`.")
            s.add(Domain(hostname=hostname, app_id=app.id))

    def remove_domain(self, app: App, hostname: str) -> None:
        with self.session() as s:
            row = s.get(Domain, hostname)
            if row is None or row.app_id != app.id:
                raise NotFound(f"{hostname} is not a domain of {app.name}; see `seaway domains -a {app.name}`.")
            s.delete(row)

    def domain_rows(self, app: App) -> list[Domain]:
        with self.session() as s:
            return list(s.scalars(select(Domain).where(Domain.app_id == app.id).order_by(Domain.hostname)))

    def update_domain(self, hostname: str, **values: Any) -> Domain:
        return self._update(Domain, hostname, values)

    # -- certificates ------------------------------------------------------
    def certificates(self, app: App) -> list[Certificate]:
        with self.session() as s:
            return list(s.scalars(select(Certificate).where(Certificate.app_id == app.id).order_by(Certificate.id)))

    def add_certificate(self, app: App, kind: str, **facts: Any) -> Certificate:
        with self.session() as s:
            certificate = Certificate(app_id=app.id, kind=kind, **facts)
            s.add(certificate)
            s.flush()
            return certificate

    def remove_certificate(self, certificate: Certificate) -> None:
        with self.session() as s:
            s.execute(delete(Certificate).where(Certificate.id == certificate.id))

    # -- log drains ------------------------------------------------------
    def drains(self, app: App | None = None) -> list[Drain]:
        """One app's drains, or every app's."""
        with self.session() as s:
            query = select(Drain).order_by(Drain.id)
            return list(s.scalars(query.where(Drain.app_id == app.id) if app else query))

    def add_drain(self, app: App, url: str, token: str) -> Drain:
        with self.session() as s:
            if s.scalar(select(Drain).where(Drain.app_id == app.id, Drain.url == url)) is not None:
                raise Conflict(f"{app.name} already drains to {url}.")
            drain = Drain(app_id=app.id, url=url, token=token)
            s.add(drain)
            s.flush()
            return drain

    def remove_drain(self, app: App, url: str) -> Drain:
        with self.session() as s:
            drain = s.scalar(select(Drain).where(Drain.app_id == app.id, Drain.url == url))
            if drain is None:
                raise NotFound(f"{app.name} has no drain {url}; see `seaway drains -a {app.name}`.")
            s.delete(drain)
            return drain

    # -- API tokens ------------------------------------------------------
    def add_token(self, token_sha256: str, description: str) -> None:
        with self.session() as s:
            s.add(ApiToken(token_sha256=token_sha256, description=description))

    def has_tokens(self) -> bool:
        with self.session() as s:
            return s.scalar(select(func.count(ApiToken.id))) > 0  # type: ignore[operator]

    def token_description(self, token_sha256: str) -> str | None:
        with self.session() as s:
            return s.scalar(select(ApiToken.description).where(ApiToken.token_sha256 == token_sha256))

    def token_exists(self, token_sha256: str) -> bool:
        with self.session() as s:
            return s.scalar(select(ApiToken.id).where(ApiToken.token_sha256 == token_sha256)) is not None
