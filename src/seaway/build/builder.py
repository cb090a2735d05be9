"""The build stage: uploaded source -> Slug. One job: turn a tarball into an immutable slug folder."""

from __future__ import annotations

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
from seaway.build.cache import BuildCache
from seaway.build.errors import BuildError
from seaway.build.procfile import parse_procfile
from seaway.build.python import Interpreter, choose_interpreter
from seaway.build.runner import HostRunner, SandboxRunner
from seaway.build.source import SourceLimits, extract_source
from seaway.host import RunAs, grant_traverse
from seaway.sandbox import Sandbox

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
    def __init__(self, slugs_dir: Path, builds_dir: Path, cache_dir: Path, sandbox: Sandbox | None = None,
                 limits: SourceLimits | None = None) -> None:
        self.slugs_dir, self.builds_dir, self.cache_dir = slugs_dir, builds_dir, cache_dir
        self.sandbox, self.limits = sandbox, limits
        for folder in (slugs_dir, builds_dir, cache_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def slug_path(self, digest: str) -> Path:
        return self.slugs_dir / digest

    def build(self, source: BinaryIO, emit: Emit, run_as: RunAs | None = None, cache_dir: Path | None = None,
              config: dict[str, str] | None = None, name: str = "build") -> BuiltSlug:
        """Build a slug. With `run_as` (the app's user, when the daemon is root) the build's commands run
        as that user, in a sandbox when there is one, with `cache_dir`, a cache of the app's own; the
        venv is handed to root after. `config`: the app's config vars, which the build's commands see."""
        workdir = self.builds_dir / uuid.uuid4().hex
        cache = BuildCache(cache_dir or self.cache_dir)
        cache.prepare(run_as)
        try:
            return self._build_in(workdir, source, emit, run_as, _Install(cache, config or {}, name))
        finally:
            slug.remove_tree(workdir)

    def _runner(self, run_as: RunAs | None, app_dir: Path, cache: BuildCache, name: str,
                interpreter: Interpreter) -> HostRunner | SandboxRunner:
        if run_as and self.sandbox:
            return SandboxRunner(self.sandbox, name, run_as, app_dir, cache.builder, [Path(find_uv_bin())],
                                 Path(interpreter.path).parent.parent)
        if run_as:  # root without a sandbox: the user must get through to what it reads
            for needed in (app_dir / "requirements.txt", Path(interpreter.path), Path(find_uv_bin()), cache.builder):
                grant_traverse(needed, run_as)
        return HostRunner(run_as)

    def _build_in(self, workdir: Path, source: BinaryIO, emit: Emit, run_as: RunAs | None, request: "_Install") -> BuiltSlug:
        started = time.monotonic()
        app_dir = workdir / slug.SLUG_APP
        app_dir.mkdir(parents=True)
        extract_source(source, app_dir, self.limits)
        deps.detect_python_app(app_dir)
        process_types = read_process_types(app_dir)
        app_json = read_app_json(app_dir)
        emit("-----> Python app detected")
        interpreter = choose_interpreter(app_dir, lambda text: emit(f" !     Warning: {text}"))
        emit(f"-----> Using Python {interpreter.version_text} ({interpreter.path})")
        emit("-----> Installing dependencies with uv")
        runner = self._runner(run_as, app_dir, request.cache, f"{request.name}.{workdir.name[:8]}", interpreter)
        try:
            venv, deps_key, reused, venv_digest = deps.cached_venv(
                app_dir, interpreter, deps.Install(request.cache, runner, request.config), emit)
        finally:
            if isinstance(runner, SandboxRunner):
                runner.close()
        packages = deps.installed_packages(venv)
        if reused:
            emit(f"       Dependencies unchanged since an earlier build: reusing them "
                 f"({len(packages)} packages, nothing installed)")
        for warning in deps.dependency_warnings(packages):
            emit(f" !     Warning: {warning}")
        shutil.rmtree(app_dir / ".venv", ignore_errors=True)
        digest = slug.slug_digest(app_dir, venv_digest, interpreter.version_text)
        final = self.slug_path(digest)
        if not final.exists():
            slug.link_tree(venv, app_dir / ".venv")
            slug.make_read_only(app_dir, skip=".venv")
            (workdir / slug.SLUG_APP).rename(workdir / "staged")
            (workdir / "slug").mkdir()
            (workdir / "staged").rename(workdir / "slug" / slug.SLUG_APP)
            (workdir / "slug").rename(final)
            final.chmod(0o550)  # root's; sandboxed dynos see it through an overlay mounted by root
        size = slug.tree_size(final)
        emit(f"-----> Slug {digest[:12]} ready ({size / 1e6:.1f} MB)")
        emit(f"-----> Build finished in {time.monotonic() - started:.1f}s")
        return BuiltSlug(digest, final, size, interpreter.version_text, process_types, deps_key, app_json)


@dataclass(frozen=True)
class _Install:
    cache: BuildCache
    config: dict[str, str]
    name: str
