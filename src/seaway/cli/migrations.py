"""`migrations:*` commands: what the app's database has applied, against its current code."""

from __future__ import annotations

import click

from seaway.cli.common import app_option, client, json_option, print_json, print_table
from seaway.cli.linking import resolve_app


@click.command("migrations:status")
@app_option
@json_option
def migrations_status(app: str | None, as_json: bool) -> None:
    """Current revision in the database, head in the code, pending revisions."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/migrations/status")
    if as_json:
        return print_json(data)
    state = "up to date" if data["is_up_to_date"] else f"{len(data['pending_revisions'])} pending"
    for label, value in [("Framework", data["framework"]), ("Database", data["database_url_masked"]),
                         ("Current", data["current_revision"] or "none (nothing applied)"),
                         ("Head", data["head_revision"]), ("Status", state),
                         ("Pending", ", ".join(data["pending_revisions"]) or "none")]:
        click.echo(f"{label + ':':<11}{value}")


@click.command("migrations:history")
@app_option
@json_option
def migrations_history(app: str | None, as_json: bool) -> None:
    """Every revision, newest first, and whether the database has it."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/migrations/history")
    if as_json:
        return print_json(data)
    print_table(["Revision", "Applied", "Parents", "Date", "Message"],
                [[r["revision"] + (" (head)" if r["head"] else ""), "yes" if r["applied"] else "no",
                  ", ".join(r["parents"]) or "-", r["date"][:19], r["message"]] for r in data])


@click.command("migrations:validate")
@app_option
@json_option
def migrations_validate(app: str | None, as_json: bool) -> None:
    """Check for multiple heads, a schema ahead of the code, and a broken revision chain."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/migrations/validate")
    if as_json:
        return print_json(data)
    if data["valid"]:
        click.echo("Migrations are consistent with the database.")
        return
    for problem in data["problems"]:
        click.secho(f" !     {problem}", fg="red")
    raise SystemExit(1)


@click.command("migrations:upgrade")
@app_option
def migrations_upgrade(app: str | None) -> None:
    """Run the migration step again in a one-off dyno, with the release phase's checks and backup."""
    client().job("POST", f"/apps/{resolve_app(app)}/migrations/upgrade")


@click.command("migrations:downgrade")
@click.argument("revision")
@app_option
@click.option("--confirm", help="The app's name, to confirm.")
def migrations_downgrade(revision: str, app: str | None, confirm: str | None) -> None:
    """Downgrade the database to REVISION (a backup is taken first)."""
    name = resolve_app(app)
    if confirm != name:
        raise click.UsageError(f"This changes the database schema (a backup is taken first). "
                               f"Run again with --confirm {name}.")
    result = client().job("POST", f"/apps/{name}/migrations/downgrade", params={"revision": revision, "confirm": confirm})
    click.echo(f"Downgraded to {result['revision']}; the database as it was is backup {result['backup']}.")


COMMANDS = [migrations_status, migrations_history, migrations_validate, migrations_upgrade, migrations_downgrade]
