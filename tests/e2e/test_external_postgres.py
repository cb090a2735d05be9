"""SEAWAY_POSTGRES_ADMIN_URL: an existing PostgreSQL server instead of the embedded cluster."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from seaway.addons.postgres import EmbeddedCluster
from seaway.dynos.local import free_port
from tests.e2e.daemon import Daemon, copy_app


@pytest.fixture
def existing_server(scratch: Path) -> Iterator[EmbeddedCluster]:
    server = EmbeddedCluster(scratch / "existing-server", free_port())  # stands in for an admin's own server
    server.start()
    yield server
    server.stop()


def test_addons_live_on_the_given_server(scratch: Path, existing_server: EmbeddedCluster) -> None:
    admin = existing_server.server
    daemon = Daemon(scratch / "home")
    daemon.env["SEAWAY_POSTGRES_ADMIN_URL"] = (f"postgresql://{admin.user}:{quote(admin.password, safe='')}"
                                               f"@127.0.0.1:{admin.port}/postgres")
    daemon.start()
    try:
        assert not (daemon.home / "postgres").exists()  # no embedded cluster
        source = copy_app("wsgi_basic", scratch)
        daemon.cli("apps:create", "external-pg", cwd=source)
        daemon.cli("addons:create", "postgresql", cwd=source)
        url = json.loads(daemon.cli("config", "--json", cwd=source).stdout)["DATABASE_URL"]
        assert f":{admin.port}/" in url
        daemon.cli("pg:psql", "-c", "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)", cwd=source)
        daemon.cli("pg:backups:capture", cwd=source)
        newest = json.loads(daemon.cli("pg:backups", "--json", cwd=source).stdout)[0]
        assert newest["verification"] == "verified" and newest["tables"] == {"public.t": 2}
        database = psycopg.conninfo.conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))["dbname"]
        daemon.cli("apps:destroy", "--confirm", "external-pg", cwd=source)
        with psycopg.connect(admin.conninfo()) as conn:
            assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (database,)).fetchone()[0] == 0
    finally:
        daemon.stop()
