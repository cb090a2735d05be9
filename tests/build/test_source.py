"""extract_source: unpack an uploaded tarball, refusing anything that could land outside the build folder."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from seaway.build.errors import BuildError
from seaway.build.source import extract_source
from seaway.cli.upload import pack_source

# -- building tarballs in memory ---------------------------------------------------


def file_(name: str, data: bytes = b"data", mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    return info, data


def dir_(name: str) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info, None


def symlink(name: str, target: str) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, None


def hardlink(name: str, target: str) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.LNKTYPE, target
    return info, None


def special(name: str, kind: bytes) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.devmajor, info.devminor = kind, 0o644, 1, 3
    return info, None


def tarball(*members: tuple[tarfile.TarInfo, bytes | None], gzip: bool = False) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gzip else "w") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    buffer.seek(0)
    return buffer


# -- the destination, with a sibling sentinel folder that must never change ----------


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    (work / "dest").mkdir(parents=True)
    sentinel = work / "sentinel"
    sentinel.mkdir()
    (sentinel / "keep").write_text("original\n")
    os.chmod(sentinel / "keep", 0o640)
    (tmp_path / "outer.txt").write_text("outer\n")
    return work / "dest"


def snapshot_outside(root: Path, dest: Path) -> dict[str, tuple[int, str]]:
    """Every path under `root` except `dest`'s content: mode and content (or link target)."""
    seen: dict[str, tuple[int, str]] = {}
    for folder, dirs, files in os.walk(root):
        if Path(folder) == dest:
            dirs[:] = []
            continue
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                content = "-> " + os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                content = path.read_text(errors="replace")
            else:
                content = ""
            seen[str(path.relative_to(root))] = (info.st_mode, content)
    return seen


def assert_refused(archive: io.BytesIO, dest: Path, *words: str) -> BuildError:
    root = dest.parent.parent
    before = snapshot_outside(root, dest)
    with pytest.raises(BuildError) as info:
        extract_source(archive, dest)
    assert snapshot_outside(root, dest) == before, "something outside the destination changed"
    assert (dest.parent / "sentinel" / "keep").read_text() == "original\n"
    assert list(dest.iterdir()) == [], "a refused upload must not be partly unpacked"
    for word in words:
        assert word in str(info.value)
    return info.value


# -- accepted uploads --------------------------------------------------------------------


@pytest.mark.parametrize("gzip", [False, True])
def test_files_and_folders_are_unpacked(dest: Path, gzip: bool):
    archive = tarball(
        file_("Procfile", b"web: gunicorn app:app\n"),
        dir_("pkg"),
        file_("pkg/__init__.py", b""),
        file_("pkg/deep/mod.py", b"X = 1\n"),  # a parent folder without its own member
        file_("run.sh", b"#!/bin/sh\n", mode=0o755),
        gzip=gzip,
    )
    extract_source(archive, dest)
    assert (dest / "Procfile").read_text() == "web: gunicorn app:app\n"
    assert (dest / "pkg").is_dir()
    assert (dest / "pkg" / "__init__.py").read_bytes() == b""
    assert (dest / "pkg" / "deep" / "mod.py").read_text() == "X = 1\n"
    assert os.stat(dest / "run.sh").st_mode & 0o111, "the executable bit is kept"


def test_leading_dot_slash_names_are_fine(dest: Path):
    extract_source(tarball(file_("./app.py", b"app")), dest)
    assert (dest / "app.py").read_text() == "app"


def test_in_tree_relative_symlinks_are_kept_as_links(dest: Path):
    archive = tarball(
        file_("app.py", b"APP"),
        symlink("alias.py", "app.py"),
        dir_("sub"),
        symlink("sub/up.py", "../app.py"),
        symlink("sub/here", "."),
        dir_("static"),
        symlink("assets", "static"),
    )
    extract_source(archive, dest)
    assert os.readlink(dest / "alias.py") == "app.py"
    assert os.readlink(dest / "sub" / "up.py") == "../app.py"
    assert (dest / "sub" / "up.py").read_text() == "APP"
    assert (dest / "alias.py").read_text() == "APP"
    assert (dest / "assets").is_symlink() and (dest / "assets").resolve() == (dest / "static").resolve()


def test_in_tree_hardlink_is_accepted(dest: Path):
    extract_source(tarball(dir_("a"), file_("a/app.py", b"APP"), hardlink("copy.py", "a/app.py")), dest)
    assert (dest / "copy.py").read_text() == "APP"
    assert os.stat(dest / "copy.py").st_ino == os.stat(dest / "a" / "app.py").st_ino


def test_a_packed_source_folder_round_trips(tmp_path: Path, dest: Path):
    source = tmp_path / "src"
    (source / "pkg").mkdir(parents=True)
    (source / "Procfile").write_text("web: gunicorn app:app\n")
    (source / "pkg" / "mod.py").write_text("X = 1\n")
    os.symlink("pkg/mod.py", source / "link.py")
    extract_source(pack_source(source), dest)
    assert (dest / "Procfile").read_text() == "web: gunicorn app:app\n"
    assert (dest / "pkg" / "mod.py").read_text() == "X = 1\n"
    assert os.readlink(dest / "link.py") == "pkg/mod.py"


# -- refused uploads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../x", "../sentinel/keep", "../sentinel/new", "a/../../x", "./../../outer.txt", "sub/../../sentinel/new"],
)
def test_parent_paths_are_refused(dest: Path, name: str):
    error = assert_refused(tarball(file_("ok.py", b"ok"), file_(name, b"pwned")), dest, "unsafe path", repr(name))
    assert "outside the app directory" in str(error)


def test_parent_path_in_a_folder_member_is_refused(dest: Path):
    assert_refused(tarball(dir_("../evil")), dest, "unsafe path")


def test_absolute_paths_are_refused(dest: Path):
    target = str(dest.parent / "sentinel" / "keep")  # absolute, and a real file we would notice being overwritten
    assert_refused(tarball(file_(target, b"pwned")), dest, "unsafe path")
    assert_refused(tarball(file_(str(dest.parent / "sentinel" / "new"), b"pwned")), dest, "unsafe path")


@pytest.mark.parametrize(
    "name, target",
    [
        ("passwd", "../../etc/passwd"),
        ("passwd", "/etc/passwd"),
        ("up", ".."),
        ("sub/up", "../.."),
        ("sub/deep", "../x/../../y"),
        ("sentinel", "../sentinel"),
    ],
)
def test_symlinks_pointing_outside_are_refused(dest: Path, name: str, target: str):
    assert_refused(tarball(symlink(name, target)), dest, "link", repr(target), "outside the app directory")


def test_writing_through_an_escaping_folder_symlink_is_refused(dest: Path):
    archive = tarball(symlink("escape", "../sentinel"), file_("escape/pwned.txt", b"pwned"), file_("escape/keep", b"pwned"))
    assert_refused(archive, dest, "link")
    assert not (dest.parent / "sentinel" / "pwned.txt").exists()


def test_writing_through_an_absolute_folder_symlink_is_refused(dest: Path):
    archive = tarball(symlink("escape", str(dest.parent / "sentinel")), file_("escape/pwned.txt", b"pwned"))
    assert_refused(archive, dest, "link")
    assert not (dest.parent / "sentinel" / "pwned.txt").exists()


@pytest.mark.parametrize("target", ["../sentinel/keep", "../../outer.txt", "a/../../sentinel/keep"])
def test_hardlinks_outside_are_refused(dest: Path, target: str):
    assert_refused(tarball(dir_("a"), hardlink("h", target)), dest, "link", repr(target))


def test_absolute_hardlink_is_refused(dest: Path):
    target = str(dest.parent / "sentinel" / "keep")
    assert_refused(tarball(hardlink("h", target)), dest, "link", "outside the app directory")


@pytest.mark.parametrize(
    "kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE], ids=["char-device", "block-device", "fifo"]
)
def test_devices_and_fifos_are_refused(dest: Path, kind: bytes):
    assert_refused(tarball(file_("app.py", b"x"), special("dev/thing", kind)), dest, "'dev/thing'", "neither a file")


@pytest.mark.parametrize(
    "data",
    [b"", b"this is not a tarball at all\n" * 40, b"\x1f\x8b\x08\x00garbage-after-a-gzip-magic"],
    ids=["empty", "text", "broken-gzip"],
)
def test_a_non_tarball_is_refused(dest: Path, data: bytes):
    assert_refused(io.BytesIO(data), dest, "not a readable tarball")


def test_a_truncated_plain_tarball_is_refused(dest: Path):
    whole = tarball(file_("a.py", os.urandom(5000)), file_("b.py", os.urandom(5000))).getvalue()
    assert_refused(io.BytesIO(whole[: len(whole) // 2]), dest, "not a readable tarball")


def test_a_truncated_gzipped_tarball_is_refused(dest: Path):
    whole = tarball(file_("a.py", os.urandom(5000)), file_("b.py", os.urandom(5000)), gzip=True).getvalue()
    root = dest.parent.parent
    before = snapshot_outside(root, dest)
    try:
        with pytest.raises(BuildError, match="not a readable tarball"):
            extract_source(io.BytesIO(whole[: len(whole) // 2]), dest)
    finally:
        assert snapshot_outside(root, dest) == before


def test_one_bad_member_refuses_the_whole_upload_before_writing(dest: Path):
    archive = tarball(*(file_(f"f{i}.py", b"ok") for i in range(5)), symlink("z", "/etc/passwd"))
    assert_refused(archive, dest, "'z'")


def test_a_link_chained_through_another_link_is_refused_before_writing(dest: Path):
    archive = tarball(dir_("d"), symlink("d/up", ".."), symlink("d/up/x", "../.."))
    assert_refused(archive, dest, "inside the link 'd/up'", "Replace the link with a real folder")


def test_a_link_chained_through_another_link_never_escapes(dest: Path):
    """Whatever the message, the chained link above must not be created outside the destination."""
    archive = tarball(dir_("d"), symlink("d/up", ".."), symlink("d/up/x", "../.."))
    root = dest.parent.parent
    before = snapshot_outside(root, dest)
    with pytest.raises(BuildError):
        extract_source(archive, dest)
    assert snapshot_outside(root, dest) == before
    assert not os.path.lexists(dest / "x")
