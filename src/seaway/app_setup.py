"""Setting an app up from its app.json, once: its add-ons, its config vars (given, generated, required),
its formation; then, after its first release that goes live, its postdeploy script in a one-off dyno.

It happens at `apps:create --manifest` (the app.json the CLI sends) or at the app's first deploy (the
app.json in the code), never again: later deploys keep the config vars, secrets included."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from seaway.addons.postgres.addon import PostgresAddon
from seaway.addons.services import attachment_var
from seaway.app_settings import effective
from seaway.dynos.runtime import Runtime
from seaway.errors import Invalid
from seaway.logs import LogStore
from seaway.manifest.appjson import AddonWanted, EnvVar, Manifest
from seaway.naming import check_config_changes
from seaway.release.releaser import Releaser
from seaway.release.specs import Specs
from seaway.settings import Settings
from seaway.store import Store
from seaway.store.models import App, Release

Emit = Callable[[str], None]


def refuse_missing(manifest: Manifest, config: dict[str, str], where: str) -> None:
    """Invalid, naming every required config var that has no value, if any has none."""
    missing = manifest.missing(config)
    if not missing:
        return
    listed = "\n".join(f"  {var.name}" + (f": {var.description}" if var.description else "") for var in missing)
    raise Invalid(f"app.json requires config vars that have no value:\n{listed}\n{where}")


def refuse_unusable(manifest: Manifest, config: dict[str, str], attached: dict[str, str],
                    overrides: dict[str, str], where: str) -> None:
    """Invalid, before anything changes, if the manifest cannot set up an app that has `config` and the
    add-ons `attached` (config var -> add-on): required vars without a value, vars that could never be set,
    and an add-on whose config var is set already (by env, or by hand)."""
    refuse_missing(manifest, config | overrides, where)
    changes = env_changes(manifest, config, overrides)
    check_config_changes(config, changes, attached)
    for index, (_addon, var) in enumerate(addon_vars(manifest)):
        if var is not None and var not in attached and (var in changes or var in config):
            raise Invalid(f"app.json addons[{index}] attaches a database as {var}, which is set already"
                          f"{' by app.json env' if var in changes else ''}: remove {var} from env (or unset it), "
                          "or attach the database under another name with \"as\".")


def addon_vars(manifest: Manifest) -> list[tuple[AddonWanted, str | None]]:
    """Each add-on of the manifest with the config var it will set: its `as`, DATABASE_URL for the first one
    without, None (a numbered name chosen when attached) for the others."""
    found, unnamed = [], 0
    for addon in manifest.addons:
        unnamed += addon.attach_as is None
        var = attachment_var(addon.attach_as) if addon.attach_as else "DATABASE_URL" if unnamed == 1 else None
        found.append((addon, var))
    return found


def env_changes(manifest: Manifest, config: dict[str, str], overrides: dict[str, str]) -> dict[str, str | None]:
    """The config vars the manifest sets: the user's overrides, then values and generated secrets for the
    ones not set yet (a var already set keeps its value)."""
    changes: dict[str, str | None] = {k: v for k, v in overrides.items() if config.get(k) != v}
    for var in manifest.env:
        if var.name in config or var.name in changes:
            continue
        value = _value(var)
        if value is not None:
            changes[var.name] = value
    return changes


def _value(var: EnvVar) -> str | None:
    if var.value is not None:
        return var.value
    return secrets.token_hex(32) if var.generator == "secret" else None


class AppSetups:
    def __init__(self, store: Store, pg: PostgresAddon, releaser: Releaser) -> None:
        self.store, self.pg, self.releaser = store, pg, releaser

    def first_deploy(self, app: App) -> bool:
        """Whether the app's next deploy is its first, with no setup before it (so its app.json sets it up)."""
        return self.store.setups.get(app) is None and not any(r.slug_digest for r in self.store.releases(app))

    def check(self, app: App, manifest: Manifest) -> None:
        """Refuse a manifest the app cannot be set up from at its first deploy, before anything changes."""
        attached = {addon.config_var: addon.name for addon in self.store.addons(app)}
        refuse_unusable(manifest, self.store.config(app), attached, {},
                        f"Set them with `seaway config:set NAME=VALUE -a {app.name}` and deploy again.")

    def apply(self, app: App, manifest: Manifest, overrides: dict[str, str], emit: Emit, author: str) -> dict[str, Any]:
        """Attach the add-ons, set the config vars and the formation; the postdeploy script waits for the
        first release that goes live. The caller has checked the manifest. Recorded last: a setup that
        failed half-way is done again by the next deploy, without attaching an add-on twice."""
        emit(f"-----> Setting up {app.name} from app.json")
        addons = [self.pg.create(app.name, wanted.attach_as, emit, author, wanted.plan)["name"]
                  for wanted in self._to_attach(app, manifest)]
        for name in addons:
            emit(f"       Attached {name}")
        changes = env_changes(manifest, self.store.config(app), overrides)
        if changes:
            self.releaser.create(app, None, f"Set {', '.join(sorted(changes))} config vars from app.json", emit,
                                 author, changes=changes)
            emit(f"       Set {', '.join(sorted(changes))}")
        if manifest.formation:
            self.store.scale(app, manifest.formation)
            emit("       Formation " + " ".join(f"{k}={v}" for k, v in sorted(manifest.formation.items())))
        if manifest.postdeploy:
            emit(f"       The postdeploy script runs after the first release: {manifest.postdeploy}")
        self.store.setups.record(app, manifest.postdeploy)
        return {"addons": addons, "config_vars": sorted(changes), "formation": self.store.formation(app),
                "postdeploy": manifest.postdeploy or None}

    def _to_attach(self, app: App, manifest: Manifest) -> list[AddonWanted]:
        """The manifest's add-ons, but those an earlier try attached (their config var is an add-on's)."""
        attached = {addon.config_var for addon in self.store.addons(app)}
        return [addon for addon, var in addon_vars(manifest) if var is None or var not in attached]


class Postdeploy:
    """After a release goes live: the app's postdeploy script, if its setup has one still to run. It runs
    once; its failure is shown and logged and leaves the release live."""

    def __init__(self, store: Store, specs: Specs, runtime: Runtime, logs: LogStore, settings: Settings) -> None:
        self.store, self.specs, self.runtime, self.logs, self.settings = store, specs, runtime, logs, settings

    def __call__(self, app: App, release: Release, emit: Emit) -> None:
        setup = self.store.setups.get(app)
        if setup is None or setup.postdeploy_status != "pending":
            return
        command = setup.postdeploy
        spec = self.specs.one_off(app, command)
        emit(f"-----> Running postdeploy script on {spec.name}: {command}")
        code = self.runtime.run(spec, lambda line: emit("       " + line),
                                timeout=effective(app, self.settings).release_timeout)
        status = "succeeded" if code == 0 else "failed"
        self.store.setups.update(app, postdeploy_status=status, postdeploy_release=release.version, postdeploy_exit=code)
        if code == 0:
            self.logs.append(app.name, "seaway", f"Postdeploy script succeeded after v{release.version}")
            return
        why = "timed out" if code is None else f"exited with status {code}"
        message = (f"The postdeploy script `{command}` {why}. v{release.version} stays live; the script does not "
                   f"run again by itself: run it with `seaway run -a {app.name} -- {command}`.")
        emit(f" !     {message}")
        self.logs.append(app.name, "seaway", f"Postdeploy script failed after v{release.version}: {why}")
