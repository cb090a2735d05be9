"""apps:* — creating, listing, showing, renaming, tuning and destroying apps, and `open`."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path
from typing import Any

import click

from seaway.cli.common import app_option, client, json_option, print_json
from seaway.cli.linking import DEFAULT_REMOTE, follow_rename, in_work_tree, link_directory, resolve_app
from seaway.cli.remotes import add_remote, git_url

ADJECTIVES = ("amber", "brave", "calm", "dusty", "eager", "fancy", "gentle", "hidden", "icy", "jolly", "keen",
              "lively", "misty", "noble", "odd", "proud", "quiet", "rapid", "shiny", "tidy", "vast", "warm")
NOUNS = ("anchor", "beacon", "cove", "delta", "estuary", "fjord", "harbor", "inlet", "jetty", "keel", "lagoon",
         "marina", "narrows", "ocean", "pier", "quay", "reef", "shoal", "tide", "wharf")


def generated_name() -> str:
    """A name like Heroku's: two words and a number."""
    return f"{random.choice(ADJECTIVES)}-{random.choice(NOUNS)}-{random.randint(10000, 99999)}"


@click.command("create")
@click.argument("name", required=False)
@click.option("-r", "--remote", default=DEFAULT_REMOTE, show_default=True, help="The git remote to add.")
@click.option("-b", "--buildpack", help="Accepted for Heroku's guides; Seaway builds every app with its Python build.")
@click.option("--manifest", "manifest", is_flag=True,
              help="Set the app up from ./app.json: its add-ons, config vars and formation (see --manifest-file).")
@click.option("--manifest-file", type=click.Path(dir_okay=False, path_type=Path),
              help="The app.json to set the app up from (implies --manifest).")
@click.option("-e", "--env", "env", multiple=True, metavar="NAME=VALUE",
              help="A config var the manifest requires (or one to set instead of its value); repeatable.")
@json_option
def create(name: str | None, remote: str, buildpack: str | None, manifest: bool, manifest_file: Path | None,
           env: tuple[str, ...], as_json: bool) -> None:
    """Create an app (a generated name if none is given); in a git repository, add its `seaway` remote."""
    name = name or generated_name()
    if buildpack:
        click.echo(f" !     Ignoring --buildpack {buildpack}: Seaway builds Python apps itself "
                   "(see `seaway buildpacks`).", err=True)
    if manifest or manifest_file:
        info = _create_from_manifest(name, manifest_file or Path("app.json"), env)
    elif env:
        raise click.UsageError("--env sets what an app.json requires: use it with --manifest.")
    else:
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


def _create_from_manifest(name: str, path: Path, env: tuple[str, ...]) -> dict[str, Any]:
    if not path.is_file():
        raise click.UsageError(f"No app.json at {path}: --manifest sets an app up from one (or name it with "
                               "--manifest-file PATH).")
    values = {}
    for pair in env:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise click.UsageError(f"--env {pair!r}: write NAME=VALUE.")
        values[key] = value
    body = {"name": name, "app_json": path.read_text(encoding="utf-8", errors="replace"), "env": values}
    return client().job("POST", "/app-setups", json=body)


@click.command("apps")
@json_option
def apps(as_json: bool) -> None:
    """List apps."""
    data = client().request("GET", "/apps")
    if as_json:
        return print_json(data)
    if not data:
        click.echo("You have no apps. Create one with `seaway apps:create NAME`.")
    for item in data:
        click.echo(item["name"])


@click.command("apps:info")
@app_option
@json_option
def apps_info(app: str | None, as_json: bool) -> None:
    """Show an app's release, slug, add-ons and dynos."""
    info = client().request("GET", f"/apps/{resolve_app(app)}")
    if as_json:
        return print_json(info)
    slug = info["slug"] or {}
    rows = [("Release", f"v{info['release']}" if info["release"] else "none"), ("Web URL", info["web_url"]),
            ("HTTPS URL", info.get("https_url") or "none"),
            ("Add-ons", ", ".join(info["addons"]) or "none"),
            ("Pipeline", f"{info['pipeline']['name']} ({info['pipeline']['stage']})" if info.get("pipeline") else "none"),
            ("Dynos", ", ".join(f"{d['name']} ({d['state']})" for d in info["dynos"]) or "none"),
            ("Python", slug.get("python_version", "")), ("Slug size", f"{slug['size'] / 1e6:.1f} MB" if slug else "")]
    click.echo(f"=== {info['name']}")
    for label, value in rows:
        click.echo(f"{label + ':':<11}{value}")


@click.command("apps:destroy")
@app_option
@click.option("--confirm", help="The app's name, to confirm.")
def apps_destroy(app: str | None, confirm: str | None) -> None:
    """Destroy an app: its dynos, releases, config vars, database and logs."""
    name = resolve_app(app)
    if confirm != name:
        raise click.UsageError(f"This destroys {name} and its data. Run again with --confirm {name}.")
    result = client().request("DELETE", f"/apps/{name}")
    click.echo(f"Destroying {name}... done")
    for final in result["final_backups"]:
        click.echo(f"Final backup of {final}")
    if result["backups_kept_in"]:
        click.echo(f"Backups kept in {result['backups_kept_in']} (pg_restore reads them)")
    for warning in result.get("warnings", []):
        click.echo(f" !     Warning: {warning}", err=True)


@click.command("apps:rename")
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


SWITCHES = {"true": "1", "on": "1", "yes": "1", "false": "0", "off": "0", "no": "0"}


@click.command("apps:settings")
@click.argument("pairs", nargs=-1)
@app_option
@json_option
def apps_settings(pairs: tuple[str, ...], app: str | None, as_json: bool) -> None:
    """Show or change per-app settings: boot_timeout, stop_timeout, release_timeout, router_timeout (seconds),
    max_body_size (MB, 0: no limit), memory (MB per dyno: R14 above it, R15 at twice it; restarts the dynos),
    release_watch (seconds the previous release's web dynos stand by after a deploy, 0: none), force_https
    (true: HTTP is redirected to HTTPS), hsts (seconds of Strict-Transport-Security); `default` resets one."""
    name = resolve_app(app)
    if pairs:
        values: dict[str, int | None] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            value = SWITCHES.get(value.lower(), value)
            if not sep or not (value.isdigit() or value == "default"):
                raise click.UsageError(f"{pair!r} is not KEY=NUMBER (or true/false). Example: seaway apps:settings "
                                       "boot_timeout=120")
            values[key] = None if value == "default" else int(value)
        data = client().request("PATCH", f"/apps/{name}/settings", json=values)
    else:
        data = client().request("GET", f"/apps/{name}/settings")
    if as_json:
        return print_json(data)
    width = max(map(len, data)) + 2
    for key, value in data.items():
        click.echo(f"{key + ':':<{width}}{value}")


@click.command("open")
@click.argument("path", default="")
@app_option
def open_app(path: str, app: str | None) -> None:
    """Open the app (or PATH of it) in a browser where there is one; print its URL."""
    url = client().request("GET", f"/apps/{resolve_app(app)}")["web_url"].rstrip("/") + "/" + path.lstrip("/")
    click.echo(url)
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform == "darwin":
        import webbrowser  # only with a screen: without one, webbrowser would start a text browser here

        webbrowser.open(url)


COMMANDS = [create, apps, apps_info, apps_destroy, apps_rename, apps_settings, open_app]
