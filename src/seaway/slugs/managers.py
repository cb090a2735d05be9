"""Which package manager installs an app's dependencies, chosen by its files as the Python buildpack
does (exactly one), and the commands that install its locked set into a venv."""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seaway.slugs.errors import BuildError

Warn = Callable[[str], None]

SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
POETRY_VERSION = "2.2.1"
PIPENV_VERSION = "2025.0.4"


@dataclass(frozen=True)
class PackageManager:
    name: str  # pip, uv, poetry, pipenv
    files: tuple[str, ...]  # what decides the installed set: their bytes key the venv cache
    label: str  # as the build output names it


PIP = PackageManager("pip", ("requirements.txt",), "pip (uv pip install -r requirements.txt)")
UV = PackageManager("uv", ("pyproject.toml", "uv.lock"), "uv (uv sync --locked)")
POETRY = PackageManager("poetry", ("pyproject.toml", "poetry.lock"), f"Poetry {POETRY_VERSION} (poetry sync)")
PIPENV = PackageManager("pipenv", ("Pipfile", "Pipfile.lock"), f"Pipenv {PIPENV_VERSION} (pipenv install --deploy)")

# The file that marks each manager, in the buildpack's order.
MARKERS = (("Pipfile.lock", PIPENV), ("requirements.txt", PIP), ("poetry.lock", POETRY), ("uv.lock", UV))
CONDA_FILES = ("environment.yml", "environment.yaml", "conda-requirements.txt", "conda.yml", "conda.yaml")
# requirements.txt as it is often mistyped (by hand, since pip writes no such file itself).
MISSPELLED_REQUIREMENTS = ("requeriments.txt", "requirement.txt", "requirements", "requirements.text",
                           "Requirements.txt", "requirements.txt.txt", "requirments.txt", "requirements.txt.")
CHOOSE_ONE = ("If you aren't sure which to use, uv is fast, keeps a lock file and is well maintained: "
              "https://docs.astral.sh/uv/")


def determine_package_manager(app_dir: Path, warn: Warn) -> PackageManager:
    """The app's one package manager; a clear BuildError when there is none, several, or an unusable one."""
    if (app_dir / "Pipfile").is_file() and not (app_dir / "Pipfile.lock").is_file():
        raise BuildError("A Pipfile was found but no Pipfile.lock: the app's dependency versions are not pinned. "
                         "Run `pipenv lock` and commit Pipfile.lock (check it is not in .gitignore), or delete the "
                         "Pipfile and add a requirements.txt, poetry.lock or uv.lock instead.")
    found = [(marker, manager) for marker, manager in MARKERS if (app_dir / marker).is_file()]
    conda = [name for name in CONDA_FILES if (app_dir / name).is_file()]
    if len(found) > 1:
        names = ", ".join(f"{marker} ({manager.name})" for marker, manager in found)
        raise BuildError(f"Several package managers' files were found: {names}. An app must use exactly one: "
                         f"decide which, then delete the others' files. {CHOOSE_ONE}")
    if found:
        if conda:
            warn(f"{', '.join(conda)} is ignored: conda environments are not supported; the dependencies are "
                 f"installed from {found[0][0]} only.")
        return found[0][1]
    raise BuildError(_none_found(app_dir, conda))


def _none_found(app_dir: Path, conda: list[str]) -> str:
    if conda:
        return (f"conda environments are not supported ({', '.join(conda)} found): add a requirements.txt listing "
                f"the app's packages from PyPI (e.g. `pip freeze > requirements.txt` in a working venv, or write "
                f"them by hand from {conda[0]}), or a uv.lock or poetry.lock.")
    misspelled = [name for name in MISSPELLED_REQUIREMENTS if (app_dir / name).is_file()]
    if misspelled:
        return (f"'{misspelled[0]}' looks like a misspelt requirements.txt: rename it "
                f"(`git mv {misspelled[0]} requirements.txt`); the name is case-sensitive.")
    if (app_dir / "pyproject.toml").is_file():
        return ("pyproject.toml was found but no lock file: the app's dependency versions are not pinned. Run "
                "`uv lock` (or `poetry lock` for a Poetry project) and commit uv.lock (poetry.lock), or add a "
                "requirements.txt containing `.` to install the project with pip.")
    if (app_dir / "setup.py").is_file():
        return ("Only a setup.py was found, and no package manager file: add a requirements.txt containing "
                "`--editable .` to install the project with pip, or use uv (`uv lock`).")
    listing = "\n".join(_listing(app_dir)) or "  (nothing)"
    return ("No package manager file was found: an app needs a requirements.txt, Pipfile.lock, poetry.lock or "
            f"uv.lock in its root folder. Its root holds:\n{listing}\nCheck the file's spelling (case-sensitive), "
            "that it is committed and not in .gitignore; an app without dependencies needs an empty "
            "requirements.txt.")


def _listing(app_dir: Path) -> list[str]:
    entries = sorted(app_dir.iterdir(), key=lambda p: p.name)
    return [f"  {entry.name}{'/' if entry.is_dir() and not entry.is_symlink() else ''}" for entry in entries[:40]]


# ---- the install commands ----------------------------------------------------------------------


def install_steps(manager: PackageManager, *, uv: str, venv: str, python: str, tools: str,
                  env: dict[str, str]) -> list[list[str]]:
    """The commands that install the app's locked set into `venv` (which exists), run in the app's folder;
    the last one is the install itself. `env` gains what they need (the venv's and the tools' settings)."""
    env["VIRTUAL_ENV"] = venv
    _trust_host_certificates(env)
    if manager is UV:
        env.update(UV_PROJECT_ENVIRONMENT=venv, UV_PYTHON=f"{venv}/bin/python")
        return [[uv, "sync", "--locked", "--no-default-groups", "--python", f"{venv}/bin/python"]]
    if manager is POETRY:
        home = f"{tools}/poetry-{POETRY_VERSION}"
        env.update(POETRY_VIRTUALENVS_CREATE="false", POETRY_CACHE_DIR=f"{tools}/poetry-cache",
                   POETRY_NO_INTERACTION="1")
        return [*_tool(uv, python, home, f"poetry=={POETRY_VERSION}"),
                [f"{home}/bin/poetry", "sync", "--only", "main", "--no-interaction", "--no-ansi", "--compile"]]
    if manager is PIPENV:
        home = f"{tools}/pipenv-{PIPENV_VERSION}"
        env.update(PIPENV_VERBOSITY="-1", PIPENV_NOSPIN="1", PIPENV_YES="1", PIPENV_CACHE_DIR=f"{tools}/pipenv-cache",
                   PIPENV_IGNORE_VIRTUALENVS="0", PIP_DISABLE_PIP_VERSION_CHECK="1")
        return [*_tool(uv, python, home, f"pipenv=={PIPENV_VERSION}"),
                [f"{home}/bin/pipenv", "install", "--deploy"]]
    return [[uv, "pip", "install", "--python", f"{venv}/bin/python", "-r", "requirements.txt"]]


def _trust_host_certificates(env: dict[str, str]) -> None:
    """Poetry and Pipenv (requests) trust certifi's bundle, not the host's as uv does here: give them the host's."""
    bundle = env.get("SSL_CERT_FILE") or (SYSTEM_CA_BUNDLE if os.path.isfile(SYSTEM_CA_BUNDLE) else "")
    if bundle:
        env.setdefault("REQUESTS_CA_BUNDLE", bundle)
        env.setdefault("PIP_CERT", bundle)


def _tool(uv: str, python: str, home: str, requirement: str) -> list[list[str]]:
    """Put a build tool in a venv of its own under the build cache (uv skips what is already there)."""
    return [[uv, "venv", "--quiet", "--allow-existing", "--python", python, home],
            [uv, "pip", "install", "--quiet", "--python", f"{home}/bin/python", requirement]]


# ---- local packages: what else decides the installed set ---------------------------------------


@dataclass(frozen=True)
class LocalPackage:
    path: Path
    editable: bool  # installed as a link to its source: only its metadata decides the venv


PACKAGE_METADATA = ("pyproject.toml", "setup.py", "setup.cfg")


def local_package_paths(app_dir: Path, manager: PackageManager) -> list[LocalPackage]:
    """The folders inside the app that its manager's files install as packages."""
    if manager is PIP:
        found = _pip_local(app_dir, app_dir / "requirements.txt", set())
    elif manager is UV:
        found = _uv_local(app_dir)
    elif manager is POETRY:
        found = _poetry_local(app_dir)
    else:
        found = _pipenv_local(app_dir)
    inside = []
    for package in found:
        resolved = package.path.resolve()
        if resolved.is_dir() and resolved.is_relative_to(app_dir.resolve()):
            inside.append(LocalPackage(resolved, package.editable))
    return sorted(set(inside), key=lambda p: (str(p.path), p.editable))


def included_requirement_files(app_dir: Path) -> list[Path]:
    """requirements.txt and every file it includes with -r/-c, inside the app (their bytes key the venv)."""
    files: list[Path] = []
    _pip_local(app_dir, app_dir / "requirements.txt", set(), files)
    return files


_INCLUDE = re.compile(r"^(?:-r|--requirement|-c|--constraint)[\s=]+(\S+)")
_EDITABLE = re.compile(r"^(?:-e|--editable)[\s=]+(\S+)")
_FILE_URL = re.compile(r"(?:^|@\s*)file:(?://)?(\S+)")


def _pip_local(app_dir: Path, requirements: Path, seen: set[Path], files: list[Path] | None = None
               ) -> list[LocalPackage]:
    resolved = requirements.resolve()
    if resolved in seen or not resolved.is_file() or not resolved.is_relative_to(app_dir.resolve()):
        return []
    seen.add(resolved)
    if files is not None:
        files.append(resolved)
    found = []
    for raw in resolved.read_text(errors="replace").splitlines():
        line = raw.split(" #")[0].strip()
        if include := _INCLUDE.match(line):
            found += _pip_local(app_dir, resolved.parent / include.group(1), seen, files)
        elif editable := _EDITABLE.match(line):
            found += _pip_path(app_dir, editable.group(1), editable=True)
        elif line.startswith((".", "/")) or _FILE_URL.search(line):
            found += _pip_path(app_dir, line, editable=False)
    return found


def _pip_path(app_dir: Path, spec: str, *, editable: bool) -> list[LocalPackage]:
    if "://" in spec and not spec.startswith("file:"):
        return []  # a VCS or web URL: not in the app
    if url := _FILE_URL.search(spec):
        spec = url.group(1)
    spec = re.split(r"[\[;#]", spec)[0].strip()
    path = Path(spec) if os.path.isabs(spec) else app_dir / spec
    return [LocalPackage(path, editable)]


def _uv_local(app_dir: Path) -> list[LocalPackage]:
    lock = _toml(app_dir / "uv.lock")
    found = []
    for package in lock.get("package", []):
        source = package.get("source", {})
        for kind in ("editable", "directory", "path"):
            if kind in source:
                found.append(LocalPackage(app_dir / source[kind], kind == "editable"))
    return found


def _poetry_local(app_dir: Path) -> list[LocalPackage]:
    lock = _toml(app_dir / "poetry.lock")
    found = [LocalPackage(app_dir, True)]  # the project itself, unless package-mode = false
    for package in lock.get("package", []):
        source = package.get("source", {})
        if source.get("type") in ("directory", "file"):
            found.append(LocalPackage(app_dir / source.get("url", ""), bool(package.get("develop"))))
    return found


def _pipenv_local(app_dir: Path) -> list[LocalPackage]:
    try:
        lock = json.loads((app_dir / "Pipfile.lock").read_text())
    except (OSError, ValueError):
        return []
    default = lock.get("default", {}) if isinstance(lock, dict) else {}
    return [LocalPackage(app_dir / entry["path"], bool(entry.get("editable")))
            for entry in default.values() if isinstance(entry, dict) and isinstance(entry.get("path"), str)]


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except (OSError, ValueError):
        return {}
