"""`drains`, `drains:add`, `drains:remove`: where an app's log lines are also sent."""

from __future__ import annotations

import click

from seaway.cli.common import app_option, client, json_option, print_json, print_table
from seaway.cli.linking import resolve_app


@click.command("drains")
@app_option
@json_option
def drains(app: str | None, as_json: bool) -> None:
    """List the app's log drains and how delivery is going."""
    name = resolve_app(app)
    data = client().request("GET", f"/apps/{name}/drains")
    if as_json:
        return print_json(data)
    if not data:
        click.echo(f"{name} has no drains. Add one with `seaway drains:add syslog+tls://HOST:PORT -a {name}`.")
        return
    print_table(["URL", "STATE", "DELIVERED", "BUFFERED", "DROPPED", "LAST ERROR"],
                [[d["url"], d.get("state", "?"), str(d.get("delivered", 0)), str(d.get("buffered", 0)),
                  str(d.get("dropped", 0)), d.get("last_error", "")] for d in data])


@click.command("drains:add")
@click.argument("url")
@app_option
def drains_add(url: str, app: str | None) -> None:
    """Send the app's log lines to URL: syslog://HOST:PORT (TCP), syslog+tls://HOST:PORT or https://HOST/PATH."""
    name = resolve_app(app)
    result = client().request("POST", f"/apps/{name}/drains", json={"url": url})
    click.echo(f"Successfully added drain {result['url']} to {name} (token {result['token']})")


@click.command("drains:remove")
@click.argument("url")
@app_option
def drains_remove(url: str, app: str | None) -> None:
    """Stop sending the app's log lines to URL."""
    name = resolve_app(app)
    client().request("DELETE", f"/apps/{name}/drains", params={"url": url})
    click.echo(f"Successfully removed drain {url} from {name}")


COMMANDS = [drains, drains_add, drains_remove]
