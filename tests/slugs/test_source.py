"""extract_source: unpack an uploaded tarball, refusing anything that could land outside the build folder."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

from seaway.cli.upload import pack_source
from seaway.slugs.errors import BuildError
from seaway.slugs.slug import source_manifest
from seaway.slugs.source import RATIO_FLOOR, SourceLimits, extract_source

MB = 1024 * 1024

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


def assert_refused(archive: io.BytesIO, dest: Path, *words: str, limits: SourceLimits | None = None) -> BuildError:
    root = dest.parent.parent
    before = snapshot_outside(root, dest)
    with pytest.raises(BuildError) as info:
        extract_source(archive, dest, limits)
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
    assert list(dest.iterdir()) == [], "what was unpacked before the break is removed"


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


# -- other compressions, and what the daemon passes ---------------------------------------------


@pytest.mark.parametrize("mode", ["w:bz2", "w:xz"])
def test_bz2_and_xz_tarballs_are_unpacked(dest: Path, mode: str):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        info, data = file_("app.py", b"APP")
        archive.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    extract_source(buffer, dest)
    assert (dest / "app.py").read_text() == "APP"


@pytest.mark.parametrize("data", [b"BZh9garbage" * 20, b"\xfd7zXZ\x00garbage" * 20], ids=["bz2", "xz"])
def test_broken_bz2_and_xz_are_refused(dest: Path, data: bytes):
    assert_refused(io.BytesIO(data), dest, "not a readable tarball")


def test_a_spooled_upload_is_unpacked(dest: Path):
    """The API spools the upload into a SpooledTemporaryFile (mode w+b), past memory once large."""
    with tempfile.SpooledTemporaryFile(max_size=1024) as upload:
        upload.write(tarball(file_("app.py", os.urandom(4000)), file_("Procfile", b"web: x\n"), gzip=True).getvalue())
        upload.seek(0)
        extract_source(upload, dest)  # type: ignore[arg-type]
    assert (dest / "Procfile").read_text() == "web: x\n"


# -- bounded uploads: decompression bombs, sparse files, too many files or bytes ----------------


class Repeat(io.RawIOBase):
    """`size` bytes made of `block` again and again, produced as they are read (nothing large is allocated)."""

    def __init__(self, size: int, block: bytes = bytes(MB)) -> None:
        self.left, self.block = size, block

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return (self.block * (n // len(self.block) + 1))[:n]


def streamed_gzip(name: str, size: int, block: bytes = bytes(MB)) -> bytes:
    """A gzipped tarball of one `size`-byte member repeating `block`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as archive:
        info = tarfile.TarInfo(name)
        info.size = size
        archive.addfile(info, Repeat(size, block))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def zero_bomb() -> bytes:
    return streamed_gzip("zeros.bin", 96 * MB)


def test_a_gzip_of_zeros_is_refused_as_a_decompression_bomb(dest: Path, zero_bomb: bytes):
    assert len(zero_bomb) < MB and 96 * MB > RATIO_FLOOR
    error = assert_refused(io.BytesIO(zero_bomb), dest, "decompression bomb", "over 200 times", ".slugignore")
    assert "KB of compressed data" in str(error)


def test_a_bomb_is_stopped_while_its_member_is_unpacked(dest: Path, zero_bomb: bytes):
    """The one member is within max_bytes: the ratio stops it midway, and what was written goes."""
    written = []

    class Watched(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            if (dest / "zeros.bin").exists():
                written.append((dest / "zeros.bin").stat().st_size)
            return super().read(n)

    assert_refused(Watched(zero_bomb), dest, "decompression bomb")
    assert written and max(written) < 96 * MB, "refused before the whole member was written"


def test_a_compressible_big_file_is_not_taken_for_a_bomb(dest: Path):
    """80 MB that gzip shrinks about 40 times, as one member at the start: past the ratio floor, under the ratio."""
    block = os.urandom(24 * 1024) + bytes(MB - 24 * 1024)
    archive = streamed_gzip("model.bin", 80 * MB, block)
    assert 20 < 80 * MB / len(archive) < 200
    extract_source(io.BytesIO(archive), dest)
    assert (dest / "model.bin").stat().st_size == 80 * MB


def test_a_lower_ratio_limit_is_honoured(dest: Path):
    archive = streamed_gzip("model.bin", 80 * MB, os.urandom(24 * 1024) + bytes(MB - 24 * 1024))
    assert_refused(io.BytesIO(archive), dest, "decompression bomb", "over 10 times", limits=SourceLimits(max_ratio=10))


@pytest.mark.skipif(shutil.which("tar") is None, reason="needs the system tar")
@pytest.mark.parametrize("tar_format", ["gnu", "posix"])
def test_a_sparse_member_is_refused(tmp_path_factory: pytest.TempPathFactory, dest: Path, tar_format: str):
    """Python's tarfile writes holes out in full, so the system tar makes the sparse member (as an attacker would)."""
    folder = tmp_path_factory.mktemp("sparse")  # outside the folder assert_refused reads through
    (folder / "app.py").write_text("APP")
    with open(folder / "big.bin", "wb") as f:
        f.truncate(2**31)
    upload = folder / "upload.tgz"
    subprocess.run(["tar", "--sparse", f"--format={tar_format}", "-czf", upload, "-C", folder, "app.py", "big.bin"],
                   check=True)
    (folder / "big.bin").unlink()
    assert upload.stat().st_size < 10_000
    with tarfile.open(upload) as archive:
        assert archive.getmember("big.bin").issparse() and archive.getmember("big.bin").size == 2**31
    with open(upload, "rb") as f:
        assert_refused(f, dest, "'big.bin'", "sparse file", "2048 MB", "Remove it")  # type: ignore[arg-type]


def test_too_many_files_are_refused(dest: Path):
    limits = SourceLimits(max_files=10)
    extract_source(tarball(dir_("pkg"), *(file_(f"pkg/m{i}.py") for i in range(9))), dest, limits)
    assert len(list((dest / "pkg").iterdir())) == 9
    shutil.rmtree(dest / "pkg")
    archive = tarball(dir_("pkg"), *(file_(f"pkg/m{i}.py") for i in range(10)))
    assert_refused(archive, dest, "more than 10 files", "SEAWAY_MAX_SLUG_FILES", ".slugignore", limits=limits)


def test_too_many_bytes_are_refused(dest: Path):
    limits = SourceLimits(max_bytes=1000)
    extract_source(tarball(file_("a.py", b"a" * 600), file_("b.py", b"b" * 400), symlink("c.py", "a.py")), dest, limits)
    assert (dest / "b.py").stat().st_size == 400
    for name in ("a.py", "b.py", "c.py"):
        (dest / name).unlink()
    archive = tarball(file_("a.py", b"a" * 600), file_("b.py", b"b" * 401))
    assert_refused(archive, dest, "more than 1000 bytes", "SEAWAY_MAX_SLUG_MB", "'b.py'", "1001 bytes",
                   "Add large files to .slugignore", limits=limits)


def test_a_member_over_the_size_limit_is_refused_before_its_data_is_read(dest: Path):
    """A header claiming 3 GB and no data at all: the claim alone is refused (nothing is read or written)."""
    info = tarfile.TarInfo("huge.bin")
    info.size = 3 * 1024 * MB
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    assert_refused(io.BytesIO(tarball(file_("app.py", b"APP")).getvalue()[:1024] + header), dest,
                   "more than 2048 MB (SEAWAY_MAX_SLUG_MB)", "'huge.bin'", "3072 MB")


# -- the daemon's hashing of a slug is bounded too --------------------------------------------------

MEASURE = """
import resource, sys
from pathlib import Path
from seaway.slugs.slug import source_manifest
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
manifest = source_manifest(Path(sys.argv[1]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(after - before)
print(manifest.decode())
"""


def test_source_manifest_hashes_a_huge_file_in_bounded_memory(tmp_path: Path):
    (tmp_path / "app.py").write_bytes(b"APP")
    with open(tmp_path / "big.bin", "wb") as f:
        f.truncate(1024 * MB)  # 1 GiB, sparse on disk: reading it costs memory only if read whole
    run = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path)], capture_output=True, text=True, check=True)
    growth_kb, *rows = run.stdout.splitlines()
    assert int(growth_kb) < 200 * 1024, f"peak memory grew by {int(growth_kb) >> 10} MB hashing a 1 GiB file"
    assert rows[0].startswith("app.py ") and rows[0].endswith(hashlib.sha256(b"APP").hexdigest())
    assert rows[1].startswith("big.bin ") and len(rows[1].split()[-1]) == 64


def test_source_manifest_hashes_files_larger_than_a_chunk_exactly(tmp_path: Path):
    data = os.urandom(3 * MB + 17)
    (tmp_path / "data.bin").write_bytes(data)
    assert source_manifest(tmp_path).endswith(hashlib.sha256(data).hexdigest().encode())
