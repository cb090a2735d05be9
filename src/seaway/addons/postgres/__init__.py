"""addons/postgres/: the embedded PostgreSQL cluster and a database per app."""

from seaway.addons.postgres.cluster import EmbeddedCluster, PostgresError
from seaway.addons.postgres.provision import AppDatabase, create_database, drop_database

__all__ = ["AppDatabase", "EmbeddedCluster", "PostgresError", "create_database", "drop_database"]
