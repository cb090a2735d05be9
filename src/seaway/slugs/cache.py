"""A build cache's folders: what the build itself may write, and what only the daemon writes.

    builder/uv        uv's download and wheel cache     } the build's own (the app's user when root):
    builder/staging   venvs being installed             } bound into its sandbox at /cache, its HOME
    venvs/KEY         finished venvs, immutable (root's) } never shown to a build or a dyno: slugs
    venvs/KEY.sha256  each one's content digest          } hard-link these venvs
    static/KEY        collectstatic's output, root's      } copied into later builds' sources
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from seaway.host import RunAs
from seaway.slugs.slug import remove_tree

OLD_LAYOUT = ("uv",)  # before builder/: uv's cache sat at the top, where the build could reach the venvs too
UV_OWNED = ".uv-owned"  # in builder/: uv's cache holds the build user's files only (before, root took some)


@dataclass(frozen=True)
class BuildCache:
    root: Path

    @property
    def builder(self) -> Path:
        return self.root / "builder"

    @property
    def uv(self) -> Path:
        return self.builder / "uv"

    @property
    def staging(self) -> Path:
        return self.builder / "staging"

    @property
    def venvs(self) -> Path:
        return self.root / "venvs"

    @property
    def static(self) -> Path:
        return self.root / "static"

    def digest_file(self, key: str) -> Path:
        return self.venvs / f"{key}.sha256"

    def prepare(self, owner: RunAs | None) -> None:
        """Create the folders; with `owner` (the app's user), give it builder/ and keep venvs/ root's only."""
        self.root.mkdir(parents=True, exist_ok=True)
        for name in OLD_LAYOUT:
            remove_tree(self.root / name)
        if owner and self.venvs.is_dir() and self.venvs.stat().st_uid != 0:
            remove_tree(self.venvs)  # made by an older version, writable by the app's user: not to be trusted
        if owner and not (self.builder / UV_OWNED).exists():
            remove_tree(self.uv)  # files an older version handed to root: uv could only copy them
        for folder in (self.builder, self.uv, self.staging, self.venvs, self.static):
            folder.mkdir(exist_ok=True)
        if owner:
            (self.builder / UV_OWNED).touch()
            os.chmod(self.root, 0o711)
            for folder in (self.builder, self.uv, self.staging):
                os.chown(folder, owner.uid, owner.gid)
                os.chmod(folder, 0o700)
            os.chmod(self.venvs, 0o700)
            os.chmod(self.static, 0o700)
