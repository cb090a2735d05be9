"""The credentials file (SEAWAY_HOME/credentials, mode 0600): where the API is and the admin token."""

from __future__ import annotations

import os
from pathlib import Path


def write_credentials(path: Path, api_url: str, token: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"SEAWAY_API_URL={api_url}\nSEAWAY_API_TOKEN={token}\n")
    os.chmod(path, 0o600)


def read_credentials(path: Path) -> dict[str, str]:
    values = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip():
                values[key.strip()] = value.strip()
    return values
