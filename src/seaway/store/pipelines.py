"""The store's records of pipelines (which apps, in which stage) and of app setups from app.json."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seaway.errors import Conflict, NotFound
from seaway.store.models import App, AppSetup, Pipeline, PipelineCoupling

Sessions = Callable[[], AbstractContextManager[Session]]


def already_coupled(app: App, pipeline: str, stage: str) -> Conflict:
    return Conflict(f"{app.name} is already in pipeline {pipeline} ({stage}). Take it out first with "
                    f"`seaway pipelines:remove -a {app.name}`.")


class PipelineRecords:
    def __init__(self, session: Sessions) -> None:
        self.session = session

    def create(self, name: str) -> Pipeline:
        with self.session() as s:
            if s.scalar(select(Pipeline).where(Pipeline.name == name)):
                raise Conflict(f"A pipeline named {name} exists already. Choose another name, or add apps to it "
                               f"with `seaway pipelines:add {name} -a APP`.")
            pipeline = Pipeline(name=name)
            s.add(pipeline)
            return pipeline

    def get(self, name: str) -> Pipeline:
        with self.session() as s:
            pipeline = s.scalar(select(Pipeline).where(Pipeline.name == name))
            if pipeline is None:
                raise NotFound(f"Couldn't find that pipeline: {name!r}. Run `seaway pipelines` to list them.")
            return pipeline

    def all(self) -> list[Pipeline]:
        with self.session() as s:
            return list(s.scalars(select(Pipeline).order_by(Pipeline.name)))

    def destroy(self, pipeline: Pipeline) -> None:
        with self.session() as s:
            for coupling in s.scalars(select(PipelineCoupling).where(PipelineCoupling.pipeline_id == pipeline.id)):
                s.delete(coupling)
            row = s.get(Pipeline, pipeline.id)
            if row is not None:
                s.delete(row)

    def couple(self, pipeline: Pipeline, app: App, stage: str) -> None:
        with self.session() as s:
            found = s.get(PipelineCoupling, app.id)
            if found is not None:
                other = s.get(Pipeline, found.pipeline_id)
                raise already_coupled(app, other.name if other else "?", found.stage)
            s.add(PipelineCoupling(app_id=app.id, pipeline_id=pipeline.id, stage=stage))

    def uncouple(self, app: App) -> tuple[Pipeline, str]:
        with self.session() as s:
            found = s.get(PipelineCoupling, app.id)
            if found is None:
                raise NotFound(f"{app.name} is in no pipeline.")
            pipeline, stage = s.get(Pipeline, found.pipeline_id), found.stage
            s.delete(found)
            assert pipeline is not None
            return pipeline, stage

    def coupling(self, app: App) -> tuple[Pipeline, str] | None:
        """The app's pipeline and stage, if it is in one."""
        with self.session() as s:
            found = s.get(PipelineCoupling, app.id)
            if found is None:
                return None
            pipeline = s.get(Pipeline, found.pipeline_id)
            assert pipeline is not None
            return pipeline, found.stage

    def apps(self, pipeline: Pipeline) -> list[tuple[App, str]]:
        """The pipeline's apps with their stages, by name."""
        with self.session() as s:
            rows = s.execute(select(App, PipelineCoupling.stage).join(PipelineCoupling, PipelineCoupling.app_id == App.id)
                             .where(PipelineCoupling.pipeline_id == pipeline.id).order_by(App.name))
            return [(app, stage) for app, stage in rows]


class SetupRecords:
    def __init__(self, session: Sessions) -> None:
        self.session = session

    def get(self, app: App) -> AppSetup | None:
        with self.session() as s:
            return s.get(AppSetup, app.id)

    def record(self, app: App, postdeploy: str) -> AppSetup:
        with self.session() as s:
            if s.get(AppSetup, app.id) is not None:
                raise Conflict(f"{app.name} was set up from its app.json already.")
            setup = AppSetup(app_id=app.id, postdeploy=postdeploy, postdeploy_status="pending" if postdeploy else "none")
            s.add(setup)
            return setup

    def update(self, app: App, **values: Any) -> None:
        with self.session() as s:
            row = s.get(AppSetup, app.id)
            assert row is not None
            for key, value in values.items():
                setattr(row, key, value)
