"""`logs --tail`: follow an app's log, and carry on where it stopped when the daemon restarts."""

from __future__ import annotations

import time
from typing import Any

import click

from seaway.cli.client import ApiClient

RETRY_EVERY = 1.0  # seconds between attempts while the daemon is away
RESUME_WINDOW = 10_000  # at most this many lines written while the daemon was away are shown


class _Position:
    """The stamp of the last line shown, and the lines shown with that stamp (a batch shares one)."""

    def __init__(self) -> None:
        self.stamp: str | None = None
        self.shown: set[str] = set()

    def is_new(self, line: str) -> bool:
        stamp = line.partition(" ")[0]
        if self.stamp is not None and (stamp < self.stamp or (stamp == self.stamp and line in self.shown)):
            return False
        if stamp != self.stamp:
            self.stamp, self.shown = stamp, set()
        self.shown.add(line)
        return True


def follow_log(api: ApiClient, app: str, params: dict[str, Any]) -> None:
    """Print the log as it grows until interrupted; after the daemon restarts, go on from the last line."""
    position = _Position()
    away = False
    while True:
        ask = params if position.stamp is None else dict(params, since=position.stamp, num=RESUME_WINDOW)
        try:
            for line in api.stream("GET", f"/apps/{app}/logs", params=ask):
                if away:
                    click.echo("--- reconnected ---", err=True)
                    away = False
                if position.is_new(line):
                    click.echo(line)
        except click.ClickException as error:
            if "Cannot reach" not in error.message:
                raise
        if not away:
            click.echo("--- the Seaway daemon went away; waiting for it to come back (Ctrl-C to stop) ---", err=True)
            away = True
        time.sleep(RETRY_EVERY)
