"""Decompression bombs against a real daemon: refused with a clear error, nothing left behind, the
running release still serving, and the daemon's memory flat."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon, copy_app

MB = 1024 * 1024


class Zeros(io.RawIOBase):
    """`size` zero bytes, read in pieces: a huge member without holding it in memory."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


def zeros_bomb(path: Path, size: int) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("zeros.bin")
        info.size = size
        archive.addfile(info, io.BufferedReader(Zeros(size), 1 << 20))
    return path


def sparse_bomb(folder: Path) -> Path:
    (folder / "src").mkdir()
    with open(folder / "src" / "hole.bin", "wb") as f:
        f.truncate(2 << 30)
    subprocess.run(["tar", "--sparse", "-czf", str(folder / "sparse.tgz"), "-C", str(folder / "src"), "hole.bin"],
                   check=True)
    return folder / "sparse.tgz"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def upload(daemon: Daemon, app: str, archive: Path) -> str:
    """Deploy a raw tarball through the API; the job's error message."""
    response = daemon.api("POST", f"/apps/{app}/builds", content=archive.read_bytes())
    messages = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    errors = [m["error"] for m in messages if "error" in m]
    assert errors, messages
    return errors[0]


@pytest.fixture(scope="module")
def serving(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> str:
    source = copy_app("wsgi_basic", tmp_path_factory.mktemp("bombs"))
    daemon.cli("apps:create", "bomb-target", cwd=source)
    daemon.cli("deploy", cwd=source)
    return "bomb-target"


@pytest.mark.parametrize("kind", ["sparse", "zeros"])
def test_a_decompression_bomb_is_refused_and_leaves_nothing(daemon: Daemon, serving: str, tmp_path: Path,
                                                           kind: str) -> None:
    archive = sparse_bomb(tmp_path) if kind == "sparse" else zeros_bomb(tmp_path / "zeros.tgz", 1024 * MB)
    assert archive.stat().st_size < 2 * MB
    slugs = set((daemon.home / "slugs").iterdir())
    assert daemon.process is not None
    before = rss_kb(daemon.process.pid)
    message = upload(daemon, serving, archive)
    assert ("sparse file" in message) if kind == "sparse" else ("decompression bomb" in message), message
    assert ".slugignore" in message
    assert rss_kb(daemon.process.pid) - before < 150 * 1024  # the daemon's memory stays flat
    assert set((daemon.home / "slugs").iterdir()) == slugs and list((daemon.home / "builds").iterdir()) == []
    assert daemon.get(serving).text.startswith("basic VERSION=1")  # the running release serves on
