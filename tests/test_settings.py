"""Settings.from_env: the router's worker count (the rest is exercised by every daemon the tests start)."""

from __future__ import annotations

import pytest

from seaway import settings as settings_module
from seaway.settings import Settings


@pytest.mark.parametrize(("cores", "workers"), [(1, 1), (2, 1), (3, 1), (4, 2), (16, 8), (None, 1)])
def test_router_workers_default_to_half_the_cores(monkeypatch: pytest.MonkeyPatch, cores: int | None, workers: int):
    monkeypatch.delenv("SEAWAY_ROUTER_WORKERS", raising=False)
    monkeypatch.setattr(settings_module.os, "cpu_count", lambda: cores)
    assert Settings.from_env().router_workers == workers
    assert Settings().router_workers == workers


def test_router_workers_can_be_set(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SEAWAY_ROUTER_WORKERS", "3")
    assert Settings.from_env().router_workers == 3


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_a_bad_router_worker_count_is_refused_clearly(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("SEAWAY_ROUTER_WORKERS", value)
    with pytest.raises(SystemExit, match="SEAWAY_ROUTER_WORKERS must be"):
        Settings.from_env()
