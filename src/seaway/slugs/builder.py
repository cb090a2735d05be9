"""The build stage: uploaded source -> Slug, in the Python buildpack's steps and order.

    unpack (PROJECT_PATH's folder) -> bin/pre_compile -> package manager -> Python version ->
    dependencies (a cached venv) -> collectstatic -> bin/post_compile -> freeze -> Slug
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from uv import find_uv_bin

from seaway.host import RunAs, grant_traverse
from seaway.manifest.appjson import Manifest
from seaway.sandbox import Sandbox
from seaway.slugs import deps, slug
from seaway.slugs.appjson import read_app_json
from seaway.slugs.cache import BuildCache
from seaway.slugs.collectstatic import Collectstatic
from seaway.slugs.errors import BuildError
from seaway.slugs.hooks import run_hook
from seaway.slugs.managers import PackageManager, determine_package_manager
from seaway.slugs.procfile import parse_procfile
from seaway.slugs.project import refuse_committed_venv
from seaway.slugs.python import PythonChoice, choose_python
from seaway.slugs.runner import HostRunner, Runner, SandboxRunner
from seaway.slugs.source import SourceLimits, format_size
from seaway.slugs.static_cache import StaticCache
from seaway.slugs.workspace import Workspace, identity

Emit = Callable[[str], None]
VENV = ".venv"


@dataclass(frozen=True)
class BuiltSlug:
    digest: str
    path: Path  # the slug folder; the app lives in path / "app"
    size: int
    python_version: str
    process_types: dict[str, str]
    deps_key: str
    app_json: dict[str, Any]
    warnings: tuple[str, ...] = ()  # what the build warned of, for later failures to repeat


@dataclass(frozen=True)
class BuildRequest:
    """One app's build: as whom its commands run, its cache, its config vars, the Python it built with last."""

    name: str = "build"
    run_as: RunAs | None = None
    cache_dir: Path | None = None
    config: dict[str, str] = field(default_factory=dict)
    previous_python: str | None = None
    check_manifest: Callable[[Manifest], None] | None = None  # sees app.json before anything installs; may raise


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
                 limits: SourceLimits | None = None, python_downloads: str = "never",
                 pythons_dir: Path | None = None) -> None:
        self.slugs_dir, self.builds_dir, self.cache_dir = slugs_dir, builds_dir, cache_dir
        self.sandbox, self.limits = sandbox, limits
        self.python_downloads, self.pythons_dir = python_downloads, pythons_dir
        for folder in (slugs_dir, builds_dir, cache_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def slug_path(self, digest: str) -> Path:
        return self.slugs_dir / digest

    def build(self, source: BinaryIO, emit: Emit, request: BuildRequest | None = None) -> BuiltSlug:
        """Build a slug. With `request.run_as` (the app's user, when the daemon is root) the build's
        commands run as that user, in a sandbox when there is one, with a cache of the app's own."""
        request = request or BuildRequest()
        workspace = Workspace(self.builds_dir / uuid.uuid4().hex, self.limits)
        cache = BuildCache(request.cache_dir or self.cache_dir)
        cache.prepare(request.run_as)
        try:
            return _Build(self, workspace, cache, request, emit).run(source)
        finally:
            workspace.remove()

    def runner(self, request: BuildRequest, app_dir: Path, cache: BuildCache, name: str) -> Runner:
        if request.run_as and self.sandbox:
            return SandboxRunner(self.sandbox, name, request.run_as, app_dir, cache.builder, [Path(find_uv_bin())])
        if request.run_as:  # root without a sandbox: the user must get through to what it runs
            for needed in (app_dir, Path(find_uv_bin()), cache.builder):
                grant_traverse(needed, request.run_as)
        return HostRunner(request.run_as)


class _Build:
    """The steps of one build, in the buildpack's order."""

    def __init__(self, builder: Builder, workspace: Workspace, cache: BuildCache, request: BuildRequest,
                 emit: Emit) -> None:
        self.builder, self.workspace, self.cache, self.request, self.emit = builder, workspace, cache, request, emit
        self.app = workspace.app
        self.warnings: list[str] = []
        self.started = time.monotonic()
        self.runner: Runner = HostRunner()
        self.venv: Path | None = None  # the app's, once its dependencies are in
        self.python: PythonChoice | None = None
        self.venv_identity: tuple[int, int] | None = None  # of the venv's folder as linked into the app
        self.static = StaticCache(cache.static)

    def warn(self, text: str) -> None:
        self.warnings.append(text)
        self.emit(f" !     Warning: {text}")

    def run(self, source: BinaryIO) -> BuiltSlug:
        self.workspace.unpack(source, self.request.config)
        if self.workspace.subfolder:
            self.emit(f"-----> Building the app in {self.workspace.subfolder}/ (PROJECT_PATH)")
        process_types = read_process_types(self.app)
        manifest = read_app_json(self.app)
        for warning in manifest.warnings:
            self.warn(warning)
        if self.request.check_manifest is not None:
            self.request.check_manifest(manifest)
        app_json = manifest.as_json()
        self.emit("-----> Python app detected")
        if self.request.run_as:
            self.workspace.hand_to(self.request.run_as)
        self.runner = self.builder.runner(self.request, self.app, self.cache,
                                          f"{self.request.name}.{self.workspace.root.name[:8]}")
        try:
            venv, deps_key, venv_digest, python = self._compile()
        finally:
            if isinstance(self.runner, SandboxRunner):
                self.runner.close()
        venv_kept = self.workspace.freeze(VENV, self.venv_identity)
        self.static.commit(self.app)
        return self._assemble(venv, venv_kept, deps_key, venv_digest, python, process_types, app_json)

    def _compile(self) -> tuple[Path, str, str, PythonChoice]:
        run_hook("pre_compile", self.app, self.runner, self._environment, self.emit)
        refuse_committed_venv(self.app)
        manager = determine_package_manager(self.app, self.warn)
        about_python: list[str] = []  # shown after the version they are about
        python = choose_python(self.app, about_python.append, package_manager=manager.name,
                               previous=self.request.previous_python, downloads=self.builder.python_downloads,
                               managed_dir=self.builder.pythons_dir)
        self.emit(f"-----> {python.announcement()}")
        for warning in about_python:
            self.warn(warning)
        self._show_interpreter(python)
        venv, deps_key, venv_digest = self._install(manager, python)
        slug.link_tree(venv, self.app / VENV)  # collectstatic and post_compile run with it, as dynos will
        self.venv, self.venv_identity = self.app / VENV, identity(self.app / VENV)
        Collectstatic(self.app, self.venv, self.request.config, self.runner, self._environment, self.static,
                      f"python {python.interpreter.version_text}\nvenv {venv_digest}").run(self.emit, self._owner())
        run_hook("post_compile", self.app, self.runner, self._environment, self.emit)
        return venv, deps_key, venv_digest, python

    def _show_interpreter(self, python: PythonChoice) -> None:
        interpreter = Path(python.interpreter.path)
        if isinstance(self.runner, SandboxRunner):
            self.runner.bind_interpreter(interpreter.parent.parent)
        elif self.request.run_as:  # root without a sandbox: the user must get through to what it runs
            grant_traverse(interpreter, self.request.run_as)
        self.python = python

    def _install(self, manager: PackageManager, python: PythonChoice) -> tuple[Path, str, str]:
        self.emit(f"-----> Installing dependencies with {manager.label}")
        reason = f"Python {python.interpreter.version_text} ({python.reason()})"
        install = deps.Install(self.cache, self.runner, self.request.config, manager, reason)
        venv, deps_key, reused, venv_digest = deps.cached_venv(self.app, python.interpreter, install, self.emit)
        packages = deps.installed_packages(venv)
        if reused:
            self.emit(f"       Dependencies unchanged since an earlier build: reusing them "
                      f"({len(packages)} packages, nothing installed)")
        for warning in deps.dependency_warnings(packages):
            self.warn(warning)
        return venv, deps_key, venv_digest

    def _environment(self) -> dict[str, str]:
        """What bin/pre_compile, collectstatic and bin/post_compile run with: the install's environment,
        with the venv (once there is one) and the interpreter first on PATH."""
        env = deps.Install(self.cache, self.runner, self.request.config).environment()
        first = [self.runner.path(self.venv / "bin")] if self.venv else []
        if self.python:
            first.append(self.runner.path(Path(self.python.interpreter.path).parent))
        env["PATH"] = os.pathsep.join([*first, env["PATH"]])
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _owner(self) -> tuple[int, int] | None:
        run_as = self.request.run_as
        return (run_as.uid, run_as.gid) if run_as else None

    def _assemble(self, venv: Path, venv_kept: bool, deps_key: str, venv_digest: str, python: PythonChoice,
                  process_types: dict[str, str], app_json: dict[str, Any]) -> BuiltSlug:
        self.emit("-----> Discovering process types")
        self.emit(f"       Procfile declares types -> {', '.join(sorted(process_types))}")
        version = python.interpreter.version_text
        digest = slug.slug_digest(self.app, venv_digest, version)
        final = self.builder.slug_path(digest)
        if not final.exists():
            if not venv_kept:  # the build moved the one linked in away: link it again
                slug.link_tree(venv, self.app / VENV)
            root = self.workspace.root
            (root / "slug").mkdir()
            self.app.rename(root / "slug" / slug.SLUG_APP)
            (root / "slug").rename(final)
            final.chmod(0o550)  # root's; sandboxed dynos see it through an overlay mounted by root
        size = slug.tree_size(final)
        self.emit("-----> Assembling the slug...")
        self.emit(f"       Done: {format_size(size)} (slug {digest[:12]})")
        self.emit(f"-----> Build finished in {time.monotonic() - self.started:.1f}s")
        return BuiltSlug(digest, final, size, version, process_types, deps_key, app_json, tuple(self.warnings))
