"""The PostgreSQL add-on: one role and database per app, TLS on, closed to other apps."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.e2e.daemon import Daemon


def _url(daemon: Daemon, app: str) -> str:
    return json.loads(daemon.cli("config", "-a", app, "--json").stdout)["DATABASE_URL"]


def test_each_app_gets_its_own_closed_database(daemon: Daemon) -> None:
    for app in ("pg-one", "pg-two"):
        daemon.cli("apps:create", app)
        result = daemon.cli("addons:create", "postgresql", "-a", app)
        assert "as DATABASE_URL" in result.stdout
    one, two = (psycopg.conninfo.conninfo_to_dict(_url(daemon, a).replace("postgres://", "postgresql://", 1))
                for a in ("pg-one", "pg-two"))
    assert one["dbname"] != two["dbname"] and one["user"] != two["user"]

    with psycopg.connect(**one, sslmode="require") as conn:  # TLS works, as django-heroku demands
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (one["user"], one["dbname"])
        assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone() == (True,)
        conn.execute("CREATE TABLE t (x int)")

    with pytest.raises(psycopg.OperationalError, match="permission denied|CONNECT privilege"):
        psycopg.connect(**{**one, "dbname": two["dbname"]})
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(**{**two, "password": one["password"]})

    releases = json.loads(daemon.cli("releases", "-a", "pg-one", "--json").stdout)
    assert releases[0]["description"].startswith("Attach postgresql-")

    again = daemon.cli("addons:create", "postgresql", "-a", "pg-one")
    assert "as POSTGRESQL_2_URL" in again.stdout  # a second database gets a name of its own
    taken = daemon.cli("addons:create", "postgresql", "--as", "DATABASE", "-a", "pg-one", check=False)
    assert taken.returncode != 0 and "DATABASE_URL is already set on pg-one" in taken.stderr


def test_an_add_ons_config_var_changes_only_through_the_add_on(daemon: Daemon) -> None:
    daemon.cli("apps:create", "pg-owned")
    daemon.cli("addons:create", "postgresql", "-a", "pg-owned")
    url = _url(daemon, "pg-owned")
    releases = daemon.cli("releases", "-a", "pg-owned", "--json").stdout
    for command in (("config:set", "DATABASE_URL=postgres://wrong@elsewhere/db"), ("config:unset", "DATABASE_URL")):
        refused = daemon.cli(*command, "-a", "pg-owned", check=False)
        assert refused.returncode != 0
        assert "Cannot overwrite attachment values: DATABASE_URL belongs to the add-on postgresql-" in refused.stderr
    assert _url(daemon, "pg-owned") == url
    assert daemon.cli("releases", "-a", "pg-owned", "--json").stdout == releases  # no release made
    daemon.cli("apps:destroy", "-a", "pg-owned", "--confirm", "pg-owned")


def test_destroy_drops_the_database(daemon: Daemon) -> None:
    daemon.cli("apps:create", "pg-gone")
    daemon.cli("addons:create", "postgresql", "-a", "pg-gone")
    info = psycopg.conninfo.conninfo_to_dict(_url(daemon, "pg-gone").replace("postgres://", "postgresql://", 1))
    refused = daemon.cli("apps:destroy", "-a", "pg-gone", check=False)
    assert refused.returncode != 0 and "--confirm pg-gone" in refused.stderr
    destroyed = daemon.cli("apps:destroy", "-a", "pg-gone", "--confirm", "pg-gone").stdout
    assert "Final backup of postgresql-" in destroyed and ": b001 completed" in destroyed
    kept = Path(destroyed.split("Backups kept in ")[1].split(" (")[0])
    assert (kept / "b001.dump").stat().st_size > 0 and kept.name.startswith("pg-gone.destroyed-")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(**info)
    assert "pg-gone" not in daemon.cli("apps").stdout
