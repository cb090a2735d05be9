"""domains:* — the hostnames the router sends to an app."""

from __future__ import annotations

import click

from seaway.cli.common import app_option, client, json_option, print_json
from seaway.cli.linking import resolve_app


@click.command("domains")
@app_option
@json_option
def domains(app: str | None, as_json: bool) -> None:
    """List the hostnames the router sends to the app."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/domains")
    if as_json:
        return print_json(data)
    for hostname in data:
        click.echo(hostname)


@click.command("domains:add")
@click.argument("hostname")
@app_option
def domains_add(hostname: str, app: str | None) -> None:
    """Route HOSTNAME to the app (point its DNS at this host's router)."""
    name = resolve_app(app)
    client().request("POST", f"/apps/{name}/domains", json={"hostname": hostname})
    click.echo(f"Adding {hostname} to {name}... done")


@click.command("domains:remove")
@click.argument("hostname")
@app_option
def domains_remove(hostname: str, app: str | None) -> None:
    """Stop routing HOSTNAME to the app."""
    name = resolve_app(app)
    client().request("DELETE", f"/apps/{name}/domains/{hostname}")
    click.echo(f"Removing {hostname} from {name}... done")


COMMANDS = [domains, domains_add, domains_remove]
