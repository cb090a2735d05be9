"""`git push seaway main` against the real daemon: git's smart HTTP through `git http-backend`, the push
waiting for its deploy and refused when the deploy fails."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon, copy_app

pytestmark = pytest.mark.e2e


def git(*args: str, cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    base = {"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Ada",
            "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com"}
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
    daemon.api("POST", "/apps", json={"name": app_name})
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


def test_a_large_push_arrives_whole_and_the_next_one_sends_only_the_change(daemon: Daemon, workdir: Path,
                                                                          app_name: str) -> None:
    """Over git's 1 MiB post buffer a push is chunked, and its pack must reach receive-pack whole while
    the answer already streams; git's own deltas keep the next push to the changed file."""
    source = repository_of("wsgi_basic", workdir)
    (source / "data").mkdir()
    (source / "data" / "blob.bin").write_bytes(os.urandom(4 << 20))
    (source / ".slugignore").write_text("data/\n")
    git("add", "-A", cwd=source)
    git("commit", "-qm", "4 MB of data", cwd=source)
    daemon.api("POST", "/apps", json={"name": app_name})
    git("remote", "add", "seaway", remote_with_token(daemon, app_name), cwd=source)
    first = git("push", "--progress", "seaway", "main", cwd=source)
    assert "[new branch]" in first.stderr and "MiB" in first.stderr, first.stderr[-2000:]
    assert daemon.get(app_name).text.strip() == "basic VERSION=1"
    commit_version(source, 2, "One changed file")
    second = git("push", "--progress", "seaway", "main", cwd=source)
    sent = re.findall(r"Writing objects: 100% \(\d+/\d+\), (\d+) bytes", second.stderr)
    assert sent and int(sent[-1]) < 10_000, second.stderr[-2000:]
    assert daemon.get(app_name).text.strip() == "basic VERSION=2"


def test_a_branch_other_than_main_or_master_is_refused(daemon: Daemon, workdir: Path, app_name: str) -> None:
    source = repository_of("wsgi_basic", workdir)
    daemon.api("POST", "/apps", json={"name": app_name})
    git("remote", "add", "seaway", remote_with_token(daemon, app_name), cwd=source)
    refused = git("push", "seaway", "main:feature", cwd=source, check=False)
    assert refused.returncode != 0
    assert "git push seaway feature:main" in refused.stderr, refused.stderr
    assert daemon.api("GET", f"/apps/{app_name}/releases").json() == []


def test_a_wrong_token_is_refused_with_401_and_nothing_is_built(daemon: Daemon, workdir: Path, app_name: str) -> None:
    source = repository_of("wsgi_basic", workdir)
    daemon.api("POST", "/apps", json={"name": app_name})
    git("remote", "add", "seaway", remote_with_token(daemon, app_name, "not-the-token"), cwd=source)
    refused = git("push", "seaway", "main", cwd=source, check=False)
    assert refused.returncode != 0 and "Authentication failed" in refused.stderr, refused.stderr
    assert daemon.api("GET", f"/apps/{app_name}/releases").json() == []


def cli_git(daemon: Daemon, *args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """git as a user runs it after `seaway` set it up: the daemon's environment, no token in any URL."""
    return git(*args, cwd=cwd, env=daemon.env, check=check)


def test_create_adds_the_remote_and_a_push_needs_no_token_in_the_url(daemon: Daemon, workdir: Path,
                                                                    app_name: str) -> None:
    source = repository_of("wsgi_basic", workdir)
    created = daemon.cli("create", app_name, "--buildpack", "heroku/python", cwd=source)
    assert "Git remote seaway added" in created.stdout and "Ignoring --buildpack" in created.stderr
    assert cli_git(daemon, "remote", "get-url", "seaway", cwd=source).stdout.strip() == \
        f"{daemon.api_url}/git/{app_name}.git"
    pushed = cli_git(daemon, "push", "seaway", "main", cwd=source)
    assert "remote: -----> " in pushed.stderr
    assert daemon.get(app_name).text.strip() == "basic VERSION=1"
    assert daemon.cli("ps", cwd=source).stdout.count("web.1") == 1  # the app found from the `seaway` remote

    clone = workdir / "fresh"
    cli_git(daemon, "clone", "-q", str(source), str(clone), cwd=workdir)
    linked = daemon.cli("git:remote", "-a", app_name, cwd=clone)
    assert f"set git remote seaway to {daemon.api_url}/git/{app_name}.git" in linked.stdout
    assert app_name in daemon.cli("releases", cwd=clone).stdout

    cloned = daemon.cli("git:clone", "-a", app_name, str(workdir / "cloned"), cwd=workdir)
    assert cloned.returncode == 0 and (workdir / "cloned" / "app.py").is_file()


def test_remotes_pick_apps_from_one_repository(daemon: Daemon, workdir: Path, app_name: str) -> None:
    source = repository_of("wsgi_basic", workdir)
    staging, prod = f"{app_name[:24]}-stg", f"{app_name[:24]}-prd"
    daemon.cli("create", staging, "--remote", "staging", cwd=source)
    daemon.cli("create", prod, "--remote", "prod", cwd=source)
    cli_git(daemon, "push", "staging", "main", cwd=source)
    daemon.cli("config:set", "GREETING=hello", "--remote", "staging", cwd=source)
    assert daemon.cli("config:get", "GREETING", "-r", "staging", cwd=source).stdout.strip() == "hello"
    missing = daemon.cli("config:get", "GREETING", "-r", "prod", cwd=source, check=False)
    assert missing.returncode != 0 and "No config var named GREETING" in missing.stderr
    ambiguous = daemon.cli("releases", cwd=source, check=False)
    assert ambiguous.returncode != 0 and "several Seaway remotes" in ambiguous.stderr


def test_deploy_in_a_git_work_tree_deploys_the_committed_tree(daemon: Daemon, workdir: Path, app_name: str) -> None:
    source = repository_of("wsgi_basic", workdir)
    daemon.cli("create", app_name, cwd=source)
    sha = commit_version(source, 2, "Version two")
    app_py = source / "app.py"
    app_py.write_text(app_py.read_text().replace('VERSION = "2"', 'VERSION = "uncommitted"'))
    deployed = daemon.cli("deploy", cwd=source)
    assert "uncommitted changes" in deployed.stderr and f"Uploading {sha[:7]} (Version two)" in deployed.stdout
    assert daemon.get(app_name).text.strip() == "basic VERSION=2"
    info = daemon.cli("releases:info", cwd=source).stdout
    assert f"Deploy {sha[:7]}" in info and f"{sha} Version two" in info

    daemon.cli("deploy", "--include-uncommitted", cwd=source)
    assert daemon.get(app_name).text.strip() == "basic VERSION=uncommitted"
    newest = json.loads(daemon.cli("releases", "--json", cwd=source).stdout)[0]
    assert newest["description"] == f"Deploy {sha[:7]} with uncommitted changes"


def test_login_stores_the_token_and_git_pushes_with_it(daemon: Daemon, workdir: Path, app_name: str) -> None:
    source = repository_of("wsgi_basic", workdir)
    outside = {"SEAWAY_HOME": str(workdir / "elsewhere")}  # a client machine: not the daemon's home
    refused = daemon.cli("login", "--url", daemon.api_url, "--token", "wrong", env=outside, check=False)
    assert refused.returncode != 0 and "refused that token" in refused.stderr
    daemon.cli("login", "--url", daemon.api_url, "--token", daemon.token, env=outside)
    assert daemon.cli("auth:token", env=outside).stdout.strip() == daemon.token
    assert "admin" in daemon.cli("auth:whoami", env=outside).stdout
    daemon.cli("apps:create", app_name, env=outside, cwd=workdir)
    git("remote", "add", "seaway", f"{daemon.api_url}/git/{app_name}.git", cwd=source)  # plain git, no token
    git("push", "seaway", "main", cwd=source, env={**daemon.env, **outside})
    assert daemon.get(app_name).text.strip() == "basic VERSION=1"
    daemon.cli("logout", env=outside)
    assert daemon.cli("auth:token", env=outside, check=False).returncode != 0


def test_force_push_of_an_older_commit_shallow_clones_and_concurrent_pushes(daemon: Daemon, workdir: Path,
                                                                           app_name: str) -> None:
    source = repository_of("wsgi_basic", workdir)
    daemon.api("POST", "/apps", json={"name": app_name})
    git("remote", "add", "seaway", remote_with_token(daemon, app_name), cwd=source)
    first = git("rev-parse", "HEAD", cwd=source).stdout.strip()
    commit_version(source, 2, "Two")
    git("push", "seaway", "main", cwd=source)
    git("push", "-f", "seaway", f"{first}:refs/heads/main", cwd=source)
    assert daemon.get(app_name).text.strip() == "basic VERSION=1"

    shallow = workdir / "shallow"
    git("clone", "-q", "--depth", "1", f"file://{source}", str(shallow), cwd=workdir)
    git("remote", "add", "seaway", remote_with_token(daemon, app_name), cwd=shallow)
    commit_version(shallow, 3, "Three, from a shallow clone")
    git("push", "-f", "seaway", "main", cwd=shallow)
    assert daemon.get(app_name).text.strip() == "basic VERSION=3"

    commit_version(source, 3, "Three")
    commit_version(source, 4, "Four")
    pushes = [subprocess.Popen(["git", "push", "-f", "seaway", "main"], cwd=folder, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={"GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin"})
              for folder in (source, shallow)]
    errors = [push.communicate(timeout=600)[1] for push in pushes]
    assert 0 in [push.returncode for push in pushes]
    for push, error in zip(pushes, errors, strict=True):
        if push.returncode != 0:  # one after the other: a push that found the branch moved is refused, not mixed in
            assert "fetch first" in error, error
    served = daemon.get(app_name).text.strip()
    head = git("ls-remote", "seaway", "refs/heads/main", cwd=source).stdout.split()[0]
    assert served == f"basic VERSION={4 if head == git('rev-parse', 'HEAD', cwd=source).stdout.strip() else 3}"
