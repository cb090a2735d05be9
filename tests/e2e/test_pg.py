"""The PostgreSQL add-on end to end: pg commands, backups proven by restores, faults (issue 4)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest

from tests.e2e.daemon import Daemon, copy_app, wait_for

APP = "pgapp"


def sql(daemon: Daemon, statement: str, app: str = APP) -> str:
    return daemon.cli("pg:psql", "-a", app, "-c", statement).stdout


def rows(daemon: Daemon, app: str = APP) -> int:
    return int(daemon.cli("pg:psql", "-a", app, "-c", "SELECT count(*) FROM notes").stdout.split()[2])


def backups(daemon: Daemon, app: str = APP) -> list[dict]:
    return json.loads(daemon.cli("pg:backups", "-a", app, "--json").stdout)


@pytest.fixture(scope="module")
def pgapp(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> str:
    source = copy_app("wsgi_basic", tmp_path_factory.mktemp("pgapp"))
    daemon.cli("apps:create", APP, cwd=source)
    daemon.cli("addons:create", "postgresql", cwd=source)
    daemon.cli("deploy", cwd=source)
    sql(daemon, "CREATE TABLE notes (id serial PRIMARY KEY, body text); "
                "INSERT INTO notes (body) SELECT 'note ' || n FROM generate_series(1, 200) n")
    return APP


def test_addons_listing_info_and_a_second_attachment(daemon: Daemon, pgapp: str) -> None:
    listed = json.loads(daemon.cli("addons", "-a", pgapp, "--json").stdout)
    assert [a["config_var"] for a in listed] == ["DATABASE_URL"]
    created = daemon.cli("addons:create", "postgresql", "--as", "ANALYTICS", "-a", pgapp)
    assert "as ANALYTICS_URL" in created.stdout
    assert daemon.cli("config:get", "ANALYTICS_URL", "-a", pgapp).stdout.startswith("postgres://")
    info = json.loads(daemon.cli("addons:info", "ANALYTICS", "-a", pgapp, "--json").stdout)
    assert info["config_var"] == "ANALYTICS_URL" and info["service"] == "postgresql"
    bad = daemon.cli("addons:create", "postgresql", "--as", "9bad", "-a", pgapp, check=False)
    assert bad.returncode != 0 and "--as '9bad'" in bad.stderr

    refused = daemon.cli("addons:destroy", info["name"], "-a", pgapp, check=False)
    assert refused.returncode != 0 and f"--confirm {pgapp}" in refused.stderr
    destroyed = daemon.cli("addons:destroy", info["name"], "-a", pgapp, "--confirm", pgapp)
    assert "Final backup b" in destroyed.stdout and "/backups/pgapp/" in destroyed.stdout
    final = Path(destroyed.stdout.strip().rsplit(": ", 1)[1])
    assert final.is_file() and final.stat().st_size > 0
    assert "ANALYTICS_URL" not in json.loads(daemon.cli("config", "-a", pgapp, "--json").stdout)
    assert backups(daemon)[0]["kind"] == "final" and backups(daemon)[0]["verification"] == "verified"


def test_pg_info_and_psql(daemon: Daemon, pgapp: str) -> None:
    info = json.loads(daemon.cli("pg:info", "-a", pgapp, "--json").stdout)
    assert info["server_version"].startswith("15") and info["tables"] == 1 and info["config_var"] == "DATABASE_URL"
    role = json.loads(daemon.cli("addons:info", info["addon"], "-a", pgapp, "--json").stdout)["role"]
    assert role in sql(daemon, "SELECT current_user")  # psql as the app's own role
    assert "PG Version:" in daemon.cli("pg:info", "-a", pgapp).stdout


def test_capture_verify_download(daemon: Daemon, pgapp: str, workdir: Path) -> None:
    daemon.cli("pg:backups:capture", "-a", pgapp)
    newest = backups(daemon)[0]
    assert newest["status"] == "completed" and newest["verification"] == "verified" and newest["kind"] == "manual"
    assert newest["tables"] == {"public.notes": 200}
    target = workdir / "copy.dump"
    daemon.cli("pg:backups:download", newest["id"], "-a", pgapp, "-o", str(target))
    listing = subprocess.run(["/usr/lib/postgresql/15/bin/pg_restore", "--list", str(target)],
                             capture_output=True, text=True)
    assert listing.returncode == 0 and "TABLE public notes" in listing.stdout
    info = json.loads(daemon.cli("pg:info", "-a", pgapp, "--json").stdout)
    assert info["last_verified_backup"]["id"] == newest["id"]
    assert "verified" in daemon.cli("logs", "-a", pgapp, "-n", "50").stdout


def test_restore_puts_data_back_after_a_safety_backup(daemon: Daemon, pgapp: str) -> None:
    daemon.cli("pg:backups:capture", "-a", pgapp)
    taken = backups(daemon)[0]["id"]
    sql(daemon, "DELETE FROM notes WHERE id > 50")
    refused = daemon.cli("pg:backups:restore", taken, "-a", pgapp, check=False)
    assert refused.returncode != 0 and rows(daemon) == 50
    result = daemon.cli("pg:backups:restore", taken, "-a", pgapp, "--confirm", pgapp)
    assert rows(daemon) == 200
    safety = result.stdout.strip().rsplit(" ", 1)[1].rstrip(".")
    assert next(b for b in backups(daemon) if b["id"] == safety)["tables"] == {"public.notes": 50}


def test_restore_of_a_corrupt_file_or_unknown_id_changes_nothing(daemon: Daemon, pgapp: str) -> None:
    daemon.cli("pg:backups:capture", "-a", pgapp)
    taken = backups(daemon)[0]
    assert taken["integrity"] == "ok" and len(taken["sha256"]) == 64
    Path(taken["location"]).write_bytes(Path(taken["location"]).read_bytes()[:2000])  # damaged on disk
    sql(daemon, "DELETE FROM notes WHERE id > 150")
    count = len(backups(daemon))
    failed = daemon.cli("pg:backups:restore", taken["id"], "-a", pgapp, "--confirm", pgapp, check=False)
    assert failed.returncode != 0
    assert f"Backup {taken['id']} was not restored: its file no longer matches the SHA-256" in failed.stderr
    assert "is unchanged" in failed.stderr and "The newest sound, verified backup is b" in failed.stderr
    assert rows(daemon) == 150 and len(backups(daemon)) == count  # nothing touched, no backup taken
    unknown = daemon.cli("pg:backups:restore", "b999", "-a", pgapp, "--confirm", pgapp, check=False)
    assert unknown.returncode != 0 and "No backup 'b999'" in unknown.stderr
    daemon.cli("pg:backups:delete", taken["id"], "-a", pgapp, "--confirm", pgapp)
    assert taken["id"] not in [b["id"] for b in backups(daemon)] and not Path(taken["location"]).exists()


def test_a_bit_flipped_backup_lists_as_damaged_and_is_never_restored(daemon: Daemon, pgapp: str) -> None:
    daemon.cli("pg:backups:capture", "-a", pgapp)
    taken = backups(daemon)[0]
    before = rows(daemon)
    data = bytearray(Path(taken["location"]).read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, same size
    Path(taken["location"]).write_bytes(bytes(data))
    listed = next(b for b in backups(daemon) if b["id"] == taken["id"])
    assert listed["integrity"] == "damaged" and listed["verification"] == "verified"
    table = daemon.cli("pg:backups", "-a", pgapp).stdout
    assert "DAMAGED" in next(line for line in table.splitlines()
                                                          if line.startswith(taken["id"]))
    failed = daemon.cli("pg:backups:restore", taken["id"], "-a", pgapp, "--confirm", pgapp, check=False)
    assert failed.returncode != 0 and "it is damaged" in failed.stderr and "Internal error" not in failed.stderr
    assert rows(daemon) == before
    daemon.cli("pg:backups:delete", taken["id"], "-a", pgapp, "--confirm", pgapp)


def test_capture_when_the_database_is_gone_is_loud(daemon: Daemon, tmp_path: Path) -> None:
    source = copy_app("wsgi_basic", tmp_path)
    daemon.cli("apps:create", "pg-vanish", cwd=source)
    daemon.cli("addons:create", "postgresql", cwd=source)
    info = json.loads(daemon.cli("pg:info", "--json", cwd=source).stdout)
    database = json.loads(daemon.cli("addons:info", info["addon"], "--json", cwd=source).stdout)["database"]
    admin_password = (daemon.home / "postgres" / "superuser-password").read_text().strip()
    port = int(daemon.env["SEAWAY_POSTGRES_PORT"])
    with psycopg.connect(host="127.0.0.1", port=port, user="seaway", password=admin_password, dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    failed = daemon.cli("pg:backups:capture", cwd=source, check=False)
    assert failed.returncode != 0 and "capture failed" in failed.stderr
    listed = backups(daemon, "pg-vanish")
    assert listed[0]["status"] == "failed" and "cannot read the database" in listed[0]["reason"]
    assert not list((daemon.home / "backups" / "pg-vanish").glob("*.partial"))
    assert "Error: backup b001" in daemon.cli("logs", "-n", "20", cwd=source).stdout


def test_credentials_rotate(daemon: Daemon, pgapp: str) -> None:
    old = daemon.cli("config:get", "DATABASE_URL", "-a", pgapp).stdout.strip()
    result = daemon.cli("pg:credentials:rotate", "-a", pgapp)
    assert "Rotated the credentials" in result.stdout
    new = daemon.cli("config:get", "DATABASE_URL", "-a", pgapp).stdout.strip()
    assert new != old
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(old.replace("postgres://", "postgresql://", 1))
    with psycopg.connect(new.replace("postgres://", "postgresql://", 1)) as conn:
        assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] > 0
    assert json.loads(daemon.cli("releases", "-a", pgapp, "--json").stdout)[0]["description"].startswith("Rotate")


def test_reset_takes_a_backup_first(daemon: Daemon, pgapp: str) -> None:
    refused = daemon.cli("pg:reset", "-a", pgapp, check=False)
    assert refused.returncode != 0 and f"--confirm {pgapp}" in refused.stderr
    result = daemon.cli("pg:reset", "-a", pgapp, "--confirm", pgapp)
    backup = result.stdout.split("backup ")[1].split()[0]
    assert json.loads(daemon.cli("pg:info", "-a", pgapp, "--json").stdout)["tables"] == 0
    assert next(b for b in backups(daemon) if b["id"] == backup)["tables"]["public.notes"] > 0
    daemon.cli("pg:backups:restore", backup, "-a", pgapp, "--confirm", pgapp)
    assert rows(daemon) > 0


def test_scheduled_backup_runs_and_unschedule(daemon: Daemon, pgapp: str) -> None:
    now = datetime.now(timezone.utc)
    bad = daemon.cli("pg:backups:schedule", "--at", "25:00", "-a", pgapp, check=False)
    assert bad.returncode != 0 and "is not HH:MM" in bad.stderr
    daemon.cli("pg:backups:schedule", "--at", f"{now:%H:%M} UTC", "-a", pgapp)
    wait_for(lambda: any(b["kind"] == "scheduled" and b["verification"] == "verified" for b in backups(daemon)),
             timeout=30)
    assert json.loads(daemon.cli("pg:info", "-a", pgapp, "--json").stdout)["backup_schedule"] == f"{now:%H:%M} UTC"
    daemon.cli("pg:backups:unschedule", "-a", pgapp)
    assert json.loads(daemon.cli("pg:info", "-a", pgapp, "--json").stdout)["backup_schedule"] is None


def test_embedded_server_killed_is_started_again(daemon: Daemon, pgapp: str) -> None:
    pid = int((daemon.home / "postgres" / "data" / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: daemon.cli("pg:psql", "-a", pgapp, "-c", "SELECT 1", check=False).returncode == 0, timeout=60)
    assert int((daemon.home / "postgres" / "data" / "postmaster.pid").read_text().split()[0]) != pid


def test_server_killed_mid_capture_is_reported(daemon: Daemon, pgapp: str) -> None:
    import sys
    import time

    sql(daemon, "CREATE TABLE IF NOT EXISTS big (data text); "
                "INSERT INTO big SELECT md5(n::text) || repeat('y', 200) FROM generate_series(1, 400000) n")
    capture = subprocess.Popen([sys.executable, "-m", "seaway", "pg:backups:capture", "-a", pgapp], env=daemon.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert "Capturing" in capture.stdout.readline()  # type: ignore[union-attr]
    time.sleep(0.3)
    pid = int((daemon.home / "postgres" / "data" / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    _out, err = capture.communicate(timeout=120)
    assert capture.returncode != 0 and "capture failed" in err
    assert backups(daemon)[0]["status"] == "failed"
    assert not list((daemon.home / "backups" / pgapp).glob("*.partial"))
    wait_for(lambda: daemon.cli("pg:psql", "-a", pgapp, "-c", "SELECT 1", check=False).returncode == 0, timeout=60)
    sql(daemon, "DROP TABLE big")


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small file system needs root")
def test_disk_full_during_capture_leaves_no_partial_file(daemon: Daemon, pgapp: str) -> None:
    sql(daemon, "CREATE TABLE IF NOT EXISTS big (data text); "
                "INSERT INTO big SELECT md5(n::text) || repeat('x', 500) FROM generate_series(1, 20000) n")
    folder = daemon.home / "backups" / pgapp
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        failed = daemon.cli("pg:backups:capture", "-a", pgapp, check=False)
        assert failed.returncode != 0 and "capture failed" in failed.stderr
        assert list(folder.iterdir()) == []  # the partial file was removed
        assert backups(daemon)[0]["status"] == "failed"
    finally:
        subprocess.run(["umount", str(folder)])
    sql(daemon, "DROP TABLE big")


def test_a_missed_scheduled_backup_is_reported_then_taken(daemon: Daemon, pgapp: str) -> None:
    """The platform was down when a backup was due: the store says the schedule is two days old and its
    time passed three hours ago, with no backup since (the clock is the only thing simulated)."""
    import sqlite3
    from datetime import timedelta

    for earlier in [b for b in backups(daemon) if b["kind"] == "scheduled"]:  # taken "after" the simulated due time
        daemon.cli("pg:backups:delete", earlier["id"], "-a", pgapp, "--confirm", pgapp)
    before = {b["id"] for b in backups(daemon)}  # before the scheduler can see anything owed
    daemon.cli("pg:backups:schedule", "--at", "00:00", "-a", pgapp)
    due = datetime.now(timezone.utc) - timedelta(hours=3)
    with sqlite3.connect(daemon.home / "seaway.db") as db:
        db.execute("UPDATE backup_schedules SET at = ?, created_at = ?",
                   (f"{due:%H:%M}", (due - timedelta(days=2)).replace(tzinfo=None)))
    wait_for(lambda: any(b["kind"] == "scheduled" and b["verification"] == "verified"
                         for b in backups(daemon) if b["id"] not in before), timeout=30)
    new = [b for b in backups(daemon) if b["id"] not in before]
    missed = [b for b in new if b["status"] == "failed"]
    assert len(missed) == 1 and missed[0]["reason"].startswith("missed: the backup scheduled for")
    assert missed[0]["id"] in json.loads(daemon.cli("pg:info", "-a", pgapp, "--json").stdout)["failed_backups"]
    assert "did not run when due" in daemon.cli("logs", "-a", pgapp, "-n", "50").stdout
    daemon.cli("pg:backups:unschedule", "-a", pgapp)
