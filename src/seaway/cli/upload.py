"""Packing a source folder into the tarball `seaway deploy` uploads."""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path
from typing import IO

from seaway.build.ignore import included_files


def pack_source(root: Path) -> IO[bytes]:
    """A gzipped tarball of `root`, honouring .gitignore and .slugignore; links stay links."""
    archive = tempfile.TemporaryFile()
    with tarfile.open(fileobj=archive, mode="w:gz", compresslevel=3) as tar:
        for rel in included_files(root):
            tar.add(root / rel, arcname=rel.as_posix(), recursive=False)
    archive.seek(0)
    return archive
