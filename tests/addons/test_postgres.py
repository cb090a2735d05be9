"""EmbeddedCluster and per-app databases, on one real PostgreSQL cluster for the whole module."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest

from seaway.addons.postgres import EmbeddedCluster, create_database, drop_database
from seaway.addons.postgres.cluster import SUPERUSER, SYSTEM_USER
from seaway.addons.postgres.provision import MAINTENANCE_DATABASES, close_maintenance_databases
from seaway.addons.postgres.server import Server
from seaway.dynos.local import free_port, port_open
from seaway.host import process_alive

pytestmark = pytest.mark.timeout(120)


class Clusters:
    """The module's cluster; a test may replace the object (a daemon restart) but it is the same data."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory, self.port = directory, port
        self.made: list[EmbeddedCluster] = []

    def new(self) -> EmbeddedCluster:
        cluster = EmbeddedCluster(self.directory, self.port)
        self.made.append(cluster)
        return cluster

    @property
    def current(self) -> EmbeddedCluster:
        return self.made[-1]


@pytest.fixture(scope="module")
def clusters() -> Iterator[Clusters]:
    # Not under pytest's base temp folder: pytest resets it to mode 0700 whenever a session starts, which takes
    # away the ACL entry that lets the PostgreSQL user through it (and the running server PANICs).
    base = Path(tempfile.mkdtemp(prefix="seaway-test-postgres-"))
    held = Clusters(base / "cluster", free_port())
    try:
        held.new().start()
        yield held
    finally:
        for cluster in reversed(held.made):
            cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def cluster(clusters: Clusters) -> EmbeddedCluster:
    return clusters.current


def query(conninfo: str, text: str, *params: object) -> list[tuple]:
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        return conn.execute(text, params).fetchall()


def execute(conninfo: str, *statements: str) -> None:
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        for statement in statements:
            conn.execute(statement)


def conninfo_for(url: str, **extra: str) -> str:
    return psycopg.conninfo.make_conninfo(url, connect_timeout="5", **extra)


# -- the cluster --------------------------------------------------------------------

def test_cluster_is_initialised_and_accepts_connections(cluster: EmbeddedCluster):
    assert (cluster.data / "PG_VERSION").read_text().strip() == "15"
    assert query(cluster.admin_conninfo(), "SELECT current_user, 1 + 1") == [(SUPERUSER, 2)]
    assert query(cluster.admin_conninfo(), "SHOW port") == [(str(cluster.port),)]
    assert query(cluster.admin_conninfo(), "SELECT rolsuper FROM pg_roles WHERE rolname = %s", SUPERUSER) == [(True,)]


def test_listens_on_loopback_only(cluster: EmbeddedCluster):
    assert query(cluster.admin_conninfo(), "SHOW listen_addresses") == [("127.0.0.1",)]


@pytest.mark.skipif(os.geteuid() != 0, reason="only a root daemon runs PostgreSQL as its own system user")
def test_server_runs_as_its_own_system_user(cluster: EmbeddedCluster):
    import pwd

    user = pwd.getpwnam(SYSTEM_USER)
    assert cluster.process is not None
    status = Path(f"/proc/{cluster.process.pid}/status").read_text()
    uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)", status, re.M)
    assert uids and int(uids[1]) == int(uids[2]) == user.pw_uid
    assert cluster.data.stat().st_uid == user.pw_uid
    assert stat.S_IMODE(cluster.data.stat().st_mode) == 0o700


def test_tls_is_in_use_with_sslmode_require(cluster: EmbeddedCluster):
    conninfo = psycopg.conninfo.make_conninfo(cluster.admin_conninfo(), sslmode="require")
    with psycopg.connect(conninfo, connect_timeout=5) as conn:
        assert conn.pgconn.ssl_in_use
        (ssl,) = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
        assert ssl is True


def test_password_is_required_over_tcp(cluster: EmbeddedCluster):
    wrong = psycopg.conninfo.make_conninfo(cluster.admin_conninfo(), password="not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5)


def test_superuser_password_file_is_private(cluster: EmbeddedCluster):
    info = cluster.password_file.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == os.geteuid()  # the daemon's, not the PostgreSQL user's
    assert len(cluster.password) >= 32
    assert not (cluster.directory / "initdb-pwfile").exists()
    assert stat.S_IMODE((cluster.data / "server.key").stat().st_mode) == 0o600


def test_restart_keeps_the_data(clusters: Clusters, cluster: EmbeddedCluster):
    password = cluster.password
    execute(cluster.admin_conninfo(), "CREATE TABLE kept (note text)", "INSERT INTO kept VALUES ('still here')")
    pid = cluster.process.pid
    cluster.stop()
    assert cluster.process.poll() == 0  # a clean (fast) shutdown
    assert not process_alive(pid)
    cluster.start()
    assert cluster.process.pid != pid
    assert cluster.password == password  # not initialised again
    assert query(cluster.admin_conninfo(), "SELECT note FROM kept") == [("still here",)]


def test_leftover_server_is_kept_and_taken_back(clusters: Clusters):
    dead_daemons_cluster = clusters.current
    old_pid = dead_daemons_cluster.process.pid
    execute(dead_daemons_cluster.admin_conninfo(), "CREATE TABLE before_crash (n int)",
            "INSERT INTO before_crash VALUES (1)")
    # The daemon died without stopping its PostgreSQL; a new daemon makes a new cluster object and starts it:
    # the server still running on its data folder serves on (the apps' connections are not cut).
    fresh = clusters.new()
    fresh.start()
    assert process_alive(old_pid)
    assert fresh.process.pid == old_pid and fresh.process.poll() is None
    assert query(fresh.admin_conninfo(), "SELECT n FROM before_crash") == [(1,)]
    pid_file = (fresh.data / "postmaster.pid").read_text().split()
    assert int(pid_file[0]) == old_pid


def test_stop_of_a_stopped_cluster_is_harmless(tmp_path: Path, clusters: Clusters):
    never_started = EmbeddedCluster(tmp_path / "unused", free_port())
    never_started.stop()
    assert not (tmp_path / "unused").exists()


# -- app databases ----------------------------------------------------------------

@pytest.fixture
def databases(cluster: EmbeddedCluster):
    made = []

    def make():
        db = create_database(cluster.admin_conninfo(), "127.0.0.1", cluster.port)
        made.append(db)
        return db

    yield make
    for db in made:
        drop_database(cluster.admin_conninfo(), db.role, db.database)


def test_database_url_form(cluster: EmbeddedCluster, databases):
    db = databases()
    assert re.fullmatch(rf"postgres://u[0-9a-f]{{12}}:[A-Za-z0-9_-]+@127\.0\.0\.1:{cluster.port}/d[0-9a-f]{{12}}", db.url)
    parts = urlsplit(db.url)
    assert (parts.username, parts.password, parts.hostname, parts.port, parts.path) == (
        db.role, db.password, "127.0.0.1", cluster.port, f"/{db.database}")


def test_app_role_owns_its_database_and_can_use_it(cluster: EmbeddedCluster, databases):
    db = databases()
    assert query(cluster.admin_conninfo(),
                 "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", db.database) == [(db.role,)]
    with psycopg.connect(conninfo_for(db.url, sslmode="require"), autocommit=True) as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (db.role, db.database)
        conn.execute("CREATE TABLE items (id serial PRIMARY KEY, name text)")
        conn.execute("INSERT INTO items (name) VALUES ('one')")
        assert conn.execute("SELECT name FROM items").fetchall() == [("one",)]


def test_app_role_is_not_privileged(cluster: EmbeddedCluster, databases):
    db = databases()
    assert query(cluster.admin_conninfo(),
                 "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s", db.role) == [
        (False, False, False)]


def test_app_cannot_connect_to_another_apps_database(cluster: EmbeddedCluster, databases):
    mine, theirs = databases(), databases()
    assert mine.role != theirs.role and mine.database != theirs.database
    intruder = conninfo_for(mine.url, dbname=theirs.database)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(intruder)
    # and the other way round
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(conninfo_for(theirs.url, dbname=mine.database))


def test_drop_removes_database_and_role(cluster: EmbeddedCluster):
    db = create_database(cluster.admin_conninfo(), "127.0.0.1", cluster.port)
    still_open = psycopg.connect(conninfo_for(db.url), autocommit=True)  # a dyno still connected
    try:
        drop_database(cluster.admin_conninfo(), db.role, db.database)
    finally:
        still_open.close()
    admin = cluster.admin_conninfo()
    assert query(admin, "SELECT 1 FROM pg_database WHERE datname = %s", db.database) == []
    assert query(admin, "SELECT 1 FROM pg_roles WHERE rolname = %s", db.role) == []
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(conninfo_for(db.url))


def test_drop_of_something_already_gone_is_harmless(cluster: EmbeddedCluster):
    drop_database(cluster.admin_conninfo(), "unobody", "dnothing")


def test_app_role_cannot_connect_to_the_maintenance_databases(cluster: EmbeddedCluster, databases):
    db = databases()
    close_maintenance_databases(cluster.admin_conninfo())
    close_maintenance_databases(cluster.admin_conninfo())  # again, as at every start: harmless
    for name in MAINTENANCE_DATABASES:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database") as refused:
            psycopg.connect(conninfo_for(db.url, dbname=name))
        assert "CONNECT privilege" in str(refused.value)
        assert query(cluster.admin_conninfo(name), "SELECT current_database()") == [(name,)]  # the admin still can
    with psycopg.connect(conninfo_for(db.url), autocommit=True) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (db.role, db.database)


def test_a_database_made_after_closing_is_still_open_to_its_role(cluster: EmbeddedCluster, databases):
    """CREATE DATABASE copies template1's contents, not its CONNECT grants."""
    close_maintenance_databases(cluster.admin_conninfo())
    db = databases()
    with psycopg.connect(conninfo_for(db.url), autocommit=True) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (db.database,)


# Kept last: it replaces the module's cluster object.
def test_start_with_another_port_listens_on_it(clusters: Clusters):
    previous = clusters.current
    other_port = free_port()
    moved = EmbeddedCluster(clusters.directory, other_port)
    clusters.made.append(moved)
    errors: list[Exception] = []

    def start() -> None:
        try:
            moved.start()
        except Exception as error:  # noqa: BLE001 - reported through the assertion below
            errors.append(error)

    starter = threading.Thread(target=start, daemon=True)
    starter.start()
    try:
        deadline = time.monotonic() + 3  # it comes up in well under a second
        while time.monotonic() < deadline and not port_open(("127.0.0.1", other_port)):
            time.sleep(0.1)
        assert port_open(("127.0.0.1", other_port)), f"nothing listens on the new port {other_port}"
        starter.join(10)
        assert not errors
        assert query(moved.admin_conninfo(), "SHOW port") == [(str(other_port),)]
    finally:
        while moved.process is None and starter.is_alive():
            time.sleep(0.05)
        moved.stop()
        starter.join(10)
        # Leave a cluster on the module's port for whatever runs next.
        clusters.made.append(EmbeddedCluster(clusters.directory, previous.port))
        clusters.current.start()


def _admin_url(cluster: EmbeddedCluster, query_string: str) -> str:
    admin = cluster.server
    return f"postgresql://{admin.user}:{quote(admin.password, safe='')}@127.0.0.1:{admin.port}/postgres?{query_string}"


def test_an_admin_urls_tls_settings_are_kept_for_connections_and_tools(cluster: EmbeddedCluster, tmp_path: Path):
    server = Server.from_url(_admin_url(cluster, "sslmode=require&application_name=seaway-admin"), cluster.bin)
    assert dict(server.parameters) == {"sslmode": "require", "application_name": "seaway-admin"}
    assert query(server.conninfo(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == [(True,)]
    env = server.client_env("postgres")
    assert env["PGSSLMODE"] == "require" and env["PGAPPNAME"] == "seaway-admin"
    psql = subprocess.run([str(cluster.bin / "psql"), "-Atc", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"],
                          env=env, capture_output=True, text=True)
    assert psql.stdout.strip() == "t", psql.stderr
    # verify-full against a CA that did not sign the server's certificate is refused, not downgraded
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=not-the-servers-ca",
                    "-days", "1", "-keyout", str(tmp_path / "other-ca.key"), "-out", str(tmp_path / "other-ca.pem")],
                   check=True, capture_output=True)
    strict = Server.from_url(_admin_url(cluster, f"sslmode=verify-full&sslrootcert={tmp_path / 'other-ca.pem'}"),
                             cluster.bin)
    with pytest.raises(psycopg.OperationalError, match="certificate"):
        query(strict.conninfo(), "SELECT 1")


def test_an_admin_url_without_settings_prefers_tls_and_refuses_what_it_cannot_pass_on(cluster: EmbeddedCluster):
    assert dict(Server.from_url(_admin_url(cluster, ""), cluster.bin).parameters) == {"sslmode": "prefer"}
    with pytest.raises(ValueError, match="must look like postgresql://"):
        Server.from_url("mysql://a:b@h/db", cluster.bin)
    with pytest.raises(ValueError, match="invalid URI query parameter"):
        Server.from_url(_admin_url(cluster, "bogus=1"), cluster.bin)
