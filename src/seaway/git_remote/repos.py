"""Each app's bare repository under SEAWAY_HOME/git, and the hook every push to them runs."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from seaway.errors import NotFound
from seaway.slugs.slug import remove_tree
from seaway.store.models import Commit


def _git(*args: str, git_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True, timeout=60)


class AppRepos:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.hooks = root / "hooks"

    def path(self, app: str) -> Path:
        return self.root / f"{app}.git"

    def install_hook(self) -> None:
        """The proc-receive hook, run by this daemon's interpreter (written on every start: it may move)."""
        self.hooks.mkdir(mode=0o700, exist_ok=True)
        hook = self.hooks / "proc-receive"
        python = shlex.quote(sys.executable)
        path = os.environ.get("PYTHONPATH")
        prefix = f"PYTHONPATH={shlex.quote(path)} " if path else ""
        hook.write_text(f"#!/bin/sh\n{prefix}exec {python} -m seaway.git_remote.proc_receive\n")
        hook.chmod(0o700)

    def ensure(self, app: str) -> Path:
        repo = self.path(app)
        if not (repo / "HEAD").is_file():
            subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(repo)], check=True,
                           capture_output=True, timeout=60)
        return repo

    def git_config(self) -> dict[str, str]:
        """What every receive-pack of these repositories runs with (as GIT_CONFIG_* variables): refs
        are moved by the hook, only after a deploy succeeds; shallow clones may push."""
        settings = {"core.hooksPath": str(self.hooks), "receive.procReceiveRefs": "refs/",
                    "receive.shallowUpdate": "true", "receive.denyDeletes": "true", "gc.auto": "0"}
        env = {"GIT_CONFIG_COUNT": str(len(settings))}
        for i, (key, value) in enumerate(settings.items()):
            env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
        return env

    def commit(self, app: str, sha: str) -> Commit:
        """The commit `sha` of the app's repository, or a 404 saying how to get it there."""
        shown = _git("log", "-1", "--format=%H%n%s", f"{sha}^{{commit}}", "--", git_dir=self.ensure(app))
        if shown.returncode != 0 or len(sha) != 40:
            raise NotFound(f"{app}'s repository has no commit {sha}. Push it first: `git push seaway main`.")
        full, _, subject = shown.stdout.partition("\n")
        return Commit(full.strip(), subject.strip())

    def commits_between(self, app: str, base: str, head: str, limit: int = 100) -> list[Commit] | None:
        """The commits in `head` but not in `base`, newest first (None if the repository lacks either)."""
        repo = self.path(app)
        if not (repo / "HEAD").is_file():
            return None
        shown = _git("log", f"--max-count={limit}", "--format=%H%x09%s", f"{base}..{head}", "--", git_dir=repo)
        if shown.returncode != 0:
            return None
        return [Commit(sha, subject) for sha, _, subject in (line.partition("\t") for line in shown.stdout.splitlines())]

    def rename(self, old: str, new: str) -> None:
        if self.path(old).exists():
            self.path(old).rename(self.path(new))

    def remove(self, app: str) -> None:
        remove_tree(self.path(app))
