"""SIGTERM/SIGINT stop every child; starting again brings back every app's current release."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon, copy_app, processes_mentioning


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stop_and_start_again(tmp_path: Path, signum: int) -> None:
    daemon = Daemon(tmp_path / "home")
    daemon.start()
    try:
        source = copy_app("wsgi_basic", tmp_path)
        daemon.cli("apps:create", "lifecycle", cwd=source)
        daemon.cli("addons:create", "postgresql", cwd=source)
        daemon.cli("deploy", cwd=source)
        assert daemon.get("lifecycle").text == "basic VERSION=1\n"
        children = processes_mentioning(str(daemon.home))
        assert any("nginx" in p for p in children) and any("postgres" in p for p in children)
        assert any("gunicorn" in p for p in children), children
    finally:
        code = daemon.stop(signum)
    assert code == 0, daemon.output()
    assert processes_mentioning(str(daemon.home)) == []
    assert "Stopped." in daemon.output()

    daemon.start()
    try:
        assert daemon.get("lifecycle").text == "basic VERSION=1\n"
        assert daemon.cli("releases", "-a", "lifecycle").returncode == 0
    finally:
        daemon.stop()
    assert processes_mentioning(str(daemon.home)) == []
