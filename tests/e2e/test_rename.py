"""apps:rename refused: a taken or invalid name, or a one-off dyno of the app still running (its logs and
user go by the app's name); each time the app keeps its name and serves. (A rename that goes through is in
test_heroku_commands.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon, copy_app, wait_for

pytestmark = pytest.mark.e2e


def test_a_refused_rename_leaves_the_app_as_it_was(daemon: Daemon, workdir: Path, app_name: str) -> None:
    source = copy_app("wsgi_basic", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    daemon.cli("deploy", cwd=source)
    other = f"{app_name}-b"
    daemon.cli("apps:create", other, cwd=workdir)

    taken = daemon.api("PATCH", f"/apps/{app_name}", json={"name": other})
    assert taken.status_code == 409 and f"Name {other} is already taken" in taken.json()["detail"]
    invalid = daemon.cli("apps:rename", "Not_A_Name", cwd=source, check=False)
    assert invalid.returncode != 0 and "Invalid app name 'Not_A_Name'" in invalid.stderr
    assert daemon.get(app_name).text.strip() == "basic VERSION=1"

    daemon.cli("run:detached", "sleep", "600", cwd=source)
    wait_for(lambda: "sleep 600" in daemon.cli("logs", "-n", "50", cwd=source).stdout, timeout=60)
    busy = daemon.cli("apps:rename", f"{app_name}-c", cwd=source, check=False)
    assert busy.returncode != 0, busy.stdout
    assert "One-off dynos of" in busy.stderr and "run.1 (`sleep 600`)" in busy.stderr, busy.stderr
    assert daemon.get(app_name).text.strip() == "basic VERSION=1"
    assert daemon.api("GET", f"/apps/{app_name}-c").status_code == 404
