"""SEAWAY_HOME's folders and their permissions.

When the daemon is root, apps run as users of their own: they may pass through the home (0711) to
reach their slugs and dyno folders, but may list nothing and read none of the platform's state.
"""

from __future__ import annotations

import os
from pathlib import Path

from seaway.settings import Settings

PASS_THROUGH, PRIVATE = 0o711, 0o700


def prepare_home(settings: Settings) -> None:
    folders = {
        settings.home: PASS_THROUGH,
        settings.slugs_dir: PASS_THROUGH,
        settings.builds_dir: PASS_THROUGH,
        settings.cache_dir: PASS_THROUGH,
        settings.run_dir: PASS_THROUGH,
        settings.router_dir: PASS_THROUGH,
        settings.logs_dir: PRIVATE,
        settings.backups_dir: PRIVATE,
    }
    for folder, mode in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, mode)
    for name in ("", "-wal", "-shm"):  # SQLite gives its side files the database's mode
        path = Path(f"{settings.database_path}{name}")
        if not name and not path.exists():
            path.touch(mode=0o600)
        if path.exists():
            os.chmod(path, 0o600)
