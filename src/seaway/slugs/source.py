"""Unpacking an uploaded source tarball safely: nothing may land outside the build folder, and a small
upload may not unpack into a huge one (decompression bombs): sizes are checked while unpacking."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from seaway.slugs.errors import BuildError
from seaway.slugs.slug import remove_tree

MB = 1024 * 1024
# The compression ratio is only judged past this many unpacked bytes: small uploads are never refused on it.
RATIO_FLOOR = 64 * MB
# Compressed formats tarfile's "r:*" reads, by their first bytes; anything else is read as a plain tarball.
DECOMPRESSORS: tuple[tuple[bytes, Callable[[BinaryIO], BinaryIO]], ...] = (
    (b"\x1f\x8b", lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")),  # type: ignore[return-value]
    (b"BZh", lambda raw: bz2.BZ2File(raw)),  # type: ignore[return-value]
    (b"\xfd7zXZ\x00", lambda raw: lzma.LZMAFile(raw)),  # type: ignore[return-value]
)
UNREADABLE = (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError)
CHUNK = MB  # the metered stream is read and judged this much at a time


@dataclass(frozen=True)
class SourceLimits:
    """How large an upload may unpack to."""

    max_bytes: int = 2048 * MB  # total size of all regular files (SEAWAY_MAX_SLUG_MB)
    max_files: int = 100_000  # members: files, folders and links (SEAWAY_MAX_SLUG_FILES)
    max_ratio: int = 200  # unpacked bytes per compressed byte read, judged past RATIO_FLOOR


# Python 3.11.4+ also has tarfile's own "data" filter (modes, ownership); the checks below come first.
EXTRACT_OPTIONS = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def _escapes(path: PurePosixPath) -> bool:
    """Whether a relative path climbs above its starting folder at some point."""
    depth = 0
    for part in path.parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in (".", ""):
            depth += 1
    return False


def _check_member(member: tarfile.TarInfo, links: set[str]) -> None:
    name = member.name
    path = PurePosixPath(name)
    if name.startswith("/") or ".." in path.parts:
        raise BuildError(
            f"The upload contains an unsafe path {name!r} that points outside the app directory. "
            "Remove it from your source tree and deploy again."
        )
    for ancestor in path.parents:
        if str(ancestor) in links:
            raise BuildError(
                f"The upload contains {name!r} inside the link {str(ancestor)!r}; files may not be placed "
                "through links. Replace the link with a real folder and deploy again."
            )
    if member.issym() or member.islnk():
        target = member.linkname
        base = path.parent if member.issym() else PurePosixPath(".")
        if target.startswith("/") or _escapes(base / target):
            raise BuildError(
                f"The upload contains a link {name!r} -> {target!r} that points outside the app directory. "
                "Replace the link with the file itself, or remove it, and deploy again."
            )
        links.add(str(path))
    elif not (member.isfile() or member.isdir()):
        raise BuildError(f"The upload contains {name!r}, which is neither a file, a folder nor a link. Remove it.")


def format_size(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.0f} MB" if n % MB == 0 or n >= 100 * MB else f"{n / MB:.1f} MB"
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


class _Metered:
    """The unpacked stream of a compressed upload, refusing to go on once it has grown more than
    `max_ratio` times the compressed bytes read so far (checked on every read, so a bomb hidden in one
    big member stops after RATIO_FLOOR bytes, not after writing all of it)."""

    def __init__(self, unpacked: BinaryIO, packed: BinaryIO, max_ratio: int) -> None:
        self._unpacked, self._packed, self._max_ratio = unpacked, packed, max_ratio
        self._start = packed.tell()

    def read(self, size: int = -1) -> bytes:
        """Read in CHUNKs, judging after each: tarfile reads a whole (pax, long name) header at once."""
        pieces, remaining = [], size
        while size < 0 or remaining > 0:
            piece = self._read(CHUNK if size < 0 else min(CHUNK, remaining))
            if not piece:
                break
            pieces.append(piece)
            remaining -= len(piece)
        return b"".join(pieces)

    def _read(self, size: int) -> bytes:
        try:
            piece = self._unpacked.read(size)
        except OSError as exc:  # only the upload is read here: corrupt compressed data (bz2 says OSError)
            raise tarfile.ReadError(str(exc)) from exc
        self._check()
        return piece

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        try:
            position = self._unpacked.seek(offset, whence)
        except OSError as exc:
            raise tarfile.ReadError(str(exc)) from exc
        self._check()
        return position

    def tell(self) -> int:
        return self._unpacked.tell()

    def _check(self) -> None:
        unpacked = self._unpacked.tell()
        packed = max(self._packed.tell() - self._start, 1)
        if unpacked > RATIO_FLOOR and unpacked > self._max_ratio * packed:
            raise BuildError(
                f"The upload looks like a decompression bomb: {format_size(packed)} of compressed data unpacked to more "
                f"than {format_size(unpacked)}, over {self._max_ratio} times its size. Source trees do not compress that "
                "well; add the generated or zero-filled files to .slugignore and deploy again."
            )


def _open(fileobj: BinaryIO, max_ratio: int) -> tarfile.TarFile:
    """The archive, read through a metered decompressor (the one tarfile's "r:*" would pick, by the first bytes)."""
    start = fileobj.tell()
    magic = fileobj.read(6)
    fileobj.seek(start)
    for prefix, decompressor in DECOMPRESSORS:
        if magic.startswith(prefix):
            metered = _Metered(decompressor(fileobj), fileobj, max_ratio)
            return tarfile.open(fileobj=metered, mode="r:")  # type: ignore[call-overload]
    return tarfile.open(fileobj=fileobj, mode="r:")


def _check_sparse(member: tarfile.TarInfo) -> None:
    # Refused rather than counted: `seaway deploy` (Python's tarfile) never writes sparse members, source trees
    # do not hold sparse files, and a tiny sparse member is the cheapest way to make a huge slug.
    if member.issparse():
        raise BuildError(
            f"The upload contains {member.name!r} as a sparse file ({format_size(member.size)}, mostly holes); source "
            "trees do not hold sparse files and unpacking it would write all of it. Remove it, or add it to "
            ".slugignore, and deploy again with `seaway deploy DIR`."
        )


def _check_limits(member: tarfile.TarInfo, count: int, total: int, limits: SourceLimits) -> None:
    if count > limits.max_files:
        raise BuildError(
            f"The upload holds more than {limits.max_files} files, folders and links (SEAWAY_MAX_SLUG_FILES). "
            "Add generated folders (node_modules, build output, data sets) to .slugignore and deploy again."
        )
    if total > limits.max_bytes:
        raise BuildError(
            f"The upload unpacks to more than {format_size(limits.max_bytes)} (SEAWAY_MAX_SLUG_MB): {member.name!r} "
            f"({format_size(member.size)}) brings it to {format_size(total)}. Add large files to .slugignore and deploy again."
        )


def _checked(archive: tarfile.TarFile, limits: SourceLimits) -> Iterator[tarfile.TarInfo]:
    """The archive's members one at a time, as they are read, each checked before it is unpacked."""
    links: set[str] = set()
    total = 0
    for count, member in enumerate(archive, start=1):
        _check_member(member, links)
        _check_sparse(member)
        total += member.size if member.isfile() else 0
        _check_limits(member, count, total, limits)
        yield member


def _empty(dest: Path) -> None:
    """Remove everything under `dest` (which stays, empty)."""
    if not dest.is_dir():
        return
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            os.chmod(child, 0o755)
            remove_tree(child)
        else:
            child.unlink()


def _extract(fileobj: BinaryIO, dest: Path, limits: SourceLimits) -> None:
    try:
        with _open(fileobj, limits.max_ratio) as archive:
            # extractall pulls the members from the generator one at a time as the archive is read (nothing is
            # read ahead, unlike getmembers()), and sets the folders' modes last, as for a whole archive.
            archive.extractall(dest, members=_checked(archive, limits), **EXTRACT_OPTIONS)  # type: ignore[arg-type]
    except UNREADABLE as exc:
        raise BuildError(
            f"The upload is not a readable tarball ({exc}). Deploy with `seaway deploy DIR`, which packs it for you."
        ) from exc


def extract_source(fileobj: BinaryIO, dest: Path, limits: SourceLimits | None = None) -> None:
    """Unpack a (compressed) tarball into the existing folder `dest`, member by member, checking each one
    before it is written and the sizes as they grow. A refused upload leaves `dest` empty."""
    try:
        _extract(fileobj, dest, limits or SourceLimits())
    except BaseException:
        _empty(dest)
        raise
