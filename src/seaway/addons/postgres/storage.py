"""Where backup files live. Local folders now; an S3-compatible store can implement the same calls."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO, Protocol


class BackupStorage(Protocol):
    def write_path(self, app: str, name: str) -> Path: ...  # a local file a capture writes, then `keep`s

    def keep(self, app: str, name: str, written: Path) -> str: ...  # store it; returns its location

    def open(self, app: str, name: str) -> BinaryIO: ...

    def fetch(self, app: str, name: str) -> Path: ...  # a local file of it, for pg_restore

    def digest(self, app: str, name: str, fresh: bool = False) -> str | None: ...  # its SHA-256; None if missing

    def delete(self, app: str, name: str) -> None: ...

    def location(self, app: str, name: str) -> str: ...  # where `keep` put it

    def rename_app(self, old: str, new: str) -> None: ...  # an app's backups follow it to its new name


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._digests: dict[tuple[str, int, int, int], str] = {}
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o700)

    def _path(self, app: str, name: str) -> Path:
        return self.root / app / f"{name}.dump"

    def write_path(self, app: str, name: str) -> Path:
        folder = self.root / app
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder / f"{name}.dump.partial"

    def keep(self, app: str, name: str, written: Path) -> str:
        final = self._path(app, name)
        with open(written, "rb") as f:
            os.fsync(f.fileno())
        written.replace(final)
        return self.location(app, name)

    def location(self, app: str, name: str) -> str:
        return str(self._path(app, name))

    def open(self, app: str, name: str) -> BinaryIO:
        return open(self._path(app, name), "rb")

    def fetch(self, app: str, name: str) -> Path:
        return self._path(app, name)

    def digest(self, app: str, name: str, fresh: bool = False) -> str | None:
        """The stored file's SHA-256 (None when it is missing or unreadable). Listings reuse a digest while the
        file's size, inode and modification time are unchanged; `fresh` always reads the whole file."""
        path = self._path(app, name)
        try:
            info = path.stat()
            key = (str(path), info.st_ino, info.st_size, info.st_mtime_ns)
            if not fresh and key in self._digests:
                return self._digests[key]
            with open(path, "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
        except OSError:
            return None
        self._digests[key] = digest
        return digest

    def delete(self, app: str, name: str) -> None:
        self._path(app, name).unlink(missing_ok=True)

    def rename_app(self, old: str, new: str) -> None:
        if (self.root / old).is_dir():
            (self.root / old).rename(self.root / new)

    def archive_app(self, app: str, stamp: str) -> Path | None:
        """Keep a destroyed app's backups under a name no new app of the same name will reuse."""
        folder = self.root / app
        if not folder.is_dir() or not any(folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)
            return None
        kept = self.root / f"{app}.destroyed-{stamp}"
        folder.rename(kept)
        return kept
