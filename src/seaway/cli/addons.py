"""addons:* — an app's add-ons (the PostgreSQL database): attaching, listing, showing, destroying."""

from __future__ import annotations

import click

from seaway.cli.common import app_option, client, confirm_app, json_option, print_json, print_table
from seaway.cli.linking import resolve_app


@click.command("addons")
@app_option
@json_option
def addons(app: str | None, as_json: bool) -> None:
    """List an app's add-ons."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/addons")
    if as_json:
        return print_json(data)
    if not data:
        click.echo("No add-ons. Add a database with `seaway addons:create postgresql`.")
        return
    print_table(["Add-on", "Attached as", "Database", "Created"],
                [[a["name"], a["config_var"], a["database"], a["created_at"][:19].replace("T", " ")] for a in data])


@click.command("addons:create")
@click.argument("service")
@app_option
@click.option("--as", "attach_as", help="Attach as NAME_URL (the first database is DATABASE_URL).")
def addons_create(service: str, app: str | None, attach_as: str | None) -> None:
    """Attach an add-on to an app: postgresql, or Heroku's name heroku-postgresql[:PLAN]."""
    name = resolve_app(app)
    result = client().job("POST", f"/apps/{name}/addons", json={"service": service, "attach_as": attach_as})
    click.echo(f"Created {result['name']} as {result['config_var']} on {name} (release v{result['release']})")
    if result.get("plan"):
        click.echo(f"Plan {result['plan']} recorded; Seaway enforces no plan's limits (the database has the host's).")


@click.command("addons:info")
@click.argument("name")
@app_option
@json_option
def addons_info(name: str, app: str | None, as_json: bool) -> None:
    """Show one add-on."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/addons/{name}")
    if as_json:
        return print_json(data)
    click.echo(f"=== {data['name']}")
    for key in ("service", "config_var", "database", "role", "created_at"):
        click.echo(f"{key + ':':<12}{data[key]}")


@click.command("addons:destroy")
@click.argument("name")
@app_option
@click.option("--confirm", help="The app's name, to confirm.")
def addons_destroy(name: str, app: str | None, confirm: str | None) -> None:
    """Destroy an add-on and its data; a final backup is taken first and kept."""
    app_name = resolve_app(app)
    confirm = confirm_app(app_name, confirm, f"This destroys {name} and its data (a final backup is taken first).")
    result = client().job("DELETE", f"/apps/{app_name}/addons/{name}", params={"confirm": confirm})
    click.echo(f"Destroyed {result['destroyed']} (release v{result['release']}). Final backup "
               f"{result['final_backup']}: {result['location']}")


COMMANDS = [addons, addons_create, addons_info, addons_destroy]
