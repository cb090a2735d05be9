"""The release watch: a new web dyno that crashes after it bound $PORT sends the router back to the
previous release's dynos, kept standing by, and the release is marked failed; one that keeps running
is kept once the window ends."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx

from tests.e2e.daemon import Daemon, copy_app, wait_for

WATCH = 25  # seconds: long enough for a crash on a loaded machine to fall inside it


def releases(daemon: Daemon, app: str) -> list[dict]:
    return json.loads(daemon.cli("releases", "-a", app, "--json").stdout)


def current(daemon: Daemon, app: str) -> int:
    return json.loads(daemon.cli("apps:info", "-a", app, "--json").stdout)["release"]


def deployed_with_watch(daemon: Daemon, app: str, sample: str, workdir: Path) -> None:
    source = copy_app(sample, workdir)
    daemon.cli("apps:create", app, cwd=source)
    daemon.cli("apps:settings", f"release_watch={WATCH}", "-a", app)
    daemon.cli("deploy", "-a", app, str(source))  # v1: nothing to watch against yet


def switched_back(daemon: Daemon, app: str, page: str) -> None:
    """v2 failed, v1 is current and serving again, all within the window."""
    wait_for(lambda: releases(daemon, app)[0]["status"] == "failed", timeout=WATCH)
    assert current(daemon, app) == 1
    assert daemon.get(app).text == page


def test_a_worker_that_fails_to_import_after_the_master_bound_is_switched_back(daemon: Daemon, app_name: str,
                                                                               workdir: Path) -> None:
    deployed_with_watch(daemon, app_name, "watch_crash", workdir)
    assert daemon.get(app_name).text == "watch_crash first\n"
    result = daemon.cli("config:set", "CRASH_ON_IMPORT=1", "-a", app_name)
    assert f"Watching v2's web dynos for {WATCH} s: v1's stay up out of rotation" in result.stdout
    switched_back(daemon, app_name, "watch_crash first\n")
    newest = releases(daemon, app_name)[0]
    assert newest["version"] == 2 and not newest["current"]
    output = daemon.cli("releases:output", "v2", "-a", app_name).stdout
    assert "Release v2 failed: web.1 crashed" in output and "v1 is serving again" in output
    assert "RuntimeError: crash on import" in output  # gunicorn's worker traceback, from the dyno itself
    log = daemon.cli("logs", "-a", app_name, "-n", "200").stdout
    assert "Release v2 failed: web.1 crashed" in log
    # the app goes on normally afterwards: the next change is a release like any other
    daemon.cli("config:unset", "CRASH_ON_IMPORT", "-a", app_name)
    assert current(daemon, app_name) == 3 and daemon.get(app_name).text == "watch_crash first\n"


def test_a_bare_server_that_dies_seconds_after_binding_is_switched_back(daemon: Daemon, app_name: str,
                                                                        workdir: Path) -> None:
    deployed_with_watch(daemon, app_name, "dies_after_bind", workdir)
    daemon.cli("config:set", "DIE_AFTER=3", "GREETING=second", "-a", app_name)
    assert daemon.get(app_name).text == "dies_after_bind second\n"  # live, for now
    switched_back(daemon, app_name, "dies_after_bind first\n")
    output = daemon.cli("releases:output", "v2", "-a", app_name).stdout
    assert "(exit status 4)" in output and "dying now, as DIE_AFTER asked" in output


def test_a_release_that_keeps_running_is_kept_when_the_window_ends(daemon: Daemon, app_name: str,
                                                                   workdir: Path) -> None:
    source = copy_app("dies_after_bind", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    daemon.cli("apps:settings", "release_watch=2", "-a", app_name)
    daemon.cli("deploy", "-a", app_name, str(source))
    daemon.cli("config:set", "GREETING=second", "-a", app_name)
    wait_for(lambda: "Release v2 kept: its web dynos ran 2 s after the switch without a crash"
             in daemon.cli("logs", "-a", app_name, "-n", "100").stdout, timeout=60)
    assert current(daemon, app_name) == 2 and releases(daemon, app_name)[0]["status"] == "succeeded"
    assert daemon.get(app_name).text == "dies_after_bind second\n"
    assert "Release v2 kept: its web dynos ran 2 s" in daemon.cli("releases:output", "v2", "-a", app_name).stdout
    assert "Watch:" not in daemon.cli("releases:info", "-a", app_name).stdout


def test_a_change_during_the_watch_keeps_the_watched_release(daemon: Daemon, app_name: str, workdir: Path) -> None:
    deployed_with_watch(daemon, app_name, "dies_after_bind", workdir)
    daemon.cli("config:set", "GREETING=second", "-a", app_name)
    assert "v1 stands by out of rotation" in daemon.cli("releases:info", "-a", app_name).stdout
    daemon.cli("config:set", "GREETING=third", "-a", app_name)  # v3 ends v2's watch: v2 was kept
    log = daemon.cli("logs", "-a", app_name, "-n", "100").stdout
    assert "Release v2 kept: the app changed again" in log
    assert [r["status"] for r in releases(daemon, app_name)][:2] == ["succeeded", "succeeded"]
    assert daemon.get(app_name).text == "dies_after_bind third\n"


def test_no_request_is_answered_by_a_crashed_release_once_switched_back(daemon: Daemon, app_name: str,
                                                                        workdir: Path) -> None:
    deployed_with_watch(daemon, app_name, "watch_crash", workdir)
    daemon.cli("config:set", "CRASH_ON_IMPORT=1", "-a", app_name)
    switched_back(daemon, app_name, "watch_crash first\n")
    answers = [daemon.get(app_name) for _ in range(20)]
    assert all(isinstance(a, httpx.Response) and a.status_code == 200 for a in answers)


def test_a_dyno_that_fails_its_health_checks_after_the_switch_is_switched_back(daemon: Daemon, app_name: str,
                                                                             workdir: Path) -> None:
    deployed_with_watch(daemon, app_name, "sick_after_switch", workdir)
    daemon.cli("config:set", "SICK_AFTER=3", "GREETING=second", "-a", app_name)
    switched_back(daemon, app_name, "sick_after_switch first\n")
    output = daemon.cli("releases:output", "v2", "-a", app_name).stdout
    assert "Release v2 failed: web.1 health check failed after 2 attempts (GET /health answered 500)" in output


def test_requests_during_a_crash_under_watch_are_answered_by_the_standby_release(daemon: Daemon, app_name: str,
                                                                                workdir: Path) -> None:
    """nginx's backup servers carry the requests the crashed dyno cannot: none is lost."""
    deployed_with_watch(daemon, app_name, "watch_crash", workdir)
    answers: list[int | str] = []  # 200, else what came back
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:  # a new connection each time: a client's idle keep-alive may close at nginx's reload
                answer = daemon.get(app_name, headers={"Connection": "close"})
                answers.append(200 if answer.status_code == 200 else f"{answer.status_code} {answer.text[:200]}")
            except httpx.HTTPError as error:
                answers.append(type(error).__name__)

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        daemon.cli("config:set", "CRASH_ON_IMPORT=1", "-a", app_name)
        switched_back(daemon, app_name, "watch_crash first\n")
    finally:
        print(daemon.cli("logs", "-a", app_name, "-n", "300").stdout)
        stop.set()
        thread.join()
    failed = [answer for answer in answers if answer != 200]
    assert answers and not failed, f"{len(failed)} of {len(answers)} requests failed: {sorted(set(map(str, failed)))}"
