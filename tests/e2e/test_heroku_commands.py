"""The Heroku CLI's names for what Seaway does, as the deployment guides type them."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import uuid
from pathlib import Path

from tests.e2e.daemon import Daemon
from tests.e2e.test_git_push import cli_git, commit_version, repository_of


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

    # a new name of this run's own: system users outlive a test daemon, and test app names repeat between runs
    renamed_app_follows_its_new_name(daemon, source, app_name, f"{app_name[:20]}-{uuid.uuid4().hex[:6]}")


def renamed_app_follows_its_new_name(daemon: Daemon, source: Path, old: str, new: str) -> None:
    """apps:rename: router, git remote, logs, backups and data go with the app; the old name is free."""
    renamed = daemon.cli("apps:rename", new, cwd=source)
    assert f"Renaming {old} to {new}... done" in renamed.stdout and "Git remote seaway updated" in renamed.stdout
    assert cli_git(daemon, "remote", "get-url", "seaway", cwd=source).stdout.strip() == f"{daemon.api_url}/git/{new}.git"
    assert daemon.get(new).json()["version"] == "1"
    assert daemon.get(old).status_code == 404
    assert daemon.api("GET", f"/apps/{old}").status_code == 404
    assert daemon.cli("ps", "-a", old, check=False).returncode != 0
    logs = daemon.cli("logs", "-n", "500", cwd=source).stdout
    assert "app[release.1]:" in logs and f"Renamed from {old} to {new}" in logs
    backups = json.loads(daemon.cli("pg:backups", "--json", cwd=source).stdout)
    assert backups and all(f"/{new}/" in backup["location"] for backup in backups if backup["location"])
    restored = daemon.cli("pg:backups:restore", "--confirm", new, cwd=source)  # the file moved with the app
    assert restored.returncode == 0, restored.stderr

    commit_version(source, 2, "After the rename")
    cli_git(daemon, "push", "seaway", "main", cwd=source)  # through the updated remote
    assert daemon.get(new).json()["version"] == "2"
    assert cli_git(daemon, "ls-remote", "seaway", "refs/heads/main", cwd=source).stdout.split()[0] == \
        cli_git(daemon, "rev-parse", "HEAD", cwd=source).stdout.strip()
    daemon.cli("apps:create", old, cwd=source.parent)  # the old name is free again, and a fresh app
    assert daemon.api("GET", f"/apps/{old}").json()["release"] is None


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
