"""Django's `collectstatic` at build time, as the buildpack runs it, into the slug.

It runs when Django is installed and a manage.py lies at most three folders deep (the shallowest
wins), unless DISABLE_COLLECTSTATIC is set (to anything but 0). Its output is kept in the build
cache and reused when nothing it reads changed: the installed packages, the config vars, the
settings module and every file of the app that is not Python code. A code-only change skips it."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seaway.slugs.commands import INDENT, Emit, run_command
from seaway.slugs.errors import BuildError
from seaway.slugs.runner import Runner
from seaway.slugs.static_cache import StaticCache, snapshot

MANAGE_PY_DEPTH = 3
DISABLED_FILE = ".heroku/collectstatic_disabled"
SKIPPED_FOLDERS = (".venv", ".git", "__pycache__", "node_modules")
SETTINGS_DEFAULT = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]""")
NO_STATICFILES = "Unknown command: 'collectstatic'"  # what manage.py says without django.contrib.staticfiles
SUMMARY = re.compile(r"\bstatic files? (copied|symlinked)|\bunmodified\b")


@dataclass(frozen=True)
class Collectstatic:
    """One build's collectstatic step: where, with what, and whether and how it reuses earlier output."""

    app_dir: Path
    venv: Path
    config: dict[str, str]
    runner: Runner
    environment: Callable[[], dict[str, str]]
    cache: StaticCache
    inputs: str  # what else decides the output: the Python version and the venv's digest

    def run(self, emit: Emit, owner: tuple[int, int] | None) -> None:
        manage = self._manage_py(emit)
        if manage is None:
            return
        emit(f"-----> $ python {manage} collectstatic --noinput")
        key = self._key(manage)
        reused = self.cache.restore(key, self.app_dir, owner)
        if reused is not None:
            emit(f"{INDENT}Static files unchanged since an earlier build: reused its output ({reused})")
            return
        before = snapshot(self.app_dir, SKIPPED_FOLDERS[:1])
        result = run_command(self.runner, ["python", manage, "collectstatic", "--noinput", "--traceback"],
                             self.app_dir, self._env(), emit)
        if not result.ok and NO_STATICFILES in result.lines:  # nothing to collect: not worth failing a build for
            emit("-----> Skipping Django collectstatic: django.contrib.staticfiles is not in INSTALLED_APPS")
            return
        if not result.ok:
            raise BuildError(self._failure(manage, result.tail(30)))
        summary = next((line.strip() for line in reversed(result.lines) if SUMMARY.search(line)), "done")
        self.cache.remember(key, before, snapshot(self.app_dir, SKIPPED_FOLDERS[:1]), summary)

    def _manage_py(self, emit: Emit) -> str | None:
        if (self.app_dir / DISABLED_FILE).is_file():
            emit(f"-----> Skipping Django collectstatic: the file {DISABLED_FILE} exists")
            emit(f" !     Warning: {DISABLED_FILE} is deprecated: remove it and set the config var "
                 "DISABLE_COLLECTSTATIC=1 instead.")
            return None
        if self.config.get("DISABLE_COLLECTSTATIC", "0") != "0":
            emit("-----> Skipping Django collectstatic since the config var DISABLE_COLLECTSTATIC is set")
            return None
        if not any(self.venv.glob("lib/python*/site-packages/django/__init__.py")):
            return None
        manage = find_manage_py(self.app_dir)
        if manage is None:
            emit("-----> Skipping Django collectstatic since no manage.py file was found")
        return manage

    def _env(self) -> dict[str, str]:
        env = self.environment()
        env.setdefault("PYTHONPATH", ".")
        return env

    def _failure(self, manage: str, output: str) -> str:
        message = (f"Unable to generate Django static files: `python {manage} collectstatic --noinput` failed.\n"
                   f"{output}\n"
                   "Fix the error above (often a setting such as STATIC_ROOT, or a file a stylesheet names that "
                   "is missing), or disable collectstatic for this app: `seaway config:set DISABLE_COLLECTSTATIC=1`.")
        if self.config.get("DEBUG_COLLECTSTATIC") == "1":
            message += "\nThe command's environment held these variables: " + ", ".join(sorted(self._env()))
        return message

    def _key(self, manage: str) -> str:
        digest = hashlib.sha256(f"{self.inputs}\nmanage {manage}\n".encode())
        for name, value in sorted(self.config.items()):
            digest.update(f"config {name}={value}\n".encode())
        settings = settings_paths(self.app_dir, manage, self.config)
        for relative, content in _inputs(self.app_dir, settings):
            digest.update(f"file {relative} {content}\n".encode())
        return digest.hexdigest()


def find_manage_py(app_dir: Path) -> str | None:
    """The shallowest manage.py at most three folders deep (ties: the first by name), relative to the app."""
    found: list[tuple[int, str]] = []
    for folder, dirs, files in os.walk(app_dir):
        relative = Path(folder).relative_to(app_dir)
        depth = len(relative.parts) + 1
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS) if depth < MANAGE_PY_DEPTH else []
        if "manage.py" in files and (Path(folder) / "manage.py").is_file():
            found.append((depth, (relative / "manage.py").as_posix()))
    return min(found)[1] if found else None


def settings_paths(app_dir: Path, manage: str, config: dict[str, str]) -> list[str] | None:
    """The files that may hold the settings module (relative paths), or None when it cannot be told."""
    module = config.get("DJANGO_SETTINGS_MODULE")
    if not module:
        match = SETTINGS_DEFAULT.search(_read_text(app_dir / manage))
        module = match[1] if match else None
    if not module:
        return None
    path = module.replace(".", "/")
    bases = {".", Path(manage).parent.as_posix()}
    return sorted({(Path(base) / f"{path}.py").as_posix() for base in bases}
                  | {(Path(base) / path).as_posix() + "/" for base in bases})


def _inputs(app_dir: Path, settings: list[str] | None) -> list[tuple[str, str]]:
    """(path, content digest) of every file that may change collectstatic's output."""
    rows = []
    for folder, dirs, files in os.walk(app_dir):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS)
        for name in sorted(files):
            relative = (Path(folder) / name).relative_to(app_dir).as_posix()
            if name.endswith(".pyc"):
                continue
            if name.endswith(".py") and settings is not None and not _is_settings(relative, settings):
                continue
            rows.append((relative, _digest(app_dir / relative)))
    return rows


def _is_settings(relative: str, settings: list[str]) -> bool:
    return any(relative == entry or (entry.endswith("/") and relative.startswith(entry)) for entry in settings)


def _digest(path: Path) -> str:
    """A file's content digest, read without following a link (the build's user made these files)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return "link-or-unreadable"
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return "not-a-file"
        return hashlib.file_digest(f, "sha256").hexdigest()


def _read_text(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as f:
        return f.read(1 << 20).decode("utf-8", "replace") if stat.S_ISREG(os.fstat(f.fileno()).st_mode) else ""
