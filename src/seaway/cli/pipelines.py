"""pipelines:* — apps of one code base in stages, what each runs, and promotion of a slug downstream."""

from __future__ import annotations

from typing import Any

import click

from seaway.cli.common import app_option, client, json_option, print_json, print_table
from seaway.cli.linking import resolve_app
from seaway.pipelines.stages import STAGES

stage_option = click.option("-s", "--stage", required=True, type=click.Choice(STAGES),
                            help="The app's stage in the pipeline.")


def _short(value: str | None, length: int = 12) -> str:
    return value[:length] if value else "none"


def print_pipeline(info: dict[str, Any]) -> None:
    click.echo(f"=== {info['name']}")
    rows = []
    for stage, apps in info["stages"].items():
        for app in apps:
            origin = app.get("promoted_from")
            rows.append([stage, app["app"], f"v{app['release']}" if app["release"] else "none", _short(app["slug"]),
                         _short(app["commit"], 7), f"{origin['app']} v{origin['version']}" if origin else "",
                         "differs" if app["differs"] else ""])
    if not rows:
        click.echo("No apps. Add one with `seaway pipelines:add NAME -a APP -s staging`.")
        return
    print_table(["Stage", "App", "Release", "Slug", "Commit", "Promoted from", "From upstream"], rows)


@click.command("pipelines")
@json_option
def pipelines(as_json: bool) -> None:
    """List pipelines."""
    data = client().request("GET", "/pipelines")
    if as_json:
        return print_json(data)
    if not data:
        click.echo("You have no pipelines. Make one with `seaway pipelines:create NAME -a APP -s staging`.")
        return
    print_table(["Pipeline", "Apps"], [[p["name"], ", ".join(f"{a} ({s})" for a, s in p["apps"].items()) or "none"]
                                       for p in data])


@click.command("pipelines:create")
@click.argument("name")
@app_option
@stage_option
@json_option
def pipelines_create(name: str, app: str | None, stage: str, as_json: bool) -> None:
    """Create a pipeline with the app in it at STAGE."""
    app_name = resolve_app(app)
    info = client().request("POST", "/pipelines", json={"name": name, "app": app_name, "stage": stage})
    if as_json:
        return print_json(info)
    click.echo(f"Creating {name} pipeline... done\nAdding {app_name} to {name} pipeline as {stage}... done")


@click.command("pipelines:add")
@click.argument("name")
@app_option
@stage_option
@json_option
def pipelines_add(name: str, app: str | None, stage: str, as_json: bool) -> None:
    """Add the app to pipeline NAME at STAGE."""
    app_name = resolve_app(app)
    info = client().request("POST", f"/pipelines/{name}/apps", json={"app": app_name, "stage": stage})
    if as_json:
        return print_json(info)
    click.echo(f"Adding {app_name} to {name} pipeline as {stage}... done")


@click.command("pipelines:remove")
@app_option
def pipelines_remove(app: str | None) -> None:
    """Take the app out of its pipeline (the app itself stays as it is)."""
    result = client().request("DELETE", f"/apps/{resolve_app(app)}/pipeline")
    click.echo(f"Removing {result['app']} from {result['pipeline']} pipeline ({result['stage']})... done")


@click.command("pipelines:info")
@click.argument("name")
@json_option
def pipelines_info(name: str, as_json: bool) -> None:
    """Show the pipeline's apps by stage: each one's release, slug and commit."""
    info = client().request("GET", f"/pipelines/{name}")
    if as_json:
        return print_json(info)
    print_pipeline(info)


@click.command("pipelines:destroy")
@click.argument("name")
def pipelines_destroy(name: str) -> None:
    """Destroy a pipeline (its apps stay as they are)."""
    result = client().request("DELETE", f"/pipelines/{name}")
    click.echo(f"Destroying {name} pipeline... done" + (f" ({', '.join(result['apps'])} left as they are)"
                                                         if result["apps"] else ""))


@click.command("pipelines:diff")
@app_option
@json_option
def pipelines_diff(app: str | None, as_json: bool) -> None:
    """Compare the app with the apps of the next stage: the commits between them, or their slugs."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/pipeline/diff")
    if as_json:
        return print_json(data)
    for target in data["downstream"]:
        click.echo(f"=== {data['app']} ({data['stage']}) -> {target['app']}")
        click.echo(diff_summary(data, target))
        for commit in target["commits"] or []:
            click.echo(f"  {commit['sha'][:7]}  {commit['subject']}")


def diff_summary(source: dict[str, Any], target: dict[str, Any]) -> str:
    """One line: how far the target is behind the source."""
    if target["same_slug"]:
        return f"{target['app']} runs the same slug ({_short(source['slug'])}): nothing to promote."
    if target["commits"] is not None:
        count = len(target["commits"])
        return f"{source['app']} is ahead of {target['app']} by {count} commit{'s' if count != 1 else ''}."
    return (f"{source['app']} v{source['release']} runs slug {_short(source['slug'])}, {target['app']} "
            f"v{target['release'] or '-'} runs {_short(target['slug'])}: they differ (no git history links "
            "them: deploy with `git push` to see the commits).")


@click.command("pipelines:promote")
@app_option
@click.option("-t", "--to", "to", help="Comma-separated apps to promote to (default: the next stage's apps).")
@click.option("--release", "version", type=click.IntRange(min=1), help="Promote this release (default: current).")
@json_option
def pipelines_promote(app: str | None, to: str | None, version: int | None, as_json: bool) -> None:
    """Promote the app's slug to the next stage: a new release there, no build, with its own config vars."""
    targets = [name.strip() for name in to.split(",") if name.strip()] if to else None
    result = client().job("POST", f"/apps/{resolve_app(app)}/pipeline/promote",
                          json={"to": targets, "release": version})
    if as_json:
        return print_json(result)
    for done in result["promoted"]:
        click.echo(f"Promoted {result['app']} v{result['release']} to {done['app']}: now v{done['release']}")


COMMANDS = [pipelines, pipelines_create, pipelines_add, pipelines_remove, pipelines_info, pipelines_destroy,
            pipelines_diff, pipelines_promote]
