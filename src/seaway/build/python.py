"""Finding the host's Python interpreters and picking one by .python-version / runtime.txt."""

from __future__ import annotations

import glob
import os
import re
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from seaway.build.errors import BuildError

VERSION = re.compile(r"^(?:python-)?(\d+)\.(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: tuple[int, int, int]
    cache_tag: str = ""  # of its .pyc files, e.g. cpython-311

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


def _candidate_paths() -> set[str]:
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and "shims" not in d]
    dirs += ["/usr/bin", "/usr/local/bin"]
    patterns = [os.path.join(d, name) for d in dirs for name in ("python3", "python3.[0-9]*")]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    patterns.append(os.path.join(pyenv_root, "versions", "*", "bin", "python3"))
    extra = os.environ.get("SEAWAY_PYTHONS", "")
    patterns += [p for p in extra.split(os.pathsep) if p]
    found = set()
    for pattern in patterns:
        for path in glob.glob(pattern):
            if re.search(r"python3(\.\d+)?$", path) and os.access(path, os.X_OK):
                found.add(os.path.realpath(path))
    return found


def _probe(path: str) -> Interpreter | None:
    try:
        out = subprocess.run(
            [path, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3], sys.implementation.cache_tag)"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    major, minor, patch = (int(x) for x in out[0].split("."))
    return Interpreter(path, (major, minor, patch), out[1]) if (major, minor) >= (3, 8) else None


@lru_cache(maxsize=1)
def installed_interpreters() -> tuple[Interpreter, ...]:
    """Every distinct Python >= 3.8 on the host, newest first."""
    found = {i.version: i for i in filter(None, map(_probe, sorted(_candidate_paths())))}
    return tuple(sorted(found.values(), key=lambda i: i.version, reverse=True))


def requested_version(app_dir: Path) -> tuple[str, str] | None:
    """(version text, file it came from), from .python-version or the older runtime.txt."""
    for name in (".python-version", "runtime.txt"):
        path = app_dir / name
        if path.is_file():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    return line, name
    return None


def choose_interpreter(app_dir: Path, warn: "callable[[str], None]") -> Interpreter:  # type: ignore[valid-type]
    available = installed_interpreters()
    if not available:
        raise BuildError("No Python interpreter was found on this host. Install one (e.g. apt-get install python3).")
    listed = ", ".join(i.version_text for i in available)
    request = requested_version(app_dir)
    if request is None:
        return available[0]
    text, source = request
    match = VERSION.match(text)
    if not match:
        raise BuildError(
            f"{source} asks for Python {text!r}, which is not a version like 3.12 or 3.12.4. "
            f"Installed on this host: {listed}."
        )
    major, minor, patch = int(match[1]), int(match[2]), match[3]
    exact = [i for i in available if patch is not None and i.version == (major, minor, int(patch))]
    for interpreter in exact + list(available):
        if interpreter.version[:2] == (major, minor):
            if patch is not None and interpreter.version[2] != int(patch):
                warn(f"{source} asks for Python {text}; using {interpreter.version_text}, the {major}.{minor} on this host.")
            if source == "runtime.txt":
                warn("runtime.txt is deprecated; put the version in .python-version instead (e.g. `3.12`).")
            return interpreter
    raise BuildError(
        f"{source} asks for Python {text}, but no Python {major}.{minor} is installed on this host. "
        f"Installed: {listed}. Change {source} to one of those, or install Python {major}.{minor} on the host."
    )
