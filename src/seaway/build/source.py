"""Unpacking an uploaded source tarball safely: nothing may land outside the build folder."""

from __future__ import annotations

import gzip
import tarfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from seaway.build.errors import BuildError

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


def extract_source(fileobj: BinaryIO, dest: Path) -> None:
    """Unpack a (gzipped) tarball into `dest`, refusing unsafe members before writing anything."""
    try:
        with tarfile.open(fileobj=fileobj, mode="r:*") as archive:
            members = archive.getmembers()
            links: set[str] = set()
            for member in members:
                _check_member(member, links)
            archive.extractall(dest, members=members, **EXTRACT_OPTIONS)  # type: ignore[arg-type]
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BuildError(
            f"The upload is not a readable tarball ({exc}). Deploy with `seaway deploy DIR`, which packs it for you."
        ) from exc
