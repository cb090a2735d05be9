"""config:* — an app's config vars (setting or unsetting one makes a new release)."""

from __future__ import annotations

import shlex

import click

from seaway.cli.common import app_option, client, json_option, print_json
from seaway.cli.linking import resolve_app


@click.command("config")
@app_option
@json_option
@click.option("--shell", is_flag=True, help="Print KEY=value lines for a shell.")
def config(app: str | None, as_json: bool, shell: bool) -> None:
    """Show config vars."""
    name = resolve_app(app)
    data = client().request("GET", f"/apps/{name}/config")
    if as_json:
        return print_json(data)
    if shell:
        for key, value in data.items():
            click.echo(f"{key}={shlex.quote(value)}")
        return
    click.echo(f"=== {name} Config Vars")
    width = max((len(key) for key in data), default=0) + 1
    for key, value in data.items():
        click.echo(f"{key + ':':<{width}} {value}")


@click.command("config:set")
@click.argument("pairs", nargs=-1, required=True)
@app_option
def config_set(pairs: tuple[str, ...], app: str | None) -> None:
    """Set config vars: KEY=VALUE ... (makes a new release and restarts dynos)."""
    name = resolve_app(app)
    changes = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.UsageError(f"{pair!r} is not KEY=VALUE. Example: seaway config:set SECRET_KEY=abc")
        changes[key] = value
    result = client().job("PATCH", f"/apps/{name}/config", json=changes)
    click.echo(f"Setting {', '.join(changes)} and restarting {name}... done, v{result['release']}")


@click.command("config:get")
@click.argument("key")
@app_option
def config_get(key: str, app: str | None) -> None:
    """Print one config var's value."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/config")
    if key not in data:
        raise click.ClickException(f"No config var named {key}. Set it with `seaway config:set {key}=VALUE`.")
    click.echo(data[key])


@click.command("config:unset")
@click.argument("keys", nargs=-1, required=True)
@app_option
def config_unset(keys: tuple[str, ...], app: str | None) -> None:
    """Remove config vars (makes a new release and restarts dynos)."""
    name = resolve_app(app)
    result = client().job("PATCH", f"/apps/{name}/config", json={key: None for key in keys})
    click.echo(f"Unsetting {', '.join(keys)} and restarting {name}... done, v{result['release']}")


COMMANDS = [config, config_set, config_get, config_unset]
