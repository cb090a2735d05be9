"""Which folder of an upload is the app: PROJECT_PATH / APP_BASE, and the hint for a monorepo."""

from __future__ import annotations

from pathlib import Path

import pytest

from seaway.slugs.errors import BuildError
from seaway.slugs.project import app_subfolders, refuse_committed_venv, requested_project_path, select_project


def tree(root: Path, *files: str) -> Path:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    return root


def test_the_top_is_the_app_when_it_holds_one(tmp_path: Path) -> None:
    tree(tmp_path, "requirements.txt", "backend/requirements.txt")
    assert select_project(tmp_path, {}) == (tmp_path, None)


@pytest.mark.parametrize("name", ["PROJECT_PATH", "APP_BASE"])
def test_a_config_var_names_the_subfolder(tmp_path: Path, name: str) -> None:
    tree(tmp_path, "README.md", "services/api/requirements.txt")
    assert select_project(tmp_path, {name: "services/api/"}) == (tmp_path / "services" / "api", "services/api")


@pytest.mark.parametrize("value", ["/etc", "../other", "a/../../b", "back\\end"])
def test_a_path_leading_out_of_the_upload_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(BuildError, match="must be a folder inside your source"):
        requested_project_path({"PROJECT_PATH": value})


def test_a_missing_subfolder_lists_what_the_top_holds(tmp_path: Path) -> None:
    tree(tmp_path, "backend/requirements.txt", "README.md")
    with pytest.raises(BuildError) as info:
        select_project(tmp_path, {"PROJECT_PATH": "api"})
    assert "PROJECT_PATH=api names no folder" in str(info.value)
    assert "backend/" in str(info.value) and "README.md" in str(info.value)


def test_a_link_is_not_taken_for_the_subfolder(tmp_path: Path) -> None:
    tree(tmp_path / "outside", "requirements.txt")
    (tmp_path / "upload").mkdir()
    (tmp_path / "upload" / "backend").symlink_to(tmp_path / "outside")
    with pytest.raises(BuildError, match="names no folder"):
        select_project(tmp_path / "upload", {"PROJECT_PATH": "backend"})


def test_a_subfolder_without_an_app_says_so(tmp_path: Path) -> None:
    tree(tmp_path, "docs/index.md")
    with pytest.raises(BuildError, match=r"No Python app detected in docs/"):
        select_project(tmp_path, {"PROJECT_PATH": "docs"})


def test_one_app_subfolder_is_named_with_both_ways_to_deploy_it(tmp_path: Path) -> None:
    tree(tmp_path, "README.md", "backend/requirements.txt", "frontend/package.json")
    with pytest.raises(BuildError) as info:
        select_project(tmp_path, {})
    message = str(info.value)
    assert "backend/ holds one" in message
    assert "seaway config:set PROJECT_PATH=backend" in message and "seaway deploy backend" in message


def test_several_app_subfolders_are_listed(tmp_path: Path) -> None:
    tree(tmp_path, "api/pyproject.toml", "worker/requirements.txt", "node_modules/x/setup.py", ".hidden/setup.py")
    assert app_subfolders(tmp_path) == ["api", "worker"]
    with pytest.raises(BuildError, match="api/, worker/"):
        select_project(tmp_path, {})


def test_no_app_anywhere_lists_the_top(tmp_path: Path) -> None:
    tree(tmp_path, "index.html")
    with pytest.raises(BuildError, match=r"No Python app detected: the top of your source holds index.html"):
        select_project(tmp_path, {})


@pytest.mark.parametrize("name, made", [(".venv", "folder"), ("venv", "venv"), (".venv", "link")])
def test_a_venv_in_the_source_is_refused(tmp_path: Path, name: str, made: str) -> None:
    if made == "link":
        (tmp_path / name).symlink_to("/usr")
    else:
        tree(tmp_path, f"{name}/pyvenv.cfg" if made == "venv" else f"{name}/lib/x.py")
    with pytest.raises(BuildError, match=rf"holds a {name}/ folder.*git rm -r --cached {name}"):
        refuse_committed_venv(tmp_path)


def test_a_folder_named_venv_that_is_no_venv_is_fine(tmp_path: Path) -> None:
    tree(tmp_path, "venv/notes.txt")
    refuse_committed_venv(tmp_path)
