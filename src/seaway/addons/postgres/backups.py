"""Backups that are proven: capture with pg_dump at a snapshot, verify by restoring into a scratch
database and comparing every table's rows with the snapshot, restore in one transaction."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from seaway.addons.postgres.server import Server

TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2
"""


class BackupError(Exception):
    """A capture, verification or restore failed; the message says what and why."""


def row_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Exact row count of every table, as `schema.table` (inside the caller's transaction)."""
    counts = {}
    for schema, table in conn.execute(TABLES).fetchall():
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        counts[f"{schema}.{table}"] = conn.execute(query).fetchone()[0]  # type: ignore[index]
    return counts


def _run(server: Server, tool: str, database: str, args: list[str]) -> None:
    result = subprocess.run([str(server.bin_dir / tool), *args], env=server.client_env(database),
                            capture_output=True, text=True, errors="replace")  # a damaged file's bytes may show
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{tool} exited with status {result.returncode}: {' / '.join(detail[-3:]) or 'no output'}")


def capture(server: Server, database: str, dest: Path) -> dict[str, int]:
    """pg_dump (custom format) of `database` into `dest`, and the row counts at the very same snapshot.

    The snapshot is exported from a transaction held open for the dump's whole length, so what is
    counted is exactly what is dumped, however the app writes meanwhile. A failed dump leaves no file."""
    try:
        with psycopg.connect(server.conninfo(database), connect_timeout=10) as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
            counts = row_counts(conn)
            _run(server, "pg_dump", database, ["-Fc", "--no-owner", "--no-acl", f"--snapshot={snapshot}",
                                                "-f", str(dest), database])
    except psycopg.Error as error:
        dest.unlink(missing_ok=True)
        raise BackupError(f"cannot read the database {database}: {str(error).strip()}") from error
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return counts


def verify(server: Server, dump: Path, expected: dict[str, int]) -> None:
    """Restore `dump` into a scratch database and compare table names and row counts with `expected`."""
    scratch = f"seaway_verify_{secrets.token_hex(4)}"
    with psycopg.connect(server.conninfo(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    try:
        try:
            _run(server, "pg_restore", scratch, ["--no-owner", "--no-acl", "--exit-on-error", "-d", scratch, str(dump)])
        except BackupError as error:
            raise BackupError(f"restoring it failed: {error}") from error
        with psycopg.connect(server.conninfo(scratch)) as conn:
            found = row_counts(conn)
        problems = [f"table {t} is missing" for t in sorted(set(expected) - set(found))]
        problems += [f"table {t} should not be there" for t in sorted(set(found) - set(expected))]
        problems += [f"{t} has {found[t]} rows, not {n}" for t, n in sorted(expected.items()) if t in found and found[t] != n]
        if problems:
            raise BackupError("the restored copy differs: " + "; ".join(problems[:5]))
    finally:
        with psycopg.connect(server.conninfo(), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))


def restore(server: Server, dump: Path, database: str, role: str) -> None:
    """Replace `database`'s objects with the dump's, in one transaction: a bad file changes nothing."""
    _run(server, "pg_restore", database, ["--single-transaction", "--clean", "--if-exists", "--no-owner", "--no-acl",
                                          f"--role={role}", "--exit-on-error", "-d", database, str(dump)])
