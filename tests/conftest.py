"""Fixtures shared across the test packages."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from seaway.host import RunAs, ensure_system_user
from seaway.logs import LogStore
from seaway.sandbox import Sandbox, home_tag


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[LogStore]:
    """A log store of the test's own, with the default bounds."""
    store = LogStore(tmp_path / "logs")
    yield store
    store.close()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """A real Sandbox (root only) with a folder, a dyno network and control groups of its own."""
    if os.geteuid() != 0:
        pytest.skip("sandboxes need root")
    folder = Path(tempfile.mkdtemp(prefix="seaway-sandbox-"))
    network = f"10.{random.randint(200, 250)}.{16 * random.randint(0, 15)}.0/20"
    box = Sandbox(folder / "sandbox", network, home_tag(folder), allowed_ports=(15432,))
    box.start()
    yield box
    box.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def sandbox_user() -> RunAs:
    """An unprivileged user for sandboxed processes, as an app's is."""
    if os.geteuid() != 0:
        pytest.skip("users of their own need root")
    return ensure_system_user("s-sandbox-test", "Seaway sandbox tests")
