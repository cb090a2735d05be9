"""Credentials files (mode 0600): where the API is and a token. The daemon writes SEAWAY_HOME/credentials
with its admin token on first start; `seaway login` writes the user's own (login_path()). Light to import:
git's credential helper runs this on every push."""

from __future__ import annotations

import getpass
import os
import socket
from pathlib import Path

from seaway.settings import Settings


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


def api_location(settings: Settings) -> tuple[str, str]:
    """The API's URL and the token to use: SEAWAY_API_URL/SEAWAY_API_TOKEN, else what `seaway login`
    stored, else the daemon's own credentials file (on its host)."""
    saved = read_credentials(login_path()) or read_credentials(settings.credentials_path)
    url = os.environ.get("SEAWAY_API_URL") or saved.get("SEAWAY_API_URL") or settings.api_url
    return url.rstrip("/"), os.environ.get("SEAWAY_API_TOKEN") or saved.get("SEAWAY_API_TOKEN") or ""


def author() -> str:
    """Who is asking, as releases record it."""
    return os.environ.get("SEAWAY_AUTHOR") or f"{getpass.getuser()}@{socket.gethostname()}"
