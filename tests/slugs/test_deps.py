"""Dependency installs with real uv: cache keys, bytecode reuse across venvs, known traps."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from seaway.slugs.cache import BuildCache
from seaway.slugs.deps import (
    Install,
    cached_venv,
    dependency_key,
    dependency_warnings,
    installed_packages,
    venv_digest,
)
from seaway.slugs.managers import PIP
from seaway.slugs.python import choose_interpreter

APPS = Path(__file__).parent.parent / "apps"


def _app(tmp_path: Path, requirements: str) -> Path:
    app = tmp_path / "app"
    app.mkdir(exist_ok=True)
    (app / "requirements.txt").write_text(requirements)
    (app / ".python-version").write_text("3.11\n")
    return app


def test_dependency_key_follows_dependency_files_only(tmp_path: Path) -> None:
    app = _app(tmp_path, "gunicorn\n")
    interpreter = choose_interpreter(app, lambda _w: None)
    key = dependency_key(app, interpreter, PIP)
    (app / "app.py").write_text("print('code changes do not matter')\n")
    assert dependency_key(app, interpreter, PIP) == key
    (app / "requirements.txt").write_text("gunicorn\nflask\n")
    assert dependency_key(app, interpreter, PIP) != key


def test_second_venv_reuses_compiled_bytecode(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache")
    cache.prepare(None)
    install = Install(cache)
    lines: list[str] = []
    app = _app(tmp_path, "gunicorn\n")
    interpreter = choose_interpreter(app, lambda _w: None)
    first, _key, reused, digest = cached_venv(app, interpreter, install, lines.append)
    assert not reused and "gunicorn==" in " ".join(installed_packages(first))
    assert digest == venv_digest(first)  # kept beside it, taken once it could no longer change
    assert list(first.rglob("gunicorn/__pycache__/*.pyc"))

    (app / "requirements.txt").write_text("gunicorn\nsix\n")  # a dependency change: a new venv
    lines.clear()
    second, _key, reused, _digest = cached_venv(app, interpreter, install, lines.append)
    assert not reused and second != first
    summary = [line for line in lines if "Bytecode:" in line]
    assert summary, lines
    compiled, reused_count = (int(word) for word in summary[0].split() if word.isdigit())
    assert reused_count > 50 and compiled < reused_count  # gunicorn's modules came from the first venv

    # The reused .pyc files are valid: Python loads them instead of compiling the source.
    verbose = subprocess.run([str(second / "bin/python"), "-v", "-c", "import gunicorn.arbiter"],
                             capture_output=True, text=True, env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert "gunicorn/__pycache__/arbiter" in verbose.stderr and "code object from" in verbose.stderr

    third, _key, reused, again = cached_venv(app, interpreter, install, lines.append)
    assert reused and third == second and again == venv_digest(second)  # same dependencies: nothing installed


def test_failed_install_leaves_no_half_venv(tmp_path: Path) -> None:
    from seaway.slugs.errors import BuildError

    app = _app(tmp_path, "seaway-this-package-does-not-exist-4242==1.0\n")
    interpreter = choose_interpreter(app, lambda _w: None)
    cache = BuildCache(tmp_path / "cache")
    cache.prepare(None)
    with pytest.raises(BuildError, match="seaway-this-package-does-not-exist-4242"):
        cached_venv(app, interpreter, Install(cache), lambda _l: None)
    assert list(cache.venvs.iterdir()) == [] and list(cache.staging.iterdir()) == []


@pytest.mark.parametrize(
    "packages, warns",
    [
        (["sqlalchemy==2.1.3", "psycopg2-binary==2.9.10"], True),
        (["SQLAlchemy==2.1.0", "psycopg2==2.9.10"], True),
        (["sqlalchemy==2.0.40", "psycopg2-binary==2.9.10"], False),
        (["sqlalchemy==2.1.3", "psycopg2-binary==2.9.10", "psycopg==3.2.1"], False),
        (["psycopg2==2.9.10"], False),
        (["flask==3.1.0"], False),
    ],
)
def test_sqlalchemy_psycopg_trap(packages: list[str], warns: bool) -> None:
    assert bool(dependency_warnings(packages)) is warns
