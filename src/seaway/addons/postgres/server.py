"""How to reach a PostgreSQL server as its administrator: the embedded cluster, or one an admin URL names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str
    bin_dir: Path  # pg_dump, pg_restore, psql of the server's major version
    admin_database: str = "postgres"
    app_host: str = ""  # where dynos reach the server (their own network when sandboxed); default: host

    @property
    def host_for_apps(self) -> str:
        return self.app_host or self.host

    def conninfo(self, database: str | None = None) -> str:
        return psycopg.conninfo.make_conninfo(host=self.host, port=self.port, user=self.user, password=self.password,
                                              dbname=database or self.admin_database, sslmode="prefer")

    def client_env(self, database: str) -> dict[str, str]:
        """Environment for pg_dump / pg_restore / psql: the password never appears on a command line."""
        return {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user, "PGPASSWORD": self.password,
                "PGDATABASE": database, "PGSSLMODE": "prefer", "PGCONNECT_TIMEOUT": "10"}

    @classmethod
    def from_url(cls, url: str, bin_dir: Path) -> "Server":
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql") or not parts.hostname or not parts.username:
            raise ValueError("SEAWAY_POSTGRES_ADMIN_URL must look like postgresql://ADMIN:PASSWORD@HOST:5432/postgres")
        return cls(parts.hostname, parts.port or 5432, unquote(parts.username), unquote(parts.password or ""),
                   bin_dir, parts.path.lstrip("/") or "postgres")
