"""pack_source: the gzipped tarball `seaway deploy` uploads."""

from __future__ import annotations

import os
import stat
import tarfile
from pathlib import Path

import pytest

from seaway.cli.upload import pack_source
from tests.helpers import make_tree


def members(root: Path) -> dict[str, tarfile.TarInfo]:
    with pack_source(root) as archive, tarfile.open(fileobj=archive, mode="r:gz") as tar:
        return {member.name: member for member in tar.getmembers()}


def read_member(root: Path, name: str) -> bytes:
    with pack_source(root) as archive, tarfile.open(fileobj=archive, mode="r:gz") as tar:
        extracted = tar.extractfile(name)
        assert extracted is not None
        return extracted.read()


def test_archive_is_gzip_and_rewound(tmp_path: Path):
    make_tree(tmp_path, {"app.py": "print('hi')\n"})
    with pack_source(tmp_path) as archive:
        assert archive.read(2) == b"\x1f\x8b"


def test_plain_files_with_contents(tmp_path: Path):
    make_tree(tmp_path, {"Procfile": "web: python app.py\n", "app.py": "print('hi')\n", "pkg/mod.py": "X = 1\n"})
    assert set(members(tmp_path)) == {"Procfile", "app.py", "pkg/mod.py"}
    assert read_member(tmp_path, "pkg/mod.py") == b"X = 1\n"
    assert read_member(tmp_path, "Procfile") == b"web: python app.py\n"


def test_names_are_relative(tmp_path: Path):
    make_tree(tmp_path, {"pkg/mod.py": ""})
    for name in members(tmp_path):
        assert not name.startswith("/") and ".." not in name.split("/")
        assert not name.startswith(str(tmp_path).lstrip("/"))


def test_gitignore_and_slugignore_are_honoured(tmp_path: Path):
    make_tree(tmp_path, {
        "app.py": "",
        ".gitignore": "*.log\nsecret/\n",
        ".slugignore": "docs/\n*.psd\n",
        "debug.log": "noise",
        "logs/today.log": "noise",
        "secret/key.pem": "k",
        "docs/index.md": "d",
        "art/logo.psd": "p",
        "art/logo.png": "png",
    })
    assert set(members(tmp_path)) == {"app.py", ".gitignore", ".slugignore", "art/logo.png"}


def test_vcs_venv_and_bytecode_are_left_out(tmp_path: Path):
    make_tree(tmp_path, {
        "app.py": "",
        ".git/HEAD": "ref: refs/heads/main\n",
        ".git/objects/ab/cd": "",
        ".venv/bin/python": "",
        ".venv/lib/site.py": "",
        "__pycache__/app.cpython-311.pyc": "",
        "pkg/__pycache__/mod.cpython-311.pyc": "",
        "pkg/mod.py": "",
        ".seaway-app": "my-app\n",
    })
    assert set(members(tmp_path)) == {"app.py", "pkg/mod.py"}


def test_negation_cannot_bring_back_always_ignored_folders(tmp_path: Path):
    make_tree(tmp_path, {"app.py": "", ".gitignore": "!.venv/\n!.git/\n", ".venv/x.py": "", ".git/HEAD": ""})
    assert set(members(tmp_path)) == {"app.py", ".gitignore"}


def test_symlinks_stay_symlinks(tmp_path: Path):
    make_tree(tmp_path, {"app.py": "print('real')\n", "assets/style.css": "body {}\n"})
    os.symlink("app.py", tmp_path / "main.py")
    os.symlink("assets", tmp_path / "static")  # a link to a folder: not followed, not copied
    os.symlink("/etc/hostname", tmp_path / "outside")  # a link out of the tree: its target is not read
    os.symlink("missing.txt", tmp_path / "dangling")
    found = members(tmp_path)
    assert set(found) == {"app.py", "assets/style.css", "main.py", "static", "outside", "dangling"}
    for name, target in (("main.py", "app.py"), ("static", "assets"), ("outside", "/etc/hostname"),
                         ("dangling", "missing.txt")):
        assert found[name].issym(), name
        assert found[name].linkname == target
    assert found["app.py"].isfile()


def test_executable_bit_is_kept(tmp_path: Path):
    make_tree(tmp_path, {"bin/start": "#!/bin/sh\n", "data.txt": ""})
    os.chmod(tmp_path / "bin/start", 0o755)
    os.chmod(tmp_path / "data.txt", 0o644)
    found = members(tmp_path)
    assert stat.S_IMODE(found["bin/start"].mode) & 0o111 == 0o111
    assert stat.S_IMODE(found["data.txt"].mode) & 0o111 == 0


def test_empty_tree_gives_an_empty_archive(tmp_path: Path):
    assert members(tmp_path) == {}


@pytest.mark.parametrize("name", ["with space.txt", "ünïcode.py"])
def test_unusual_names(tmp_path: Path, name: str):
    make_tree(tmp_path, {name: "x"})
    assert set(members(tmp_path)) == {name}


def test_gitignore_in_a_subfolder_is_honoured(tmp_path: Path):
    make_tree(tmp_path, {"app.py": "", "config/.gitignore": "secrets.json\n", "config/secrets.json": "{}",
                         "config/settings.py": ""})
    assert set(members(tmp_path)) == {"app.py", "config/.gitignore", "config/settings.py"}
