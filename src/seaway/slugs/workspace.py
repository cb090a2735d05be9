"""A build's working copy of the source: writable by the build while it runs, frozen into a slug after.

The buildpack's builds write into their source (egg-info of `-e .`, collectstatic's output, what
bin/post_compile makes), so a build gets a copy it owns. When the build's commands have ended
(its sandbox is gone), root takes the copy back: anything but folders, files and links is removed,
its size is checked, write and set-id bits are dropped, and it belongs to root from then on."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from seaway.host import ROOT, RunAs, chown_tree
from seaway.slugs.errors import BuildError
from seaway.slugs.project import select_project
from seaway.slugs.slug import SLUG_APP, make_read_only, remove_tree
from seaway.slugs.source import SourceLimits, extract_source, format_size


class Workspace:
    def __init__(self, root: Path, limits: SourceLimits | None = None) -> None:
        self.root, self.limits = root, limits or SourceLimits()
        self.app = root / SLUG_APP
        self.subfolder: str | None = None

    def unpack(self, source: BinaryIO, config: dict[str, str]) -> None:
        """Unpack the upload and keep only the app's folder (all of it, or PROJECT_PATH's) as `app`."""
        upload = self.root / "upload"
        upload.mkdir(parents=True)
        extract_source(source, upload, self.limits)
        folder, self.subfolder = select_project(upload, config)
        folder.rename(self.app)
        remove_tree(upload)

    def hand_to(self, user: RunAs) -> None:
        """Give the copy to the user the build's commands run as."""
        chown_tree(self.app, user)

    def freeze(self, venv: str, linked: tuple[int, int] | None) -> bool:
        """Take the copy back once no command of the build runs any more. The venv's folder (`venv`, a
        link copy of a cached venv: root's, nothing in it writable by the build) stays when it is still
        the folder `linked` (device, inode) names; else it is removed. Whether it stayed."""
        kept = linked is not None and _identity(self.app / venv) == (*linked, os.geteuid())
        if not kept:
            remove_tree(self.app / venv)
        count, total = self._sanitize(venv)
        if count > self.limits.max_files or total > self.limits.max_bytes:
            raise BuildError(
                f"The build left {count} files and folders, {format_size(total)}, in the app; the limit is "
                f"{self.limits.max_files} and {format_size(self.limits.max_bytes)} (SEAWAY_MAX_SLUG_FILES, "
                "SEAWAY_MAX_SLUG_MB). Remove what the build hooks or the install leave behind, or list "
                "large files in .slugignore."
            )
        make_read_only(self.app, skip=venv)
        return kept

    def _sanitize(self, venv: str) -> tuple[int, int]:
        """Remove pipes, sockets and devices, give the rest to root; count it and the regular files' bytes."""
        count = total = 0
        owner = os.geteuid() == 0
        for folder, dirs, files in os.walk(self.app):
            if folder == str(self.app):
                dirs[:] = [d for d in dirs if d != venv]
            for name in dirs + files:
                path = os.path.join(folder, name)
                info = os.lstat(path)
                if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
                    os.unlink(path)
                    continue
                if owner:
                    os.lchown(path, ROOT.uid, ROOT.gid)
                count += 1
                total += info.st_size if stat.S_ISREG(info.st_mode) else 0
        if owner:
            os.chown(self.app, ROOT.uid, ROOT.gid)
        return count, total

    def remove(self) -> None:
        remove_tree(self.root)



def remove_leftovers(builds_dir: Path) -> list[str]:
    """Remove what builds left in `builds_dir` (call at the daemon's start, before any build runs: a
    daemon killed mid-build leaves its working copy, venv and all). The names of the folders removed."""
    removed = []
    for entry in sorted(builds_dir.iterdir()) if builds_dir.is_dir() else []:
        if entry.is_dir() and not entry.is_symlink():
            remove_tree(entry)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry.name)
    return removed


def _identity(path: Path) -> tuple[int, int, int] | None:
    """(device, inode, owner) of a folder that is no link, else None."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    return (info.st_dev, info.st_ino, info.st_uid) if stat.S_ISDIR(info.st_mode) else None


def identity(path: Path) -> tuple[int, int]:
    info = os.lstat(path)
    return info.st_dev, info.st_ino
