"""Backup capture against bare `pg_dump -Fc` of the same database, in the same run; verification and restore times.

Run from the repository root:  .venv/bin/python -m bench.backup_bench [--gigabytes 1] [--rounds 2]

A real PostgreSQL cluster (Seaway's embedded one, in a temporary folder) gets a generated database
of about the given size. Each round times, alternating so that caches favour neither: bare
`pg_dump -Fc` to a file, then Seaway's capture (the same dump at an exported snapshot, plus the
row count of every table at that snapshot). Then Seaway's verification (restore into a scratch
database, compare counts) and a restore into the app's database are timed once.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from seaway.addons.postgres import EmbeddedCluster, create_database
from seaway.addons.postgres.backups import capture, restore, verify
from seaway.dynos.local import free_port


def generate(url: str, gigabytes: float) -> None:
    rows = int(gigabytes * 1e9 / 180)  # ~180 bytes a row on disk, with the index
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz, kind text, payload text)")
        step = 1_000_000
        for start in range(0, rows, step):
            conn.execute("INSERT INTO events (at, kind, payload) SELECT now() - n * interval '1 second', "
                         "'kind-' || (n %% 17), md5(n::text) || md5((n * 7)::text) || repeat('z', 40) "
                         "FROM generate_series(%s, %s) n", (start, min(start + step, rows) - 1))
        conn.execute("CREATE TABLE users AS SELECT n AS id, 'user ' || n AS name FROM generate_series(1, 100000) n")
        conn.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gigabytes", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="seaway-bench-pg-"))
    cluster = EmbeddedCluster(base / "cluster", free_port())
    cluster.start()
    try:
        server = cluster.server
        db = create_database(server.conninfo(), server.host, server.port)
        started = time.perf_counter()
        generate(db.url.replace("postgres://", "postgresql://", 1), args.gigabytes)
        with psycopg.connect(server.conninfo(db.database)) as conn:
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        print(f"generated {size / 1e9:.2f} GB in {time.perf_counter() - started:.0f} s")
        bare, seaway = [], []
        for round_ in range(args.rounds):
            target = base / f"bare-{round_}.dump"
            started = time.perf_counter()
            subprocess.run([str(server.bin_dir / "pg_dump"), "-Fc", "--no-owner", "--no-acl", "-f", str(target),
                            db.database], env=server.client_env(db.database), check=True)
            bare.append(time.perf_counter() - started)
            started = time.perf_counter()
            counts = capture(server, db.database, base / f"seaway-{round_}.dump")
            seaway.append(time.perf_counter() - started)
        dump = base / f"seaway-{args.rounds - 1}.dump"
        started = time.perf_counter()
        verify(server, dump, counts)
        verification = time.perf_counter() - started
        started = time.perf_counter()
        restore(server, dump, db.database, db.role)
        restoring = time.perf_counter() - started
        med = statistics.median
        print(f"dump size: {dump.stat().st_size / 1e6:.0f} MB; rows: {sum(counts.values())}")
        print(f"bare pg_dump -Fc: median {med(bare):.1f} s (all: {', '.join(f'{t:.1f}' for t in bare)})")
        print(f"seaway capture:   median {med(seaway):.1f} s (all: {', '.join(f'{t:.1f}' for t in seaway)})")
        print(f"capture / bare pg_dump: {med(seaway) / med(bare):.2f}x")
        print(f"verification (restore into a scratch database + row counts): {verification:.1f} s")
        print(f"restore (one transaction, --clean): {restoring:.1f} s")
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
