"""Promotion: a release of one stage's app, its slug as it is (no build, no upload), released on the apps
of the next stage with their own config vars; each target's release phase runs there (its migrations,
its pre-migration backup), with the same switch and watch as a deploy, under the target's lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from seaway.dynos.runtime import Runtime
from seaway.errors import Conflict, Invalid, UserError
from seaway.pipelines.service import Pipelines
from seaway.release import ReleaseFailed, Releaser
from seaway.release.releaser import commit_of
from seaway.store import Store
from seaway.store.models import App, Release, Slug

Emit = Callable[[str], None]


class Plan(NamedTuple):
    source: App
    release: Release
    slug: Slug
    targets: list[App]


class Promotion:
    def __init__(self, store: Store, pipelines: Pipelines, releaser: Releaser, runtime: Runtime) -> None:
        self.store, self.pipelines, self.releaser, self.runtime = store, pipelines, releaser, runtime

    def plan(self, app_name: str, to: list[str] | None, version: int | None) -> Plan:
        """What a promotion would do, once nothing refuses it (a UserError otherwise): the API asks this
        before it starts streaming, so a refusal is an HTTP status."""
        source = self.store.app(app_name)
        targets = self.targets(source, to)
        release, slug = self.source_release(source, version)
        why = self.runtime.cannot_run(slug.digest, slug.python_version)
        if why:
            raise Conflict(f"Cannot promote {source.name} v{release.version} to {', '.join(t.name for t in targets)}: "
                           f"{why}. Deploy the code to them instead, to build it for a Python they have.")
        return Plan(source, release, slug, targets)

    def promote(self, app_name: str, to: list[str] | None, version: int | None, emit: Emit,
                author: str) -> dict[str, Any]:
        """Promote `app_name`'s current release (or v`version`) to `to` (default: the next stage's apps).
        Every target gets its own release; one that fails keeps serving what it served."""
        source, release, slug, targets = self.plan(app_name, to, version)
        emit(f"-----> Promoting {source.name} v{release.version} (slug {slug.digest[:12]}, Python "
             f"{slug.python_version}) to {', '.join(t.name for t in targets)}")
        results = [self._promote_one(source, release, slug, target, emit, author) for target in targets]
        failed = [r for r in results if r["status"] != "succeeded"]
        if failed:
            done = [f"{r['app']} (now v{r['release']})" for r in results if r["status"] == "succeeded"]
            raise ReleaseFailed("Promotion failed on " + "; ".join(f"{r['app']}: {r['error']}" for r in failed)
                                + (f" It was promoted to {', '.join(done)}." if done else ""))
        return {"app": source.name, "release": release.version, "slug": slug.digest, "promoted": results}

    def source_release(self, app: App, version: int | None) -> tuple[Release, Slug]:
        """The release to promote, once it is one that succeeded and has code."""
        newest = next(iter(self.store.releases(app)), None)
        release = self.store.release(app, version) if version else self.store.current_release(app)
        if release is None or newest is None:
            raise Conflict(f"{app.name} has no release to promote. Deploy it first with `seaway deploy -a {app.name}`.")
        if version is None and newest.version != release.version and newest.status != "succeeded":
            raise Conflict(f"{app.name}'s latest release v{newest.version} {self._state(newest)}; v{release.version} "
                           f"still serves there. Deploy {app.name} again, or promote v{release.version} on purpose "
                           f"with --release {release.version}.")
        if release.status != "succeeded":
            raise Conflict(f"{app.name} v{release.version} {self._state(release)}: only a release that succeeded "
                           "can be promoted.")
        slug = self.store.slug(release.slug_digest) if release.slug_digest else None
        if slug is None:
            raise Conflict(f"{app.name} v{release.version} has no code (a config change before the first deploy). "
                           f"Deploy {app.name} first.")
        return release, slug

    @staticmethod
    def _state(release: Release) -> str:
        return "is still being released" if release.status == "pending" else "failed"

    def targets(self, source: App, to: list[str] | None) -> list[App]:
        pipeline, stage, downstream = self.pipelines.downstream(source)
        if not to:
            if not downstream:
                raise Invalid(f"{source.name} is the last stage of pipeline {pipeline.name} with apps ({stage}): "
                              "there is no app downstream to promote to. Add one with `seaway pipelines:add "
                              f"{pipeline.name} -a APP -s production`.")
            return downstream
        members = {app.name: app for app, _stage in self.store.pipelines.apps(pipeline)}
        for name in to:
            if name == source.name or name not in members:
                raise Invalid(f"Cannot promote {source.name} to {name}: --to takes other apps of pipeline "
                              f"{pipeline.name} ({', '.join(sorted(set(members) - {source.name})) or 'none'}).")
        return [members[name] for name in dict.fromkeys(to)]

    def _promote_one(self, source: App, release: Release, slug: Slug, target: App, emit: Emit,
                     author: str) -> dict[str, Any]:
        emit(f"-----> Promoting to {target.name}")
        try:
            made = self.releaser.create(target, slug, f"Promote {source.name} v{release.version}", emit, author,
                                        commit=commit_of(release), promoted_from=(source.name, release.version))
        except (UserError, ReleaseFailed) as error:
            emit(f" !     {target.name}: {error}")
            return {"app": target.name, "status": "failed", "error": str(error)}
        return {"app": target.name, "status": "succeeded", "release": made.version}
