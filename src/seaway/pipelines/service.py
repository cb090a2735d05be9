"""Pipelines: apps of one code base in stages (development → staging → production), what each stage runs,
and what a stage has that the next one has not (commits from the apps' git history, or else their slugs)."""

from __future__ import annotations

from typing import Any

from seaway.errors import Invalid, NotFound
from seaway.git_remote.repos import AppRepos
from seaway.logs import LogStore
from seaway.naming import check_app_name
from seaway.pipelines.stages import STAGES
from seaway.store import Store
from seaway.store.models import App, Pipeline, Release
from seaway.store.pipelines import already_coupled


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise Invalid(f"Unknown pipeline stage {stage!r}: use one of {', '.join(STAGES)} (-s/--stage).")
    return stage


def release_summary(store: Store, app: App) -> dict[str, Any]:
    """What an app of a pipeline runs now: its current release, slug and commit."""
    release = store.current_release(app)
    return {"app": app.name, "release": release.version if release else None,
            "slug": release.slug_digest if release else None, "commit": release.commit if release else None,
            "commit_subject": release.commit_subject if release else "",
            "promoted_from": _origin(release) if release else None}


def _origin(release: Release) -> dict[str, Any] | None:
    return {"app": release.promoted_from, "version": release.promoted_version} if release.promoted_from else None


class Pipelines:
    def __init__(self, store: Store, git: AppRepos, logs: LogStore) -> None:
        self.store, self.git, self.logs = store, git, logs

    def create(self, name: str, app_name: str, stage: str) -> dict[str, Any]:
        check_app_name(name, "pipeline")
        check_stage(stage)
        app = self.store.app(app_name)
        if (found := self.store.pipelines.coupling(app)) is not None:
            raise already_coupled(app, found[0].name, found[1])
        pipeline = self.store.pipelines.create(name)
        return self.add(pipeline.name, app.name, stage)

    def add(self, name: str, app_name: str, stage: str) -> dict[str, Any]:
        check_stage(stage)
        pipeline, app = self.store.pipelines.get(name), self.store.app(app_name)
        self.store.pipelines.couple(pipeline, app, stage)
        self.logs.append(app.name, "seaway", f"Added to pipeline {pipeline.name} as {stage}")
        return self.info(pipeline.name)

    def remove(self, app_name: str) -> dict[str, Any]:
        app = self.store.app(app_name)
        pipeline, stage = self.store.pipelines.uncouple(app)
        self.logs.append(app.name, "seaway", f"Removed from pipeline {pipeline.name} ({stage})")
        return {"app": app.name, "pipeline": pipeline.name, "stage": stage}

    def destroy(self, name: str) -> dict[str, Any]:
        """Remove the pipeline; its apps stay as they are."""
        pipeline = self.store.pipelines.get(name)
        apps = [app.name for app, _stage in self.store.pipelines.apps(pipeline)]
        self.store.pipelines.destroy(pipeline)
        for app in apps:
            self.logs.append(app, "seaway", f"Pipeline {name} destroyed")
        return {"destroyed": name, "apps": apps}

    def list(self) -> list[dict[str, Any]]:
        return [{"name": p.name, "created_at": p.created_at.isoformat(),
                 "apps": {app.name: stage for app, stage in self.store.pipelines.apps(p)}}
                for p in self.store.pipelines.all()]

    def info(self, name: str) -> dict[str, Any]:
        """The pipeline's apps by stage, each with what it runs; `differs` says whether it runs another slug
        than the stage before it."""
        pipeline = self.store.pipelines.get(name)
        stages: dict[str, list[dict[str, Any]]] = {stage: [] for stage in STAGES}
        for app, stage in self.store.pipelines.apps(pipeline):
            stages[stage].append(release_summary(self.store, app))
        upstream: set[str | None] = set()
        for stage in STAGES:
            for entry in stages[stage]:
                entry["differs"] = bool(upstream) and entry["slug"] not in upstream
            if stages[stage]:
                upstream = {entry["slug"] for entry in stages[stage]}
        return {"name": pipeline.name, "created_at": pipeline.created_at.isoformat(), "stages": stages}

    def place(self, app: App) -> tuple[Pipeline, str]:
        """The app's pipeline and stage (NotFound, saying how to add it, if it has none)."""
        found = self.store.pipelines.coupling(app)
        if found is None:
            raise NotFound(f"{app.name} is in no pipeline. Add it with `seaway pipelines:add PIPELINE -a {app.name} "
                           "-s staging` (or make one with pipelines:create).")
        return found

    def downstream(self, app: App) -> tuple[Pipeline, str, list[App]]:
        """The app's pipeline and stage, and the apps of the nearest later stage that has any."""
        pipeline, stage = self.place(app)
        members = self.store.pipelines.apps(pipeline)
        for later in STAGES[STAGES.index(stage) + 1:]:
            apps = [other for other, other_stage in members if other_stage == later]
            if apps:
                return pipeline, stage, apps
        return pipeline, stage, []

    def diff(self, app_name: str) -> dict[str, Any]:
        """What the app runs that the apps of the next stage do not: the commits between, from the git
        history, or else whether their slugs differ."""
        app = self.store.app(app_name)
        pipeline, stage, targets = self.downstream(app)
        if not targets:
            raise NotFound(f"{app.name} is the last stage of pipeline {pipeline.name} with apps ({stage}): "
                           "there is nothing downstream to compare with.")
        source = release_summary(self.store, app)
        return {"app": app.name, "stage": stage, "pipeline": pipeline.name, "release": source["release"],
                "slug": source["slug"], "commit": source["commit"],
                "downstream": [self._compare(source, release_summary(self.store, target)) for target in targets]}

    def _compare(self, source: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
        result = {"app": target["app"], "release": target["release"], "slug": target["slug"],
                  "commit": target["commit"], "same_slug": source["slug"] == target["slug"], "commits": None}
        if source["commit"] and target["commit"]:
            between = (self.git.commits_between(source["app"], target["commit"], source["commit"])
                       if source["commit"] != target["commit"] else [])
            if between is not None:
                result["commits"] = [{"sha": c.sha, "subject": c.subject} for c in between]
        return result
