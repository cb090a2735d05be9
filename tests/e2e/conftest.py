from __future__ import annotations

import itertools
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from seaway.build.slug import remove_tree
from tests.e2e.daemon import Daemon

pytestmark = pytest.mark.e2e
_names = itertools.count(1)


def _outside_pytest_tmp() -> Path:
    """A scratch folder outside /tmp/pytest-of-USER: every pytest session resets that folder to 0700,
    which cancels the ACL entries that let the daemon's other users (PostgreSQL, nginx, apps) through."""
    return Path(tempfile.mkdtemp(prefix="seaway-e2e-"))


@pytest.fixture(scope="session")
def daemon() -> Iterator[Daemon]:
    folder = _outside_pytest_tmp()
    running = Daemon(folder / "home")
    running.start()
    yield running
    running.stop()
    remove_tree(folder)


@pytest.fixture
def scratch() -> Iterator[Path]:
    folder = _outside_pytest_tmp()
    yield folder
    remove_tree(folder)


@pytest.fixture
def app_name(request: pytest.FixtureRequest) -> str:
    """A fresh, valid app name per test."""
    words = re.sub(r"[^a-z0-9]+", "-", request.node.name[5:].lower())[:18]
    return f"t{next(_names)}-{words}".rstrip("-")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
