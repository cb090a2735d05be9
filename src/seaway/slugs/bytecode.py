"""Compiling a new venv's bytecode, reusing what earlier builds compiled for the very same files.

A .pyc is valid for a source of the same size and mtime (what the .pyc's header records, and all that
Python checks). uv hard-links package files from its cache, and a cached venv keeps their mtimes (its
copies, when it is handed to root, are made with them), so a module of the same package version has
the same path, size and mtime in every venv built from that cache. For each such module whose bytes
are also the same as an earlier venv's, hard-link that venv's .pyc instead of compiling again. Only
modules no earlier venv has are compiled.
"""

from __future__ import annotations

import filecmp
import os
import subprocess
from pathlib import Path

from seaway.slugs.runner import Runner

MAX_DONORS = 4
SourceKey = tuple[str, int, int]  # path under site-packages, size, mtime in ns


def _site_packages(venv: Path) -> list[Path]:
    return sorted(venv.glob("lib/python*/site-packages"))


def _compiled_by_source(donors: list[Path], tag: str) -> dict[SourceKey, tuple[str, Path]]:
    """Each source file of the donor venvs that has a .pyc, by path, size and mtime: (the source, the .pyc)."""
    index: dict[SourceKey, tuple[str, Path]] = {}
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
                        key = (os.path.relpath(source, site), info.st_size, info.st_mtime_ns)
                        index.setdefault(key, (source, Path(folder) / name))
    return index


def _same_file(source: str, donor: str) -> bool:
    return os.path.samefile(source, donor) or filecmp.cmp(source, donor, shallow=False)


def _cache_folder(folder: str) -> str:
    """The module folder's __pycache__, made if missing, owned as the folder is (the build's own user
    compiles what is missing into it)."""
    cache = os.path.join(folder, "__pycache__")
    if not os.path.isdir(cache):
        os.makedirs(cache, exist_ok=True)
        owner = os.stat(folder)
        if os.geteuid() == 0 and owner.st_uid != 0:
            os.chown(cache, owner.st_uid, owner.st_gid)
    return cache


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
                found = index.get((os.path.relpath(source, site), info.st_size, info.st_mtime_ns))
                if found is None or not _same_file(source, found[0]):
                    missing.append(source)
                    continue
                try:
                    os.link(found[1], os.path.join(_cache_folder(folder), found[1].name))
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
