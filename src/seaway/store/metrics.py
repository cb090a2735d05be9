"""The store's records of router and dyno metrics: one row per app (per dyno) and minute, kept a day."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, select

from seaway.store.models import DynoMetric, RouterMetric
from seaway.store.pipelines import Sessions


class MetricsRecords:
    def __init__(self, session: Sessions) -> None:
        self.session = session

    def router_minutes(self, app_id: int, since: int, minutes: Sequence[int] | None = None) -> list[RouterMetric]:
        """The app's router minutes from minute `since` on (only `minutes`, when given), oldest first."""
        with self.session() as s:
            query = select(RouterMetric).where(RouterMetric.app_id == app_id, RouterMetric.minute >= since)
            if minutes is not None:
                query = query.where(RouterMetric.minute.in_(minutes))
            return list(s.scalars(query.order_by(RouterMetric.minute)))

    def router_summaries(self, app_id: int, since: int) -> list[Row[Any]]:
        """(minute, requests, errors, p50, p95, p99) of the app's router minutes from minute `since` on, oldest
        first: what a reader is shown, as plain rows (a day of them is read in a fraction of the time the
        full records take), without the histograms."""
        with self.session() as s:
            return list(s.execute(select(RouterMetric.minute, RouterMetric.requests, RouterMetric.errors, RouterMetric.p50,
                                         RouterMetric.p95, RouterMetric.p99)
                                  .where(RouterMetric.app_id == app_id, RouterMetric.minute >= since)
                                  .order_by(RouterMetric.minute)))

    def dyno_minutes(self, app_id: int, since: int) -> list[Row[Any]]:
        """(minute, dyno, memory_mb, cpu_percent) of the app's dynos' minutes from minute `since` on, oldest
        first, as plain rows."""
        with self.session() as s:
            return list(s.execute(select(DynoMetric.minute, DynoMetric.dyno, DynoMetric.memory_mb, DynoMetric.cpu_percent)
                                  .where(DynoMetric.app_id == app_id, DynoMetric.minute >= since)
                                  .order_by(DynoMetric.minute, DynoMetric.dyno)))

    def save(self, rows: Sequence[RouterMetric | DynoMetric]) -> None:
        """Insert the rows, or replace those of the same app, minute (and dyno)."""
        with self.session() as s:
            for row in rows:
                s.merge(row)

    def prune(self, before: int) -> int:
        """Delete every row of a minute before `before`; how many there were."""
        with self.session() as s:
            return sum(s.execute(delete(model).where(model.minute < before)).rowcount  # type: ignore[attr-defined]
                       for model in (RouterMetric, DynoMetric))
