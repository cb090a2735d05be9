"""The platform's operations, wiring the stages together: what the API (and so the CLI) can ask for."""

from __future__ import annotations

import re
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from seaway.addons.postgres import EmbeddedCluster, drop_database
from seaway.addons.postgres.addon import PostgresAddon, PostgresBackups
from seaway.addons.postgres.cluster import find_bin_dir
from seaway.addons.postgres.server import Server
from seaway.addons.postgres.storage import LocalStorage
from seaway.app_settings import changes_dynos, changes_routing, check_changes, effective
from seaway.app_setup import AppSetups, Postdeploy, refuse_unusable
from seaway.certs.acme_issuer import AcmeIssuer
from seaway.certs.auto import AutoCertificates
from seaway.certs.files import CertificateFiles
from seaway.certs.registry import AppCertificates
from seaway.certs.service import CertificateService
from seaway.dynos import Dyno, DynoSpec
from seaway.dynos.local import LocalBackend
from seaway.dynos.local_runtime import LocalRuntime
from seaway.dynos.runtime import Runtime
from seaway.dynos.sandboxed import SandboxedDynos
from seaway.errors import Conflict, Invalid, Misconfigured, NotFound, UserError
from seaway.git_remote.repos import AppRepos
from seaway.home import prepare_home
from seaway.host import app_user, is_root, remove_app_user, rename_app_user
from seaway.logs import LogQuery, LogStore
from seaway.logs.drains import DrainError, Drains, DrainTarget
from seaway.manifest.appjson import Manifest, parse_manifest
from seaway.metrics import Metrics
from seaway.migrations.commands import MigrationCommands
from seaway.migrations.phase import MigrationCheck, MigrationLint, PreMigrationBackup
from seaway.migrations.service import Migrations
from seaway.naming import PROCESS_TYPE, check_app_name, check_config_changes
from seaway.pipelines.promotion import Promotion
from seaway.pipelines.service import Pipelines
from seaway.release import ReleaseCommand, ReleaseFailed, Releaser
from seaway.release.formation import Formations
from seaway.release.locks import AppLocks
from seaway.release.rollback import Rollbacks
from seaway.release.specs import Specs
from seaway.release.watch import ReleaseWatcher
from seaway.router import NginxRouter
from seaway.sandbox import host_sandbox
from seaway.settings import Settings
from seaway.slugs.builder import Builder, BuildRequest
from seaway.slugs.errors import BuildError
from seaway.slugs.git_source import pack_commit
from seaway.slugs.live import LiveOutput
from seaway.slugs.python import installed_interpreters
from seaway.slugs.slug import remove_tree
from seaway.slugs.source import SourceLimits
from seaway.slugs.workspace import remove_leftovers
from seaway.store import Store
from seaway.store.models import App, Build, Commit, Release, Slug, utcnow
from seaway.tokens import token_hash, valid_token

Emit = Callable[[str], None]
HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?")


def release_json(release: Release, current: int | None, with_output: bool = False) -> dict[str, Any]:
    data = {"version": release.version, "description": release.description, "status": release.status,
            "current": release.version == current, "author": release.author, "slug": release.slug_digest,
            "rollback_of": release.rollback_of, "created_at": release.created_at.isoformat(),
            "config_vars": sorted(release.config), "commit": release.commit, "commit_subject": release.commit_subject,
            "promoted_from": {"app": release.promoted_from, "version": release.promoted_version}
            if release.promoted_from else None}
    if with_output:
        data["output"] = release.output
    return data


def build_json(build: Build, live: bool) -> dict[str, Any]:
    return {"id": build.id, "status": "running" if live else build.status, "created_at": build.created_at.isoformat(),
            "finished_at": build.finished_at.isoformat() if build.finished_at else None, "slug": build.slug_digest,
            "live": live}


class Platform:
    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        """`runtime`: where formations run; by default the one SEAWAY_RUNTIME names (the unit tests give an
        InMemoryRuntime)."""
        self.settings = settings
        prepare_home(settings)
        self.store = Store(settings.database_path)
        self.logs = LogStore(settings.logs_dir, settings.log_max_lines, settings.log_max_mb * 1024 * 1024)
        self.drains = Drains(self.logs)
        self.sandbox = host_sandbox(settings.sandbox_dir, settings.dyno_network, settings.home,
                                    allowed_ports=(settings.postgres_port, settings.router_port), enabled=settings.sandbox)
        self.git = AppRepos(settings.git_dir)
        self.builder = Builder(settings.slugs_dir, settings.builds_dir, settings.cache_dir, self.sandbox,
                               SourceLimits(settings.max_slug_mb * 1024 * 1024, settings.max_slug_files),
                               settings.python_downloads, settings.pythons_dir)
        self.certificates = CertificateFiles(settings.tls_dir)
        self.certificates.prepare()
        self.installed_certificates = AppCertificates(self.store, self.certificates)
        self.app_metrics = Metrics(self.store)  # counts the router's records as its log follower reads them
        self.router = NginxRouter(settings.router_dir, settings.router_host, settings.router_port, self.logs,
                                  keepalive=settings.router_keepalive, workers=settings.router_workers,
                                  https_port=settings.router_https_port, certificates=self.installed_certificates,
                                  trusted_proxies=settings.trusted_proxies, on_records=self.app_metrics.router.on_records)
        self.runtime = runtime or self._runtime()
        self.postgres = None if settings.postgres_admin_url else EmbeddedCluster(
            settings.postgres_dir, settings.postgres_port,
            self.sandbox.service_address if self.sandbox else None, settings.dyno_network if self.sandbox else None)
        self._stopping = threading.Event()
        self._builds: Counter[str] = Counter()  # builds running, per app
        self._builds_lock = threading.Lock()
        self.live = LiveOutput()  # deploys' output while they run
        self._wire_release_stage(settings)
        self.certs = CertificateService(self.store, self.installed_certificates, self.route, self.logs)
        self.auto_certs = AutoCertificates(self.store, self.installed_certificates, self._acme_issuer,
                                           self.route, self.logs)

    def _runtime(self) -> Runtime:
        """Where formations run, as SEAWAY_RUNTIME says (local: this host's sandboxed processes behind nginx)."""
        if self.settings.runtime != "local":
            raise Misconfigured(f"SEAWAY_RUNTIME={self.settings.runtime!r} is not a runtime Seaway has: use local.")
        backend = LocalBackend(self.settings.slugs_dir, self.settings.run_dir,
                               SandboxedDynos(self.sandbox) if self.sandbox else None)
        return LocalRuntime(backend, self.logs, self.router, as_app_users=is_root(), sandbox=self.sandbox,
                            settle=self.settings.settle_time, log_rate=self.settings.log_rate)

    def _wire_release_stage(self, settings: Settings) -> None:
        """The release stage: releases and their release phase, in its order, and what changes dynos."""
        self.locks = AppLocks()
        self.specs = Specs(self.store, settings)
        self.watcher = ReleaseWatcher(self.runtime, self.store, self.logs, self.locks)
        self.migrations = Migrations(self.store, self.specs, self.runtime, settings.slugs_dir)
        self.backups = PostgresBackups(self.store, self.logs, self.postgres_server, LocalStorage(settings.backups_dir))
        check, backup = MigrationCheck(self.migrations, self.specs, self.backups), PreMigrationBackup(self.backups)
        lint = MigrationLint(self.migrations, self.logs)
        postdeploy = Postdeploy(self.store, self.specs, self.runtime, self.logs, settings)
        self.releaser = Releaser(self.store, self.specs, self.runtime, self.watcher, self.logs, settings, phase=[
            check, backup, lint, ReleaseCommand(self.runtime, self.specs.spec, self.logs, settings)],
            after_live=[postdeploy])
        self.pg = PostgresAddon(self.store, self.releaser, self.logs, self.postgres_server, self.backups)
        self.setups = AppSetups(self.store, self.pg, self.releaser)
        self.pipelines = Pipelines(self.store, self.git, self.logs)
        self.promotion = Promotion(self.store, self.pipelines, self.releaser, self.runtime)
        self.migration_commands = MigrationCommands(self.store, self.specs, self.runtime, self.locks, self.migrations,
                                                    [check, backup, lint], check, backup, self.logs, settings)
        self.formations = Formations(self.store, self.specs, self.runtime, self.watcher, self.logs)
        self.rollbacks = Rollbacks(self.store, self.releaser)

    def _acme_issuer(self) -> AcmeIssuer:
        return AcmeIssuer(self.settings.acme_directory, self.settings.acme_email, self.settings.tls_dir / "acme",
                          self.router.webroot, self.settings.acme_ca_bundle)

    def postgres_server(self) -> Server:
        """The PostgreSQL server add-on databases live on: the embedded cluster, or SEAWAY_POSTGRES_ADMIN_URL's."""
        if self.postgres is not None:
            return self.postgres.server
        try:
            return Server.from_url(self.settings.postgres_admin_url, find_bin_dir())
        except ValueError as error:
            raise Misconfigured(str(error)) from error

    def route(self, name: str) -> None:
        """Route the app as its domains and settings now say (after a change of either, or of its certificates)."""
        try:
            app = self.store.app(name)
        except NotFound:  # destroyed meanwhile
            return
        self.runtime.route(name, self.specs.routing(app))

    # -- lifecycle -------------------------------------------------------------
    def isolation_warnings(self) -> list[str]:
        """What the operator should know about how isolated apps are here (one line each)."""
        if self.sandbox is not None:
            notes = self.sandbox.warnings()
            admin = self.settings.postgres_admin_url
            if admin and urlsplit(admin).hostname in ("127.0.0.1", "localhost", "::1"):
                notes.append("SEAWAY_POSTGRES_ADMIN_URL names a loopback address, which sandboxed dynos cannot reach "
                             "(they have a network of their own): name an address of the server that they can")
            return notes
        if not is_root():
            return ["not running as root: dynos are not isolated from each other or from the platform "
                    "(see the README's Isolation section)"]
        return ["SEAWAY_SANDBOX=off: dynos and builds run without sandboxes"]

    def start(self) -> None:
        """Start PostgreSQL and nginx (or keep those a killed daemon left running), take back the dynos of
        current releases that outlived it, and bring back every other app's formation."""
        threading.Thread(target=installed_interpreters, daemon=True).start()  # warm the first build
        self.runtime.recover()  # starts the sandbox, keeping the sandboxes of dynos to take back
        for leftover in remove_leftovers(self.settings.builds_dir):
            print(f"seaway: removed {self.settings.builds_dir / leftover}, left by a build that never ended",
                  file=sys.stderr, flush=True)
        self.store.fail_pending_releases()
        self.git.install_hook()
        if self.postgres is not None:
            self.postgres.start()
        apps = self.store.apps()
        names = {app.id: app.name for app in apps}
        for drain in self.store.drains():
            self._open_drain(names[drain.app_id], drain.url, drain.token)
        missing = {app.name: self._take_back(app) for app in apps}
        self.runtime.forget_others(set(missing))
        self.runtime.start({app.name: self.specs.routing(app) for app in apps})  # routes to the dynos taken back
        threading.Thread(target=self.backups.run_schedules, args=(self._stopping, self.settings.schedule_interval),
                         daemon=True, name="backup-scheduler").start()
        threading.Thread(target=self.auto_certs.run, args=(self._stopping, self.settings.schedule_interval),
                         daemon=True, name="certificate-renewals").start()
        self.app_metrics.start(lambda app: self.runtime.status(app, usage=True), self._stopping)
        threads = [threading.Thread(target=self.formations.restore, args=(app,)) if missing[app.name] is None
                   else threading.Thread(target=self.formations.top_up, args=(app,))
                   for app in apps if missing[app.name] != []]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _take_back(self, app: App) -> list[DynoSpec] | None:
        live = self.specs.live(app)
        return self.runtime.take_back(app.name, self.specs.formation(app, *live) if live else [],
                                      live[0].version if live else None)

    def _open_drain(self, name: str, url: str, token: str) -> None:
        try:
            self.drains.open(name, url, token)
        except DrainError as error:  # a drain stored by an older version that this one refuses
            self.logs.append(name, "seaway", f"Error: drain not started: {error}")

    def stop(self) -> None:
        self._stopping.set()
        self.runtime.stop()
        self.app_metrics.stop()  # after the router log's last records
        if self.postgres is not None:
            self.postgres.stop()
        if self.sandbox is not None:
            self.sandbox.stop()
        self.drains.close_all()

    # -- apps ------------------------------------------------------------------
    def create_app(self, name: str) -> dict[str, Any]:
        app = self.store.create_app(check_app_name(name))
        app_user(app.name)  # when root: the app's own system user, for its builds and dynos
        self.git.ensure(app.name)
        self.runtime.route(app.name, self.specs.routing(app))
        self.logs.append(app.name, "seaway", f"App {app.name} created")
        return self.app_info(app.name)

    def check_setup(self, name: str, app_json: str, env: dict[str, str]) -> Manifest:
        """The manifest of an app to set up from `app_json` (apps:create --manifest), once nothing in it or
        in `env` (the user's values) stops the setup: refused before anything is created."""
        check_app_name(name)
        manifest = parse_manifest(app_json)
        if name in {app.name for app in self.store.apps()}:
            raise Conflict(f"Name {name} is already taken. Choose another app name.")
        refuse_unusable(manifest, {}, {}, env, "Give them with --env NAME=VALUE (or give them a value in app.json).")
        return manifest

    def setup_app(self, name: str, manifest: Manifest, env: dict[str, str], emit: Emit,
                  author: str) -> dict[str, Any]:
        """Create the app and set it up from its (checked) manifest: add-ons, config vars, formation."""
        for warning in manifest.warnings:
            emit(f" !     Warning: {warning}")
        self.create_app(name)
        try:
            done = self.setups.apply(self.store.app(name), manifest, env, emit, author)
        except Exception:  # a new app half set up is worth nothing: it goes, and the name is free again
            emit(f" !     Setting {name} up failed: removing it")
            self.destroy_app(name)
            raise
        return self.app_info(name) | {"setup": done}

    def app_info(self, name: str) -> dict[str, Any]:
        app = self.store.app(name)
        release = self.store.current_release(app)
        slug = self.store.slug(release.slug_digest) if release and release.slug_digest else None
        return {
            "name": app.name,
            "created_at": app.created_at.isoformat(),
            "web_url": self.web_url(app.name),
            "https_url": f"https://{app.name}.localhost:{self.settings.router_https_port}/"
            if self.settings.router_https_port else None,
            "release": release.version if release else None,
            "slug": {"digest": slug.digest, "size": slug.size, "python_version": slug.python_version,
                     "process_types": slug.process_types} if slug else None,
            "addons": [addon.name for addon in self.store.addons(app)],
            "pipeline": self._pipeline_of(app),
            "formation": self.store.formation(app),
            "dynos": self.ps(name),
            "database": self._database_health(name) if "DATABASE_URL" in self.store.config(app) else None,
        }

    def pipeline_of(self, name: str) -> dict[str, str] | None:
        """The app's pipeline and stage (None: in none)."""
        return self._pipeline_of(self.store.app(name))

    def _pipeline_of(self, app: App) -> dict[str, str] | None:
        found = self.store.pipelines.coupling(app)
        return {"name": found[0].name, "stage": found[1]} if found else None

    def _database_health(self, name: str) -> dict[str, Any]:
        """For monitors: can the database be reached, and is its schema where the code expects it?"""
        try:
            status = self.migrations.status(name)
        except UserError as error:
            return {"health": "unknown" if isinstance(error, (NotFound, Conflict)) else "error", "detail": str(error)}
        if status["database_error"]:
            return {"health": "error", "detail": status["database_error"]}
        return {"health": "ok", "migrations": {k: status[k] for k in
                                               ("framework", "is_up_to_date", "current_revision", "head_revision")}}

    def web_url(self, name: str) -> str:
        return f"http://{name}.localhost:{self.settings.router_port}/"

    def destroy_app(self, name: str) -> dict[str, Any]:
        """Stop everything, take a final backup of each database (kept), then remove the app."""
        app = self.store.app(name)
        finals = []
        with self.watcher.changing(name):
            self.runtime.retire(name)
            for addon in self.store.addons(app):
                if addon.service == "postgresql":
                    final = self.backups.capture(name, addon.name, "final", lambda _line: None)
                    finals.append(f"{addon.name}: {final['id']} {final['status']}" +
                                  (f" ({final['reason']})" if final["reason"] else ""))
                    drop_database(self.postgres_server().conninfo(), addon.details["role"], addon.details["database"])
            kept = self.backups.storage.archive_app(name, utcnow().strftime("%Y%m%dT%H%M%S"))
            slugs = sorted({self.settings.slugs_dir / r.slug_digest for r in self.store.releases(app) if r.slug_digest})
            self.store.destroy_app(name)
            self.drains.close(name)
            self.logs.remove(name)
            remove_tree(self.settings.cache_dir / "apps" / name)
            self.git.remove(name)
            self.installed_certificates.remove_app(app)
            left = remove_app_user(name, granted=[slug for slug in slugs if slug.exists()])
        if left:
            print(f"seaway: destroying {name}: {left}", file=sys.stderr, flush=True)
        return {"destroyed": name, "final_backups": finals, "backups_kept_in": str(kept) if kept else None,
                "warnings": [left] if left else []}

    def rename_app(self, name: str, new: str) -> dict[str, Any]:
        """Give the app another name: its dynos restart under it, and its router hostname, git repository,
        logs, backups, build cache and system user follow. The old name is free afterwards."""
        check_app_name(new)
        with self.watcher.renaming(name, new):
            app = self.store.app(name)
            if new == name:
                raise Invalid(f"{name} is already called {name}.")
            if new in {other.name for other in self.store.apps()}:
                raise Conflict(f"Name {new} is already taken. Choose another app name.")
            if self._builds[name]:
                raise Conflict(f"A build of {name} is running: rename it when the build has ended.")
            if one_offs := self.runtime.one_offs(name):
                running = ", ".join(f"{spec.name} (`{spec.command}`)" for spec in one_offs)
                raise Conflict(f"One-off dynos of {name} are running: {running}. Rename it when they have ended.")
            self.runtime.retire(name)
            self.drains.close(name)
            refused = rename_app_user(name, new)
            if not refused:
                try:
                    app = self._rename_records(app, new)
                except UserError as error:  # the name was taken meanwhile: nothing but the user moved
                    rename_app_user(new, name)
                    refused = str(error)
            for drain in self.store.drains(app):
                self._open_drain(app.name, drain.url, drain.token)
            self.formations.bring_back(app)
        if refused:
            raise Conflict(refused)
        return self.app_info(new)

    def _rename_records(self, app: App, new: str) -> App:
        old, app = app.name, self.store.rename_app(app, new)
        self.logs.rename(old, new)
        self.backups.rename_app(old, new)
        self.git.rename(old, new)
        cache = self.settings.cache_dir / "apps"
        remove_tree(cache / new)
        if (cache / old).is_dir():
            (cache / old).rename(cache / new)
        self.logs.append(new, "seaway", f"Renamed from {old} to {new}")
        return app

    # -- log drains ----------------------------------------------------------------
    def drain_list(self, name: str) -> list[dict[str, Any]]:
        status = self.drains.status(name)
        return [status.get(d.url, {"url": d.url, "token": d.token}) | {"created_at": d.created_at.isoformat()}
                for d in self.store.drains(self.store.app(name))]

    def add_drain(self, name: str, url: str) -> dict[str, Any]:
        try:
            target = DrainTarget.parse(url)
        except DrainError as error:
            raise Invalid(str(error)) from error
        drain = self.store.add_drain(self.store.app(name), target.url, f"d.{uuid.uuid4()}")
        self.drains.open(name, drain.url, drain.token)
        self.logs.append(name, "seaway", f"Drain {drain.url} added")
        return {"url": drain.url, "token": drain.token}

    def remove_drain(self, name: str, url: str) -> None:
        drain = self.store.remove_drain(self.store.app(name), url.strip())
        self.logs.append(name, "seaway", f"Drain {drain.url} removed")
        self.drains.close(name, drain.url)

    # -- domains -------------------------------------------------------------------
    def domains(self, name: str) -> list[str]:
        return [f"{name}.localhost", *self.store.domains(self.store.app(name))]

    def add_domain(self, name: str, hostname: str) -> list[str]:
        host = hostname.strip().lower().rstrip(".")
        if not HOSTNAME.fullmatch(host) or host.endswith(".localhost") or host == "localhost":
            raise Invalid(f"{hostname!r} is not a hostname Seaway can route (like www.example.com; "
                          "APP.localhost names are the apps' own).")
        with self.watcher.changing(name):
            self.store.add_domain(self.store.app(name), host)
            self.route(name)
        self.logs.append(name, "seaway", f"Domain {host} added")
        return self.domains(name)

    def remove_domain(self, name: str, hostname: str) -> list[str]:
        with self.watcher.changing(name):
            self.store.remove_domain(self.store.app(name), hostname.strip().lower().rstrip("."))
            self.route(name)
        self.logs.append(name, "seaway", f"Domain {hostname} removed")
        return self.domains(name)

    def ps(self, name: str, usage: bool = True) -> list[dict[str, Any]]:
        """The app's dynos; with `usage`, each one's memory now (`memory_mb`; None when not measured)."""
        self.store.app(name)
        return [{"name": dyno.name, "type": dyno.process_type, "release": dyno.release, "command": dyno.command,
                 "state": dyno.state, "since": dyno.since.isoformat(), "restarts": dyno.restarts,
                 "exit_code": dyno.exit_code, "memory_mb": dyno.memory_mb} for dyno in self.runtime.status(name, usage)]

    def metrics(self, name: str, hours: int = 24) -> dict[str, Any]:
        """The app's router and dyno metrics per minute over the last `hours` hours (1 to 24), with its releases."""
        if not 1 <= hours <= 24:
            raise Invalid(f"Metrics cover 1 to 24 hours, not {hours}.")
        return self.app_metrics.read(self.store.app(name), hours)

    def check_scale(self, name: str, quantities: dict[str, int]) -> App:
        """The app, once `quantities` are a formation it may have (a UserError otherwise)."""
        app = self.store.app(name)
        for process_type, quantity in quantities.items():
            if not PROCESS_TYPE.fullmatch(process_type) or not 0 <= quantity <= 100:
                raise Invalid(f"Cannot scale {process_type!r} to {quantity}: use TYPE=N with N from 0 to 100.")
        return app

    def scale(self, name: str, quantities: dict[str, int], emit: Emit) -> dict[str, int]:
        return self.formations.scale(self.check_scale(name, quantities), quantities, emit)

    def process_types(self, name: str) -> list[str]:
        """The process types the current release's Procfile declares (`release` aside), or [] before any code."""
        release = self.store.current_release(self.store.app(name))
        slug = self.store.slug(release.slug_digest) if release and release.slug_digest else None
        return sorted(set(slug.process_types) - {"release"}) if slug else []

    def formation(self, name: str) -> dict[str, int]:
        return self.store.formation(self.store.app(name))

    def restart(self, name: str, target: str | None, emit: Emit) -> int:
        return self.formations.restart(self.store.app(name), target, emit)

    def stop_dyno(self, name: str, dyno: str) -> dict[str, str]:
        """ps:stop: the dyno is stopped now, and started again as part of the formation."""
        self.formations.stop_dyno(self.store.app(name), dyno)
        return {"stopped": dyno}

    def update_settings(self, name: str, values: dict[str, int | None]) -> dict[str, Any]:
        check_changes(values)
        with self.watcher.changing(name):
            app = self.store.update_settings(self.store.app(name), **values)
            if changes_routing(values):
                self.route(name)
        if changes_dynos(values) and self.runtime.status(name):  # a new quota takes new dynos (Heroku's ps:resize)
            self.formations.restart(app, None, lambda _line: None)
        self.logs.append(name, "seaway", "Settings changed: " + ", ".join(f"{k}={v}" for k, v in values.items()))
        return self.app_settings(app.name)

    def app_settings(self, name: str) -> dict[str, Any]:
        return effective(self.store.app(name), self.settings).as_dict()

    # -- releases ------------------------------------------------------------------
    def release_info(self, name: str, version: int | None) -> dict[str, Any]:
        app = self.store.app(name)
        release = self.store.release(app, version) if version else self.store.current_release(app)
        if release is None:
            raise NotFound(f"{name} has no releases yet.")
        data = release_json(release, app.current_release, with_output=True)
        watch = self.watcher.watching(name)
        if watch is not None and watch.release.version == release.version:
            data["watch"] = {"seconds_left": max(0, round(watch.window - watch.after())), "standby": watch.previous}
        return data

    def rollback(self, name: str, version: int | None, author: str, emit: Emit) -> dict[str, Any]:
        app = self.store.app(name)
        release = self.rollbacks.rollback(app, version, emit, author)
        return {"release": release.version, "rollback_of": release.rollback_of}

    # -- config and add-ons ------------------------------------------------------
    def check_config(self, name: str, changes: dict[str, str | None]) -> App:
        """The app, once `changes` are known to be storable (a UserError otherwise)."""
        app = self.store.app(name)
        owned = {addon.config_var: addon.name for addon in self.store.addons(app)}
        check_config_changes(self.store.config(app), changes, owned)
        return app

    def set_config(self, name: str, changes: dict[str, str | None], emit: Emit, author: str = "admin") -> dict[str, Any]:
        app = self.check_config(name, changes)
        set_keys = sorted(k for k, v in changes.items() if v is not None)
        unset_keys = sorted(k for k, v in changes.items() if v is None)
        description = "; ".join(filter(None, [
            f"Set {', '.join(set_keys)} config vars" if set_keys else "",
            f"Unset {', '.join(unset_keys)} config vars" if unset_keys else "",
        ]))
        release = self.releaser.create(app, None, description, emit, author, changes=changes)
        return {"release": release.version}

    # -- deploy and run ------------------------------------------------------------
    def deploy(self, name: str, source: BinaryIO, emit: Emit, author: str = "admin",
               commit: Commit | None = None) -> dict[str, Any]:
        """Build `source` (a tarball) and release it; `commit` says which git commit it is."""
        app = self.store.app(name)
        build = self.store.create_build(app)
        with self.live.recording(name, build.id, emit) as tee:
            return self._deploy(app, build, source, tee, author, commit)

    def _deploy(self, app: App, build: Build, source: BinaryIO, emit: Emit, author: str,
                commit: Commit | None) -> dict[str, Any]:
        name = app.name
        output: list[str] = []

        def record(line: str) -> None:
            output.append(line)
            emit(line)

        self.logs.append(name, "seaway", f"Build {build.id} started")
        run_as = app_user(name)
        cache = self.settings.cache_dir / "apps" / name if run_as else None  # builds share no cache across users
        previous = self.store.last_slug(app)
        request = BuildRequest(name, run_as, cache, self.store.config(app), previous.python_version if previous else None,
                               check_manifest=lambda manifest: self._check_first_manifest(app, manifest))
        try:
            with self._building(name):
                built = self.builder.build(source, record, request)
        except BuildError as error:
            record(f" !     Build failed: {error}")
            self.store.finish_build(build.id, "failed", "\n".join(output), None)
            self.logs.append(name, "seaway", f"Build {build.id} failed")
            raise
        slug = self.store.save_slug(Slug(digest=built.digest, size=built.size, python_version=built.python_version,
                                         process_types=built.process_types, deps_key=built.deps_key,
                                         app_json=built.app_json))
        self.store.finish_build(build.id, "succeeded", "\n".join(output), slug.digest)
        self.logs.append(name, "seaway", f"Build {build.id} succeeded: slug {slug.digest[:12]}")
        manifest = Manifest.from_json(built.app_json)
        if manifest.sets_up and self.setups.first_deploy(app):
            self.setups.apply(app, manifest, {}, emit, author)
        description = f"Deploy {commit.label}" if commit else f"Deploy {slug.digest[:7]}"
        release = self.releaser.create(app, slug, description, emit, author, commit=commit)
        return {"build": build.id, "release": release.version, "slug": slug.digest,
                "web_url": self.web_url(name)}

    def _check_first_manifest(self, app: App, manifest: Manifest) -> None:
        """At the app's first deploy, its app.json sets it up: refuse it before the build installs anything
        if it cannot (a required config var without a value)."""
        if manifest.sets_up and self.setups.first_deploy(app):
            try:
                self.setups.check(app, manifest)
            except UserError as error:
                raise BuildError(str(error)) from error

    @contextmanager
    def _building(self, name: str) -> Iterator[None]:
        """Count the app's running builds (a rename waits for none)."""
        with self._builds_lock:
            self._builds[name] += 1
        try:
            yield
        finally:
            with self._builds_lock:
                self._builds[name] -= 1

    def deploy_commit(self, name: str, sha: str, emit: Emit, author: str = "admin") -> dict[str, Any]:
        """Build and release commit `sha` of the app's git repository (what `git push` sent)."""
        self.store.app(name)
        commit = self.git.commit(name, sha)
        emit(f"-----> Building {commit.sha[:7]} ({commit.subject[:60]}) of {name}")
        with pack_commit(self.git.path(name), commit.sha) as source:
            return self.deploy(name, source, emit, author, commit)

    def run(self, name: str, command: str, emit: Emit) -> int | None:
        app = self.store.app(name)
        spec = self.specs.one_off(app, command)
        emit(f"Running `{command}` on {name}... up, {spec.name}")
        return self.runtime.run(spec, emit)

    def run_attached(self, name: str, command: str, size: tuple[int, int], on_output: Emit) -> Dyno:
        """A one-off dyno on a terminal of `size` (columns, rows); output comes as terminal chunks."""
        spec = self.specs.one_off(self.store.app(name), command, tty=size)
        return self.runtime.run_attached(spec, on_output)

    def run_detached(self, name: str, command: str) -> dict[str, Any]:
        spec = self.specs.one_off(self.store.app(name), command)
        self.runtime.run_detached(spec)
        return {"name": spec.name, "command": command}

    # -- for the API: reading ---------------------------------------------------------
    def require_app(self, name: str) -> None:
        """Nothing, if the app exists (NotFound otherwise): for checks before a stream starts."""
        self.store.app(name)

    def apps(self) -> list[dict[str, Any]]:
        return [{"name": app.name, "created_at": app.created_at.isoformat(), "release": app.current_release}
                for app in self.store.apps()]

    def config(self, name: str) -> dict[str, str]:
        return self.store.config(self.store.app(name))

    def releases(self, name: str) -> list[dict[str, Any]]:
        app = self.store.app(name)
        return [release_json(release, app.current_release) for release in self.store.releases(app)]

    def builds(self, name: str) -> list[dict[str, Any]]:
        """The app's newest builds, newest first; `live` while their deploy runs."""
        app = self.store.app(name)
        running = set(self.live.running(name))
        return [build_json(build, build.id in running) for build in self.store.builds(app)]

    def build_info(self, name: str, build_id: int) -> dict[str, Any]:
        build = self.store.build(self.store.app(name), build_id)
        return build_json(build, build_id in self.live.running(name)) | {"output": build.output}

    def build_output(self, name: str, build_id: int) -> Iterator[str | None]:
        """The build's output: while its deploy runs, every line so far and then each new one (None while
        it waits) until the deploy ends, release phase included; after that, the build's stored output."""
        build = self.store.build(self.store.app(name), build_id)
        live = self.live.follow(build_id)
        return live if live is not None else iter(build.output.splitlines())

    def valid_token(self, token: str) -> bool:
        return valid_token(self.store, token)

    def token_description(self, token: str) -> str:
        """What the token was made for ("" if it has no description)."""
        return self.store.token_description(token_hash(token)) or ""

    def log_lines(self, name: str, num: int, query: LogQuery, follow: bool = False) -> Iterator[str | None]:
        """The app's last `num` matching log lines; with `follow`, then each new one (None while it waits)."""
        self.store.app(name)
        return self.logs.follow(name, num, query) if follow else iter(self.logs.tail(name, num, query))

    def api_url(self) -> str:
        return self.settings.api_url

    def git_repositories(self, name: str) -> AppRepos:
        """The app repositories, once the app exists and has its own (for git's smart HTTP)."""
        self.store.app(name)
        self.git.ensure(name)
        return self.git

    def check_commit(self, name: str, sha: str) -> None:
        """Nothing, if the app's repository holds commit `sha` (NotFound otherwise)."""
        self.store.app(name)
        self.git.commit(name, sha)

    def ca_certificate_pem(self) -> str:
        return self.certificates.ca.certificate_pem()

    def addons(self, name: str) -> list[dict[str, Any]]:
        return [self.pg.info(name, addon.name) for addon in self.store.addons(self.store.app(name))]

    def database_credentials(self, name: str, addon: str | None) -> dict[str, str]:
        app = self.store.app(name)
        chosen = self.pg.pg_info(name, addon)["config_var"]
        return {"config_var": chosen, "url": self.store.config(app)[chosen]}

    def reset_database(self, name: str, addon: str | None, emit: Emit, author: str) -> dict[str, Any]:
        """pg:reset, under the app's lock."""
        with self.watcher.changing(name):
            return self.pg.reset(name, addon, emit, author)

    def restore_backup(self, name: str, backup: str | None, emit: Emit) -> dict[str, Any]:
        """pg:backups:restore, under the app's lock."""
        with self.watcher.changing(name):
            return self.backups.restore(name, backup, emit)

    def migration_status(self, name: str) -> dict[str, Any]:
        return self.migrations.status(name)

    def migration_history(self, name: str) -> list[dict[str, Any]]:
        return self.migrations.history(name)

    def migration_validate(self, name: str) -> dict[str, Any]:
        return self.migrations.validate(name)

    def migrations_upgrade(self, name: str, emit: Emit) -> dict[str, object]:
        return self.migration_commands.upgrade(name, emit)

    def migrations_downgrade(self, name: str, revision: str, emit: Emit) -> dict[str, object]:
        return self.migration_commands.downgrade(name, revision, emit)


__all__ = ["BuildError", "Platform", "ReleaseFailed", "UserError"]
