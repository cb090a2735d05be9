"""Unpacking an uploaded source tarball safely: nothing may land outside the build folder."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import BinaryIO

from seaway.build.errors import BuildError


def _check_member(member: tarfile.TarInfo) -> None:
    name = member.name
    parts = Path(name).parts
    if name.startswith("/") or ".." in parts:
        raise BuildError(
            f"The upload contains an unsafe path {name!r} that points outside the app directory. "
            "Remove it from your source tree and deploy again."
        )
    if member.issym() or member.islnk():
        target = member.linkname
        base = Path(name).parent if member.issym() else Path(".")
        if target.startswith("/") or _escapes(base / target):
            raise BuildError(
                f"The upload contains a link {name!r} -> {target!r} that points outside the app directory. "
                "Replace the link with the file itself, or remove it, and deploy again."
            )
    elif not (member.isfile() or member.isdir()):
        raise BuildError(f"The upload contains {name!r}, which is neither a file, a folder nor a link. Remove it.")


def _escapes(path: Path) -> bool:
    depth = 0
    for part in path.parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in (".", ""):
            depth += 1
    return False


def extract_source(fileobj: BinaryIO, dest: Path) -> None:
    """Unpack a (gzipped) tarball into `dest`, refusing unsafe members before writing anything."""
    try:
        with tarfile.open(fileobj=fileobj, mode="r:*") as archive:
            members = archive.getmembers()
            for member in members:
                _check_member(member)
            archive.extractall(dest, members=members, filter="data")
    except tarfile.TarError as exc:
        raise BuildError(f"The upload is not a readable tarball ({exc}). Deploy with `seaway deploy DIR`.") from exc
