"""kill -9 of the daemon, then a new one on the same home: apps never stop serving (issue 16, item 6).

Dynos live under their keepers, nginx and PostgreSQL in sessions of their own: all of them outlive the
daemon, and the next daemon takes them back instead of starting them again."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

from tests.e2e.daemon import Daemon, Load, copy_app, dyno_leader_pid, processes_mentioning, wait_for

PROCFILE = """\
web: exec gunicorn app:app
ticker: i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.3; done
release: true
"""


def ps(daemon: Daemon, app: str) -> dict[str, dict]:
    return {d["name"]: d for d in json.loads(daemon.cli("ps", "-a", app, "--json").stdout)}


def ticks(daemon: Daemon, app: str) -> list[int]:
    log = daemon.cli("logs", "-a", app, "-n", "500").stdout
    return [int(n) for n in re.findall(r"app\[ticker\.1\]: tick (\d+)", log)]


def test_kill_9_and_a_new_daemon_keep_every_dyno_serving(scratch: Path) -> None:
    daemon = Daemon(scratch / "home")
    daemon.start()
    try:
        source = copy_app("formation", scratch)
        (source / "Procfile").write_text(PROCFILE)
        daemon.cli("apps:create", "keep", cwd=source)
        daemon.cli("addons:create", "postgresql", cwd=source)
        daemon.cli("deploy", cwd=source)
        daemon.cli("ps:scale", "ticker=1", cwd=source)
        daemon.cli("run:detached", "-a", "keep", "--", "sleep 600")
        wait_for(lambda: ticks(daemon, "keep"), timeout=30)
        before = {name: dyno_leader_pid(daemon, "keep", name) for name in ("web.1", "ticker.1")}
        nginx = [p for p in processes_mentioning(str(daemon.home)) if "nginx: master" in p]
        postgres = (daemon.home / "postgres" / "data" / "postmaster.pid").read_text().split()[0]
        leftover = daemon.home / "builds" / "0f0f0f0f"  # as a daemon killed mid-build leaves it
        (leftover / "app" / ".venv").mkdir(parents=True)
        (leftover / "app" / ".venv" / "big").write_bytes(b"x" * 1_000_000)

        with Load(daemon, "keep") as load:
            wait_for(lambda: load.ok >= 5, timeout=30)
            daemon.process.kill()  # the daemon only: keepers, dynos, nginx and PostgreSQL live on
            daemon.process.wait()
            daemon.log.close()
            served = load.ok
            wait_for(lambda: load.ok >= served + 5, timeout=30)  # served with no daemon at all
            daemon.start()
            served = load.ok
            wait_for(lambda: load.ok >= served + 5, timeout=30)
        assert load.failed == 0, (load.errors[:5], daemon.output()[-3000:],
                                  daemon.cli("logs", "-a", "keep", "-n", "60").stdout)
        assert {answer.split()[1] for answer in load.answers} == {"DYNO=web.1"}

        # The very same processes serve, and `ps` shows them up, never restarted.
        assert {name: dyno_leader_pid(daemon, "keep", name) for name in before} == before
        dynos = ps(daemon, "keep")
        assert {name: (d["state"], d["restarts"]) for name, d in dynos.items()} == {
            "web.1": ("up", 0), "ticker.1": ("up", 0)}, dynos
        living = processes_mentioning(str(daemon.home))
        assert [p for p in living if "nginx: master" in p] == nginx
        assert (daemon.home / "postgres" / "data" / "postmaster.pid").read_text().split()[0] == postgres
        assert not leftover.exists()
        log = daemon.cli("logs", "-a", "keep", "-n", "500").stdout
        assert "Taken back after the platform restarted" in log
        assert "left running by the previous daemon: a one-off dyno" in log
        wait_for(lambda: not [p for p in processes_mentioning(str(daemon.home)) if "sleep 600" in p], timeout=30)

        # Its output reaches the log again: the ticker keeps counting, without a new start.
        seen = max(ticks(daemon, "keep"))
        wait_for(lambda: max(ticks(daemon, "keep")) > seen + 2, timeout=30)
        assert ticks(daemon, "keep").count(1) == 1

        # Supervision is back: a crash is restarted, and routed to again.
        os.killpg(dyno_leader_pid(daemon, "keep", "web.1"), signal.SIGKILL)
        wait_for(lambda: ps(daemon, "keep")["web.1"]["restarts"] == 1 and ps(daemon, "keep")["web.1"]["state"] == "up",
                 timeout=60)
        wait_for(lambda: daemon.get("keep").status_code == 200, timeout=30)

        # And the app changes as ever.
        daemon.cli("ps:restart", "-a", "keep")
        assert dyno_leader_pid(daemon, "keep", "ticker.1") != before["ticker.1"]
        daemon.cli("config:set", "GREETING=after", cwd=source)
        assert daemon.get("keep").text.endswith("GREETING=after\n")
        daemon.cli("deploy", cwd=source)
        assert daemon.get("keep").status_code == 200
    finally:
        code = daemon.stop()
    assert code == 0, daemon.output()
    assert processes_mentioning(str(daemon.home)) == []  # a graceful stop still stops everything


def test_dynos_of_a_release_no_longer_current_are_stopped_at_start(scratch: Path) -> None:
    """Killed while v2's dynos were still stopping, say: the new daemon keeps the current release's only."""
    daemon = Daemon(scratch / "home")
    daemon.start()
    try:
        source = copy_app("formation", scratch)
        (source / "Procfile").write_text(PROCFILE)
        daemon.cli("apps:create", "moved", cwd=source)
        daemon.cli("deploy", cwd=source)
        web = dyno_leader_pid(daemon, "moved", "web.1")
        daemon.process.kill()
        daemon.process.wait()
        daemon.log.close()
        # The store moves on while no daemon runs (as a release made by a daemon killed before it switched).
        record = next((daemon.home / "run" / "dynos" / "kept").glob("moved.web.1.*/dyno.json"))
        data = json.loads(record.read_text())
        record.write_text(json.dumps({**data, "release": data["release"] - 1}))
        daemon.start()
        wait_for(lambda: daemon.get("moved").status_code == 200, timeout=60)
        assert dyno_leader_pid(daemon, "moved", "web.1") != web
        log = daemon.cli("logs", "-a", "moved", "-n", "200").stdout
        assert "left running by the previous daemon" in log and "is the current release" in log
        wait_for(lambda: not any(p.startswith(f"{web}:") for p in processes_mentioning(str(daemon.home))), timeout=30)
    finally:
        daemon.stop()
    assert processes_mentioning(str(daemon.home)) == []
