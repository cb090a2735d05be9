"""`logs`: an app's log; with --tail, follow it and carry on where it stopped when the daemon restarts."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import click

from seaway.cli.client import ApiClient
from seaway.cli.common import app_option, client
from seaway.cli.linking import resolve_app
from seaway.logs.query import SOURCES

RETRY_EVERY = 1.0  # seconds between attempts while the daemon is away
RESUME_WINDOW = 10_000  # at most this many lines written while the daemon was away are shown


class _Position:
    """The stamp of the last line shown and the lines shown with it (a batch of lines shares a stamp).

    After a reconnect the stream repeats from that stamp on: `resume()` makes those lines, as many
    times as each was shown, be skipped once more; identical lines written together all show."""

    def __init__(self) -> None:
        self.stamp: str | None = None
        self.shown: Counter[str] = Counter()
        self._repeats: Counter[str] = Counter()

    def resume(self) -> None:
        self._repeats = Counter(self.shown)

    def is_new(self, line: str) -> bool:
        stamp = line.partition(" ")[0]
        if self.stamp is not None and stamp < self.stamp:
            return False
        if stamp == self.stamp and self._repeats[line] > 0:
            self._repeats[line] -= 1
            return False
        if stamp != self.stamp:
            self.stamp, self.shown, self._repeats = stamp, Counter(), Counter()
        self.shown[line] += 1
        return True


def follow_log(api: ApiClient, app: str, params: dict[str, Any]) -> None:
    """Print the log as it grows until interrupted; after the daemon restarts, go on from the last line."""
    position = _Position()
    away = False
    while True:
        ask = params if position.stamp is None else dict(params, since=position.stamp, num=RESUME_WINDOW)
        position.resume()
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


@click.command("logs")
@app_option
@click.option("-n", "--num", default=100, show_default=True, help="How many lines of history.")
@click.option("-t", "--tail", is_flag=True, help="Keep following new lines (across deploys and daemon restarts).")
@click.option("-s", "--source", type=click.Choice(SOURCES), help="Only lines from this source.")
@click.option("-d", "--dyno", help="Only lines of this dyno (web.1) or of every dyno of a type (web).")
@click.option("-g", "--grep", help="Only lines that contain this text.")
def logs(app: str | None, num: int, tail: bool, source: str | None, dyno: str | None, grep: str | None) -> None:
    """Show an app's log: app output, router lines, releases, platform events."""
    name = resolve_app(app)
    params = {"num": num, "tail": tail, "source": source or "", "dyno": dyno or "", "grep": grep or ""}
    try:
        if tail:
            follow_log(client(), name, params)
        else:
            for line in client().stream("GET", f"/apps/{name}/logs", params=params):
                click.echo(line)
    except KeyboardInterrupt:
        pass


COMMANDS = [logs]
