"""`git push seaway main` against the real daemon: git's smart HTTP through `git http-backend`, the push
waiting for its deploy and refused when the deploy fails."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon, copy_app

pytestmark = pytest.mark.e2e


def git(*args: str, cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    base = {"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com"}
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                            env={**(env or {}), **base, "PATH": "/usr/bin:/bin:/usr/local/bin"})
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def repository_of(sample: str, workdir: Path) -> Path:
    source = copy_app(sample, workdir)
    git("init", "-q", "-b", "main", cwd=source)
    git("add", "-A", cwd=source)
    git("commit", "-qm", "First version", cwd=source)
    return source


def commit_version(source: Path, version: int, subject: str) -> str:
    app_py = source / "app.py"
    app_py.write_text(app_py.read_text().replace(f'VERSION = "{version - 1}"', f'VERSION = "{version}"'))
    git("commit", "-qam", subject, cwd=source)
    return git("rev-parse", "HEAD", cwd=source).stdout.strip()


def remote_with_token(daemon: Daemon, app: str, token: str | None = None) -> str:
    return f"http://seaway:{token or daemon.token}@127.0.0.1:{daemon.api_port}/git/{app}.git"


def test_push_deploys_the_pushed_commit_and_a_failed_release_refuses_the_push(daemon: Daemon, workdir: Path,
                                                                               app_name: str) -> None:
    source = repository_of("wsgi_basic", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    git("remote", "add", "seaway", remote_with_token(daemon, app_name), cwd=source)

    first = git("push", "seaway", "main", cwd=source)
    assert "remote: -----> " in first.stderr and "[new branch]" in first.stderr, first.stderr
    assert daemon.get(app_name).text.strip() == "basic VERSION=1"

    sha = commit_version(source, 2, "Say version 2")
    (source / "UNCOMMITTED").write_text("not deployed")  # only the commit goes
    git("push", "seaway", "main", cwd=source)
    assert daemon.get(app_name).text.strip() == "basic VERSION=2"
    info = daemon.api("GET", f"/apps/{app_name}/releases/current").json()
    assert (info["description"], info["commit"], info["commit_subject"]) == (f"Deploy {sha[:7]}", sha, "Say version 2")

    again = git("push", "seaway", "main", cwd=source)
    assert "Everything up-to-date" in again.stderr

    (source / "Procfile").write_text("web: gunicorn app:app\nrelease: echo migrating; exit 3\n")
    commit_version(source, 3, "A release command that fails")
    refused = git("push", "seaway", "main", cwd=source, check=False)
    assert refused.returncode != 0
    assert "! [remote rejected] main -> main (release failed)" in refused.stderr, refused.stderr
    assert "migrating" in refused.stderr, refused.stderr
    listed = git("ls-remote", "seaway", "refs/heads/main", cwd=source)
    assert listed.stdout.split()[:1] == [sha], listed
    assert daemon.get(app_name).text.strip() == "basic VERSION=2"


def test_a_branch_other_than_main_or_master_is_refused(daemon: Daemon, workdir: Path, app_name: str) -> None:
    source = repository_of("wsgi_basic", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    git("remote", "add", "seaway", remote_with_token(daemon, app_name), cwd=source)
    refused = git("push", "seaway", "main:feature", cwd=source, check=False)
    assert refused.returncode != 0
    assert "git push seaway feature:main" in refused.stderr, refused.stderr
    assert daemon.api("GET", f"/apps/{app_name}/releases").json() == []


def test_a_wrong_token_is_refused_with_401_and_nothing_is_built(daemon: Daemon, workdir: Path, app_name: str) -> None:
    source = repository_of("wsgi_basic", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    git("remote", "add", "seaway", remote_with_token(daemon, app_name, "not-the-token"), cwd=source)
    refused = git("push", "seaway", "main", cwd=source, check=False)
    assert refused.returncode != 0 and "Authentication failed" in refused.stderr, refused.stderr
    assert daemon.api("GET", f"/apps/{app_name}/releases").json() == []
