"""Which app a command means: -a, SEAWAY_APP, or the app linked to the current directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import click

LINK_FILE = ".seaway-app"


def _git(*args: str, cwd: Path) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def linked_app(directory: Path) -> str | None:
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
    if _git("rev-parse", "--is-inside-work-tree", cwd=directory) == "true":
        _git("config", "seaway.app", app, cwd=directory)
        return "git config seaway.app"
    (directory / LINK_FILE).write_text(app + "\n")
    return LINK_FILE


def resolve_app(option: str | None, directory: Path | None = None) -> str:
    app = option or os.environ.get("SEAWAY_APP") or linked_app(directory or Path.cwd())
    if not app:
        raise click.UsageError("No app specified. Use -a APP, or run the command inside a directory linked to an "
                               "app (`seaway apps:create NAME` links the directory it runs in).")
    return app
