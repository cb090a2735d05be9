"""A database per app: its own role (random password) owning its own database, closed to everyone else."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import quote

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class AppDatabase:
    role: str
    password: str
    database: str
    host: str
    port: int

    @property
    def url(self) -> str:
        """Heroku's form, which apps already know how to read."""
        return f"postgres://{self.role}:{quote(self.password, safe='')}@{self.host}:{self.port}/{self.database}"


def create_database(admin_conninfo: str, host: str, port: int) -> AppDatabase:
    suffix = secrets.token_hex(6)
    db = AppDatabase(role=f"u{suffix}", password=secrets.token_urlsafe(24), database=f"d{suffix}", host=host, port=port)
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(db.role), sql.Literal(db.password)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db.database), sql.Identifier(db.role)))
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(db.database)))
    return db


def drop_database(admin_conninfo: str, role: str, database: str) -> None:
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


MAINTENANCE_DATABASES = ("postgres", "template1")


def close_maintenance_databases(admin_conninfo: str) -> None:
    """Only superusers (the admin) may connect to the cluster's own databases; an app's role gets its own
    database and no other. Idempotent: safe at every start (template0 takes no connections already)."""
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        for database in MAINTENANCE_DATABASES:
            conn.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))
