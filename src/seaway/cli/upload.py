"""What `seaway deploy` uploads: a folder packed as a tarball, and which git commit it is, if any."""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import click

from seaway.slugs.ignore import included_files


def pack_source(root: Path) -> IO[bytes]:
    """A gzipped tarball of `root`, honouring .gitignore and .slugignore; links stay links."""
    archive = tempfile.TemporaryFile()
    with tarfile.open(fileobj=archive, mode="w:gz", compresslevel=3) as tar:
        for rel in included_files(root):
            tar.add(root / rel, arcname=rel.as_posix(), recursive=False)
    archive.seek(0)
    return archive


@dataclass(frozen=True)
class HeadCommit:
    sha: str
    subject: str
    folder: str  # the deployed directory's path inside the repository ("" at its top)
    dirty: bool  # the work tree (under that directory) differs from the commit


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def git_dir(folder: Path) -> Path:
    return Path(folder, (_git(folder, "rev-parse", "--git-dir") or ".git").strip())


def head_commit(folder: Path) -> HeadCommit | None:
    """HEAD of the git work tree `folder` is in, or None outside git. A repository without a commit yet
    is an error that says what to do."""
    if (_git(folder, "rev-parse", "--is-inside-work-tree") or "").strip() != "true":
        return None
    shown = _git(folder, "log", "-1", "--format=%H%n%s")
    if shown is None:
        raise click.ClickException("This git repository has no commit yet: commit your code "
                                   "(`git add -A && git commit -m 'First version'`) or deploy with --include-uncommitted.")
    sha, _, subject = shown.partition("\n")
    status = _git(folder, "status", "--porcelain", "--", ".") or ""
    prefix = (_git(folder, "rev-parse", "--show-prefix") or "").strip().rstrip("/")
    return HeadCommit(sha.strip(), subject.strip(), prefix, bool(status.strip()))
