"""SIGTERM/SIGINT stop every child; starting again brings back every app's current release."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon, copy_app, processes_mentioning


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stop_and_start_again(scratch: Path, signum: int) -> None:
    daemon = Daemon(scratch / "home")
    daemon.start()
    try:
        source = copy_app("wsgi_basic", scratch)
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


def test_daemon_killed_mid_deploy_recovers(scratch: Path) -> None:
    """kill -9 of the daemon during a release phase: on start, that release is failed, the previous serves."""
    import json
    import subprocess
    import sys

    from tests.e2e.daemon import wait_for

    daemon = Daemon(scratch / "home")
    daemon.start()
    source = copy_app("formation", scratch)
    daemon.cli("apps:create", "crashy-daemon", cwd=source)
    daemon.cli("config:set", "GREETING=stable", cwd=source)
    daemon.cli("deploy", cwd=source)
    stable = json.loads(daemon.cli("releases", "--json", cwd=source).stdout)[0]["version"]
    change = subprocess.Popen([sys.executable, "-m", "seaway", "config:set", "RELEASE_SLEEP=60", "GREETING=lost"],
                              cwd=source, env=daemon.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: "release phase for lost" in daemon.cli("logs", "-n", "30", cwd=source).stdout, timeout=30)
    daemon.process.kill()  # the daemon only: nginx, PostgreSQL and the dynos live on as orphans
    daemon.process.wait()
    change.wait(30)
    assert any("nginx" in p for p in processes_mentioning(str(daemon.home)))

    daemon.start()
    try:
        assert daemon.get("crashy-daemon").text.endswith("GREETING=stable\n")
        releases = json.loads(daemon.cli("releases", "--json", cwd=source).stdout)
        assert releases[0]["status"] == "failed" and releases[0]["version"] == stable + 1
        assert [r["version"] for r in releases if r["current"]] == [stable]
        assert "The platform stopped while this release was in progress" in json.loads(
            daemon.cli("releases:info", f"v{stable + 1}", "--json", cwd=source).stdout)["output"]
        config = json.loads(daemon.cli("config", "--json", cwd=source).stdout)
        assert config["GREETING"] == "lost"  # config vars are never lost, even those of a failed release
        living = processes_mentioning(str(daemon.home))
        assert len([p for p in living if "nginx: master" in p]) == 1
        assert not [p for p in living if "RELEASE_SLEEP" in p or "time.sleep" in p]
    finally:
        daemon.stop()
    assert processes_mentioning(str(daemon.home)) == []


@pytest.mark.parametrize(("port", "setting"), [("api_port", "SEAWAY_API_PORT"), ("router_port", "SEAWAY_ROUTER_PORT")])
def test_a_taken_port_stops_the_start_naming_it_and_its_holder(scratch: Path, port: str, setting: str) -> None:
    daemon = Daemon(scratch / "home")
    with socket.create_server(("127.0.0.1", getattr(daemon, port))):  # held by this test's own process
        with pytest.raises(RuntimeError) as refused:
            daemon.start()
        assert daemon.process is not None and daemon.process.wait(60) == 1
    assert f"port 127.0.0.1:{getattr(daemon, port)} is taken by " in str(refused.value)
    assert f"pid {os.getpid()}" in str(refused.value) and f"{setting}=PORT" in str(refused.value)
    assert not processes_mentioning(str(scratch / "home"))  # nothing left running
