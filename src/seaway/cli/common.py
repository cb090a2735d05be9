"""What every topic's commands share: -a/--app and -r/--remote, --json, the API client, JSON and table
output, and the confirmation of destructive commands."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from seaway.cli.client import ApiClient
from seaway.cli.linking import REMOTE_KEY


def _remember_remote(context: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        context.meta[REMOTE_KEY] = value
    return value


def app_option(command: Any) -> Any:
    """-a/--app APP and -r/--remote REMOTE (the app that git remote's URL names)."""
    command = click.option("-r", "--remote", callback=_remember_remote, expose_value=False, is_eager=True,
                           help="The git remote of the app to act on.")(command)
    return click.option("-a", "--app", "app", help="The app to act on (default: the `seaway` git remote's, "
                                                     "or the linked app).")(command)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def client() -> ApiClient:
    return ApiClient()


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


def confirm_app(name: str, confirm: str | None, what: str) -> str:
    """The app's name once confirmed: by --confirm, or typed at Heroku's prompt when in a terminal."""
    if confirm is None and sys.stdin.isatty() and sys.stdout.isatty():
        click.echo(f" !     WARNING: Destructive action. {what}\n !     This command will affect the app {name}.\n"
                   f" !     To proceed, type {name} or re-run this command with --confirm {name}", err=True)
        confirm = click.prompt("", prompt_suffix="> ", default="", show_default=False)
    if confirm != name:
        raise click.UsageError(f"{what} Run again with --confirm {name}.")
    return name


def print_table(columns: list[str], rows: list[list[str]]) -> None:
    """Columns and rows as a table; every cell is printed as the text it is (`[red]` is no markup here)."""
    from rich.console import Console  # imported here: most commands print no table
    from rich.table import Table
    from rich.text import Text

    result = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        result.add_column(column)
    for row in rows:
        result.add_row(*(Text(str(cell)) for cell in row))
    Console(highlight=False).print(result)
