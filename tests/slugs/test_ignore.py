"""included_files: what of a source folder goes into the upload (.gitignore, .slugignore, VCS/venv folders)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from seaway.slugs.ignore import included_files
from tests.helpers import make_tree


def listed(root: Path) -> set[str]:
    return {p.as_posix() for p in included_files(root)}


def test_plain_tree_is_included_entirely(tmp_path: Path):
    make_tree(tmp_path, {"Procfile": "web: x", "app.py": "", "pkg/mod.py": "", "pkg/sub/data.json": "{}"})
    assert listed(tmp_path) == {"Procfile", "app.py", "pkg/mod.py", "pkg/sub/data.json"}


def test_paths_are_relative(tmp_path: Path):
    make_tree(tmp_path, {"pkg/mod.py": ""})
    (path,) = included_files(tmp_path)
    assert not path.is_absolute()
    assert path == Path("pkg/mod.py")


def test_vcs_venv_and_bytecode_are_always_skipped(tmp_path: Path):
    make_tree(
        tmp_path,
        {
            "app.py": "",
            ".git/HEAD": "ref: refs/heads/main",
            ".git/objects/ab/cdef": "",
            ".hg/store": "",
            ".svn/entries": "",
            ".venv/bin/python": "",
            ".venv/lib/python3.12/site-packages/x.py": "",
            "__pycache__/app.cpython-312.pyc": "",
            "pkg/__pycache__/mod.cpython-312.pyc": "",
            "pkg/mod.py": "",
            "pkg/stray.pyc": "",
            "sub/.git/config": "",  # a nested checkout
            ".seaway-app": "my-app",
        },
    )
    assert listed(tmp_path) == {"app.py", "pkg/mod.py"}


def test_gitignore_is_honoured(tmp_path: Path):
    make_tree(
        tmp_path,
        {
            ".gitignore": "# comment\n*.log\n/build/\nnode_modules/\nsecret.txt\n!keep.log\n",
            "app.py": "",
            "debug.log": "",
            "keep.log": "",
            "sub/trace.log": "",
            "build/out.txt": "",
            "sub/build/kept.txt": "",  # /build/ is anchored to the top
            "node_modules/pkg/index.js": "",
            "web/node_modules/x.js": "",
            "secret.txt": "",
        },
    )
    assert listed(tmp_path) == {".gitignore", "app.py", "keep.log", "sub/build/kept.txt"}


def test_slugignore_is_honoured(tmp_path: Path):
    make_tree(
        tmp_path,
        {".slugignore": "docs/\n*.psd\ntests\n", "app.py": "", "docs/index.md": "", "art/logo.psd": "",
         "tests/test_app.py": "", "art/logo.png": ""},
    )
    assert listed(tmp_path) == {".slugignore", "app.py", "art/logo.png"}


def test_gitignore_and_slugignore_combine(tmp_path: Path):
    make_tree(
        tmp_path,
        {".gitignore": "*.env\n", ".slugignore": "*.md\n", "app.py": "", "prod.env": "", "README.md": ""},
    )
    assert listed(tmp_path) == {".gitignore", ".slugignore", "app.py"}


def test_ignored_folder_is_not_descended(tmp_path: Path):
    make_tree(tmp_path, {".gitignore": "big/\n", "big/a/b/c.txt": "", "app.py": ""})
    assert listed(tmp_path) == {".gitignore", "app.py"}


def test_symlinks_are_listed_as_links_and_not_followed(tmp_path: Path):
    make_tree(tmp_path, {"app.py": "", "static/style.css": ""})
    os.symlink("app.py", tmp_path / "alias.py")
    os.symlink("static", tmp_path / "assets")  # a link to a folder: listed once, not walked into
    os.symlink("missing.txt", tmp_path / "dangling")
    assert listed(tmp_path) == {"app.py", "static/style.css", "alias.py", "assets", "dangling"}


def test_ignore_rules_apply_to_symlinks_too(tmp_path: Path):
    make_tree(tmp_path, {".gitignore": "assets/\nalias.py\n", "app.py": "", "static/style.css": ""})
    os.symlink("static", tmp_path / "assets")
    os.symlink("app.py", tmp_path / "alias.py")
    assert listed(tmp_path) == {".gitignore", "app.py", "static/style.css"}


def test_listing_is_deterministic(tmp_path: Path):
    make_tree(tmp_path, {name: "" for name in ["b.py", "a.py", "z/y.py", "z/a.py", "c/d.py"]})
    first = list(included_files(tmp_path))
    assert first == list(included_files(tmp_path))
    assert [p for p in first if p.parent == Path(".")] == [Path("a.py"), Path("b.py")]


def test_allowlist_gitignore_cannot_reinclude_always_ignored_folders(tmp_path: Path):
    make_tree(
        tmp_path,
        {
            ".gitignore": "*\n!*/\n!*.py\n!Procfile\n!requirements.txt\n",
            "app.py": "",
            "Procfile": "web: x",
            "requirements.txt": "",
            "notes.txt": "",
            ".git/hooks/pre-commit.py": "",
            ".venv/lib/python3.12/site-packages/six.py": "",
            "__pycache__/helper.py": "",
        },
    )
    assert listed(tmp_path) == {"app.py", "Procfile", "requirements.txt"}


GIT_CASES = {
    "nested re-include": {".gitignore": "*.log\n", "sub/.gitignore": "!keep.log\n", "sub/keep.log": "",
                          "sub/drop.log": "", "top.log": "", "sub/deeper/keep.log": ""},
    "deeper ignore wins": {".gitignore": "!*.txt\n", "a/.gitignore": "*.txt\n", "a/x.txt": "", "x.txt": ""},
    "anchored and folders": {".gitignore": "/build\ndist/\nnode_modules\n", "build/a": "", "src/build/b": "",
                             "dist/c": "", "src/dist/d": "", "web/node_modules/e": ""},
    "no re-include below an ignored folder": {".gitignore": "cache/\n", "cache/.gitignore": "!*\n",
                                              "cache/kept": ""},
    "double star and negation order": {".gitignore": "**/tmp/**\n!**/tmp/keep\n*.bak\n!x.bak\nx.bak\n",
                                       "a/tmp/f": "", "a/tmp/keep": "", "y.bak": "", "x.bak": ""},
}


@pytest.mark.parametrize("files", GIT_CASES.values(), ids=GIT_CASES.keys())
def test_included_files_agree_with_git(tmp_path: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    listed = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "-z"], cwd=tmp_path, check=True,
                            capture_output=True, text=True).stdout
    by_git = sorted(name for name in listed.split("\0") if name)
    assert sorted(p.as_posix() for p in included_files(tmp_path)) == by_git
