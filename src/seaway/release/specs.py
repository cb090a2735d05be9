"""What the runtime is asked to run and how to route, as data: a release's dynos and an app's routing."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import replace

from seaway.app_settings import effective
from seaway.dynos import DynoSpec
from seaway.dynos.runtime import ONE_OFF_TYPES, Routing
from seaway.release.environment import dyno_environment
from seaway.release.phase import ReleaseFailed
from seaway.settings import Settings
from seaway.store import Store
from seaway.store.models import App, Release, Slug


class Specs:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings
        self._one_offs: defaultdict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def live(self, app: App) -> tuple[Release, Slug] | None:
        """The app's current release and its slug (None before the first deploy)."""
        release = self.store.current_release(app)
        slug = self.store.slug(release.slug_digest) if release and release.slug_digest else None
        return (release, slug) if release and slug else None

    def spec(self, app: App, release: Release, slug: Slug, process_type: str, index: int, command: str) -> DynoSpec:
        web = process_type == "web"
        values = effective(app, self.settings)
        return DynoSpec(
            app.name, release.version, process_type, index, command, slug.digest,
            dyno_environment(release.config, self.settings.web_concurrency), web=web,
            boot_timeout=values.boot_timeout, stop_timeout=values.stop_timeout,
            healthchecks=tuple(slug.app_json.get("healthchecks", {}).get("web", [])) if web else (),
            memory_mb=values.memory,
        )

    def formation(self, app: App, release: Release, slug: Slug) -> list[DynoSpec]:
        """Every dyno of the app's formation, running `release`."""
        specs = []
        for process_type, quantity in sorted(self.store.formation(app).items()):
            command = slug.process_types.get(process_type)
            if command is None or process_type in ONE_OFF_TYPES:
                continue
            specs += [self.spec(app, release, slug, process_type, i, command) for i in range(1, quantity + 1)]
        return specs

    def one_off(self, app: App, command: str, tty: tuple[int, int] | None = None) -> DynoSpec:
        """A one-off dyno (run.N) of the live release."""
        live = self.live(app)
        if live is None:
            raise ReleaseFailed(f"{app.name} has no deployed code yet. Deploy it first with `seaway deploy -a {app.name}`.")
        with self._lock:
            self._one_offs[app.name] += 1
            index = self._one_offs[app.name]
        return replace(self.spec(app, *live, "run", index, command), tty=tty)

    def routing(self, app: App) -> Routing:
        values = effective(app, self.settings)
        return Routing(domains=tuple(self.store.domains(app)), read_timeout=values.router_timeout,
                       max_body_mb=values.max_body_size, force_https=values.force_https, hsts=values.hsts,
                       acme=bool(app.acm))
