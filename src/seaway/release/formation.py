"""ps:scale, ps:restart, ps:stop and bringing an app's current release back (after a daemon start or
a rename): changes of what runs that make no new release. Each under the app's lock."""

from __future__ import annotations

from collections.abc import Callable

from seaway.dynos.runtime import DynoBootError, Runtime
from seaway.errors import Invalid, NotFound
from seaway.logs import LogStore
from seaway.release.phase import ReleaseFailed
from seaway.release.releaser import with_output
from seaway.release.specs import Specs
from seaway.release.watch import ReleaseWatcher
from seaway.store import Store
from seaway.store.models import App, Release, Slug

Emit = Callable[[str], None]


class Formations:
    def __init__(self, store: Store, specs: Specs, runtime: Runtime, watcher: ReleaseWatcher, logs: LogStore) -> None:
        self.store, self.specs, self.runtime, self.watcher, self.logs = store, specs, runtime, watcher, logs

    def restore(self, app: App) -> None:
        """Bring back the app's current release after a daemon start (no release phase: it already ran)."""
        with self.watcher.changing(app.name):
            self.bring_back(self.store.app(app.name))

    def bring_back(self, app: App) -> None:
        """Start the current release's formation and route to it (the caller holds the app's lock)."""
        live = self.specs.live(app)
        routing = self.specs.routing(app)
        try:
            self.runtime.deploy(app.name, self.specs.formation(app, *live) if live else [], routing)
        except DynoBootError as error:
            assert live is not None
            self.logs.append(app.name, "seaway", with_output(f"Could not bring back v{live[0].version}: {error}", error))
            self.runtime.deploy(app.name, [], routing)

    def top_up(self, app: App) -> None:
        """Start what is missing of the current formation (some of it was taken back after a daemon start)."""
        with self.watcher.changing(app.name):
            live = self.specs.live(self.store.app(app.name))
            if live is None:
                return
            try:
                self.runtime.scale(app.name, self.specs.formation(app, *live))
            except DynoBootError as error:
                self.logs.append(app.name, "seaway", with_output(f"Could not start the rest of v{live[0].version}'s "
                                                                 f"formation: {error}", error))

    def restart(self, app: App, target: str | None, emit: Emit) -> int:
        """Replace dynos (all, one process type, or one dyno) with fresh ones, without downtime."""
        with self.watcher.changing(app.name):
            app = self.store.app(app.name)
            live = self.specs.live(app)
            chosen = [d for d in self.runtime.status(app.name) if target in (None, d.process_type, d.name)]
            if live is None or not chosen:
                raise NotFound(f"No dynos matching {target!r} on {app.name}; see `seaway ps`." if target
                               else f"{app.name} has no dynos running.")
            fresh = [self.specs.spec(app, *live, d.process_type, d.index, d.command)
                     for d in chosen]
            try:
                names = self.runtime.replace(app.name, fresh)
            except DynoBootError as error:
                raise ReleaseFailed(with_output(f"Restart failed: {error}. The running dynos were left as they were.",
                                                error)) from error
            emit(f"Restarted {', '.join(names)}")
            self.logs.append(app.name, "seaway", f"Restarted {', '.join(names)}")
            return len(names)

    def scale(self, app: App, quantities: dict[str, int], emit: Emit) -> dict[str, int]:
        with self.watcher.changing(app.name):
            app = self.store.app(app.name)
            live = self.specs.live(app)
            if live is not None:
                self._refuse_unknown(app, live, quantities)
            before = self.store.formation(app)
            formation = self.store.scale(app, quantities)
            if live is not None:
                try:
                    self.runtime.scale(app.name, self.specs.formation(app, *live))
                except DynoBootError as error:
                    self.store.scale(app, {**{t: 0 for t in quantities if t not in before}, **before})
                    raise ReleaseFailed(with_output(f"Scaling failed: {error}. The running dynos were left as they "
                                                    "were.", error)) from error
            line = "Scaled to " + ", ".join(f"{t}={n}" for t, n in sorted(formation.items()))
            self.logs.append(app.name, "seaway", line)
            emit(line)
            return formation

    def _refuse_unknown(self, app: App, live: tuple[Release, Slug], quantities: dict[str, int]) -> None:
        unknown = sorted(set(quantities) - set(live[1].process_types) - set(self.store.formation(app)))
        if unknown:
            types = ", ".join(sorted(t for t in live[1].process_types if t != "release"))
            raise Invalid(f"No such process type {', '.join(unknown)} in the Procfile of v{live[0].version}. "
                          f"Types: {types}.")

    def stop_dyno(self, app: App, name: str) -> None:
        """ps:stop: stop one dyno now; being part of the formation, it is started again (after the backoff)."""
        with self.watcher.changing(app.name):
            if not self.runtime.stop_dyno(app.name, name):
                raise NotFound(f"No dyno {name!r} on {app.name}; see `seaway ps -a {app.name}`.")
