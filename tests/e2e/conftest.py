from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon

pytestmark = pytest.mark.e2e
_names = itertools.count(1)


@pytest.fixture(scope="session")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    running = Daemon(tmp_path_factory.mktemp("seaway") / "home")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def app_name(request: pytest.FixtureRequest) -> str:
    """A fresh, valid app name per test."""
    words = re.sub(r"[^a-z0-9]+", "-", request.node.name[5:].lower())[:18]
    return f"t{next(_names)}-{words}".rstrip("-")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
