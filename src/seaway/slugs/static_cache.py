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

from seaway.slugs.slug import remove_tree

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
            with _Beneath(app_dir, owner) as tree:
                for relative, mode in meta["files"].items():
                    tree.copy(entry / "files" / relative, relative, mode)
                for relative, target in meta["links"].items():
                    tree.link(target, relative)
        except FileExistsError:
            return None
        os.utime(entry)  # the newest entries are kept
        return f"{len(meta['files']) + len(meta['links'])} files; {meta['summary']}"

    def _evict(self) -> None:
        entries = sorted((p for p in self.root.iterdir() if not p.name.startswith(".")),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEPT_ENTRIES:]:
            remove_tree(old)


class _Beneath:
    """Creating files below a folder the build's user owns: every folder is opened without following
    links (once each), every file made anew, so nothing the build left there leads root elsewhere."""

    def __init__(self, root: Path, owner: tuple[int, int] | None) -> None:
        self.root, self.owner = root, owner
        self.folders: dict[str, int] = {}

    def __enter__(self) -> "_Beneath":
        self.folders[""] = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        return self

    def __exit__(self, *_exc: object) -> None:
        for fd in self.folders.values():
            os.close(fd)

    def _folder(self, relative: str) -> int:
        if relative not in self.folders:
            parent, _, name = relative.rpartition("/")
            parent_fd = self._folder(parent)
            try:
                os.mkdir(name, 0o755, dir_fd=parent_fd)
                made = True
            except FileExistsError:
                made = False
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent_fd)
            self.folders[relative] = fd
            if made and self.owner:
                os.fchown(fd, *self.owner)
        return self.folders[relative]

    def copy(self, source: Path, relative: str, mode: int) -> None:
        folder, _, name = relative.rpartition("/")
        out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=self._folder(folder))
        with os.fdopen(out, "wb") as dest, open(source, "rb") as src:
            size, offset = os.fstat(src.fileno()).st_size, 0
            while offset < size:
                sent = os.sendfile(dest.fileno(), src.fileno(), offset, size - offset)
                if sent == 0:
                    break
                offset += sent
            if self.owner:
                os.fchown(dest.fileno(), *self.owner)

    def link(self, target: str, relative: str) -> None:
        folder, _, name = relative.rpartition("/")
        fd = self._folder(folder)
        os.symlink(target, name, dir_fd=fd)
        if self.owner:
            os.chown(name, *self.owner, dir_fd=fd, follow_symlinks=False)
