"""A real Sandbox for the tests (root only): its own folder, dyno network and control groups."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from seaway.host import RunAs, process_table
from seaway.sandbox import Jail, JailSpec, Sandbox, environment_file

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="sandboxes need root")


@pytest.fixture(scope="session")
def user(sandbox_user: RunAs) -> RunAs:
    return sandbox_user


@dataclass
class Ran:
    code: int
    out: str
    err: str


def run_in(jail: Jail, script: str, env: dict[str, str] | None = None, timeout: float = 60,
           **kwargs: object) -> Ran:
    """Run a bash script in the jail to completion."""
    env_fd = environment_file({"PATH": "/usr/bin:/bin", **(env or {})})
    try:
        result = subprocess.run(jail.command(["/bin/bash", "-c", script], env_fd), capture_output=True, text=True,
                                timeout=timeout, **Jail.popen_kwargs(env_fd), **kwargs)  # type: ignore[arg-type]
    finally:
        os.close(env_fd)
    return Ran(result.returncode, result.stdout, result.stderr)


@pytest.fixture
def slug(tmp_path: Path) -> Path:
    """A slug's app folder as the build leaves it: root's, read-only."""
    app = tmp_path / "slug" / "app"
    app.mkdir(parents=True)
    (app / "shipped.txt").write_text("as shipped\n")
    (app / "static").mkdir()
    (app / "static" / "style.css").write_text("body {}\n")
    for path in (app / "shipped.txt", app / "static" / "style.css"):
        path.chmod(0o444)
    (app / "static").chmod(0o555)
    app.chmod(0o555)
    yield app
    for folder, _dirs, _files in os.walk(tmp_path / "slug"):
        os.chmod(folder, 0o755)


@pytest.fixture
def jails(sandbox: Sandbox) -> Iterator[list[Jail]]:
    """Jails opened by a test, closed at its end whatever it did."""
    opened: list[Jail] = []
    yield opened
    for jail in opened:
        for pid in jail.processes():
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        sandbox.close(jail)


_count = iter(range(1, 10**6))


@pytest.fixture
def open_jail(sandbox: Sandbox, jails: list[Jail], user: RunAs):
    def opener(**fields: object) -> Jail:
        fields.setdefault("user", user)
        jail = sandbox.open(JailSpec(name=f"test.{next(_count)}", **fields))  # type: ignore[arg-type]
        jails.append(jail)
        return jail

    return opener


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            digest.update(f"{path.relative_to(root)} {path.stat().st_mode:o}\n".encode() + path.read_bytes())
    return digest.hexdigest()


def processes_of(uid: int) -> list[int]:
    found = []
    for pid, state, _ppid, _pgid in process_table():
        try:
            if state != "Z" and os.stat(f"/proc/{pid}").st_uid == uid:
                found.append(pid)
        except OSError:
            continue
    return found
