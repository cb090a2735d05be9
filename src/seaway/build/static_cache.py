"""collectstatic's output kept between an app's builds, in its build cache where only root writes.

What a run wrote is told by comparing the tree before and after it. It is kept once the slug is
frozen (no command of the build runs then, the files are root's), and only when nothing changed it
after collectstatic. Restoring it into the next build's copy walks every folder without following
links, so a link the build made cannot lead root's writes out of the app."""

from __future__ import annotations

import json
import os
import shutil
import stat
import uuid
from pathlib import Path

from seaway.build.slug import remove_tree

Signature = tuple[int, int, int, int]  # inode, mode, size, modification time (ns)
KEPT_ENTRIES = 3
META = "meta.json"


def snapshot(root: Path, skip: tuple[str, ...]) -> dict[str, Signature]:
    """Every file and link below `root` (but top-level folders in `skip`) with what tells a change."""
    found = {}
    for folder, dirs, files in os.walk(root):
        if folder == str(root):
            dirs[:] = [d for d in dirs if d not in skip]
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            found[os.path.relpath(path, root)] = (info.st_ino, info.st_mode, info.st_size, info.st_mtime_ns)
    return found


class StaticCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._pending: tuple[str, dict[str, Signature], str] | None = None

    def remember(self, key: str, before: dict[str, Signature], after: dict[str, Signature], summary: str) -> None:
        """Note what a run wrote; `commit` keeps it once the slug is frozen."""
        written = {path: sig for path, sig in after.items() if before.get(path) != sig}
        self._pending = (key, written, summary)

    def commit(self, app_dir: Path) -> None:
        if self._pending is None:
            return
        key, written, summary = self._pending
        self._pending = None
        if (self.root / key).exists():
            return
        staging = self.root / f".{key}.{uuid.uuid4().hex[:8]}"
        try:
            if self._copy_out(app_dir, written, staging, summary):
                staging.rename(self.root / key)
                self._evict()
        finally:
            remove_tree(staging)

    def _copy_out(self, app_dir: Path, written: dict[str, Signature], staging: Path, summary: str) -> bool:
        files: dict[str, int] = {}
        links: dict[str, str] = {}
        for relative, (inode, _mode, size, mtime) in written.items():
            info = os.lstat(app_dir / relative)
            if (info.st_ino, info.st_size, info.st_mtime_ns) != (inode, size, mtime):
                return False  # changed after collectstatic (by bin/post_compile): not collectstatic's output
            if stat.S_ISLNK(info.st_mode):
                links[relative] = os.readlink(app_dir / relative)
            elif stat.S_ISREG(info.st_mode):
                files[relative] = stat.S_IMODE(info.st_mode)
                (staging / "files" / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(app_dir / relative, staging / "files" / relative, follow_symlinks=False)
        staging.mkdir(parents=True, exist_ok=True)
        (staging / META).write_text(json.dumps({"files": files, "links": links, "summary": summary}))
        return True

    def restore(self, key: str, app_dir: Path, owner: tuple[int, int] | None) -> str | None:
        """Write the output kept under `key` into `app_dir`; its summary, or None (nothing kept, or the
        app already has a file there: collectstatic then runs)."""
        entry = self.root / key
        try:
            meta = json.loads((entry / META).read_text())
        except (OSError, ValueError):
            return None
        try:
            for relative, mode in meta["files"].items():
                _write_beneath(app_dir, relative, owner, source=entry / "files" / relative, mode=mode)
            for relative, target in meta["links"].items():
                _write_beneath(app_dir, relative, owner, link=target)
        except FileExistsError:
            return None
        os.utime(entry)  # the newest entries are kept
        return f"{len(meta['files']) + len(meta['links'])} files; {meta['summary']}"

    def _evict(self) -> None:
        entries = sorted((p for p in self.root.iterdir() if not p.name.startswith(".")),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEPT_ENTRIES:]:
            remove_tree(old)


def _write_beneath(root: Path, relative: str, owner: tuple[int, int] | None, source: Path | None = None,
                   mode: int = 0o644, link: str | None = None) -> None:
    """Create `relative` below `root`, each folder opened without following links."""
    *folders, name = relative.split("/")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for part in folders:
            parent, fd = fd, -1
            fd = _enter(parent, part, owner)
        if link is not None:
            os.symlink(link, name, dir_fd=fd)
            if owner:
                os.chown(name, *owner, dir_fd=fd, follow_symlinks=False)
            return
        out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=fd)
        with os.fdopen(out, "wb") as dest, open(source, "rb") as src:  # type: ignore[arg-type]
            shutil.copyfileobj(src, dest)
            if owner:
                os.fchown(dest.fileno(), *owner)
    finally:
        if fd >= 0:
            os.close(fd)


def _enter(fd: int, part: str, owner: tuple[int, int] | None) -> int:
    """Open (making it when missing) the folder `part` of the open folder `fd`; closes `fd`."""
    try:
        try:
            os.mkdir(part, 0o755, dir_fd=fd)
            made = True
        except FileExistsError:
            made = False
        child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        if made and owner:
            os.fchown(child, *owner)
        return child
    finally:
        os.close(fd)
