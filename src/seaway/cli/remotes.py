"""Git remotes for apps: `create` and `git:remote` add them (with git's credential helper for the API,
cli/credential_helper.py), `git:clone` clones one, `apps:rename` makes them follow."""

from __future__ import annotations

import random
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from seaway.cli.linking import DEFAULT_REMOTE, follow_rename, in_work_tree, link_directory, resolve_app
from seaway.cli.main import app_option, cli, client, json_option, print_json
from seaway.credentials import api_location
from seaway.settings import Settings

ADJECTIVES = ("amber", "brave", "calm", "dusty", "eager", "fancy", "gentle", "hidden", "icy", "jolly", "keen",
              "lively", "misty", "noble", "odd", "proud", "quiet", "rapid", "shiny", "tidy", "vast", "warm")
NOUNS = ("anchor", "beacon", "cove", "delta", "estuary", "fjord", "harbor", "inlet", "jetty", "keel", "lagoon",
         "marina", "narrows", "ocean", "pier", "quay", "reef", "shoal", "tide", "wharf")


def generated_name() -> str:
    """A name like Heroku's: two words and a number."""
    return f"{random.choice(ADJECTIVES)}-{random.choice(NOUNS)}-{random.randint(10000, 99999)}"


def git_url(app: str) -> str:
    return f"{api_location(Settings.from_env())[0]}/git/{app}.git"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def helper_command() -> str:
    return f"!{shlex.quote(sys.executable)} -m seaway.cli.credential_helper"


def use_credential_helper(*where: str, cwd: Path | None = None) -> None:
    """Tell git (`--global`, or this repository's config) to ask Seaway for the API's password."""
    key = f"credential.{_origin(git_url('x'))}.helper"
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


@cli.command("create")
@click.argument("name", required=False)
@click.option("-r", "--remote", default=DEFAULT_REMOTE, show_default=True, help="The git remote to add.")
@click.option("-b", "--buildpack", help="Accepted for Heroku's guides; Seaway builds every app with its Python build.")
@json_option
def create(name: str | None, remote: str, buildpack: str | None, as_json: bool) -> None:
    """Create an app (a generated name if none is given); in a git repository, add its `seaway` remote."""
    name = name or generated_name()
    if buildpack:
        click.echo(f" !     Ignoring --buildpack {buildpack}: Seaway builds Python apps itself "
                   "(see `seaway buildpacks`).", err=True)
    info = client().request("POST", "/apps", json={"name": name})
    if as_json:
        return print_json(info)
    click.echo(f"Creating {name}... done\n{info['web_url']} | {git_url(name)}")
    here = Path.cwd()
    if in_work_tree(here):
        add_remote(here, name, remote)
        click.echo(f"Git remote {remote} added: deploy with `git push {remote} main`.")
    else:
        click.echo(f"Linked this directory to {name} ({link_directory(here, name)}).")


cli.add_command(create, "apps:create")


@cli.command("apps:rename")
@click.argument("newname")
@app_option
@json_option
def apps_rename(newname: str, app: str | None, as_json: bool) -> None:
    """Rename an app: its URL, this repository's git remote and the link follow (its dynos restart)."""
    name = resolve_app(app)
    info = client().request("PATCH", f"/apps/{name}", json={"name": newname})
    changed = follow_rename(Path.cwd(), name, newname)
    if as_json:
        return print_json(info)
    click.echo(f"Renaming {name} to {newname}... done\n{info['web_url']} | {git_url(newname)}")
    for line in changed:
        click.echo(line)
    click.echo(" !    Don't forget to update git remotes for all other local checkouts of the app.", err=True)


@cli.command("git:remote")
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


@cli.command("git:clone")
@click.option("-a", "--app", "app", help="The app to clone.")
@click.option("-r", "--remote", "remote", default=DEFAULT_REMOTE, show_default=True, help="The clone's remote name.")
@click.argument("directory", required=False)
def git_clone(app: str | None, remote: str, directory: str | None) -> None:
    """Clone an app's repository (what was last pushed to it) into DIRECTORY (default: the app's name)."""
    if not app:
        raise click.UsageError("Say which app: seaway git:clone -a APP [DIR]")
    client().request("GET", f"/apps/{app}")
    target = Path(directory or app)
    helper = f"credential.{_origin(git_url(app))}.helper={helper_command()}"
    cloned = subprocess.run(["git", "-c", helper, "clone", "--origin", remote, git_url(app), str(target)])
    if cloned.returncode != 0:
        raise click.ClickException(f"git clone of {app} failed (exit {cloned.returncode}).")
    use_credential_helper(cwd=target)
