"""The app's app.json, read at build time (the manifest module says what it may hold)."""

from __future__ import annotations

from pathlib import Path

from seaway.manifest.appjson import Manifest, ManifestError, parse_manifest
from seaway.slugs.errors import BuildError


def read_app_json(app_dir: Path) -> Manifest:
    """The app's manifest (an empty one without app.json); a BuildError says what is wrong in it."""
    path = app_dir / "app.json"
    if not path.is_file():
        return Manifest()
    try:
        return parse_manifest(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise BuildError(f"app.json is not UTF-8 text ({error}). Save it as UTF-8, or remove it.") from error
    except ManifestError as error:
        raise BuildError(str(error)) from error
