"""Logging in to a Seaway API: `login` stores its URL and a token (0600) and sets git up to use them,
`logout` forgets them, `auth:whoami` and `auth:token` say what is in use."""

from __future__ import annotations

import subprocess

import click
import httpx

from seaway.cli.common import client
from seaway.cli.remotes import helper_command, origin_of, use_credential_helper
from seaway.credentials import api_location, login_path, write_credentials
from seaway.settings import Settings


@click.command("login")
@click.option("--url", help="The Seaway API's URL, e.g. http://127.0.0.1:5050")
@click.option("--token", help="An API token (the daemon prints the first one and keeps it in SEAWAY_HOME/credentials).")
def login(url: str | None, token: str | None) -> None:
    """Log in to a Seaway API: check the URL and token, store them (0600) and let git push with them."""
    url = (url or click.prompt("Seaway API URL", default=api_location(Settings.from_env())[0])).rstrip("/")
    token = token or click.prompt("API token", hide_input=True)
    try:
        answer = httpx.get(f"{url}/account", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    except httpx.TransportError as error:
        raise click.ClickException(f"Cannot reach the Seaway API at {url} ({error}). Check the URL.") from error
    if answer.status_code == 401:
        raise click.ClickException(f"{url} refused that token. Use the token the daemon printed on its first "
                                   "start (also in SEAWAY_HOME/credentials on its host).")
    if not answer.is_success or "token" not in answer.json():
        raise click.ClickException(f"{url} does not answer as a Seaway API (HTTP {answer.status_code}).")
    write_credentials(login_path(), url, token)
    use_credential_helper("--global")
    click.echo(f"Logged in to {url} as {answer.json()['token'] or 'a token'}. "
               f"Credentials saved in {login_path()}; git uses them for {url}/git/.")


@click.command("logout")
def logout() -> None:
    """Forget the stored URL and token, and git's use of them."""
    path = login_path()
    path.unlink(missing_ok=True)
    url, _ = api_location(Settings.from_env())
    subprocess.run(["git", "config", "--global", "--unset-all", f"credential.{origin_of(url)}.helper",
                    helper_command().replace("\\", "\\\\")], capture_output=True)
    click.echo("Local credentials cleared.")


@click.command("auth:whoami")
def whoami() -> None:
    """Say whose token is in use."""
    click.echo(client().request("GET", "/account")["token"])


@click.command("auth:token")
def auth_token() -> None:
    """Print the API token in use (for SEAWAY_API_TOKEN, or git's password)."""
    api = client()
    if not api.token:
        raise click.ClickException("No token: run `seaway login`.")
    click.echo(api.token)


COMMANDS = [login, logout, whoami, auth_token]
