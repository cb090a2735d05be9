"""certs:* — the router's TLS certificates: the local CA's (to trust), and each app's."""

from __future__ import annotations

import click

from seaway.cli.main import cli, client


@cli.command("certs:ca")
def certs_ca() -> None:
    """Print the local CA's certificate (PEM): trust it to reach https://APP.localhost without warnings
    (`curl --cacert ca.pem`, or a browser's certificate store)."""
    for line in client().stream("GET", "/certs/ca"):
        click.echo(line)
