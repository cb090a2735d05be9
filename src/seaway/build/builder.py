"""The build stage: uploaded source -> Slug. One job: turn a tarball into an immutable slug folder."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from uv import find_uv_bin

from seaway.build import deps, slug
from seaway.build.appjson import read_app_json
from seaway.build.errors import BuildError
from seaway.build.procfile import parse_procfile
from seaway.build.python import choose_interpreter
from seaway.build.source import extract_source
from seaway.host import RunAs, grant_traverse

Emit = Callable[[str], None]


@dataclass(frozen=True)
class BuiltSlug:
    digest: str
    path: Path  # the slug folder; the app lives in path / "app"
    size: int
    python_version: str
    process_types: dict[str, str]
    deps_key: str
    app_json: dict[str, Any]


def read_process_types(app_dir: Path) -> dict[str, str]:
    procfile = app_dir / "Procfile"
    if not procfile.is_file():
        raise BuildError("No Procfile found. Add one at the top of your app with a line like `web: gunicorn app:app`.")
    processes = parse_procfile(procfile.read_text(encoding="utf-8", errors="replace"))
    if "web" not in processes:
        found = ", ".join(processes) or "none"
        raise BuildError(
            f"The Procfile declares no `web` process (found: {found}). Seaway routes HTTP requests to `web`: "
            "add a line like `web: gunicorn app:app` that serves on $PORT."
        )
    return processes


class Builder:
    def __init__(self, slugs_dir: Path, builds_dir: Path, cache_dir: Path) -> None:
        self.slugs_dir, self.builds_dir, self.cache_dir = slugs_dir, builds_dir, cache_dir
        for folder in (slugs_dir, builds_dir, cache_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def slug_path(self, digest: str) -> Path:
        return self.slugs_dir / digest

    def build(self, source: BinaryIO, emit: Emit, run_as: RunAs | None = None, cache_dir: Path | None = None) -> BuiltSlug:
        """Build a slug. With `run_as` (the app's user, when the daemon is root) dependencies are
        installed by that user into `cache_dir`, a cache of the app's own, and handed to root after."""
        workdir = self.builds_dir / uuid.uuid4().hex
        cache = cache_dir or self.cache_dir
        if run_as:
            cache.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(cache.parent, 0o711)
            for folder in (cache, cache / "venvs"):  # the app's own, closed to every other app
                folder.mkdir(exist_ok=True)
                os.chown(folder, run_as.uid, run_as.gid)
                os.chmod(folder, 0o700)
            grant_traverse(cache, run_as)
        try:
            return self._build_in(workdir, source, emit, run_as, cache)
        finally:
            slug.remove_tree(workdir)

    def _build_in(self, workdir: Path, source: BinaryIO, emit: Emit, run_as: RunAs | None, cache: Path) -> BuiltSlug:
        started = time.monotonic()
        app_dir = workdir / slug.SLUG_APP
        app_dir.mkdir(parents=True)
        extract_source(source, app_dir)
        deps.detect_python_app(app_dir)
        process_types = read_process_types(app_dir)
        app_json = read_app_json(app_dir)
        emit("-----> Python app detected")
        interpreter = choose_interpreter(app_dir, lambda text: emit(f" !     Warning: {text}"))
        emit(f"-----> Using Python {interpreter.version_text} ({interpreter.path})")
        emit("-----> Installing dependencies with uv")
        if run_as:
            for needed in (app_dir / "requirements.txt", Path(interpreter.path), Path(find_uv_bin())):
                grant_traverse(needed, run_as)
        venv, deps_key, reused = deps.cached_venv(app_dir, interpreter, cache, emit, run_as)
        packages = deps.installed_packages(venv)
        if reused:
            emit(f"       Dependencies unchanged since an earlier build: reusing them "
                 f"({len(packages)} packages, nothing installed)")
        for warning in deps.dependency_warnings(packages):
            emit(f" !     Warning: {warning}")
        shutil.rmtree(app_dir / ".venv", ignore_errors=True)
        slug.link_tree(venv, app_dir / ".venv")
        digest = slug.slug_digest(app_dir, deps_key, packages, interpreter.version_text)
        final = self.slug_path(digest)
        if not final.exists():
            slug.make_read_only(app_dir, skip=".venv")
            (workdir / slug.SLUG_APP).rename(workdir / "staged")
            (workdir / "slug").mkdir()
            (workdir / "staged").rename(workdir / "slug" / slug.SLUG_APP)
            (workdir / "slug").rename(final)
            final.chmod(0o550)  # apps reach their slugs through an ACL entry each (see dynos/local.py)
        size = slug.tree_size(final)
        emit(f"-----> Slug {digest[:12]} ready ({size / 1e6:.1f} MB)")
        emit(f"-----> Build finished in {time.monotonic() - started:.1f}s")
        return BuiltSlug(digest, final, size, interpreter.version_text, process_types, deps_key, app_json)
