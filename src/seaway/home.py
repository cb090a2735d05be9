"""SEAWAY_HOME's folders and their permissions.

When the daemon is root, apps run as users of their own: they may pass through the home (0711) to
reach their slugs and dyno folders, but may list nothing and read none of the platform's state.
The router's folder is private too (every app's hostnames, dyno addresses and requests are there):
nginx's workers get an ACL entry to pass through it to their temp folders (`host.grant_traverse`).
"""

from __future__ import annotations

import os
from pathlib import Path

from seaway.settings import Settings

PASS_THROUGH, PRIVATE = 0o711, 0o700
PRIVATE_FILE = 0o600


def prepare_home(settings: Settings) -> None:
    folders = {
        settings.home: PASS_THROUGH,
        settings.slugs_dir: PASS_THROUGH,
        settings.builds_dir: PASS_THROUGH,
        settings.cache_dir: PASS_THROUGH,
        settings.run_dir: PASS_THROUGH,
        settings.pythons_dir: 0o755,  # builds and dynos run these interpreters
        settings.router_dir: PRIVATE,
        settings.logs_dir: PRIVATE,
        settings.backups_dir: PRIVATE,
        settings.git_dir: PRIVATE,
        settings.tls_dir: PRIVATE,
    }
    for folder, mode in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, mode)
    for name in ("", "-wal", "-shm"):  # SQLite gives its side files the database's mode
        path = Path(f"{settings.database_path}{name}")
        if not name and not path.exists():
            path.touch(mode=PRIVATE_FILE)
        if path.exists():
            os.chmod(path, PRIVATE_FILE)


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_APPEND) -> int:
    """A descriptor on `path`, created 0600 if missing (never readable by others, not even for a moment)
    and made 0600 if it was there with another mode. The caller closes it."""
    fd = os.open(path, flags | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def private_file(path: Path) -> None:
    """Make sure `path` exists with mode 0600, keeping what it holds."""
    os.close(open_private(path))


def write_secret(path: Path, text: str) -> None:
    """Write `text` to `path`, a 0600 file from the moment it exists (never a link followed)."""
    fd = open_private(path, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)
    with os.fdopen(fd, "w") as secret:
        secret.write(text)


def fresh_private_file(path: Path) -> None:
    """An empty 0600 file at `path`, in one step (a rename): what was there is unlinked, and a process
    that holds it open keeps writing to the unlinked file; a process opening `path` by name never creates it."""
    fresh = path.with_name(path.name + ".fresh")
    fresh.unlink(missing_ok=True)
    os.close(open_private(fresh, os.O_WRONLY | os.O_EXCL))
    os.replace(fresh, path)
