"""Fixtures shared across the test packages."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from seaway.dynos.inmemory import InMemoryRuntime
from seaway.host import RunAs, ensure_system_user
from seaway.logs import LogStore
from seaway.platform import Platform
from seaway.sandbox import Sandbox, home_tag
from seaway.settings import Settings
from tests.helpers import free_dyno_network


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
    network = free_dyno_network()
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


@pytest.fixture
def inmemory_platform(tmp_path: Path) -> Iterator[Platform]:
    """A Platform on an InMemoryRuntime, with a home of the test's own (no nginx, no PostgreSQL started)."""
    settings = Settings(home=tmp_path / "home", sandbox=False, release_watch=0, router_port=1, router_https_port=0,
                        dyno_memory=300)
    yield Platform(settings, runtime=InMemoryRuntime())


@pytest.fixture
def new_app(inmemory_platform: Platform) -> Iterator[Callable[..., str]]:
    """Make apps with unique names on `inmemory_platform` (`create=False`: only the name, for the test to
    make the app); destroyed after the test, with their system users when root (they outlive a test's home)."""
    made: list[str] = []

    def make(prefix: str = "app", create: bool = True) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        if create:
            inmemory_platform.create_app(name)
        made.append(name)
        return name

    yield make
    for name in made:
        if name in {app.name for app in inmemory_platform.store.apps()}:
            inmemory_platform.destroy_app(name)
