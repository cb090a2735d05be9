"""logs/: every stage, every dyno and every request writes an app's log here; `seaway logs` reads it."""

from seaway.logs.query import LogQuery, QueryError
from seaway.logs.store import LogStore, format_line

__all__ = ["LogQuery", "LogStore", "QueryError", "format_line"]
