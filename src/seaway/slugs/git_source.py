"""The source of a git commit, as the tarball a build takes: the committed tree as `git archive` gives
it (export-ignore attributes honoured, nothing of the work tree), less .slugignore's paths and the
folders that are never deployed."""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import IO

import pathspec

from seaway.slugs.errors import BuildError
from seaway.slugs.ignore import ALWAYS


def _git(git_dir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, timeout=60)


def _slugignore(git_dir: Path, tree: str) -> pathspec.GitIgnoreSpec:
    shown = _git(git_dir, "cat-file", "blob", f"{tree}:.slugignore")
    lines = shown.stdout.decode("utf-8", "replace").splitlines() if shown.returncode == 0 else []
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _tree(git_dir: Path, tree_ish: str) -> str:
    resolved = _git(git_dir, "rev-parse", "--verify", "--quiet", tree_ish)
    sha = resolved.stdout.decode().strip()
    if resolved.returncode == 0 and _git(git_dir, "cat-file", "-t", sha).stdout.strip() == b"commit":
        sha = _git(git_dir, "rev-parse", f"{sha}^{{tree}}").stdout.decode().strip()
    if resolved.returncode != 0 or _git(git_dir, "cat-file", "-t", sha).stdout.strip() != b"tree":
        raise BuildError(f"{tree_ish} is not a commit or folder of this repository.")
    return sha


def pack_commit(git_dir: Path, tree_ish: str) -> IO[bytes]:
    """A gzipped tarball of `tree_ish` (a commit, or `COMMIT:folder`) of the repository at `git_dir`."""
    tree = _tree(git_dir, tree_ish)
    ignored = _slugignore(git_dir, tree)
    archive = tempfile.TemporaryFile()
    with subprocess.Popen(["git", f"--git-dir={git_dir}", "archive", "--format=tar", tree],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as git:
        assert git.stdout is not None
        with tarfile.open(fileobj=git.stdout, mode="r|") as source, \
                tarfile.open(fileobj=archive, mode="w:gz", compresslevel=3) as packed:
            for member in source:
                rel = member.name + ("/" if member.isdir() else "")
                if ALWAYS.match_file(rel) or ignored.match_file(rel):
                    continue
                packed.addfile(member, source.extractfile(member) if member.isfile() else None)
        error = git.stderr.read().decode(errors="replace").strip() if git.stderr else ""
    if git.returncode != 0:
        raise BuildError(f"git archive of {tree_ish} failed: {error}")
    archive.seek(0)
    return archive
