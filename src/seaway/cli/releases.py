"""releases:* and `rollback`: an app's release history, a release's details and output, going back."""

from __future__ import annotations

import click

from seaway.cli.common import app_option, client, json_option, print_json, print_table
from seaway.cli.linking import resolve_app


@click.command("releases")
@app_option
@json_option
@click.option("-n", "--num", type=click.IntRange(min=1), help="Only the newest N releases.")
def releases(app: str | None, as_json: bool, num: int | None) -> None:
    """List releases, newest first."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/releases")[:num]
    if as_json:
        return print_json(data)
    click.echo(f"=== {resolve_app(app)} Releases")
    print_table(["Version", "Description", "Status", "Author", "Created"],
                [[f"v{r['version']}", r["description"], "current" if r["current"] else r["status"], r["author"],
                  r["created_at"][:19].replace("T", " ")] for r in data])


def _version_arg(version: str | None) -> str:
    return "current" if version is None else version.lstrip("vV")


@click.command("releases:info")
@click.argument("version", required=False)
@app_option
@json_option
def releases_info(version: str | None, app: str | None, as_json: bool) -> None:
    """Show a release (default: the current one)."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/releases/{_version_arg(version)}")
    if as_json:
        return print_json(data)
    click.echo(f"=== Release v{data['version']}")
    origin = data.get("promoted_from")
    status = f"{data['status']} (current)" if data["current"] else data["status"]
    for label, value in [("By", data["author"]), ("Change", data["description"]), ("When", data["created_at"]),
                         ("Status", status), ("Slug", data["slug"] or "none"),
                         ("Commit", f"{data['commit']} {data['commit_subject']}" if data.get("commit") else "none"),
                         ("Promoted from", f"{origin['app']} v{origin['version']}" if origin else "none"),
                         ("Config vars", ", ".join(data["config_vars"]) or "none")]:
        click.echo(f"{label + ':':<13}{value}")
    if data.get("watch"):
        watch = data["watch"]
        click.echo(f"{'Watch:':<13}{watch['seconds_left']} s left; v{watch['standby']} stands by out of rotation")


@click.command("releases:output")
@click.argument("version", required=False)
@app_option
def releases_output(version: str | None, app: str | None) -> None:
    """Show the release phase's output of a release (default: the current one)."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/releases/{_version_arg(version)}")
    click.echo(data["output"] or f"v{data['version']} has no release output.")


@click.command("rollback")
@click.argument("version", required=False)
@app_option
def rollback(version: str | None, app: str | None) -> None:
    """Roll back to an earlier release's code and config vars (default: the previous good one), no rebuild."""
    name = resolve_app(app)
    number = None if version is None else int(_version_arg(version)) if _version_arg(version).isdigit() else None
    if version is not None and number is None:
        raise click.UsageError(f"{version!r} is not a release version like v3.")
    result = client().job("POST", f"/apps/{name}/releases/rollback", json={"version": number})
    click.echo(f"Rolled back {name} to v{result['rollback_of']}: now v{result['release']}")


COMMANDS = [releases, releases_info, releases_output, rollback]
