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


EPHEMERAL = range(32768, 61000)  # Linux's default ip_local_port_range


def test_default_ports_are_outside_the_ephemeral_range(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("SEAWAY_HOME", str(tmp_path))
    for name in ("SEAWAY_API_PORT", "SEAWAY_ROUTER_PORT", "SEAWAY_POSTGRES_PORT"):
        monkeypatch.delenv(name, raising=False)
    found = Settings.from_env()
    assert [port in EPHEMERAL for port in (found.api_port, found.router_port, found.postgres_port)] == [False] * 3


def test_a_cluster_made_earlier_keeps_its_port(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """Its apps' stored DATABASE_URLs name that port."""
    monkeypatch.setenv("SEAWAY_HOME", str(tmp_path))
    monkeypatch.delenv("SEAWAY_POSTGRES_PORT", raising=False)
    conf = tmp_path / "postgres" / "data" / "postgresql.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("#port = 5432\n\n# Seaway\nlisten_addresses = '127.0.0.1'\nport = 54320\n")
    assert Settings.from_env().postgres_port == 54320
    monkeypatch.setenv("SEAWAY_POSTGRES_PORT", "15999")
    assert Settings.from_env().postgres_port == 15999


def test_the_https_port_is_443_beside_a_router_on_80_else_8443(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SEAWAY_ROUTER_HTTPS_PORT", raising=False)
    monkeypatch.setenv("SEAWAY_ROUTER_PORT", "80")
    assert Settings.from_env().router_https_port == 443
    monkeypatch.setenv("SEAWAY_ROUTER_PORT", "8080")
    assert Settings.from_env().router_https_port == 8443
    monkeypatch.setenv("SEAWAY_ROUTER_HTTPS_PORT", "0")
    assert Settings.from_env().router_https_port == 0  # no HTTPS listener


def test_trusted_proxies_are_networks(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SEAWAY_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7 2001:db8::/32")
    assert Settings.from_env().trusted_proxies == ("10.0.0.0/8", "192.168.1.7/32", "2001:db8::/32")
    monkeypatch.setenv("SEAWAY_TRUSTED_PROXIES", "10.0.0.0/8,load-balancer")
    with pytest.raises(SystemExit, match="SEAWAY_TRUSTED_PROXIES: 'load-balancer' does not appear to be"):
        Settings.from_env()
    monkeypatch.delenv("SEAWAY_TRUSTED_PROXIES")
    assert Settings.from_env().trusted_proxies == ()
