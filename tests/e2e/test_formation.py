"""Formation, supervision and all-or-nothing releases (issue 3), against a real daemon."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.dynos.conftest import GUARD, NOT_WAITED
from tests.e2e.daemon import Daemon, Load, copy_app, dyno_leader_pid, dyno_processes, wait_for


@pytest.fixture(scope="module")
def formation(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> str:
    source = copy_app("formation", tmp_path_factory.mktemp("formation"))
    daemon.cli("apps:create", "formation", cwd=source)
    daemon.cli("config:set", "GREETING=first", cwd=source)
    result = daemon.cli("deploy", cwd=source)
    assert "release phase for first" in result.stdout
    return "formation"


def ps(daemon: Daemon, app: str) -> dict[str, dict]:
    return {d["name"]: d for d in json.loads(daemon.cli("ps", "-a", app, "--json").stdout)}


def releases(daemon: Daemon, app: str) -> list[dict]:
    return json.loads(daemon.cli("releases", "-a", app, "--json").stdout)


def test_scale_balances_web_and_starts_workers_without_port(daemon: Daemon, formation: str) -> None:
    daemon.cli("ps:scale", "web=2", "worker=1", "-a", formation)
    dynos = ps(daemon, formation)
    assert {name: d["state"] for name, d in dynos.items()} == {"web.1": "up", "web.2": "up", "worker.1": "up"}
    answered = {daemon.get(formation).text.split()[1] for _ in range(20)}
    assert answered == {"DYNO=web.1", "DYNO=web.2"}
    log = daemon.cli("logs", "-a", formation, "-n", "300").stdout
    assert "worker worker.1 up, PORT=None" in log
    daemon.cli("ps:scale", "web=1", "worker=0", "-a", formation)
    assert set(ps(daemon, formation)) == {"web.1"}
    assert {daemon.get(formation).text.split()[1] for _ in range(5)} == {"DYNO=web.1"}


def test_scale_to_unknown_type_or_crashing_type_changes_nothing(daemon: Daemon, formation: str) -> None:
    bad = daemon.cli("ps:scale", "nosuch=1", "-a", formation, check=False)
    assert bad.returncode != 0 and "No such process type nosuch" in bad.stderr
    formation_before = json.loads(daemon.cli("apps:info", "-a", formation, "--json").stdout)["formation"]
    daemon.cli("config:set", "WORKER_CRASH=boot", "-a", formation)  # workers are at 0: nothing crashes yet
    crash = daemon.cli("ps:scale", "worker=1", "-a", formation, check=False)
    assert crash.returncode != 0 and "worker.1 exited with status 3 during boot" in crash.stderr
    assert json.loads(daemon.cli("apps:info", "-a", formation, "--json").stdout)["formation"] == formation_before
    assert set(ps(daemon, formation)) == {"web.1"}
    daemon.cli("config:unset", "WORKER_CRASH", "-a", formation)


def test_release_whose_worker_crashes_at_boot_switches_nothing(daemon: Daemon, formation: str) -> None:
    daemon.cli("ps:scale", "worker=1", "-a", formation)
    live = releases(daemon, formation)[0]
    assert live["current"]
    failed = daemon.cli("config:set", "WORKER_CRASH=boot", "GREETING=second", "-a", formation, check=False)
    assert failed.returncode != 0
    assert "worker.1 exited with status 3 during boot" in failed.stderr
    assert f"v{live['version']} is still serving" in failed.stderr
    assert daemon.get(formation).text.endswith("GREETING=first\n")  # old config still serving
    assert all(d["release"] == live["version"] and d["state"] == "up" for d in ps(daemon, formation).values())
    newest = releases(daemon, formation)[0]
    assert newest["status"] == "failed" and not newest["current"]
    output = daemon.cli("releases:output", f"v{newest['version']}", "-a", formation).stdout
    assert "during boot" in output and "  worker crashing at boot" in output  # with the dyno's own last lines
    daemon.cli("config:unset", "WORKER_CRASH", "-a", formation)
    daemon.cli("config:set", "GREETING=first", "-a", formation)
    daemon.cli("ps:scale", "worker=0", "-a", formation)


def test_failing_health_check_keeps_the_old_release(daemon: Daemon, formation: str) -> None:
    failed = daemon.cli("config:set", "HEALTH_STATUS=500", "-a", formation, check=False)
    assert failed.returncode != 0
    assert "health check failed after 3 attempts (GET /health answered 500)" in failed.stderr
    assert daemon.get(formation).status_code == 200
    daemon.cli("config:unset", "HEALTH_STATUS", "-a", formation)


def test_killed_web_dyno_is_restarted(daemon: Daemon, formation: str) -> None:
    before = ps(daemon, formation)["web.1"]
    os.killpg(dyno_leader_pid(daemon, formation, "web.1"), signal.SIGKILL)
    wait_for(lambda: ps(daemon, formation)["web.1"]["restarts"] == before["restarts"] + 1
             and ps(daemon, formation)["web.1"]["state"] == "up", timeout=20)
    assert daemon.get(formation).status_code == 200
    log = daemon.cli("logs", "-a", formation, "-n", "100").stdout
    assert "Process exited with status -9" in log and "to crashed; restarting in 1s" in log


def test_crash_looping_worker_backs_off(daemon: Daemon, formation: str) -> None:
    daemon.cli("config:set", "WORKER_CRASH=2.5", "-a", formation)  # survives the 2 s settle, then crashes
    daemon.cli("ps:scale", "worker=1", "-a", formation)
    time.sleep(14)
    worker = ps(daemon, formation)["worker.1"]
    # 2.5 s up + 1 s, 2.5 + 2, 2.5 + 4 ... : at most 3 restarts in 14 s, however fast it crashes.
    assert 1 <= worker["restarts"] <= 3, worker
    log = daemon.cli("logs", "-a", formation, "-n", "400").stdout
    assert "restarting in 1s" in log and "restarting in 2s" in log
    daemon.cli("ps:scale", "worker=0", "-a", formation)
    daemon.cli("config:unset", "WORKER_CRASH", "-a", formation)


def test_stop_timeout_kills_a_process_that_ignores_sigterm(daemon: Daemon, formation: str) -> None:
    # Longer than the daemon's own default: the app's setting, not the default, is what the SIGKILL waits for.
    stop_timeout = int(daemon.env["SEAWAY_STOP_TIMEOUT"]) + 3
    daemon.cli("apps:settings", f"stop_timeout={stop_timeout}", "-a", formation)
    daemon.cli("ps:scale", "stubborn=1", "-a", formation)
    started = time.monotonic()
    daemon.cli("ps:scale", "stubborn=0", "-a", formation)
    wait_for(lambda: "Stopped (v" in daemon.cli("logs", "-a", formation, "-n", "20").stdout.split("stubborn.1")[-1]
             or "stubborn" not in str(ps(daemon, formation)), timeout=GUARD)
    wait_for(lambda: not any("ignoring" in p or "stubborn" in p for p in dyno_processes(daemon, formation, "stubborn")),
             GUARD)  # killed: ignoring SIGTERM does not keep it running
    assert time.monotonic() - started >= stop_timeout  # SIGTERM was given the app's stop timeout, no less
    daemon.cli("apps:settings", "stop_timeout=default", "-a", formation)


def test_restart_and_deploy_under_load_fail_no_request(daemon: Daemon, formation: str, workdir: Path) -> None:
    source = copy_app("formation", workdir)
    daemon.cli("config:set", "BOOT_DELAY=2", "-a", formation)  # a slow-booting web process
    with Load(daemon, formation) as load:
        daemon.cli("ps:restart", "web", "-a", formation)
        daemon.cli("deploy", "-a", formation, str(source))
        daemon.cli("ps:restart", "-a", formation)
    assert load.failed == 0, load.errors[:5]
    assert load.ok > 20
    daemon.cli("config:unset", "BOOT_DELAY", "-a", formation)


def test_rollback_restores_code_and_config(daemon: Daemon, formation: str) -> None:
    daemon.cli("config:set", "GREETING=alpha", "-a", formation)
    alpha = releases(daemon, formation)[0]["version"]
    daemon.cli("config:set", "GREETING=beta", "-a", formation)
    assert daemon.get(formation).text.endswith("GREETING=beta\n")
    result = daemon.cli("rollback", f"v{alpha}", "-a", formation)
    assert f"Rolled back {formation} to v{alpha}" in result.stdout
    assert daemon.get(formation).text.endswith("GREETING=alpha\n")
    assert daemon.cli("config:get", "GREETING", "-a", formation).stdout == "alpha\n"
    newest = releases(daemon, formation)[0]
    assert newest["description"] == f"Rollback to v{alpha}" and newest["current"]
    info = json.loads(daemon.cli("releases:info", "-a", formation, "--json").stdout)
    assert info["rollback_of"] == alpha and "release phase for alpha" in info["output"]
    default = daemon.cli("rollback", "-a", formation)  # the previous good release: beta's
    assert "Rolled back" in default.stdout and daemon.get(formation).text.endswith("GREETING=beta\n")
    bad = daemon.cli("rollback", "v999", "-a", formation, check=False)
    assert bad.returncode != 0 and "Release v999 not found" in bad.stderr


def test_run_detached_writes_to_the_log(daemon: Daemon, formation: str) -> None:
    result = daemon.cli("run:detached", "-a", formation, "--", "echo detached-$DYNO")
    assert "up, run." in result.stdout
    wait_for(lambda: "detached-run." in daemon.cli("logs", "-a", formation, "-n", "50").stdout, timeout=15)


def test_concurrent_changes_are_serialised(daemon: Daemon, formation: str) -> None:
    results: list[int] = []

    def change(value: str) -> None:
        results.append(daemon.cli("config:set", f"PARALLEL={value}", "-a", formation).returncode)

    threads = [threading.Thread(target=change, args=(str(i),)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [0, 0, 0]
    versions = [r["version"] for r in releases(daemon, formation)[:3]]
    assert len(set(versions)) == 3
    assert all(r["status"] == "succeeded" for r in releases(daemon, formation)[:3])


def test_requests_in_flight_finish_on_the_old_dyno(daemon: Daemon, formation: str) -> None:
    daemon.cli("config:set", "SLOW_SECONDS=3", "-a", formation)
    outcome: dict[str, object] = {}

    def slow_request() -> None:
        response = daemon.get(formation, "/slow")
        outcome.update(status=response.status_code, text=response.text)

    thread = threading.Thread(target=slow_request)
    thread.start()
    time.sleep(0.5)  # the request is in flight to the current web.1
    daemon.cli("ps:restart", "web", "-a", formation)
    thread.join(30)
    assert outcome == {"status": 200, "text": "slow done by web.1\n"}
    daemon.cli("config:unset", "SLOW_SECONDS", "-a", formation)


def test_ps_stop_restarts_the_dyno(daemon: Daemon, formation: str) -> None:
    before = ps(daemon, formation)["web.1"]
    result = daemon.cli("ps:stop", "web.1", "-a", formation)
    assert "Stopping web.1" in result.stdout
    wait_for(lambda: ps(daemon, formation)["web.1"]["state"] == "up"
             and ps(daemon, formation)["web.1"]["restarts"] > before["restarts"], timeout=30)
    assert daemon.get(formation).status_code == 200
    missing = daemon.cli("ps:stop", "web.9", "-a", formation, check=False)
    assert missing.returncode != 0 and "No dyno 'web.9'" in missing.stderr


def test_config_values_keep_newlines_and_quotes(daemon: Daemon, formation: str) -> None:
    value = "line one\nline 'two' \"three\" $HOME"
    daemon.cli("config:set", f"MULTILINE={value}", "-a", formation)
    assert daemon.cli("config:get", "MULTILINE", "-a", formation).stdout == value + "\n"
    shell = daemon.cli("config", "--shell", "-a", formation).stdout
    exported = subprocess.run(["bash", "-c", f"{shell}\nprintf %s \"$MULTILINE\""], capture_output=True, text=True)
    assert exported.stdout == value
    assert value not in daemon.cli("logs", "-a", formation, "-n", "500").stdout  # values stay out of the log
    daemon.cli("config:unset", "MULTILINE", "-a", formation)


def test_per_app_boot_timeout(daemon: Daemon, formation: str, workdir: Path) -> None:
    daemon.cli("apps:settings", "boot_timeout=3", "-a", formation)
    assert json.loads(daemon.cli("apps:settings", "-a", formation, "--json").stdout)["boot_timeout"] == 3
    # it would bind after NOT_WAITED seconds: the release fails at the app's boot timeout, without waiting for that
    failed = daemon.cli("config:set", f"BOOT_DELAY={NOT_WAITED}", "-a", formation, check=False, timeout=GUARD)
    assert failed.returncode != 0 and "failed to bind to $PORT within 3 seconds" in failed.stderr
    assert daemon.get(formation).status_code == 200
    daemon.cli("config:unset", "BOOT_DELAY", "-a", formation)
    daemon.cli("apps:settings", "boot_timeout=default", "-a", formation)
    bad = daemon.cli("apps:settings", "boot_timeout=0", "-a", formation, check=False)
    assert bad.returncode != 0 and "boot_timeout must be from 1 to 3600 seconds" in bad.stderr
