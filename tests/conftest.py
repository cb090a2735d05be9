"""Fixtures shared across the test packages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seaway.logs import LogStore


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[LogStore]:
    """A log store of the test's own, with the default bounds."""
    store = LogStore(tmp_path / "logs")
    yield store
    store.close()
