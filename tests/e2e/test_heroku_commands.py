"""The Heroku CLI's names for what Seaway does, as the deployment guides type them."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.e2e.daemon import Daemon
from tests.e2e.test_git_push import cli_git, repository_of


def test_a_guide_replayed_with_seaway_for_heroku(daemon: Daemon, workdir: Path, app_name: str) -> None:
    source = repository_of("flask_migrate", workdir)
    daemon.cli("create", app_name, cwd=source)
    added = daemon.cli("addons:create", "heroku-postgresql:mini", cwd=source)
    assert "Plan mini recorded" in added.stdout
    addons = json.loads(daemon.cli("addons", "--json", cwd=source).stdout)
    assert [addon["plan"] for addon in addons] == ["mini"]
    cli_git(daemon, "push", "seaway", "main", cwd=source)
    assert daemon.get(app_name).json()["version"] == "1"

    logs = daemon.cli("logs", "--source", "app", "-n", "200", cwd=source).stdout
    assert "app[release.1]:" in logs and "Running upgrade" in logs  # the release phase, as Heroku labels it
    assert "Release v" not in logs  # platform lines stay under their own source

    assert "web.1" in daemon.cli("restart", "web", cwd=source).stdout + daemon.cli("ps", cwd=source).stdout
    assert len(json.loads(daemon.cli("releases", "-n", "1", "--json", cwd=source).stdout)) == 1
    assert daemon.cli("open", cwd=source, env={"DISPLAY": ""}).stdout.strip() == f"http://{app_name}.localhost:{daemon.router_port}/"
    assert "Seaway's Python build" in daemon.cli("buildpacks", cwd=source).stdout

    daemon.cli("pg:backups:capture", cwd=source)
    restored = confirmed_at_a_prompt(daemon, ["pg:backups:restore", "-a", app_name], typed=app_name, cwd=source)
    assert restored.returncode == 0, restored.stdout
    assert "To proceed, type" in restored.stdout
    refused = confirmed_at_a_prompt(daemon, ["pg:backups:restore", "-a", app_name], typed="nope", cwd=source)
    assert refused.returncode != 0 and "--confirm" in refused.stdout


def confirmed_at_a_prompt(daemon: Daemon, args: list[str], typed: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `seaway ARGS` on a pseudo-terminal and type `typed` at its confirmation prompt."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "seaway", *args], cwd=cwd, env=daemon.env,
                               stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    output = b""
    while b"> " not in output:
        output += os.read(leader, 4096)
    os.write(leader, typed.encode() + b"\n")
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        output += chunk
    code = process.wait(timeout=600)
    os.close(leader)
    return subprocess.CompletedProcess(args, code, output.decode(errors="replace"), "")
