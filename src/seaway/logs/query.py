"""Which log lines a reader asked for: `--source`, `--dyno`, `--grep`."""

from __future__ import annotations

from dataclasses import dataclass

SOURCES = ("app", "router", "release", "seaway")


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class LogQuery:
    source: str | None = None  # app / router / release (the release phase, app[release.N]) / seaway
    dyno: str | None = None  # web.1 (that dyno) or web (every dyno of the type)
    grep: str | None = None  # plain text the line must contain
    since: str | None = None  # a line's timestamp: only lines stamped then or later

    def __post_init__(self) -> None:
        if self.source is not None and self.source not in SOURCES:
            raise QueryError(f"Unknown log source {self.source!r}: choose one of {', '.join(SOURCES)}.")

    def matches(self, line: str) -> bool:
        """`line` is `TIMESTAMP source[dyno]: message` as the store writes it."""
        if self.grep and self.grep not in line:
            return False
        if self.since and line.partition(" ")[0] < self.since:
            return False
        if not (self.source or self.dyno):
            return True
        origin = line.partition(" ")[2].partition(": ")[0]
        source, _, dyno = origin.partition("[")
        if self.source == "release":  # the release phase's output: app[release.N] (release[...] before)
            if not dyno.startswith("release."):
                return False
        elif self.source and source != self.source:
            return False
        if self.dyno:
            dyno = dyno.rstrip("]")
            return dyno == self.dyno or ("." not in self.dyno and dyno.partition(".")[0] == self.dyno)
        return True
