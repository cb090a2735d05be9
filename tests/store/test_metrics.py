"""The store's metrics rows on a real SQLite file: saved and replaced per minute, pruned by age, gone with their
app, kept through a rename (they are keyed by the app's id), and migration 0014 down and up again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from seaway.store import Store
from seaway.store.db import MIGRATIONS
from seaway.store.models import App, DynoMetric, RouterMetric

MINUTE = 29_416_666


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "seaway.db")
    yield store
    store.engine.dispose()


def router_row(app: App, minute: int, requests: int = 1) -> RouterMetric:
    return RouterMetric(app_id=app.id, minute=minute, requests={"2xx": requests}, errors={"H12": 1},
                        service=[[12, requests]], p50=12.0, p95=12.0, p99=12.0)


def test_rows_are_saved_read_in_order_and_replaced_per_minute(store: Store):
    app = store.create_app("shop")
    store.metrics.save([router_row(app, MINUTE + 1), router_row(app, MINUTE),
                        DynoMetric(app_id=app.id, minute=MINUTE, dyno="web.2", memory_mb=80.5, cpu_percent=3.0),
                        DynoMetric(app_id=app.id, minute=MINUTE, dyno="web.1", memory_mb=None, cpu_percent=None)])
    store.metrics.save([router_row(app, MINUTE, requests=7)])
    rows = store.metrics.router_minutes(app.id, MINUTE)
    assert [(row.minute, row.requests, row.errors, row.service, row.p99) for row in rows] == [
        (MINUTE, {"2xx": 7}, {"H12": 1}, [[12, 7]], 12.0), (MINUTE + 1, {"2xx": 1}, {"H12": 1}, [[12, 1]], 12.0)]
    assert [row.minute for row in store.metrics.router_minutes(app.id, MINUTE, [MINUTE + 1])] == [MINUTE + 1]
    assert [(row.dyno, row.memory_mb, row.cpu_percent) for row in store.metrics.dyno_minutes(app.id, MINUTE)] == [
        ("web.1", None, None), ("web.2", 80.5, 3.0)]


def test_prune_deletes_the_minutes_before(store: Store):
    app = store.create_app("shop")
    store.metrics.save([router_row(app, MINUTE - 2), router_row(app, MINUTE - 1), router_row(app, MINUTE),
                        DynoMetric(app_id=app.id, minute=MINUTE - 2, dyno="web.1", memory_mb=1.0, cpu_percent=1.0)])
    assert store.metrics.prune(MINUTE - 1) == 2
    assert [row.minute for row in store.metrics.router_minutes(app.id, 0)] == [MINUTE - 1, MINUTE]
    assert store.metrics.dyno_minutes(app.id, 0) == []


def test_rows_follow_a_rename_and_go_with_their_app(store: Store):
    app, other = store.create_app("shop"), store.create_app("blog")
    store.metrics.save([router_row(app, MINUTE), router_row(other, MINUTE),
                        DynoMetric(app_id=app.id, minute=MINUTE, dyno="web.1", memory_mb=1.0, cpu_percent=1.0)])
    renamed = store.rename_app(app, "store")
    assert len(store.metrics.router_minutes(renamed.id, 0)) == 1
    store.destroy_app("store")
    assert store.metrics.router_minutes(app.id, 0) == [] and store.metrics.dyno_minutes(app.id, 0) == []
    assert len(store.metrics.router_minutes(other.id, 0)) == 1


def test_migration_0014_goes_down_and_up_again(store: Store):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    for target, present in (("0013", False), ("head", True)):
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if target == "0013" else command.upgrade)(config, target)
        tables = set(inspect(store.engine).get_table_names())
        assert {"router_metrics", "dyno_metrics"} <= tables if present else not {"router_metrics", "dyno_metrics"} & tables
    app = store.create_app("shop")
    store.metrics.save([router_row(app, MINUTE)])
    assert len(store.metrics.router_minutes(app.id, 0)) == 1
