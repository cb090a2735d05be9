"""How to reach a PostgreSQL server as its administrator: the embedded cluster, or one an admin URL names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg

from seaway.libpq import PARAMETER_ENVIRONMENT

DEFAULT_PARAMETERS = (("sslmode", "prefer"),)


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str
    bin_dir: Path  # pg_dump, pg_restore, psql of the server's major version
    admin_database: str = "postgres"
    app_host: str = ""  # where dynos reach the server (their own network when sandboxed); default: host
    parameters: tuple[tuple[str, str], ...] = DEFAULT_PARAMETERS  # TLS and the rest, as the admin URL gave them

    @property
    def host_for_apps(self) -> str:
        return self.app_host or self.host

    def conninfo(self, database: str | None = None) -> str:
        return psycopg.conninfo.make_conninfo(host=self.host, port=self.port, user=self.user, password=self.password,
                                              dbname=database or self.admin_database, **dict(self.parameters))

    def client_env(self, database: str) -> dict[str, str]:
        """Environment for pg_dump / pg_restore / psql: the password never appears on a command line."""
        params = {"host": self.host, "port": str(self.port), "user": self.user, "password": self.password,
                  "dbname": database, "connect_timeout": "10", **dict(self.parameters)}
        return {PARAMETER_ENVIRONMENT[key]: value for key, value in params.items()}

    @classmethod
    def from_url(cls, url: str, bin_dir: Path) -> "Server":
        """The server an admin URL names, with its TLS settings (sslmode=verify-full, sslrootcert=...) kept."""
        usage = "SEAWAY_POSTGRES_ADMIN_URL must look like postgresql://ADMIN:PASSWORD@HOST:5432/postgres"
        if not url.startswith(("postgres://", "postgresql://")):
            raise ValueError(usage)
        try:
            params = psycopg.conninfo.conninfo_to_dict("postgresql://" + url.split("://", 1)[1])
        except psycopg.ProgrammingError as error:
            raise ValueError(f"{usage} ({str(error).strip()})") from None
        host, user = params.pop("host", None), params.pop("user", None)
        if not host or not user:
            raise ValueError(usage)
        unsupported = sorted(set(params) - set(PARAMETER_ENVIRONMENT))
        if unsupported:
            raise ValueError(f"SEAWAY_POSTGRES_ADMIN_URL has parameters pg_dump cannot be given: {', '.join(unsupported)}")
        port, password = int(params.pop("port", 5432)), str(params.pop("password", ""))
        database = str(params.pop("dbname", "") or "postgres")
        extra = {"sslmode": "prefer", **{key: str(value) for key, value in params.items()}}
        return cls(str(host), port, str(user), password, bin_dir, database, parameters=tuple(sorted(extra.items())))
