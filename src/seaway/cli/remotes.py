"""Git remotes for apps: `git:remote` adds one (with git's credential helper for the API,
cli/credential_helper.py), `git:clone` clones one; `create` (cli/apps.py) adds one too, and `login`
(cli/session.py) sets the helper up."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from seaway.cli.common import client
from seaway.cli.linking import DEFAULT_REMOTE, in_work_tree
from seaway.credentials import api_location
from seaway.settings import Settings


def git_url(app: str) -> str:
    return f"{api_location(Settings.from_env())[0]}/git/{app}.git"


def origin_of(url: str) -> str:
    """scheme://host:port of a URL: what git credential settings are keyed by."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def helper_command() -> str:
    return f"!{shlex.quote(sys.executable)} -m seaway.cli.credential_helper"


def use_credential_helper(*where: str, cwd: Path | None = None) -> None:
    """Tell git (`--global`, or this repository's config) to ask Seaway for the API's password."""
    key = f"credential.{origin_of(git_url('x'))}.helper"
    subprocess.run(["git", "config", *where, "--replace-all", key, helper_command()], cwd=cwd, check=True,
                   capture_output=True)


def add_remote(directory: Path, app: str, remote: str) -> str:
    """Point `remote` of the repository at `directory` to the app's repository; returns its URL."""
    url = git_url(app)
    if subprocess.run(["git", "remote", "get-url", remote], cwd=directory, capture_output=True).returncode == 0:
        subprocess.run(["git", "remote", "set-url", remote, url], cwd=directory, check=True, capture_output=True)
    else:
        subprocess.run(["git", "remote", "add", remote, url], cwd=directory, check=True, capture_output=True)
    use_credential_helper(cwd=directory)
    return url


@click.command("git:remote")
@click.option("-a", "--app", "app", help="The app whose repository the remote points to.")
@click.option("-r", "--remote", "remote", default=DEFAULT_REMOTE, show_default=True, help="The git remote to set.")
def git_remote(app: str | None, remote: str) -> None:
    """Add (or point) a git remote of this repository to an app: seaway git:remote -a APP."""
    if not app:
        raise click.UsageError("Say which app: seaway git:remote -a APP [-r REMOTE]")
    if not in_work_tree(Path.cwd()):
        raise click.UsageError("This is not a git repository. Run `git init` first, or `seaway git:clone -a APP`.")
    client().request("GET", f"/apps/{app}")  # a clear error if there is no such app
    click.echo(f"set git remote {remote} to {add_remote(Path.cwd(), app, remote)}")


@click.command("git:clone")
@click.option("-a", "--app", "app", help="The app to clone.")
@click.option("-r", "--remote", "remote", default=DEFAULT_REMOTE, show_default=True, help="The clone's remote name.")
@click.argument("directory", required=False)
def git_clone(app: str | None, remote: str, directory: str | None) -> None:
    """Clone an app's repository (what was last pushed to it) into DIRECTORY (default: the app's name)."""
    if not app:
        raise click.UsageError("Say which app: seaway git:clone -a APP [DIR]")
    client().request("GET", f"/apps/{app}")
    target = Path(directory or app)
    helper = f"credential.{origin_of(git_url(app))}.helper={helper_command()}"
    cloned = subprocess.run(["git", "-c", helper, "clone", "--origin", remote, git_url(app), str(target)])
    if cloned.returncode != 0:
        raise click.ClickException(f"git clone of {app} failed (exit {cloned.returncode}).")
    use_credential_helper(cwd=target)


COMMANDS = [git_remote, git_clone]
