"""Choosing the package manager by the app's files, as the buildpack does, and what keys its venv."""

from __future__ import annotations

from pathlib import Path

import pytest

from seaway.slugs.deps import dependency_key
from seaway.slugs.errors import BuildError
from seaway.slugs.managers import (
    PIP,
    PIPENV,
    POETRY,
    UV,
    LocalPackage,
    determine_package_manager,
    included_requirement_files,
    local_package_paths,
)
from seaway.slugs.python import installed_interpreters

APPS = Path(__file__).resolve().parents[1] / "apps"


def app_with(tmp_path: Path, *names: str, content: str = "") -> Path:
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    return tmp_path


def choose(app: Path) -> tuple[str, list[str]]:
    warnings: list[str] = []
    return determine_package_manager(app, warnings.append).name, warnings


@pytest.mark.parametrize("files, manager", [
    (("requirements.txt",), "pip"),
    (("pyproject.toml", "uv.lock"), "uv"),
    (("pyproject.toml", "poetry.lock"), "poetry"),
    (("Pipfile", "Pipfile.lock"), "pipenv"),
    (("requirements.txt", "setup.py", "pyproject.toml"), "pip"),  # a package installed by requirements.txt
])
def test_one_manager_is_chosen_by_its_file(tmp_path: Path, files: tuple[str, ...], manager: str) -> None:
    assert choose(app_with(tmp_path, *files)) == (manager, [])


def test_several_managers_are_refused_naming_each(tmp_path: Path) -> None:
    with pytest.raises(BuildError) as error:
        choose(app_with(tmp_path, "requirements.txt", "pyproject.toml", "uv.lock", "poetry.lock"))
    message = str(error.value)
    assert message.startswith("Several package managers' files were found: requirements.txt (pip), "
                              "poetry.lock (poetry), uv.lock (uv).")
    assert "exactly one" in message


@pytest.mark.parametrize("files, expected", [
    (("Pipfile",), "A Pipfile was found but no Pipfile.lock"),
    (("pyproject.toml",), "pyproject.toml was found but no lock file"),
    (("setup.py",), "Only a setup.py was found"),
    (("requirement.txt",), "'requirement.txt' looks like a misspelt requirements.txt"),
    (("Requirements.txt",), "`git mv Requirements.txt requirements.txt`"),
    (("requirments.txt",), "'requirments.txt' looks like a misspelt"),
    (("environment.yml",), "conda environments are not supported (environment.yml found): add a requirements.txt"),
    (("conda-requirements.txt", "conda.yml"), "conda environments are not supported (conda-requirements.txt, "
                                              "conda.yml found)"),
    (("app.py",), "No package manager file was found"),
])
def test_each_unusable_layout_has_its_own_error(tmp_path: Path, files: tuple[str, ...], expected: str) -> None:
    with pytest.raises(BuildError) as error:
        choose(app_with(tmp_path, *files))
    assert expected in str(error.value)


def test_the_generic_error_lists_the_root(tmp_path: Path) -> None:
    app = app_with(tmp_path, "app.py", "src/main.py")
    with pytest.raises(BuildError) as error:
        choose(app)
    assert "  app.py\n  src/\n" in str(error.value)


def test_a_conda_file_beside_a_manager_is_ignored_with_a_warning(tmp_path: Path) -> None:
    manager, warnings = choose(app_with(tmp_path, "environment.yml", "requirements.txt"))
    assert manager == "pip"
    assert warnings == ["environment.yml is ignored: conda environments are not supported; the dependencies are "
                        "installed from requirements.txt only."]


def test_local_packages_named_by_requirements(tmp_path: Path) -> None:
    app = app_with(tmp_path, "pkg/pyproject.toml", "other/setup.py", "lib/x/pyproject.toml", "base.txt")
    (app / "requirements.txt").write_text("-e .\n./pkg  # a comment\nflask==3.0\n-r base.txt\n"
                                          "x @ file:./lib/x\n-e git+https://example.com/r.git#egg=r\n")
    (app / "base.txt").write_text("--editable=other\n-r requirements.txt\n")  # a loop is followed once
    root = app.resolve()
    assert local_package_paths(app, PIP) == sorted([
        LocalPackage(root, True), LocalPackage(root / "pkg", False), LocalPackage(root / "other", True),
        LocalPackage(root / "lib/x", False)], key=lambda p: (str(p.path), p.editable))
    assert included_requirement_files(app) == [root / "requirements.txt", root / "base.txt"]


def test_a_local_path_out_of_the_app_is_not_followed(tmp_path: Path) -> None:
    app = app_with(tmp_path / "app", "requirements.txt")
    (tmp_path / "outside").mkdir()
    (app / "requirements.txt").write_text("../outside\n/etc\n-r /etc/passwd\n")
    assert local_package_paths(app, PIP) == [] and included_requirement_files(app) == [app.resolve() / "requirements.txt"]


def test_local_packages_of_lock_files() -> None:
    uv_app = APPS / "pm_uv"
    assert local_package_paths(uv_app, UV) == []  # a virtual project: no package of its own
    poetry_app = APPS / "pm_poetry"
    assert local_package_paths(poetry_app, POETRY) == [LocalPackage(poetry_app.resolve(), True)]
    assert local_package_paths(APPS / "pm_pipenv", PIPENV) == []


def test_the_venv_key_follows_what_decides_the_installed_set(tmp_path: Path) -> None:
    app = app_with(tmp_path, "pkg/pyproject.toml", "pkg/pkg/__init__.py", "localapp/__init__.py",
                   "pyproject.toml", "base.txt")
    (app / "requirements.txt").write_text("-e .\n./pkg\n-r base.txt\n")
    python = installed_interpreters()[0]
    key = dependency_key(app, python, PIP)
    (app / "localapp/__init__.py").write_text("x = 1\n")  # the editable app's code: linked, not installed
    assert dependency_key(app, python, PIP) == key
    (app / "pyproject.toml").write_text("[project]\nname = 'localapp'\n")  # its metadata is installed
    assert dependency_key(app, python, PIP) != key
    key = dependency_key(app, python, PIP)
    (app / "pkg/pkg/__init__.py").write_text("y = 2\n")  # a copied package's code is installed
    assert dependency_key(app, python, PIP) != key
    key = dependency_key(app, python, PIP)
    (app / "base.txt").write_text("six\n")  # an included requirements file
    assert dependency_key(app, python, PIP) != key
