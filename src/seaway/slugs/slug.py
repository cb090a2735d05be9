"""Assembling a Slug folder (app/ with .venv/ inside) and naming it by the digest of its content."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

SLUG_APP = "app"
READ_ONLY_BITS = 0o555  # what a slug's files and folders keep of their modes


def link_tree(source: Path, dest: Path) -> None:
    """Copy a tree as hard links: instant, and safe because both sides are never written again."""
    subprocess.run(["cp", "-al", str(source), str(dest)], check=True)


def source_manifest(app_dir: Path, skip: str = ".venv") -> bytes:
    """Path, mode and content hash of every file and link of the app (the venv is keyed separately)."""
    rows = []
    for folder, dirs, files in os.walk(app_dir):
        rel = Path(folder).relative_to(app_dir)
        if rel == Path("."):
            dirs[:] = [d for d in dirs if d != skip]
        dirs.sort()
        for name in sorted(files) + sorted(d for d in dirs if os.path.islink(os.path.join(folder, d))):
            path = Path(folder) / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                content = os.readlink(path).encode()
            else:
                with path.open("rb") as f:  # in bounded chunks: a file may be far larger than memory
                    content = hashlib.file_digest(f, "sha256").hexdigest().encode()
            rows.append(b"%s %o %s" % ((rel / name).as_posix().encode(), info.st_mode, content))
    return b"\n".join(rows)


def slug_digest(app_dir: Path, venv_digest: str, python_version: str) -> str:
    """A slug's name: the digest of every file in it (the app's, and the venv's through its own digest)."""
    digest = hashlib.sha256(source_manifest(app_dir))
    digest.update(f"\npython {python_version}\nvenv {venv_digest}\n".encode())
    return digest.hexdigest()


def tree_size(root: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total


def make_read_only(root: Path, skip: str | None = None) -> None:
    """Slugs are immutable: drop every write bit (dynos then cannot change the code they run), and the
    set-user-id, set-group-id and sticky bits (nothing in a slug runs with another user's rights).

    `skip` names a top-level folder that is read-only already (the venv, linked from the cache)."""
    for folder, dirs, files in os.walk(root):
        if skip and folder == str(root):
            dirs[:] = [d for d in dirs if d != skip]
        for name in dirs + files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                mode = os.lstat(path).st_mode
                os.chmod(path, stat.S_IMODE(mode) & READ_ONLY_BITS)
    os.chmod(root, stat.S_IMODE(os.stat(root).st_mode) & READ_ONLY_BITS)


def remove_tree(root: Path) -> None:
    """Remove a (possibly read-only) slug or build folder."""
    if not root.exists():
        return
    for folder, dirs, _files in os.walk(root):
        os.chmod(folder, 0o755)
        for name in dirs:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755)
    shutil.rmtree(root, ignore_errors=True)
