"""`pg:*` commands: the PostgreSQL add-on's database, its credentials and its backups."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from seaway.cli.common import app_option, client, confirm_app, json_option, print_json, print_table
from seaway.cli.linking import resolve_app
from seaway.libpq import PARAMETER_ENVIRONMENT

addon_option = click.option("--addon", help="Which database (default: the one attached as DATABASE_URL).")


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


@click.command("pg:info")
@app_option
@addon_option
@json_option
def pg_info(app: str | None, addon: str | None, as_json: bool) -> None:
    """Database facts: version, size, tables, connections, backups."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/pg", params={"addon": addon} if addon else None)
    if as_json:
        return print_json(data)
    verified = data["last_verified_backup"]
    rows = [("Add-on", f"{data['addon']} ({data['config_var']})"), ("PG Version", data["server_version"]),
            ("Data Size", _size(data["database_size"])), ("Tables", data["tables"]),
            ("Connections", data["connections"]), ("Created", data["created_at"][:19].replace("T", " ")),
            ("Backups", data["backups"]),
            ("Verified", f"{verified['id']} at {verified['created_at'][:19].replace('T', ' ')}" if verified else "none"),
            ("Schedule", data["backup_schedule"] or "none")]
    click.echo(f"=== {data['config_var']}")
    for label, value in rows:
        click.echo(f"{label + ':':<13}{value}")
    if data["failed_backups"]:
        click.secho(f"Failed backups: {', '.join(data['failed_backups'])} (see `seaway pg:backups`)", fg="red")


def _psql() -> str:
    found = shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"), reverse=True)), None)
    if not found:
        raise click.ClickException("psql is not installed here. Install it with `apt-get install postgresql-client`.")
    return found


def connection_environment(url: str) -> dict[str, str]:
    """libpq's environment variables for a database URL (Heroku's postgres:// form too)."""
    from psycopg.conninfo import conninfo_to_dict  # here: psycopg takes a tenth of a second to import

    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    params = conninfo_to_dict(url)
    unknown = sorted(set(params) - set(PARAMETER_ENVIRONMENT))
    if unknown:
        raise click.ClickException(f"psql cannot be given the database URL's {', '.join(unknown)} through its environment.")
    return {PARAMETER_ENVIRONMENT[key]: str(value) for key, value in params.items()}


def psql_invocation(psql: str, url: str, sql: str | None, environ: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """psql's argv and environment: the connection (password included) goes through the environment only,
    as /proc/PID/cmdline is readable by every local user."""
    return [psql, *(["-c", sql] if sql else [])], {**environ, **connection_environment(url)}


@click.command("pg:psql")
@app_option
@addon_option
@click.option("-c", "--command", "sql", help="Run one SQL command and exit.")
def pg_psql(app: str | None, addon: str | None, sql: str | None) -> None:
    """Open psql on the app's database, as the app's own role."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/pg/credentials", params={"addon": addon} if addon else None)
    argv, env = psql_invocation(_psql(), data["url"], sql, os.environ)
    sys.exit(subprocess.run(argv, env=env).returncode)


@click.command("pg:credentials:rotate")
@app_option
@addon_option
def pg_credentials_rotate(app: str | None, addon: str | None) -> None:
    """Give the database role a new password (a new release; dynos restart with it)."""
    name = resolve_app(app)
    result = client().job("POST", f"/apps/{name}/pg/credentials/rotate", params={"addon": addon} if addon else None)
    click.echo(f"Rotated the credentials of {result['addon']} (release v{result['release']})")


@click.command("pg:reset")
@app_option
@addon_option
@click.option("--confirm", help="The app's name, to confirm.")
def pg_reset(app: str | None, addon: str | None, confirm: str | None) -> None:
    """Empty the database (a backup is taken first)."""
    name = resolve_app(app)
    confirm = confirm_app(name, confirm, "This deletes every table and row of the database (a backup is taken first).")
    params = {"confirm": confirm, **({"addon": addon} if addon else {})}
    result = client().job("POST", f"/apps/{name}/pg/reset", params=params)
    click.echo(f"Reset {result['addon']}; backup {result['backup']} was taken first.")


@click.command("pg:backups")
@app_option
@json_option
def pg_backups(app: str | None, as_json: bool) -> None:
    """List backups: a failed capture or verification shows here, in pg:info and in the log."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/pg/backups")
    if as_json:
        return print_json(data)
    if not data:
        click.echo("No backups. Take one with `seaway pg:backups:capture`.")
        return
    print_table(["ID", "Created", "Size", "Status", "Verified", "Kind", "Reason"],
                [[b["id"], b["created_at"][:19].replace("T", " "), _size(b["size"]), b["status"],
                  _verified(b), b["kind"], b["reason"][:60]] for b in data])


def _verified(backup: dict) -> str:
    """Verified only while the file is the one that was verified."""
    integrity = backup.get("integrity")
    if integrity == "damaged":
        return "DAMAGED"  # the file changed since its capture
    if integrity == "missing":
        return "MISSING"
    return backup["verification"] or "-"


@click.command("pg:backups:capture")
@app_option
@addon_option
def pg_backups_capture(app: str | None, addon: str | None) -> None:
    """Take a backup now and verify it by restoring it into a scratch database."""
    name = resolve_app(app)
    result = client().job("POST", f"/apps/{name}/pg/backups", params={"addon": addon} if addon else None)
    if result["status"] != "completed" or result["verification"] != "verified":
        raise click.ClickException(f"Backup {result['id']} {result['status']}: {result['reason']}")


@click.command("pg:backups:info")
@click.argument("backup", required=False)
@app_option
@json_option
def pg_backups_info(backup: str | None, app: str | None, as_json: bool) -> None:
    """Show a backup (default: the newest completed one)."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/pg/backups/{backup or 'latest'}")
    if as_json:
        return print_json(data)
    click.echo(f"=== Backup {data['id']}")
    for key in ("addon", "kind", "status", "verification", "reason", "size", "location", "created_at", "finished_at"):
        click.echo(f"{key + ':':<14}{data[key]}")
    click.echo(f"{'tables:':<14}" + ", ".join(f"{t} ({n} rows)" for t, n in sorted(data["tables"].items())))


@click.command("pg:backups:restore")
@click.argument("backup", required=False)
@app_option
@click.option("--confirm", help="The app's name, to confirm.")
def pg_backups_restore(backup: str | None, app: str | None, confirm: str | None) -> None:
    """Restore a backup (default: the newest) in one transaction; a safety backup is taken first."""
    name = resolve_app(app)
    confirm = confirm_app(name, confirm,
                          "This replaces the database's contents with the backup's (a safety backup is taken first).")
    result = client().job("POST", f"/apps/{name}/pg/backups/{backup or 'latest'}/restore", params={"confirm": confirm})
    click.echo(f"Restored {result['restored']}; the database as it was is backup {result['safety_backup']}.")


@click.command("pg:backups:download")
@click.argument("backup", required=False)
@app_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: APP-ID.dump).")
def pg_backups_download(backup: str | None, app: str | None, output: Path | None) -> None:
    """Download a backup (pg_dump custom format: pg_restore reads it)."""
    name = resolve_app(app)
    api = client()
    written = 0
    target = output
    partial = None
    try:
        with api.http.stream("GET", f"/apps/{name}/pg/backups/{backup or 'latest'}/download") as response:
            api._check(response)
            target = output or Path(f"{name}-{response.headers.get('X-Seaway-Backup', 'backup')}.dump")
            partial = target.with_name(target.name + ".partial")
            with open(partial, "wb") as f:
                for chunk in response.iter_bytes():
                    f.write(chunk)
                    written += len(chunk)
        partial.replace(target)
    finally:
        if partial is not None and partial.exists():
            partial.unlink()
    click.echo(f"Wrote {target} ({_size(written)})")


@click.command("pg:backups:delete")
@click.argument("backup")
@app_option
@click.option("--confirm", help="The app's name, to confirm.")
def pg_backups_delete(backup: str, app: str | None, confirm: str | None) -> None:
    """Delete a backup."""
    name = resolve_app(app)
    confirm = confirm_app(name, confirm, f"This deletes backup {backup}.")
    click.echo(f"Deleted {client().request('DELETE', f'/apps/{name}/pg/backups/{backup}')['deleted']}")


@click.command("pg:backups:schedule")
@app_option
@addon_option
@click.option("--at", "at", required=True, help="Daily time and time zone, e.g. '02:00 Europe/Paris' (default UTC).")
def pg_backups_schedule(app: str | None, addon: str | None, at: str) -> None:
    """Take (and verify) a backup every day; keeps the last 7 daily and 4 weekly ones."""
    name = resolve_app(app)
    data = client().request("PUT", f"/apps/{name}/pg/backups/schedule", json={"at": at},
                            params={"addon": addon} if addon else None)
    click.echo(f"Scheduled daily backups of {data['addon']} at {data['at']} {data['timezone']}")


@click.command("pg:backups:unschedule")
@app_option
def pg_backups_unschedule(app: str | None) -> None:
    """Stop scheduled backups (those taken stay)."""
    name = resolve_app(app)
    client().request("DELETE", f"/apps/{name}/pg/backups/schedule")
    click.echo(f"Stopped scheduled backups of {name}")


COMMANDS = [pg_info, pg_psql, pg_credentials_rotate, pg_reset, pg_backups, pg_backups_capture, pg_backups_info,
            pg_backups_restore, pg_backups_download, pg_backups_delete, pg_backups_schedule, pg_backups_unschedule]
