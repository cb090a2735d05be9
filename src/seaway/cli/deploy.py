"""`deploy` (a directory or HEAD's commit, built into a slug and released) and `buildpacks`."""

from __future__ import annotations

from pathlib import Path

import click

from seaway.cli.common import app_option, client
from seaway.cli.linking import resolve_app
from seaway.cli.upload import git_dir, head_commit, pack_source
from seaway.slugs.git_source import pack_commit


@click.command("deploy")
@click.argument("directory", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@app_option
@click.option("--include-uncommitted", is_flag=True, help="In a git repository, deploy the work tree as it is, "
                                                           "uncommitted changes included (default: HEAD's commit).")
def deploy(directory: Path, app: str | None, include_uncommitted: bool) -> None:
    """Build DIRECTORY (default: here) into a slug and release it: in a git repository, HEAD's committed tree."""
    folder = directory.resolve()
    name = resolve_app(app, folder)
    api = client()
    commit = head_commit(folder)
    if commit is not None and not include_uncommitted and commit.dirty:
        click.echo(" !     Warning: the work tree has uncommitted changes; deploying HEAD's commit without them "
                   "(commit them, or deploy with --include-uncommitted).", err=True)
    params = {}
    if commit is not None:
        params = {"commit": commit.sha, "subject": commit.subject[:200], "uncommitted": include_uncommitted and commit.dirty}
    committed = commit is not None and not include_uncommitted
    with pack_commit(git_dir(folder), f"{commit.sha}:{commit.folder}") if committed else pack_source(folder) as archive:
        what = f"{commit.sha[:7]} ({commit.subject[:60]})" if committed else str(directory)
        click.echo(f"-----> Uploading {what} to {name}")
        result = api.job("POST", f"/apps/{name}/builds", content=archive, params=params,
                         headers={"Content-Type": "application/gzip"})
    click.echo(f"-----> Released v{result['release']}: {result['web_url']} (slug {result['slug'][:12]})")


@click.command("buildpacks")
@app_option
def buildpacks(app: str | None) -> None:
    """Say what builds the app (Seaway's own Python build; buildpack URLs are not used)."""
    name = resolve_app(app)
    client().request("GET", f"/apps/{name}")  # a clear error for an app that does not exist
    click.echo(f"=== {name} Buildpack\nSeaway's Python build (what heroku/python does: .python-version, "
               "pip/uv/Poetry/Pipenv, collectstatic, bin/pre_compile and bin/post_compile)")


COMMANDS = [deploy, buildpacks]
