"""A build's copy of the source: the build's while it runs, frozen read-only and root's after."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from seaway.slugs.errors import BuildError
from seaway.slugs.source import SourceLimits
from seaway.slugs.workspace import Workspace


def tarball(files: dict[str, str]) -> io.BytesIO:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    out.seek(0)
    return out


def test_only_the_project_folder_becomes_the_app(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "w")
    workspace.unpack(tarball({"README.md": "top", "backend/requirements.txt": "", "backend/app.py": ""}),
                     {"PROJECT_PATH": "backend"})
    assert sorted(p.name for p in workspace.app.iterdir()) == ["app.py", "requirements.txt"]
    assert workspace.subfolder == "backend"
    assert not (tmp_path / "w" / "upload").exists()


def test_freeze_drops_write_and_set_id_bits_pipes_and_the_venv(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "w")
    workspace.unpack(tarball({"requirements.txt": "", "app.py": ""}), {})
    app = workspace.app
    (app / "tool").write_text("#!/bin/sh\n")
    os.chmod(app / "tool", 0o6777)
    os.mkfifo(app / "pipe")
    (app / ".venv" / "bin").mkdir(parents=True)
    workspace.freeze(".venv", None)
    assert not (app / "pipe").exists() and not (app / ".venv").exists()
    assert stat.S_IMODE((app / "tool").stat().st_mode) == 0o555
    assert stat.S_IMODE(app.stat().st_mode) == 0o555


def test_freeze_refuses_a_build_that_grew_past_the_limits(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "w", SourceLimits(max_bytes=1000, max_files=10))
    workspace.unpack(tarball({"requirements.txt": ""}), {})
    (workspace.app / "big").write_bytes(b"x" * 2000)
    with pytest.raises(BuildError, match="SEAWAY_MAX_SLUG_MB"):
        workspace.freeze(".venv", None)
