"""Which app a command means: -a, -r REMOTE, SEAWAY_APP, the git remote `seaway` (or the only Seaway
remote), or the app linked to the current directory."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import click

LINK_FILE = ".seaway-app"
REMOTE_KEY = "seaway.remote"  # where -r/--remote leaves its value in click's context
DEFAULT_REMOTE = "seaway"
REPOSITORY_PATH = re.compile(r"/git/([a-z][a-z0-9-]*)\.git/?$")


def _git(*args: str, cwd: Path) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def in_work_tree(directory: Path) -> bool:
    return _git("rev-parse", "--is-inside-work-tree", cwd=directory) == "true"


def app_of_url(url: str) -> str | None:
    """The app a Seaway git URL (http://HOST:PORT/git/APP.git) names."""
    found = REPOSITORY_PATH.search(urlsplit(url).path)
    return found.group(1) if found else None


def seaway_remotes(directory: Path) -> dict[str, str]:
    """The git remotes of `directory` that are Seaway apps: remote name -> app."""
    listed = _git("remote", "-v", cwd=directory) or ""
    remotes = {}
    for line in listed.splitlines():
        name, _, rest = line.partition("\t")
        app = app_of_url(rest.split(" ")[0])
        if app:
            remotes[name] = app
    return remotes


def app_of_remote(remote: str, directory: Path) -> str:
    url = _git("remote", "get-url", remote, cwd=directory)
    if url is None:
        raise click.UsageError(f"There is no git remote named {remote!r} here. Add one with "
                               f"`seaway git:remote -a APP -r {remote}`.")
    app = app_of_url(url)
    if app is None:
        raise click.UsageError(f"The git remote {remote!r} ({url}) is not a Seaway app's repository "
                               "(…/git/APP.git).")
    return app


def linked_app(directory: Path) -> str | None:
    remotes = seaway_remotes(directory)
    if DEFAULT_REMOTE in remotes:
        return remotes[DEFAULT_REMOTE]
    if len(set(remotes.values())) == 1:
        return next(iter(remotes.values()))
    if len(remotes) > 1:
        raise click.UsageError(f"This repository has several Seaway remotes ({', '.join(sorted(remotes))}): "
                               "say which with -r REMOTE or -a APP.")
    from_git = _git("config", "--get", "seaway.app", cwd=directory)
    if from_git:
        return from_git
    for folder in [directory, *directory.parents]:
        link = folder / LINK_FILE
        if link.is_file():
            return link.read_text().strip() or None
    return None


def link_directory(directory: Path, app: str) -> str:
    """Link a directory to an app: in git config when it is a git work tree, else in a .seaway-app file."""
    if in_work_tree(directory):
        _git("config", "seaway.app", app, cwd=directory)
        return "git config seaway.app"
    (directory / LINK_FILE).write_text(app + "\n")
    return LINK_FILE


def follow_rename(directory: Path, old: str, new: str) -> list[str]:
    """Point this directory's git remotes and link from a renamed app to its new name; one line per change."""
    changed = []
    for remote, app in seaway_remotes(directory).items():
        url = _git("remote", "get-url", remote, cwd=directory)
        if app == old and url:
            _git("remote", "set-url", remote, url.replace(f"/git/{old}.git", f"/git/{new}.git"), cwd=directory)
            changed.append(f"Git remote {remote} updated")
    if _git("config", "--get", "seaway.app", cwd=directory) == old:
        _git("config", "seaway.app", new, cwd=directory)
        changed.append("Link updated (git config seaway.app)")
    link = next((folder / LINK_FILE for folder in [directory, *directory.parents] if (folder / LINK_FILE).is_file()), None)
    if link and link.read_text().strip() == old:
        link.write_text(new + "\n")
        changed.append(f"Link updated ({link})")
    return changed


def resolve_app(option: str | None, directory: Path | None = None) -> str:
    here = directory or Path.cwd()
    context = click.get_current_context(silent=True)
    remote = context.meta.get(REMOTE_KEY) if context else None
    app = option or (app_of_remote(remote, here) if remote else None) or os.environ.get("SEAWAY_APP") or linked_app(here)
    if not app:
        raise click.UsageError("No app specified. Use -a APP or -r REMOTE, or run the command in a git repository "
                               "with a `seaway` remote (`seaway git:remote -a APP`) or a directory linked to an app.")
    return app
