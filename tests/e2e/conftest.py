from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from seaway.slugs.slug import remove_tree
from tests.e2e.browser import browser, page  # noqa: F401  (fixtures: Playwright's chromium, a fresh page)
from tests.e2e.daemon import Daemon, processes_mentioning

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
    _kill_leftovers(folder)
    remove_tree(folder)


def _kill_leftovers(folder: Path) -> None:
    """Whatever a failed test left running from `folder` (nginx, PostgreSQL, dynos) goes with it."""
    for line in processes_mentioning(str(folder)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)


@pytest.fixture
def scratch() -> Iterator[Path]:
    folder = _outside_pytest_tmp()
    yield folder
    _kill_leftovers(folder)
    remove_tree(folder)


@pytest.fixture
def app_name(request: pytest.FixtureRequest) -> str:
    """A fresh, valid app name per test."""
    words = re.sub(r"[^a-z0-9]+", "-", request.node.name[5:].lower())[:18]
    return f"t{next(_names)}-{words}".rstrip("-")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
