"""Which files of a source tree are left out of an upload: .gitignore, .slugignore and VCS folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pathspec

ALWAYS_IGNORED = [".git/", ".hg/", ".svn/", ".venv/", "__pycache__/", "*.pyc", ".seaway-app"]


ALWAYS = pathspec.GitIgnoreSpec.from_lines(ALWAYS_IGNORED)  # no user pattern can bring these back


def _user_spec(root: Path) -> pathspec.GitIgnoreSpec:
    lines: list[str] = []
    for name in (".gitignore", ".slugignore"):
        path = root / name
        if path.is_file():
            lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def included_files(root: Path) -> Iterator[Path]:
    """Relative paths of the files and links under `root` that belong in the upload."""
    user = _user_spec(root)

    def ignored(rel: str) -> bool:
        return ALWAYS.match_file(rel) or user.match_file(rel)

    for folder, dirs, files in os.walk(root):
        rel_folder = Path(folder).relative_to(root)
        dirs[:] = sorted(d for d in dirs if not ignored(f"{(rel_folder / d).as_posix()}/"))
        for name in sorted(files):
            rel = rel_folder / name
            if not ignored(rel.as_posix()):
                yield rel
        for name in dirs:
            if os.path.islink(os.path.join(folder, name)):
                yield rel_folder / name
