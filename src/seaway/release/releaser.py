"""Making releases and putting them live: release phase first, then new dynos, then the switch."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable

from seaway.dynos import DynoBootError, DynoManager, DynoSpec
from seaway.logs import LogStore
from seaway.release.environment import dyno_environment
from seaway.router import AppRoute, NginxRouter
from seaway.store import Store
from seaway.store.models import App, Release, Slug

Emit = Callable[[str], None]


class ReleaseFailed(Exception):
    """The release was recorded as failed; the message says why and what still serves."""


class Releaser:
    def __init__(self, store: Store, dynos: DynoManager, router: NginxRouter, logs: LogStore, web_concurrency: int) -> None:
        self.store, self.dynos, self.router, self.logs = store, dynos, router, logs
        self.web_concurrency = web_concurrency
        self._app_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._one_off_counter: defaultdict[str, int] = defaultdict(int)

    def app_lock(self, app: str) -> threading.Lock:
        """One deploy, config change or restart per app at a time; different apps in parallel."""
        return self._app_locks[app]

    # -- specs ---------------------------------------------------------------
    def _specs(self, app: App, release: Release, slug: Slug) -> list[DynoSpec]:
        env = dyno_environment(release.config, self.web_concurrency)
        specs = []
        for process_type, quantity in sorted(self.store.formation(app).items()):
            command = slug.process_types.get(process_type)
            if command is None or process_type == "release":
                continue
            for index in range(1, quantity + 1):
                specs.append(DynoSpec(app.name, release.version, process_type, index, command, slug.digest,
                                      env, web=process_type == "web"))
        return specs

    def one_off_spec(self, app: App, command: str, kind: str = "run") -> DynoSpec:
        release = self.store.current_release(app)
        slug = self.store.slug(release.slug_digest) if release and release.slug_digest else None
        if release is None or slug is None:
            raise ReleaseFailed(f"{app.name} has no deployed code yet. Deploy it first with `seaway deploy -a {app.name}`.")
        self._one_off_counter[app.name] += 1
        index = 1 if kind == "release" else self._one_off_counter[app.name]
        env = dyno_environment(release.config, self.web_concurrency)
        return DynoSpec(app.name, release.version, kind, index, command, slug.digest, env)

    # -- releasing -------------------------------------------------------------
    def create(self, app: App, slug: Slug | None, description: str, emit: Emit) -> Release:
        """Record Release vN for `slug` (or the current release's slug) with today's config, and put it live."""
        with self.app_lock(app.name):
            if slug is None:
                current = self.store.current_release(app)
                slug = self.store.slug(current.slug_digest) if current and current.slug_digest else None
            release = self.store.create_release(app, slug.digest if slug else None, self.store.config(app), description)
            self.logs.append(app.name, "seaway", f"Release v{release.version} created: {description}")
            output: list[str] = []

            def record(line: str) -> None:
                output.append(line)
                emit(line)

            try:
                if slug is not None:
                    self._go_live(app, release, slug, record)
            except ReleaseFailed as failure:
                record(f" !     Release v{release.version} failed: {failure}")
                self.store.finish_release(release, "failed", "\n".join(output))
                self.logs.append(app.name, "seaway", f"Release v{release.version} failed: {failure}")
                raise
            self.store.finish_release(release, "succeeded", "\n".join(output))
            self.logs.append(app.name, "seaway", f"Release v{release.version} is live")
            return release

    def _go_live(self, app: App, release: Release, slug: Slug, emit: Emit) -> None:
        serving = self.store.current_release(app)
        still = f"v{serving.version} is still serving." if serving and serving.slug_digest else "Nothing was switched."
        release_command = slug.process_types.get("release")
        if release_command:
            self._release_phase(app, release, slug, release_command, emit, still)
        emit(f"-----> Starting dynos for v{release.version}")
        try:
            new = self.dynos.start_formation(self._specs(app, release, slug))
        except DynoBootError as error:
            raise ReleaseFailed(f"{error}. {still}") from error
        old = self.dynos.switch(app.name, new)
        self.router.update(AppRoute(app.name, self.dynos.web_addresses(app.name)))
        emit(f"-----> v{release.version} is serving" + (f"; stopping {len(old)} old dyno(s)" if old else ""))
        self.dynos.retire(old)

    def _release_phase(self, app: App, release: Release, slug: Slug, command: str, emit: Emit, still: str) -> None:
        emit(f"-----> Running release command: {command}")
        env = dyno_environment(release.config, self.web_concurrency)
        spec = DynoSpec(app.name, release.version, "release", 1, command, slug.digest, env)

        def log_and_emit(line: str) -> None:
            self.logs.append(app.name, "release[release.1]", line)
            emit("       " + line)

        code = self.dynos.run_one_off(spec, log_and_emit)
        if code != 0:
            raise ReleaseFailed(f"the release command `{command}` exited with status {code}. {still}")

    def restore(self, app: App) -> None:
        """Bring back the app's current release after a daemon start (no release phase: it already ran)."""
        with self.app_lock(app.name):
            release = self.store.current_release(app)
            slug = self.store.slug(release.slug_digest) if release and release.slug_digest else None
            if release is None or slug is None:
                self.router.update(AppRoute(app.name))
                return
            try:
                new = self.dynos.start_formation(self._specs(app, release, slug))
            except DynoBootError as error:
                self.logs.append(app.name, "seaway", f"Could not bring back v{release.version}: {error}")
                new = []
            self.dynos.switch(app.name, new)
            self.router.update(AppRoute(app.name, self.dynos.web_addresses(app.name)))
