"""Credentials files (mode 0600): where the API is and a token. The daemon writes SEAWAY_HOME/credentials
with its admin token on first start; `seaway login` writes the user's own (login_path())."""

from __future__ import annotations

import os
from pathlib import Path


def write_credentials(path: Path, api_url: str, token: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"SEAWAY_API_URL={api_url}\nSEAWAY_API_TOKEN={token}\n")
    os.chmod(path, 0o600)


def login_path() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "seaway" / "credentials"


def read_credentials(path: Path) -> dict[str, str]:
    values = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip():
                values[key.strip()] = value.strip()
    return values
