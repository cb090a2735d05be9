"""Making releases and putting them live: release phase first, then new dynos, then the switch.

Every change of what runs (deploy, config change, add-on, rollback, scale, restart) goes through
here, one at a time per app: all or nothing, and the release that serves keeps serving on failure.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace

from seaway.dynos import DynoBootError, DynoManager, DynoSpec
from seaway.dynos.manager import Slot
from seaway.errors import Invalid, NotFound, UserError
from seaway.faults import report_fault
from seaway.host import app_user_name, is_root
from seaway.logs import LogStore
from seaway.logs.ingest import RECENT_LINES
from seaway.release.environment import dyno_environment
from seaway.release.watch import ReleaseWatcher, Watch
from seaway.router import AppRoute, NginxRouter
from seaway.settings import Settings
from seaway.slugs.deps import failure_hints
from seaway.slugs.slug import SLUG_APP
from seaway.store import Store
from seaway.store.models import App, Commit, Release, Slug

Emit = Callable[[str], None]
ONE_OFF_TYPES = ("release", "run")
RELEASE_TIMEOUT = 3600  # seconds a release command may run, unless the app says otherwise
DEFAULT_MAX_BODY_MB = 100  # the largest request body the router takes, unless the app says otherwise

# Checks before a release command runs (migration safety): may raise ReleaseFailed; returns what a
# failure message should add (e.g. which backup to restore), or None.
BeforeRelease = Callable[[App, Release, Slug, Emit], str | None]


def commit_of(release: Release) -> Commit | None:
    return Commit(release.commit, release.commit_subject) if release.commit else None


def max_body_mb(app: App) -> int:
    """The app's request body limit in MB (0: none)."""
    return DEFAULT_MAX_BODY_MB if app.max_body_size is None else app.max_body_size


class ReleaseFailed(Exception):
    """The release was recorded as failed; the message says why and what still serves."""


class SkipReleaseCommand(Exception):  # noqa: N818 - a decision, not an error
    """Raised by a before-release check: the release command cannot help (e.g. the schema is ahead of the
    code after a rollback); go live without it. The message says why."""


class Releaser:
    def __init__(self, store: Store, dynos: DynoManager, router: NginxRouter, logs: LogStore, settings: Settings) -> None:
        self.store, self.dynos, self.router, self.logs, self.settings = store, dynos, router, logs, settings
        self._app_locks: dict[str, threading.Lock] = {}
        self.before_release: BeforeRelease | None = None
        self._one_off_counter: defaultdict[str, int] = defaultdict(int)
        self.watcher = ReleaseWatcher(dynos, store, logs, self.app_lock, self.route)

    @contextmanager
    def app_lock(self, app: str) -> Iterator[None]:
        """One deploy, rollback, config change, scale or restart per app at a time; others wait their turn."""
        with self._app_locks.setdefault(app, threading.Lock()):  # setdefault: one lock even if two threads ask first
            yield

    @contextmanager
    def changing(self, app: str) -> Iterator[None]:
        """The app's lock, for a change: a release still under watch is kept first (its old dynos retired)."""
        with self.app_lock(app):
            self.watcher.end(app)
            yield

    @contextmanager
    def renaming(self, old: str, new: str) -> Iterator[None]:
        """Both names' locks (taken in one order, so two renames cannot wait on each other), for a change."""
        with ExitStack() as stack:
            for name in sorted({old, new}):
                stack.enter_context(self.app_lock(name))
            self.watcher.end(old)
            yield

    # -- what a release runs ------------------------------------------------------
    def live(self, app: App) -> tuple[Release, Slug] | None:
        release = self.store.current_release(app)
        slug = self.store.slug(release.slug_digest) if release and release.slug_digest else None
        return (release, slug) if release and slug else None

    def spec(self, app: App, release: Release, slug: Slug, process_type: str, index: int, command: str) -> DynoSpec:
        web = process_type == "web"
        return DynoSpec(
            app.name, release.version, process_type, index, command, slug.digest,
            dyno_environment(release.config, self.settings.web_concurrency), web=web,
            boot_timeout=app.boot_timeout or self.settings.boot_timeout,
            stop_timeout=app.stop_timeout or self.settings.stop_timeout,
            healthchecks=tuple(slug.app_json.get("healthchecks", {}).get("web", [])) if web else (),
            user=app_user_name(app.name) if is_root() else None,
            memory_mb=app.memory or self.settings.dyno_memory,
        )

    def formation_specs(self, app: App, release: Release, slug: Slug) -> list[DynoSpec]:
        specs = []
        for process_type, quantity in sorted(self.store.formation(app).items()):
            command = slug.process_types.get(process_type)
            if command is None or process_type in ONE_OFF_TYPES:
                continue
            specs += [self.spec(app, release, slug, process_type, i, command) for i in range(1, quantity + 1)]
        return specs

    def one_off_spec(self, app: App, command: str, tty: tuple[int, int] | None = None) -> DynoSpec:
        live = self.live(app)
        if live is None:
            raise ReleaseFailed(f"{app.name} has no deployed code yet. Deploy it first with `seaway deploy -a {app.name}`.")
        self._one_off_counter[app.name] += 1
        return replace(self.spec(app, *live, "run", self._one_off_counter[app.name], command), tty=tty)

    # -- releasing -------------------------------------------------------------
    def create(self, app: App, slug: Slug | None, description: str, emit: Emit, author: str = "admin",
               changes: dict[str, str | None] | None = None, commit: Commit | None = None) -> Release:
        """Apply config var `changes` (None unsets), then record Release vN for `slug` (default: the live one)
        with the app's config vars, and put it live. Under the app's lock, so a release records exactly
        the vars its own change produced. `commit`: where the slug's code came from (a release that keeps
        the live slug keeps its commit)."""
        with self.changing(app.name):
            if changes:
                self.store.change_config(app, changes)
            return self._create(app, slug, description, emit, author, None, commit)

    def _create(self, app: App, slug: Slug | None, description: str, emit: Emit, author: str,
                rollback_of: int | None, commit: Commit | None = None) -> Release:
        app = self.store.app(app.name)
        live = self.live(app)
        if slug is None and live is not None:
            slug, commit = live[1], commit or commit_of(live[0])
        release = self.store.create_release(app, slug.digest if slug else None, self.store.config(app), description,
                                            author, rollback_of, commit)
        self.logs.append(app.name, "seaway", f"Release v{release.version} created by {author}: {description}")
        output: list[str] = []

        def record(line: str) -> None:
            output.append(line)
            emit(line)

        try:
            if slug is not None:
                still = f"v{live[0].version} is still serving." if live else "Nothing was switched."
                self._go_live(app, release, slug, record, still)
        except Exception as failure:  # never leave a release pending: say why it failed, then pass it on
            reason = (str(failure) if isinstance(failure, ReleaseFailed)
                      else report_fault(failure, f"release v{release.version}"))
            hints = self._failure_hints(slug, "\n".join(output) + reason) if slug is not None else []
            reason = " ".join([reason, *hints])
            record(f" !     Release v{release.version} failed: {reason}")
            self.store.finish_release(release, "failed", "\n".join(output))
            self.logs.append(app.name, "seaway", f"Release v{release.version} failed: {reason}")
            if hints:
                raise ReleaseFailed(reason) from failure
            raise
        self.store.finish_release(release, "succeeded", "\n".join(output))
        self.logs.append(app.name, "seaway", f"Release v{release.version} is live")
        return self.store.release(app, release.version)

    def _failure_hints(self, slug: Slug, output: str) -> list[str]:
        """What the build warned of that explains this failure (the psycopg trap, say)."""
        return [f"This is likely why: {hint}" for hint in
                failure_hints(self.settings.slugs_dir / slug.digest / SLUG_APP / ".venv", output)]

    def _go_live(self, app: App, release: Release, slug: Slug, emit: Emit, still: str) -> None:
        release_command = slug.process_types.get("release")
        if release_command:
            try:
                note = self.before_release(app, release, slug, emit) if self.before_release else None
                self._release_phase(app, release, slug, release_command, emit, f"{still} {note}" if note else still)
            except SkipReleaseCommand as reason:
                emit(f" !     Not running the release command: {reason}")
                self.logs.append(app.name, "seaway", f"Release v{release.version}: release command skipped: {reason}")
        specs = self.formation_specs(app, release, slug)
        emit(f"-----> Starting {len(specs)} dyno(s) for v{release.version}")
        try:
            new = self.dynos.start_formation(specs)
        except DynoBootError as error:
            raise ReleaseFailed(_with_output(f"{error}. {still}", error)) from error
        window = self.settings.release_watch if app.release_watch is None else app.release_watch
        self._switch(app.name, new, emit, watch=(release, window) if window > 0 else None)

    def _switch(self, app: str, new: list[Slot], emit: Emit | None = None,
                watch: tuple[Release, float] | None = None) -> list[Slot]:
        """The new set serves: route to it, then stop the old set (nginx finishes the requests in flight).
        With `watch` (the release and its window), the old web set stands by instead (see _hold)."""
        old = self.dynos.switch(app, new)
        held = self._hold(app, old, new, *watch) if watch else None
        self.route(app)
        if emit:
            emit(f"-----> Switched to v{new[0].spec.release}" if new else "-----> No dynos in the formation")
        standing_by = {id(slot) for slot in held or []}
        self.dynos.retire([slot for slot in old if id(slot) not in standing_by])
        if held and emit and watch:
            release, window = watch
            emit(f"-----> Watching v{release.version}'s web dynos for {window} s: v{held[0].spec.release}'s stay "
                 "up out of rotation and serve again at once if one crashes or fails its health checks "
                 "(apps:settings release_watch=SECONDS)")
        return old

    def _hold(self, app: str, old: list[Slot], new: list[Slot], release: Release, window: float) -> list[Slot] | None:
        """Keep the old web set running as nginx's backup servers while the new web dynos are watched
        (None when there is nothing to watch or to fall back on)."""
        old_web, new_web = [s for s in old if s.spec.web], [s for s in new if s.spec.web]
        if not (old_web and new_web):
            return None
        self.dynos.hold(app, old_web)
        self.watcher.start(Watch(app, release, old_web[0].spec.release, new_web, window))
        return old_web

    def route(self, app: str) -> None:
        """Point the app's hostnames at its web dynos that are up, with its router settings."""
        try:
            found = self.store.app(app)
        except UserError:  # destroyed meanwhile
            return
        backends, standby = self.dynos.web_backends(app), self.dynos.standby_backends(app)
        web = [slot for slot in self.dynos.slots(app) if slot.spec.web]
        crashed = not backends and bool(web) and all(  # crashed, or starting again after a crash
            slot.state == "crashed" or (slot.state == "starting" and slot.restarts > 0) for slot in web)
        self.router.update(AppRoute(app, [address for address, _ in backends], read_timeout=found.router_timeout or 30,
                                    crashed=crashed, standby=[address for address, _ in standby],
                                    domains=tuple(self.store.domains(found)),
                                    max_body_mb=max_body_mb(found), force_https=bool(found.force_https),
                                    hsts=found.hsts or 0, acme=bool(found.acm),
                                    dynos={f"{host}:{port}": name for (host, port), name in standby + backends}))

    def _release_phase(self, app: App, release: Release, slug: Slug, command: str, emit: Emit, still: str) -> None:
        emit(f"-----> Running release command: {command}")
        spec = self.spec(app, release, slug, "release", 1, command)

        last: deque[str] = deque(maxlen=RECENT_LINES)

        def log_and_emit(line: str) -> None:
            self.logs.append(app.name, "app[release.1]", line)  # as Heroku labels the release phase
            last.append(line)
            emit("       " + line)

        timeout = app.release_timeout or RELEASE_TIMEOUT
        code = self.dynos.run_one_off(spec, log_and_emit, timeout=timeout)
        tail = (f"\nIts last {len(last)} lines of output:\n" + "\n".join(f"  {line}" for line in last)) if last else ""
        if code is None:
            raise ReleaseFailed(f"the release command `{command}` was still running after {timeout} seconds and was "
                                f"stopped (apps:settings release_timeout=SECONDS). {still}{tail}")
        if code != 0:
            raise ReleaseFailed(f"the release command `{command}` exited with status {code}. {still}{tail}")

    # -- rollback ----------------------------------------------------------------
    def rollback(self, app: App, version: int | None, emit: Emit, author: str, addon_vars: set[str]) -> Release:
        """A new release with an earlier release's slug and config vars (add-on vars stay as they are)."""
        with self.changing(app.name):
            current = self.store.current_release(self.store.app(app.name))
            target = self._rollback_target(app, current, version)
            slug = self.store.slug(target.slug_digest) if target.slug_digest else None
            if slug is None:
                raise UserError(f"v{target.version} has no code to roll back to (it was made before the first deploy).")
            config = {k: v for k, v in target.config.items() if k not in addon_vars}
            config.update({k: v for k, v in self.store.config(app).items() if k in addon_vars})
            emit(f"-----> Rolling back {app.name} to v{target.version}")
            self.store.replace_config(app, config)
            return self._create(app, slug, f"Rollback to v{target.version}", emit, author, target.version,
                                commit_of(target))

    def _rollback_target(self, app: App, current: Release | None, version: int | None) -> Release:
        if version is not None:
            target = self.store.release(app, version)
            if target.status != "succeeded":
                raise Invalid(f"v{version} {target.status}; roll back to a release that succeeded "
                              "(see `seaway releases`).")
            return target
        earlier = [r for r in self.store.releases(app)  # newest first
                   if current and r.version < current.version and r.status == "succeeded" and r.slug_digest]
        if not earlier:
            raise Invalid(f"{app.name} has no earlier release to roll back to.")
        return earlier[0]

    # -- formation ---------------------------------------------------------------
    def restore(self, app: App) -> None:
        """Bring back the app's current release after a daemon start (no release phase: it already ran)."""
        with self.changing(app.name):
            self.bring_back(self.store.app(app.name))

    def bring_back(self, app: App) -> None:
        """Start the current release's formation and route to it (the caller holds the app's lock)."""
        live = self.live(app)
        new: list[Slot] = []
        if live:
            try:
                new = self.dynos.start_formation(self.formation_specs(app, *live))
            except DynoBootError as error:
                self.logs.append(app.name, "seaway",
                                 _with_output(f"Could not bring back v{live[0].version}: {error}", error))
        self._switch(app.name, new)

    def restart(self, app: App, target: str | None, emit: Emit) -> int:
        """Replace dynos (all, one process type, or one dyno) with fresh ones, without downtime."""
        with self.changing(app.name):
            app = self.store.app(app.name)
            live = self.live(app)
            slots = self.dynos.slots(app.name)
            chosen = [s for s in slots if target in (None, s.spec.process_type, s.spec.name)]
            if live is None or not chosen:
                raise NotFound(f"No dynos matching {target!r} on {app.name}; see `seaway ps`." if target
                               else f"{app.name} has no dynos running.")
            fresh = [self.spec(app, *live, s.spec.process_type, s.spec.index, s.spec.command) for s in chosen]
            try:
                replacements = self.dynos.start_formation(fresh)
            except DynoBootError as error:
                raise ReleaseFailed(_with_output(f"Restart failed: {error}. The running dynos were left as they were.",
                                                 error)) from error
            by_name = {slot.spec.name: slot for slot in replacements}
            self._switch(app.name, [by_name.get(s.spec.name, s) for s in slots])
            emit(f"Restarted {', '.join(sorted(by_name))}")
            self.logs.append(app.name, "seaway", f"Restarted {', '.join(sorted(by_name))}")
            return len(replacements)

    def scale(self, app: App, quantities: dict[str, int], emit: Emit) -> dict[str, int]:
        with self.changing(app.name):
            app = self.store.app(app.name)
            live = self.live(app)
            if live is not None:
                unknown = sorted(set(quantities) - set(live[1].process_types) - set(self.store.formation(app)))
                if unknown:
                    raise Invalid(f"No such process type {', '.join(unknown)} in the Procfile of v{live[0].version}. "
                                  f"Types: {', '.join(sorted(t for t in live[1].process_types if t != 'release'))}.")
            before = self.store.formation(app)
            formation = self.store.scale(app, quantities)
            if live is not None:
                try:
                    self._reconcile(app, live, formation)
                except ReleaseFailed:
                    self.store.scale(app, {**{t: 0 for t in quantities if t not in before}, **before})
                    raise
            self.logs.append(app.name, "seaway", "Scaled to " + ", ".join(f"{t}={n}" for t, n in sorted(formation.items())))
            emit("Scaled to " + ", ".join(f"{t}={n}" for t, n in sorted(formation.items())))
            return formation

    def _reconcile(self, app: App, live: tuple[Release, Slug], formation: dict[str, int]) -> None:
        """Start missing dynos (all must come up) and stop extra ones, leaving the rest untouched."""
        slots = self.dynos.slots(app.name)
        have = {s.spec.name for s in slots}
        wanted = {spec.name: spec for spec in self.formation_specs(app, *live)}
        try:
            added = self.dynos.start_formation([spec for name, spec in wanted.items() if name not in have])
        except DynoBootError as error:
            raise ReleaseFailed(_with_output(f"Scaling failed: {error}. The running dynos were left as they were.",
                                             error)) from error
        keep = [s for s in slots if s.spec.name in wanted]
        gone = self.dynos.switch(app.name, keep + added)
        self.route(app.name)
        self.dynos.retire(gone)


def _with_output(message: str, error: DynoBootError) -> str:
    """A boot failure's message followed by what the failed dynos printed last."""
    output = error.output()
    return f"{message}\n{output}" if output else message
