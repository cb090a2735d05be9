"""`server`: the platform daemon in the foreground."""

from __future__ import annotations

import click


@click.command("server")
def server() -> None:
    """Run the platform daemon (API, router, PostgreSQL, dynos) in the foreground."""
    from seaway.server import serve
    from seaway.settings import Settings

    serve(Settings.from_env())


COMMANDS = [server]
