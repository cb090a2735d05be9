"""Which files of a source tree are left out of an upload: .gitignore, .slugignore and VCS folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pathspec

ALWAYS_IGNORED = [".git/", ".hg/", ".svn/", ".venv/", "__pycache__/", "*.pyc", ".seaway-app"]


def _spec(root: Path) -> pathspec.PathSpec:
    lines = list(ALWAYS_IGNORED)
    for name in (".gitignore", ".slugignore"):
        path = root / name
        if path.is_file():
            lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    return pathspec.PathSpec.from_lines("gitwildmatch", lines)


def included_files(root: Path) -> Iterator[Path]:
    """Relative paths of the files and links under `root` that belong in the upload."""
    spec = _spec(root)
    for folder, dirs, files in os.walk(root):
        rel_folder = Path(folder).relative_to(root)
        dirs[:] = sorted(d for d in dirs if not spec.match_file(f"{(rel_folder / d).as_posix()}/"))
        for name in sorted(files):
            rel = rel_folder / name
            if not spec.match_file(rel.as_posix()):
                yield rel
        for name in dirs:
            if os.path.islink(os.path.join(folder, name)):
                yield rel_folder / name
