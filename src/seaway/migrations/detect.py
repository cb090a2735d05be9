"""Recognising an app's migration framework from its files alone (nothing of the app is imported)."""

from __future__ import annotations

import configparser
import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Framework:
    name: str  # "flask-migrate", "alembic", "django"
    script_location: str = ""  # Alembic's folder of revisions, relative to the app


def migrations_digest(app_dir: Path, framework: Framework) -> str:
    """What the migrations are: a hash of every file of the script folder (names and bytes)."""
    digest = hashlib.sha256()
    folder = app_dir / framework.script_location
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def detect(app_dir: Path) -> Framework | None:
    migrations = app_dir / "migrations"
    if (migrations / "alembic.ini").is_file() and (migrations / "env.py").is_file():
        env = (migrations / "env.py").read_text(errors="replace")
        if "current_app" in env or "flask" in env.lower():
            return Framework("flask-migrate", "migrations")
    ini = app_dir / "alembic.ini"
    if ini.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(ini)
        location = parser.get("alembic", "script_location", fallback="alembic").replace("%(here)s/", "")
        if (app_dir / location / "env.py").is_file():
            return Framework("alembic", location)
    if (app_dir / "manage.py").is_file() and any(app_dir.glob("*/migrations/__init__.py")):
        return Framework("django")
    return None
