"""Which files of a source tree are left out of an upload: .gitignore files (at any depth, as git
reads them), .slugignore at the top, and VCS and venv folders always."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pathspec

ALWAYS_IGNORED = [".git/", ".hg/", ".svn/", ".venv/", "__pycache__/", "*.pyc", ".seaway-app"]
ALWAYS = pathspec.GitIgnoreSpec.from_lines(ALWAYS_IGNORED)  # no user pattern can bring these back


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines() if path.is_file() else []


def _specs(lines: list[str]) -> tuple[pathspec.GitIgnoreSpec, pathspec.GitIgnoreSpec]:
    """One .gitignore's rules for files, and for folders: `x/**` matches what is inside x, never x itself
    (pathspec would match the folder too, and git would then not look inside it for re-includes)."""
    for_folders = [line for line in lines if not line.rstrip().endswith("/**")]
    return pathspec.GitIgnoreSpec.from_lines(lines), pathspec.GitIgnoreSpec.from_lines(for_folders)


class _Rules:
    """Ignore rules by the folder they were found in; a folder's rules apply to paths below it, and as in
    git the deepest .gitignore with a say decides (its last matching pattern: `!keep.log` re-includes)."""

    def __init__(self, root: Path) -> None:
        self.by_folder: dict[PurePosixPath, tuple[pathspec.GitIgnoreSpec, pathspec.GitIgnoreSpec]] = {
            PurePosixPath("."): _specs(_read_lines(root / ".gitignore"))
        }
        self.slugignore = pathspec.GitIgnoreSpec.from_lines(_read_lines(root / ".slugignore"))

    def enter(self, root: Path, folder: PurePosixPath) -> None:
        if folder != PurePosixPath(".") and (root / folder / ".gitignore").is_file():
            self.by_folder[folder] = _specs(_read_lines(root / folder / ".gitignore"))

    def ignored(self, rel: str) -> bool:
        if ALWAYS.match_file(rel) or self.slugignore.match_file(rel):
            return True
        path = PurePosixPath(rel.rstrip("/"))
        suffix = "/" if rel.endswith("/") else ""
        decision = False
        for folder in sorted(self.by_folder, key=lambda f: len(f.parts) if f != PurePosixPath(".") else 0):
            if folder == PurePosixPath(".") or folder in path.parents:
                spec = self.by_folder[folder][1 if suffix else 0]
                verdict = spec.check_file(f"{path.relative_to(folder).as_posix()}{suffix}").include
                if verdict is not None:
                    decision = verdict
        return decision


def included_files(root: Path) -> Iterator[Path]:
    """Relative paths of the files and links under `root` that belong in the upload."""
    rules = _Rules(root)
    for folder, dirs, files in os.walk(root):
        rel_folder = Path(folder).relative_to(root)
        rules.enter(root, PurePosixPath(rel_folder.as_posix()))
        dirs[:] = sorted(d for d in dirs if not rules.ignored(f"{(rel_folder / d).as_posix()}/"))
        for name in sorted(files):
            rel = rel_folder / name
            if not rules.ignored(rel.as_posix()):
                yield rel
        for name in dirs:
            if os.path.islink(os.path.join(folder, name)):
                yield rel_folder / name
