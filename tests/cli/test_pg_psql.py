"""pg:psql: the connection, password included, reaches psql through its environment, never its argv
(/proc/PID/cmdline is readable by every local user; /proc/PID/environ only by the process's owner)."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import seaway.cli.postgres as postgres_cli
from seaway.cli.main import cli
from seaway.cli.postgres import connection_environment, psql_invocation

PASSWORD = "s3cr3t/p@ss+word"
URL = "postgres://u0123456789ab:s3cr3t%2Fp%40ss%2Bword@127.0.0.1:54320/d0123456789ab"


def test_argv_holds_no_password_and_the_environment_has_it():
    argv, env = psql_invocation("/usr/bin/psql", URL, None, {"PATH": "/usr/bin"})
    assert argv == ["/usr/bin/psql"]
    assert env == {"PATH": "/usr/bin", "PGHOST": "127.0.0.1", "PGPORT": "54320", "PGUSER": "u0123456789ab",
                   "PGPASSWORD": PASSWORD, "PGDATABASE": "d0123456789ab"}


def test_a_command_is_passed_with_dash_c_and_nothing_else():
    argv, env = psql_invocation("psql", URL, "SELECT 1", {})
    assert argv == ["psql", "-c", "SELECT 1"]
    assert not any("s3cr3t" in arg or "postgres" in arg for arg in argv)
    assert env["PGPASSWORD"] == PASSWORD


def test_sslmode_of_the_url_is_passed_on():
    env = connection_environment("postgresql://u:pw@db.example:5432/d?sslmode=require")
    assert env == {"PGHOST": "db.example", "PGPORT": "5432", "PGUSER": "u", "PGPASSWORD": "pw", "PGDATABASE": "d",
                   "PGSSLMODE": "require"}


def test_the_url_wins_over_inherited_connection_variables():
    _argv, env = psql_invocation("psql", URL, None, {"PGPASSWORD": "stale", "PGUSER": "someone", "TERM": "xterm"})
    assert (env["PGPASSWORD"], env["PGUSER"], env["TERM"]) == (PASSWORD, "u0123456789ab", "xterm")


def test_an_ipv6_host_and_a_missing_port():
    assert connection_environment("postgres://u:pw@[::1]/d") == {"PGHOST": "::1", "PGUSER": "u", "PGPASSWORD": "pw",
                                                                 "PGDATABASE": "d"}


def test_a_parameter_without_an_environment_variable_is_refused():
    with pytest.raises(click.ClickException, match="keepalives"):
        connection_environment("postgresql://u:pw@h/d?keepalives=1")


class FakeApi:
    def request(self, method: str, path: str, params: dict[str, str] | None = None) -> dict[str, str]:
        assert (method, path) == ("GET", "/apps/myapp/pg/credentials")
        return {"url": URL}


def test_the_command_runs_psql_so_and_passes_its_exit_status_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    seen = tmp_path / "seen.json"
    fake_psql = tmp_path / "psql"
    fake_psql.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                         f"json.dump({{'argv': sys.argv, 'env': dict(os.environ)}}, open({str(seen)!r}, 'w'))\n"
                         "sys.exit(3)\n")
    fake_psql.chmod(fake_psql.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(postgres_cli, "client", FakeApi)
    monkeypatch.setattr(postgres_cli, "_psql", lambda: str(fake_psql))
    result = CliRunner().invoke(cli, ["pg:psql", "-a", "myapp", "-c", "SELECT 1"])
    assert result.exit_code == 3, result.output
    ran = json.loads(seen.read_text())
    assert ran["argv"] == [str(fake_psql), "-c", "SELECT 1"]
    assert ran["env"]["PGPASSWORD"] == PASSWORD and ran["env"]["PGDATABASE"] == "d0123456789ab"
