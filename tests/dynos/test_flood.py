"""A real LocalDyno printing as fast as it can into a rate-limited DynoOutput: it is never held up by the log."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seaway.dynos.local import LocalBackend
from seaway.logs import LogQuery, LogStore
from seaway.logs.ingest import DynoOutput
from tests.dynos.conftest import DIGEST, make_spec

pytestmark = pytest.mark.timeout(900)
RATE = 100
# Held up to RATE lines a second, the dyno would take total / RATE seconds (20,000 s and more); not held up, it takes
# a second or so. GUARD, the longest its run may take, sits far from both: the test does not depend on the machine's speed.
GUARD = 300

DROPPED = re.compile(r"seaway\[web\.1\]: Error L12 \(Local buffer overflow\): (\d+) lines of output dropped")


class Closed:
    """Hands the dyno's output on to a DynoOutput and notes when the output has ended."""

    def __init__(self, output: DynoOutput) -> None:
        self.output = output
        self.closed = threading.Event()

    def feed(self, data: bytes) -> None:
        self.output.feed(data)

    def lost(self, lines: int) -> None:
        self.output.lost(lines)

    def close(self) -> None:
        self.output.close()
        self.closed.set()


@pytest.fixture
def backend(tmp_path: Path) -> LocalBackend:
    app_dir = tmp_path / "slugs" / DIGEST / "app"
    (app_dir / ".venv" / "bin").mkdir(parents=True)
    (app_dir / "Procfile").write_text("web: true\n")
    return LocalBackend(tmp_path / "slugs", tmp_path / "run")


@pytest.fixture
def groups() -> Iterator[list[int]]:
    started: list[int] = []
    yield started
    for pgid in started:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("command, total", [
    ("python3 -c \"import sys; [sys.stdout.write('x'*100+'\\n') for _ in range(2_000_000)]\"", 2_000_000),
    ("yes | head -n 3000000", 3_000_000),
], ids=["python", "yes"])
def test_a_flooding_dyno_is_not_held_up_and_its_log_stays_bounded(backend: LocalBackend, groups: list[int],
                                                                   tmp_path: Path, command: str, total: int):
    logs = LogStore(tmp_path / "logs", max_lines=100_000)
    assert total / RATE >= 50 * GUARD
    output = Closed(DynoOutput(logs, "app", "web.1", rate=RATE, burst=1000))
    start = time.monotonic()
    dyno = backend.start(make_spec(command, app="app", web=False), output)
    groups.append(dyno.process.pid)
    assert dyno.wait(GUARD) == 0, "the dyno was held up"
    assert output.closed.wait(GUARD), "the output was never closed"
    elapsed = time.monotonic() - start

    kept = logs.tail("app", 1_000_000, LogQuery(source="app"))
    assert 1000 <= len(kept) <= 1000 + RATE * elapsed + 1
    assert all(line.partition(" ")[2] in ("app[web.1]: " + "x" * 100, "app[web.1]: y") for line in kept)
    reports = [int(match[1]) for line in logs.tail("app", 1_000_000, LogQuery(source="seaway"))
               if (match := DROPPED.search(line))]
    assert reports, "no L12 report"
    assert len(kept) + sum(reports) == total
    logs.close()
