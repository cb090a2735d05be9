"""Each package manager's locked set installed for real (uv, Poetry, Pipenv, pip with local packages),
locks out of sync refused, and a dependency that fails to build named in the final error."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from seaway.slugs import slug as slug_module
from seaway.slugs.builder import Builder
from tests.slugs.test_buildpack_steps import build, failure, sample

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def builder(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    home = tmp_path_factory.mktemp("managers-home")
    yield Builder(home / "slugs", home / "builds", home / "cache")
    slug_module.remove_tree(home)


def site_packages(app: Path) -> list[str]:
    (site,) = app.glob(".venv/lib/python*/site-packages")
    return sorted(os.listdir(site))


@pytest.mark.parametrize("name, label", [
    ("pm_uv", "uv (uv sync --locked)"),
    ("pm_poetry", "Poetry 2.2.1 (poetry sync)"),
    ("pm_pipenv", "Pipenv 2025.0.4 (pipenv install --deploy)"),
])
def test_each_manager_installs_its_locked_set_without_dev_dependencies(builder: Builder, tmp_path: Path,
                                                                      name: str, label: str) -> None:
    run = build(builder, sample(name, tmp_path / name))
    assert f"-----> Installing dependencies with {label}" in run.lines
    installed = site_packages(run.app)
    assert "six-1.16.0.dist-info" in installed  # the locked version
    assert not any(entry.startswith("iniconfig") for entry in installed)  # a dev dependency
    # Its scripts find the venv's Python from where the slug is, not from where they were installed.
    version = subprocess.run([str(run.app / ".venv/bin/gunicorn"), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and "gunicorn" in version.stdout + version.stderr
    assert b"/staging/" not in (run.app / ".venv/bin/gunicorn").read_bytes()


def test_a_rebuild_reuses_the_managers_venv(builder: Builder, tmp_path: Path) -> None:
    source = sample("pm_poetry", tmp_path / "app")
    first = build(builder, source)
    (source / "app.py").write_text((source / "app.py").read_text() + "\n# a code change\n")
    second = build(builder, source)
    assert any("reusing them" in line for line in second.lines) and second.built.deps_key == first.built.deps_key


@pytest.mark.parametrize("name, lock, manifest, change", [
    ("pm_uv", "uv.lock", "pyproject.toml", ('"six==1.16.0"]', '"six==1.16.0", "idna"]')),
    ("pm_poetry", "poetry.lock", "pyproject.toml", ('"six==1.16.0"]', '"six==1.16.0", "idna"]')),
    ("pm_pipenv", "Pipfile.lock", "Pipfile", ('six = "==1.16.0"', 'six = "==1.16.0"\nidna = "*"')),
])
def test_a_lock_out_of_sync_fails_and_is_not_relocked(builder: Builder, tmp_path: Path, name: str, lock: str,
                                                      manifest: str, change: tuple[str, str]) -> None:
    source = sample(name, tmp_path / name)
    (source / manifest).write_text((source / manifest).read_text().replace(*change))
    locked = (source / lock).read_bytes()
    message, _output = failure(builder, source)
    assert message.startswith(f"{lock} is out of sync with {manifest}: it is never re-locked during a build.")
    assert (source / lock).read_bytes() == locked


def test_local_packages_build_in_the_writable_copy(builder: Builder, tmp_path: Path) -> None:
    source = sample("pm_local_package", tmp_path / "app")
    run = build(builder, source)
    installed = site_packages(run.app)
    assert "envprobe" in installed and any(e.startswith("localapp-0.1.0.dist-info") for e in installed)
    assert not any(source.rglob("*.egg-info"))  # the upload itself is untouched
    mode = (run.app / "localapp" / "web.py").stat().st_mode
    assert mode & 0o222 == 0  # what lands in the slug is read-only


def test_a_dependency_that_fails_to_build_is_named_with_the_python_and_why(builder: Builder, tmp_path: Path) -> None:
    message, output = failure(builder, sample("dep_fails_to_build", tmp_path / "app"))
    lines = message.splitlines()
    assert lines[0] == "Could not install the dependencies with pip: greenlet==3.0.1 failed to build."
    assert lines[1].startswith("Built with Python 3.") and "(no .python-version: 3." in lines[1]
    assert "is the default; pin one, e.g. `echo 3." in lines[1]
    assert "Last lines of the output:" in lines
    assert "Failed to build `greenlet==3.0.1`" in output


def test_the_conda_file_beside_requirements_is_ignored_with_a_warning(builder: Builder, tmp_path: Path) -> None:
    run = build(builder, sample("pm_conda_with_requirements", tmp_path / "app"))
    assert any("environment.yml is ignored: conda environments are not supported" in line for line in run.lines)
    assert any(entry.startswith("flask") for entry in site_packages(run.app))
