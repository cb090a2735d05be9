"""Installing an app's dependencies into a relocatable venv with uv, cached by what decides them."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from uv import find_uv_bin

from seaway.host import ROOT, chown_tree
from seaway.slugs.bytecode import compile_sources, reuse_bytecode
from seaway.slugs.cache import BuildCache
from seaway.slugs.commands import run_command
from seaway.slugs.errors import BuildError
from seaway.slugs.failures import install_failure_summary, is_noise
from seaway.slugs.managers import (
    PACKAGE_METADATA,
    PIP,
    PackageManager,
    included_requirement_files,
    install_steps,
    local_package_paths,
)
from seaway.slugs.python import Interpreter
from seaway.slugs.runner import HostRunner, Runner
from seaway.slugs.slug import make_read_only, remove_tree, source_manifest

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

def dependency_key(app_dir: Path, interpreter: Interpreter, manager: PackageManager) -> str:
    """What decides the installed set: the interpreter, the manager's files' bytes (with the requirement
    files requirements.txt includes), and the local packages they name: all of a copied one's content
    (a changed `./pkg` is installed again), only the metadata of an editable one (`-e .`), whose code
    the venv does not hold."""
    digest = hashlib.sha256(f"python {interpreter.version_text} {interpreter.path}\nmanager {manager.name}\n".encode())
    root = app_dir.resolve()
    files = [(app_dir / name).resolve() for name in manager.files]
    if manager is PIP:
        files += included_requirement_files(app_dir)
    for path in dict.fromkeys(files):  # only the app's own files: a link out of it is not followed
        if path.is_file() and path.is_relative_to(root):
            digest.update(f"{path.relative_to(root)}\n".encode() + path.read_bytes() + b"\n")
    for package in local_package_paths(app_dir, manager):
        where = package.path.relative_to(root)
        if package.editable:
            for name in PACKAGE_METADATA:
                if (package.path / name).is_file():
                    digest.update(f"editable {where}/{name}\n".encode() + (package.path / name).read_bytes())
        else:
            digest.update(f"local {where}\n".encode() + source_manifest(package.path, skip=".venv"))
    return digest.hexdigest()


# Config vars a build never takes from the app (the buildpack's list): they would break the tools.
NOT_FROM_CONFIG = ("PATH", "GIT_DIR", "CPATH", "CPPATH", "LD_PRELOAD", "LIBRARY_PATH", "LD_LIBRARY_PATH", "PYTHONHOME")
# The daemon's own settings a build may need to reach the package indexes: proxies, CAs, index URLs.
PASSED_THROUGH = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy",
                  "all_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_DEFAULT_INDEX",
                  "UV_INDEX", "UV_FIND_LINKS", "UV_INDEX_STRATEGY", "UV_HTTP_TIMEOUT")


def build_environment(config: dict[str, str], home: str, uv_cache: str, uv: str) -> dict[str, str]:
    """The app's config vars, the index settings above, and what uv needs; nothing else of the daemon's."""
    env = {key: value for key, value in config.items() if key not in NOT_FROM_CONFIG}
    env.update({key: os.environ[key] for key in PASSED_THROUGH if key in os.environ and key not in env})
    env.update(
        PATH=f"{os.path.dirname(uv)}:{SYSTEM_PATH}",
        HOME=home,
        LANG="C.UTF-8",
        UV_CACHE_DIR=uv_cache,
        UV_PYTHON_DOWNLOADS="never",
        UV_SYSTEM_CERTS="1",  # formerly UV_NATIVE_TLS: use the host CA bundle
        UV_NO_PROGRESS="1",
        UV_LINK_MODE="hardlink",
    )
    return env


@dataclass(frozen=True)
class Install:
    """Where and how one build installs: its cache, how its commands run, and with which app config vars."""

    cache: BuildCache
    runner: Runner = field(default_factory=HostRunner)
    config: dict[str, str] = field(default_factory=dict)
    manager: PackageManager = PIP
    python_reason: str = ""  # why this Python, for the failure message

    def run(self, args: list[str], cwd: Path, env: dict[str, str], emit: Callable[[str], None]) -> None:
        result = run_command(self.runner, args, cwd, env, emit, hide=is_noise)
        if not result.ok:
            raise BuildError(install_failure_summary(result.lines, self.manager, self.python_reason))

    def environment(self) -> dict[str, str]:
        return build_environment(self.config, self.runner.path(self.cache.builder), self.runner.path(self.cache.uv),
                                 self.runner.path(Path(find_uv_bin())))


def install_dependencies(app_dir: Path, venv: Path, interpreter: Interpreter, install: Install,
                         emit: Callable[[str], None]) -> None:
    """Create `venv` (relocatable), install the app's dependencies into it and compile their bytecode,
    every step through the install's runner (as the app's user, in its sandbox, when root)."""
    env, runner = install.environment(), install.runner
    uv = runner.path(Path(find_uv_bin()))
    inside = runner.path(venv)
    install.run([uv, "venv", "--relocatable", "--quiet", "--python", interpreter.path, inside], app_dir, env, emit)
    steps = install_steps(install.manager, uv=uv, venv=inside, python=interpreter.path,
                          tools=runner.path(install.cache.builder / "tools"), env=env)
    *setup, command = steps
    for step in setup:
        install.run(step, app_dir, env, emit)
    if command[0] != uv:  # Poetry, Pipenv: their scripts' shebangs name this staging folder
        _install_then_relocate(command, app_dir, env, install, emit, inside)
        return
    minor = ".".join(map(str, interpreter.version[:2]))
    earlier = sorted((p for p in install.cache.venvs.glob(f"*/lib/python{minor}")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    if not earlier:  # nothing compiled to reuse: the installer compiles
        install.run(command + ["--compile-bytecode"], app_dir, env, emit)
        return
    install.run(command, app_dir, env, emit)
    reused, missing = reuse_bytecode(venv, [p.parent.parent for p in earlier], interpreter.cache_tag)
    compile_sources(venv, missing, reused, runner, env)
    emit(f"       Bytecode: compiled {len(missing)} modules, reused {reused} from earlier builds")


def _install_then_relocate(command: list[str], app_dir: Path, env: dict[str, str], install: Install,
                           emit: Callable[[str], None], inside: str) -> None:
    install.run(command, app_dir, env, emit)
    script = (Path(__file__).parent / "relocate_scripts.py").read_text()
    process = install.runner.popen([f"{inside}/bin/python", "-I", "-", inside], app_dir, env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output, _ = process.communicate(script)
    if process.returncode != 0:
        raise BuildError(f"Could not make the venv's scripts relocatable:\n{output.strip()}")


def venv_digest(venv: Path) -> str:
    """The digest of everything in a venv (paths, modes, contents): what a slug's name must cover."""
    return hashlib.sha256(source_manifest(venv, skip=None)).hexdigest()


def cached_venv(app_dir: Path, interpreter: Interpreter, install: Install,
                emit: Callable[[str], None]) -> tuple[Path, str, bool, str]:
    """The venv for these dependencies from the build cache, installing it first on a miss.

    Returns (venv path, dependency key, whether it was reused, its content digest). A new venv is
    handed to root and made read-only before it enters the cache, so its builder cannot change it
    afterwards; its digest is taken then, and kept beside it where only root writes."""
    cache = install.cache
    key = dependency_key(app_dir, interpreter, install.manager)
    venv = cache.venvs / key
    if venv.is_dir():
        return venv, key, True, _stored_digest(cache, key)
    staging = cache.staging / f"{key}.{uuid.uuid4().hex[:8]}"
    remove_tree(staging)
    try:
        install_dependencies(app_dir, staging, interpreter, install, emit)
        if os.geteuid() == 0:
            unlink_from_cache(staging)
            chown_tree(staging, ROOT)
        make_read_only(staging)  # slugs hard-link it: nothing may change it from now on
        _write_digest(cache, key, venv_digest(staging))
        staging.rename(venv)
    except OSError:
        if not venv.is_dir():  # a parallel build of the same dependencies got there first otherwise
            raise
    finally:
        remove_tree(staging)
    return venv, key, False, _stored_digest(cache, key)


def unlink_from_cache(venv: Path) -> None:
    """Replace the venv's files that are hard links of the builder's uv cache with copies (mtimes kept):
    handing the venv to root must not hand root the cache's files too, or the next build (as the app's
    user, with protected hard links) could not link them and would copy every package."""
    for folder, _dirs, files in os.walk(venv):
        for name in files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode) and info.st_nlink > 1 and info.st_uid != 0:
                copy = f"{path}.{uuid.uuid4().hex[:8]}"
                shutil.copy2(path, copy)
                os.replace(copy, path)


def _write_digest(cache: BuildCache, key: str, digest: str) -> None:
    temporary = cache.digest_file(key).with_suffix(f".{uuid.uuid4().hex[:8]}")
    temporary.write_text(digest + "\n")
    temporary.replace(cache.digest_file(key))


def _stored_digest(cache: BuildCache, key: str) -> str:
    try:
        return cache.digest_file(key).read_text().strip()
    except FileNotFoundError:  # a venv cached before digests were kept
        digest = venv_digest(cache.venvs / key)
        _write_digest(cache, key, digest)
        return digest


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


TRAP_SYMPTOMS = ("No module named 'psycopg'",)


def failure_hints(venv: Path, output: str) -> list[str]:
    """The dependency traps worth repeating when a release or boot then fails with their symptom."""
    if not any(symptom in output for symptom in TRAP_SYMPTOMS):
        return []
    return dependency_warnings(installed_packages(venv))
