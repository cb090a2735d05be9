"""rollback: a new release with an earlier release's slug and config vars (add-on vars stay as they are)."""

from __future__ import annotations

from collections.abc import Callable

from seaway.errors import Invalid, UserError
from seaway.release.releaser import Releaser, commit_of
from seaway.store import Store
from seaway.store.models import App, Release

Emit = Callable[[str], None]


class Rollbacks:
    def __init__(self, store: Store, releaser: Releaser) -> None:
        self.store, self.releaser = store, releaser

    def rollback(self, app: App, version: int | None, emit: Emit, author: str) -> Release:
        addon_vars = {addon.config_var for addon in self.store.addons(app)}
        with self.releaser.watcher.changing(app.name):
            current = self.store.current_release(self.store.app(app.name))
            target = self._target(app, current, version)
            slug = self.store.slug(target.slug_digest) if target.slug_digest else None
            if slug is None:
                raise UserError(f"v{target.version} has no code to roll back to (it was made before the first deploy).")
            config = {k: v for k, v in target.config.items() if k not in addon_vars}
            config.update({k: v for k, v in self.store.config(app).items() if k in addon_vars})
            emit(f"-----> Rolling back {app.name} to v{target.version}")
            self.store.replace_config(app, config)
            return self.releaser.make(app, slug, f"Rollback to v{target.version}", emit, author, target.version,
                                      commit_of(target))

    def _target(self, app: App, current: Release | None, version: int | None) -> Release:
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
