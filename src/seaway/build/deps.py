"""Installing an app's dependencies into a relocatable venv with uv, cached by what decides them."""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

from uv import find_uv_bin

from seaway.build.bytecode import compile_sources, reuse_bytecode
from seaway.build.errors import BuildError
from seaway.build.python import Interpreter
from seaway.build.slug import make_read_only, remove_tree
from seaway.host import ROOT, RunAs, chown_tree

DEPENDENCY_FILES = ("requirements.txt", "pyproject.toml", "uv.lock")


def detect_python_app(app_dir: Path) -> None:
    if not any((app_dir / name).is_file() for name in ("requirements.txt", "pyproject.toml")):
        raise BuildError(
            "No Python app detected: the source has neither requirements.txt nor pyproject.toml at its top level. "
            "Add one that lists your dependencies (e.g. `pip freeze > requirements.txt`)."
        )


def dependency_key(app_dir: Path, interpreter: Interpreter) -> str:
    """What decides the installed set: the interpreter and the dependency files' bytes."""
    digest = hashlib.sha256(f"python {interpreter.version_text} {interpreter.path}\n".encode())
    for name in DEPENDENCY_FILES:
        path = app_dir / name
        if path.is_file():
            digest.update(f"{name}\n".encode() + path.read_bytes() + b"\n")
    return digest.hexdigest()


def uv_environment(cache_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        UV_CACHE_DIR=str(cache_dir / "uv"),
        UV_PYTHON_DOWNLOADS="never",
        UV_SYSTEM_CERTS="1",  # formerly UV_NATIVE_TLS: use the host CA bundle
        UV_NO_PROGRESS="1",
        UV_LINK_MODE="hardlink",
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str], emit: Callable[[str], None], run_as: RunAs | None) -> None:
    process = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
        **(run_as.popen_kwargs() if run_as else {}),  # type: ignore[arg-type]
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip())
        emit("       " + line.rstrip())
    if process.wait() != 0:
        tail = "\n".join(lines[-5:])
        raise BuildError(f"Installing dependencies failed (uv exited {process.returncode}):\n{tail}")


def _install_command(uv: str, app_dir: Path, venv: Path, interpreter: Interpreter, env: dict[str, str]) -> list[str]:
    """requirements.txt, else uv.lock (exactly as locked), else pyproject.toml's dependencies."""
    if (app_dir / "requirements.txt").is_file():
        return [uv, "pip", "install", "--python", str(venv / "bin" / "python"), "-r", "requirements.txt"]
    if (app_dir / "uv.lock").is_file():
        env["UV_PROJECT_ENVIRONMENT"] = str(venv)
        return [uv, "sync", "--frozen", "--no-dev", "--no-install-project", "--python", interpreter.path]
    return [uv, "pip", "install", "--python", str(venv / "bin" / "python"), "-r", "pyproject.toml"]


def install_dependencies(
    app_dir: Path, venv: Path, interpreter: Interpreter, cache_dir: Path, emit: Callable[[str], None],
    run_as: RunAs | None = None,
) -> None:
    """Create `venv` (relocatable), install the app's dependencies into it and compile their bytecode.

    With `run_as`, uv and the compiler run as that (the app's) user."""
    uv, env = find_uv_bin(), uv_environment(cache_dir)
    if run_as:
        env["HOME"] = str(cache_dir)  # the app's own cache folder, which its user owns
    _run([uv, "venv", "--relocatable", "--quiet", "--python", interpreter.path, str(venv)], app_dir, env, emit, run_as)
    install = _install_command(uv, app_dir, venv, interpreter, env)
    minor = ".".join(map(str, interpreter.version[:2]))
    earlier = sorted((p for p in (cache_dir / "venvs").glob(f"*/lib/python{minor}") if ".tmp" not in str(p)),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    if not earlier:  # nothing compiled to reuse: uv compiles fastest
        _run(install + ["--compile-bytecode"], app_dir, env, emit, run_as)
        return
    _run(install, app_dir, env, emit, run_as)
    reused, missing = reuse_bytecode(venv, [p.parent.parent for p in earlier], interpreter.cache_tag)
    compile_sources(venv, missing, reused, run_as)
    emit(f"       Bytecode: compiled {len(missing)} modules, reused {reused} from earlier builds")


def cached_venv(app_dir: Path, interpreter: Interpreter, cache_dir: Path, emit: Callable[[str], None],
                run_as: RunAs | None = None) -> tuple[Path, str, bool]:
    """The venv for these dependencies from the build cache, installing it first on a miss.

    Returns (venv path, dependency key, whether it was reused). A venv installed as `run_as` is
    handed to root before it is cached, so its builder cannot change it afterwards."""
    key = dependency_key(app_dir, interpreter)
    venv = cache_dir / "venvs" / key
    venv.parent.mkdir(parents=True, exist_ok=True)
    if venv.is_dir():
        return venv, key, True
    staging = venv.with_name(f"{key}.{uuid.uuid4().hex[:8]}.tmp")
    remove_tree(staging)
    try:
        install_dependencies(app_dir, staging, interpreter, cache_dir, emit, run_as)
        if run_as:
            chown_tree(staging, ROOT)
        make_read_only(staging)  # slugs hard-link it: nothing may change it from now on
        staging.rename(venv)
    except OSError:
        if not venv.is_dir():  # a parallel build of the same dependencies got there first otherwise
            raise
    finally:
        remove_tree(staging)
    return venv, key, False


def installed_packages(venv: Path) -> list[str]:
    """`name==version` of every distribution in the venv, read from its dist-info folders."""
    found = []
    for site in venv.glob("lib/python*/site-packages"):
        for info in site.glob("*.dist-info"):
            found.append(info.name[: -len(".dist-info")].replace("-", "==", 1))
    return sorted(found)


def _version(packages: list[str], name: str) -> tuple[int, ...] | None:
    for entry in packages:
        found, _, version = entry.partition("==")
        if found.lower().replace("_", "-") == name:
            return tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    return None


def dependency_warnings(packages: list[str]) -> list[str]:
    """Known traps in an installed set that break apps at run time, not at install time."""
    warnings = []
    sqlalchemy = _version(packages, "sqlalchemy")
    psycopg2 = _version(packages, "psycopg2-binary") or _version(packages, "psycopg2")
    if sqlalchemy and sqlalchemy >= (2, 1) and psycopg2 and not _version(packages, "psycopg"):
        warnings.append(
            "SQLAlchemy 2.1+ uses psycopg 3 for postgresql:// URLs, but only psycopg2 is installed: the app will "
            "fail to connect. Pin `SQLAlchemy<2.1`, add `psycopg[binary]`, or use postgresql+psycopg2:// URLs."
        )
    return warnings
