"""Making releases and putting them live: the release phase first, then the new formation, then the switch.

A release is recorded (vN: a slug and the config vars), its release phase runs (the steps the Releaser
is given, in order), then the runtime brings its formation up and switches to it; under the app's lock,
one change per app at a time, all or nothing: on failure the release that serves keeps serving.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from seaway.app_settings import effective
from seaway.dynos.runtime import DynoBootError, Runtime
from seaway.faults import report_fault
from seaway.logs import LogStore
from seaway.release.phase import PhaseContext, PhaseStep, ReleaseFailed
from seaway.release.specs import Specs
from seaway.release.watch import ReleaseWatcher, Watch
from seaway.settings import Settings
from seaway.slugs.deps import failure_hints
from seaway.slugs.slug import SLUG_APP
from seaway.store import Store
from seaway.store.models import App, Commit, Release, Slug

Emit = Callable[[str], None]
AfterLive = Callable[[App, Release, Emit], None]  # runs once a release with code is live (a postdeploy script)


def commit_of(release: Release) -> Commit | None:
    return Commit(release.commit, release.commit_subject) if release.commit else None


def with_output(message: str, error: DynoBootError) -> str:
    """A boot failure's message followed by what the failed dynos printed last."""
    output = error.output()
    return f"{message}\n{output}" if output else message


class Releaser:
    def __init__(self, store: Store, specs: Specs, runtime: Runtime, watcher: ReleaseWatcher, logs: LogStore,
                 settings: Settings, phase: Sequence[PhaseStep], after_live: Sequence[AfterLive] = ()) -> None:
        self.store, self.specs, self.runtime, self.watcher = store, specs, runtime, watcher
        self.logs, self.settings = logs, settings
        self.phase = tuple(phase)  # the release phase, in order; the last step runs the `release:` command
        self.after_live = tuple(after_live)  # what runs once a release with code is live; its failures undo nothing

    def create(self, app: App, slug: Slug | None, description: str, emit: Emit, author: str = "admin",
               changes: dict[str, str | None] | None = None, commit: Commit | None = None,
               promoted_from: tuple[str, int] | None = None) -> Release:
        """Apply config var `changes` (None unsets), then record Release vN for `slug` (default: the live one)
        with the app's config vars, and put it live. Under the app's lock, so a release records exactly
        the vars its own change produced. `commit`: where the slug's code came from (a release that keeps
        the live slug keeps its commit); `promoted_from`: the (app, version) a promotion took the slug from."""
        with self.watcher.changing(app.name):
            if changes:
                self.store.change_config(app, changes)
            return self.make(app, slug, description, emit, author, None, commit, promoted_from)

    def make(self, app: App, slug: Slug | None, description: str, emit: Emit, author: str,
             rollback_of: int | None, commit: Commit | None = None,
             promoted_from: tuple[str, int] | None = None) -> Release:
        """Record the release and put it live; the caller holds the app's lock (watcher.changing)."""
        app = self.store.app(app.name)
        live = self.specs.live(app)
        if slug is None and live is not None:
            slug, commit = live[1], commit or commit_of(live[0])
        release = self.store.create_release(app, slug.digest if slug else None, self.store.config(app), description,
                                            author, rollback_of, commit, promoted_from)
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
        if slug is not None:
            self._after_live(app, release, emit)
        return self.store.release(app, release.version)

    def _after_live(self, app: App, release: Release, emit: Emit) -> None:
        for step in self.after_live:
            try:
                step(app, release, emit)
            except Exception as failure:  # the release is live and stays live
                emit(f" !     {report_fault(failure, f'after v{release.version} went live')}")

    def _failure_hints(self, slug: Slug, output: str) -> list[str]:
        """What the build warned of that explains this failure (the psycopg trap, say)."""
        return [f"This is likely why: {hint}" for hint in
                failure_hints(Path(self.settings.slugs_dir) / slug.digest / SLUG_APP / ".venv", output)]

    def _go_live(self, app: App, release: Release, slug: Slug, emit: Emit, still: str) -> None:
        command = slug.process_types.get("release")
        if command:
            context = PhaseContext(app, release, slug, command, emit, still)
            for step in self.phase:
                step(context)
        specs = self.specs.formation(app, release, slug)
        emit(f"-----> Starting {len(specs)} dyno(s) for v{release.version}")
        window = effective(app, self.settings).release_watch
        try:
            held = self.runtime.deploy(app.name, specs, self.specs.routing(app), hold_previous=window > 0)
        except DynoBootError as error:
            raise ReleaseFailed(with_output(f"{error}. {still}", error)) from error
        emit(f"-----> Switched to v{release.version}" if specs else "-----> No dynos in the formation")
        if held is not None:
            self.watcher.start(Watch(app.name, release, held, window))
            emit(f"-----> Watching v{release.version}'s web dynos for {window} s: v{held}'s stay "
                 "up out of rotation and serve again at once if one crashes or fails its health checks "
                 "(apps:settings release_watch=SECONDS)")
