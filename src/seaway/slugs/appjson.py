"""What the platform takes from app.json: the web process's start-up health checks (Dokku's shape)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seaway.slugs.errors import BuildError

CHECK_DEFAULTS = {"attempts": 5, "timeout": 5, "wait": 1, "initialDelay": 0}
CHECK_LIMITS = {"attempts": (1, 100), "timeout": (1, 600), "wait": (0, 60), "initialDelay": (0, 600)}


def _check(raw: Any, index: int) -> dict[str, Any] | None:
    where = f"app.json healthchecks.web[{index}]"
    if not isinstance(raw, dict):
        raise BuildError(f"{where} must be an object like {{\"path\": \"/health\"}}.")
    if raw.get("type", "startup") != "startup":
        return None  # liveness/readiness checks are not used at deploy time
    path = raw.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise BuildError(f"{where} needs a \"path\" starting with / (e.g. \"/health\").")
    check: dict[str, Any] = {"path": path}
    for key, default in CHECK_DEFAULTS.items():
        value = raw.get(key, default)
        low, high = CHECK_LIMITS[key]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
            raise BuildError(f"{where} \"{key}\" must be a number from {low} to {high}, got {value!r}.")
        check[key] = value
    return check


def read_app_json(app_dir: Path) -> dict[str, Any]:
    path = app_dir / "app.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BuildError(f"app.json is not valid JSON ({error}). Fix it, or remove it if you do not need it.") from error
    if not isinstance(data, dict):
        raise BuildError("app.json must hold a JSON object ({...}).")
    healthchecks = data.get("healthchecks") or {}
    if not isinstance(healthchecks, dict):
        raise BuildError("app.json \"healthchecks\" must be an object keyed by process type, e.g. {\"web\": [...]}.")
    raw_checks = healthchecks.get("web") or []
    if not isinstance(raw_checks, list):
        raise BuildError("app.json healthchecks.web must be a list of checks.")
    checks = [c for c in (_check(raw, i) for i, raw in enumerate(raw_checks)) if c]
    return {"healthchecks": {"web": checks}} if checks else {}
