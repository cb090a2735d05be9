"""When the daemon runs as root, each app's builds and dynos run as the app's own system user."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon, copy_app

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="per-app users exist only when the daemon is root")


@pytest.fixture(scope="module")
def two_apps(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    digests = {}
    for name in ("iso-a", "iso-b"):
        source = copy_app("wsgi_basic", tmp_path_factory.mktemp(name))
        (source / "only-here.txt").write_text(f"{name}'s own file\n")  # a slug of its own
        daemon.cli("apps:create", name, cwd=source)
        daemon.cli("deploy", cwd=source)
        digests[name] = json.loads(daemon.cli("apps:info", "--json", cwd=source).stdout)["slug"]["digest"]
    return digests


def probe(daemon: Daemon, app: str, paths: list[Path]) -> dict[str, str]:
    """Which paths the app's one-off dyno can read (files) or list (folders)."""
    script = "; ".join(f"if [ -d '{p}' ]; then ls '{p}'; else cat '{p}'; fi >/dev/null 2>&1 "
                       f"&& echo 'READ {p}' || echo 'DENIED {p}'" for p in paths)
    out = daemon.cli("run", "-a", app, "--", script).stdout
    return {line.split(" ", 1)[1]: line.split(" ", 1)[0] for line in out.splitlines() if line[:5] in ("READ ", "DENIE")}


def test_dynos_run_as_the_apps_own_user(daemon: Daemon, two_apps: dict[str, str]) -> None:
    assert daemon.cli("run", "-a", "iso-a", "--", "id -un").stdout.splitlines()[-1] == "s-iso-a"
    assert daemon.get("iso-b", "/env").json()["HOME"] == "/app"  # as on Heroku
    owner, uid = daemon.cli("run", "-a", "iso-b", "--", "stat -c %u $HOME; id -u").stdout.splitlines()[-2:]
    assert owner == uid == str(__import__("pwd").getpwnam("s-iso-b").pw_uid)


def test_a_dyno_reads_neither_other_apps_nor_the_platform(daemon: Daemon, two_apps: dict[str, str]) -> None:
    home = daemon.home
    own = Path("/app/only-here.txt")  # its slug, as the dyno sees it
    theirs = home / "slugs" / two_apps["iso-b"] / "app" / "only-here.txt"
    forbidden = [theirs, home / "seaway.db", home / "credentials", home / "logs" / "iso-b.log",
                 home / "postgres" / "superuser-password", home / "postgres" / "server.log", home / "slugs",
                 home / "run" / "dynos" / "homes", home / "logs", home / "cache" / "apps" / "iso-b", home]
    seen = probe(daemon, "iso-a", [own, *forbidden])
    assert seen.pop(str(own)) == "READ"
    assert seen == {str(p): "DENIED" for p in forbidden}


def test_a_dyno_cannot_change_its_slug(daemon: Daemon, two_apps: dict[str, str]) -> None:
    """It may change its own view of the slug (Heroku's writable dyno filesystem), never the slug itself."""
    app_py = daemon.home / "slugs" / two_apps["iso-a"] / "app" / "app.py"
    before = app_py.read_bytes()
    result = daemon.cli("run", "-a", "iso-a", "--", "echo changed > app.py && echo CHANGED; touch new-file && "
                        "echo CREATED; echo done", check=False)
    lines = result.stdout.splitlines()
    assert "CHANGED" in lines and "CREATED" in lines and lines[-1] == "done"
    assert app_py.read_bytes() == before and not (app_py.parent / "new-file").exists()
    again = daemon.cli("run", "-a", "iso-a", "--", "head -c 3 app.py; echo; ls new-file", check=False).stdout.splitlines()
    assert again[-2] == before[:3].decode() and "No such file" in again[-1]


def test_destroying_an_app_takes_back_its_access(daemon: Daemon, tmp_path: Path) -> None:
    import pwd
    import subprocess

    source = copy_app("wsgi_basic", tmp_path)
    (source / "only-here.txt").write_text("iso-gone's own file\n")
    daemon.cli("apps:create", "iso-gone", cwd=source)
    daemon.cli("deploy", cwd=source)
    digest = json.loads(daemon.cli("apps:info", "--json", cwd=source).stdout)["slug"]["digest"]
    slug = daemon.home / "slugs" / digest
    uid = pwd.getpwnam("s-iso-gone").pw_uid

    def entries() -> str:
        return subprocess.run(["getfacl", "-Rnp", str(slug)], capture_output=True, text=True).stdout

    assert f"user:{uid}:rw-" in entries()  # it may change its files in its dynos' overlays
    daemon.cli("apps:destroy", "-a", "iso-gone", "--confirm", "iso-gone")
    assert f"user:{uid}:" not in entries()
    with pytest.raises(KeyError):
        pwd.getpwnam("s-iso-gone")
    assert not (daemon.home / "cache" / "apps" / "iso-gone").exists()
