"""Capture, verification and restore against a real PostgreSQL server; schedules and retention as pure logic."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from seaway.addons.postgres import EmbeddedCluster, create_database
from seaway.addons.postgres.backups import BackupError, capture, restore, verify
from seaway.addons.postgres.schedule import due_action, last_due, parse_at, to_prune
from seaway.addons.postgres.server import Server
from seaway.dynos.local import free_port

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    base = Path(tempfile.mkdtemp(prefix="seaway-test-backups-"))  # outside pytest's temp folder (see test_postgres)
    cluster = EmbeddedCluster(base / "cluster", free_port())
    cluster.start()
    try:
        yield cluster.server
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def database(server: Server) -> Iterator[tuple[str, str]]:
    db = create_database(server.conninfo(), server.host, server.port)
    with psycopg.connect(db.url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text)")
        conn.execute("INSERT INTO notes (body) SELECT 'note ' || n FROM generate_series(1, 500) n")
        conn.execute("CREATE SCHEMA extra; CREATE TABLE extra.tags (name text)")
        conn.execute("INSERT INTO extra.tags VALUES ('a'), ('b')")
    yield db.database, db.role


def count(server: Server, database: str, table: str = "notes") -> int:
    with psycopg.connect(server.conninfo(database)) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_capture_counts_rows_at_the_snapshot_and_verifies(server: Server, database: tuple[str, str],
                                                          tmp_path: Path) -> None:
    dump = tmp_path / "b001.dump"
    counts = capture(server, database[0], dump)
    assert counts == {"public.notes": 500, "extra.tags": 2}
    assert dump.stat().st_size > 1000
    verify(server, dump, counts)  # restores into a scratch database and finds the same rows


def test_verification_catches_a_corrupted_file(server: Server, database: tuple[str, str], tmp_path: Path) -> None:
    dump = tmp_path / "b001.dump"
    counts = capture(server, database[0], dump)
    data = bytearray(dump.read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = b"\xff" * 64  # damage the middle of the file
    dump.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="restoring it failed|differs"):
        verify(server, dump, counts)
    dump.write_bytes(bytes(data[: len(data) // 3]))  # a truncated file
    with pytest.raises(BackupError):
        verify(server, dump, counts)


def test_verification_catches_different_rows(server: Server, database: tuple[str, str], tmp_path: Path) -> None:
    dump = tmp_path / "b001.dump"
    counts = capture(server, database[0], dump)
    with pytest.raises(BackupError, match="public.notes has 500 rows, not 501"):
        verify(server, dump, {**counts, "public.notes": 501})
    with pytest.raises(BackupError, match="table public.gone is missing"):
        verify(server, dump, {**counts, "public.gone": 1})


def test_no_scratch_database_is_left_behind(server: Server, database: tuple[str, str], tmp_path: Path) -> None:
    dump = tmp_path / "b001.dump"
    counts = capture(server, database[0], dump)
    verify(server, dump, counts)
    with psycopg.connect(server.conninfo()) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'seaway_verify_%'").fetchone()[0] == 0


def test_capture_of_a_missing_database_fails_and_leaves_no_file(server: Server, tmp_path: Path) -> None:
    dump = tmp_path / "b001.dump"
    with pytest.raises(BackupError, match="cannot read the database d_gone"):
        capture(server, "d_gone", dump)
    assert not dump.exists()


def test_restore_brings_back_rows_and_a_bad_file_changes_nothing(server: Server, database: tuple[str, str],
                                                                 tmp_path: Path) -> None:
    name, role = database
    dump = tmp_path / "b001.dump"
    capture(server, name, dump)
    with psycopg.connect(server.conninfo(name), autocommit=True) as conn:
        conn.execute("DELETE FROM notes WHERE id > 100")
    restore(server, dump, name, role)
    assert count(server, name) == 500
    with psycopg.connect(server.conninfo(name)) as conn:
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'notes'").fetchone()[0]
    assert owner == role  # restored objects belong to the app's role

    with psycopg.connect(server.conninfo(name), autocommit=True) as conn:
        conn.execute("DELETE FROM notes WHERE id > 10")
    broken = tmp_path / "broken.dump"
    broken.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    with pytest.raises(BackupError):
        restore(server, broken, name, role)
    assert count(server, name) == 10  # one transaction: nothing was dropped or half-loaded
    assert count(server, name, "extra.tags") == 2


def test_snapshot_is_consistent_while_the_app_writes(server: Server, database: tuple[str, str], tmp_path: Path) -> None:
    import threading

    name, _role = database
    stop = threading.Event()

    def write() -> None:
        with psycopg.connect(server.conninfo(name), autocommit=True) as conn:
            while not stop.is_set():
                conn.execute("INSERT INTO notes (body) VALUES ('written during the backup')")

    writer = threading.Thread(target=write)
    writer.start()
    try:
        dump = tmp_path / "b001.dump"
        counts = capture(server, name, dump)
    finally:
        stop.set()
        writer.join()
    verify(server, dump, counts)  # what was counted is exactly what was dumped
    assert count(server, name) > counts["public.notes"] >= 500


# -- schedules (pure) ---------------------------------------------------------------------
UTC = timezone.utc


def test_parse_at() -> None:
    assert parse_at("2:05") == ("02:05", "UTC")
    assert parse_at("23:59 Europe/Paris") == ("23:59", "Europe/Paris")
    for bad in ("24:00", "12:60", "noon", "02:00 Mars/Base"):
        with pytest.raises(ValueError):
            parse_at(bad)


def test_last_due_honours_the_time_zone() -> None:
    now = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)  # 02:30 in Paris
    assert last_due("02:00", "Europe/Paris", now) == datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    assert last_due("03:00", "Europe/Paris", now) == datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def test_due_action() -> None:
    since = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    at = datetime(2026, 11, 22, 2, 3, tzinfo=UTC)
    assert due_action("02:00", "UTC", since, None, at) == ("run", datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    assert due_action("02:00", "UTC", since, datetime(2026, 11, 22, 2, 1, tzinfo=UTC), at) is None
    late = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)  # the platform was down at 02:00
    assert due_action("02:00", "UTC", since, datetime(2026, 11, 21, 2, 0, tzinfo=UTC), late)[0] == "missed"
    fresh = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # scheduled after today's 02:00: nothing owed today
    assert due_action("02:00", "UTC", fresh, None, late) is None
    assert due_action("04:59", "UTC", datetime(2026, 11, 22, 5, 0, 20, tzinfo=UTC), None,
                      datetime(2026, 11, 22, 5, 0, 30, tzinfo=UTC)) == ("run", datetime(2026, 11, 22, 4, 59, tzinfo=UTC))


def test_retention_keeps_7_daily_and_4_weekly() -> None:
    start = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
    taken = [(f"b{n:03d}", start + timedelta(days=n)) for n in range(60)]
    pruned = set(to_prune(taken))
    kept = [(name, when) for name, when in taken if name not in pruned]
    newest = sorted(kept, key=lambda item: item[1], reverse=True)
    assert [name for name, _ in newest[:7]] == [f"b{n:03d}" for n in range(59, 52, -1)]
    weeks = {when.isocalendar()[:2] for _, when in kept}
    assert len(kept) <= 7 + 4 and len(weeks) >= 4
    assert to_prune(taken[:5]) == []


@pytest.mark.parametrize("at, day", [
    ("02:30 Europe/Paris", datetime(2026, 3, 29, tzinfo=UTC)),   # 02:30 does not exist that night
    ("02:30 Europe/Paris", datetime(2026, 10, 25, tzinfo=UTC)),  # 02:30 happens twice that night
    ("01:30 America/New_York", datetime(2026, 11, 1, tzinfo=UTC)),  # repeated hour, other side of the ocean
    ("02:15 America/New_York", datetime(2026, 3, 8, tzinfo=UTC)),  # skipped hour
    ("00:00 Australia/Lord_Howe", datetime(2026, 4, 4, tzinfo=UTC)),  # a half-hour DST shift
])
def test_a_schedule_runs_exactly_once_per_local_day_across_dst_changes(at: str, day: datetime) -> None:
    """The scheduler's passes every 30 s over four days around a DST change, taking each backup it is owed."""
    clock, zone = parse_at(at)
    since = day - timedelta(days=2)
    taken: list[datetime] = []
    now = since
    while now < day + timedelta(days=2):
        if due_action(clock, zone, since, taken[-1] if taken else None, now):
            taken.append(now)
        now += timedelta(seconds=30)
    local_days = [moment.astimezone(ZoneInfo(zone)).date() for moment in taken]
    assert len(local_days) == len(set(local_days)) == 4, taken
