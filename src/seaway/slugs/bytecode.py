"""Compiling a new venv's bytecode, reusing what earlier builds compiled for the very same files.

uv hard-links package files from its cache, so a module of the same package version is the same
inode in every venv built from that cache. A .pyc records its source's mtime and size, so the .pyc
compiled for that inode in an earlier venv is valid in the new one: hard-link it instead of
compiling again. Only modules no earlier venv has are compiled.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from seaway.slugs.runner import Runner

MAX_DONORS = 4


def _site_packages(venv: Path) -> list[Path]:
    return sorted(venv.glob("lib/python*/site-packages"))


def _compiled_by_source(donors: list[Path], tag: str) -> dict[tuple[int, int], Path]:
    """(device, inode) of each source file in the donor venvs -> its compiled .pyc."""
    index: dict[tuple[int, int], Path] = {}
    suffix = f".{tag}.pyc"
    for donor in donors:
        for site in _site_packages(donor):
            for folder, _dirs, files in os.walk(site):
                if not folder.endswith("__pycache__"):
                    continue
                for name in files:
                    if name.endswith(suffix):
                        source = os.path.join(os.path.dirname(folder), name[: -len(suffix)] + ".py")
                        try:
                            info = os.stat(source)
                        except OSError:
                            continue
                        index.setdefault((info.st_dev, info.st_ino), Path(folder) / name)
    return index


def reuse_bytecode(venv: Path, donors: list[Path], tag: str) -> tuple[int, list[str]]:
    """Hard-link valid .pyc files from `donors` into `venv`; return how many, and the sources left to compile."""
    index = _compiled_by_source(donors[:MAX_DONORS], tag)
    reused, missing = 0, []
    for site in _site_packages(venv):
        for folder, _dirs, files in os.walk(site):
            for name in files:
                if not name.endswith(".py"):
                    continue
                source = os.path.join(folder, name)
                info = os.stat(source)
                compiled = index.get((info.st_dev, info.st_ino))
                if compiled is None:
                    missing.append(source)
                    continue
                cache = os.path.join(folder, "__pycache__")
                os.makedirs(cache, exist_ok=True)
                try:
                    os.link(compiled, os.path.join(cache, compiled.name))
                    reused += 1
                except FileExistsError:
                    pass
    return reused, missing


def compile_sources(venv: Path, sources: list[str], reused: int, runner: Runner, env: dict[str, str]) -> None:
    """Compile these modules with the venv's interpreter, through the build's runner.

    compileall runs a list of files on one core but a folder on every core (skipping fresh .pyc
    files), so many missing modules are compiled folder by folder."""
    if not sources:
        return
    command = [runner.path(venv / "bin" / "python"), "-m", "compileall", "-q"]
    if len(sources) > reused:
        command += ["-j", "0", *(runner.path(site) for site in _site_packages(venv))]
    else:
        command += ["-i", "-"]
    process = runner.popen(command, venv, env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    process.communicate("\n".join(runner.path(Path(source)) for source in sources))
