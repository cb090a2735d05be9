"""Dynos and builds in sandboxes (root): Heroku's writable, ephemeral dyno filesystem, and every attack
of the security review, each failing with nothing lost."""

from __future__ import annotations

import json
import os
import pwd
import re
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon, copy_app, dyno_processes, wait_for
from tests.sandbox.conftest import processes_of, tree_digest

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="sandboxes exist only when the daemon is root")


def slug_of(daemon: Daemon, app: str) -> Path:
    digest = json.loads(daemon.cli("apps:info", "-a", app, "--json").stdout)["slug"]["digest"]
    return daemon.home / "slugs" / digest


def attack(daemon: Daemon, app: str, *args: str) -> dict[str, str]:
    """Run attack.py in a one-off dyno of the attacker app; {attempt: "OK ..." / "FAILED ..."}."""
    out = daemon.cli("run", "-a", app, "--", "python3", "attack.py", *args).stdout
    found = {}
    for line in out.splitlines():
        status, _, rest = line.partition(" ")
        if status in ("OK", "FAILED"):
            what = rest.split(": ", 1)[0]
            found[what] = line
    return found


def upstreams(daemon: Daemon, app: str) -> list[str]:
    """The app's web dyno addresses, from the router's configuration."""
    conf = (daemon.home / "router" / "nginx.conf").read_text()
    block = re.search(r"upstream seaway_app_%s \{(.*?)\}" % app.replace("-", "_"), conf, re.S)
    assert block, conf
    return re.findall(r"server (\S+) max_fails", block.group(1))


@pytest.fixture(scope="module")
def attacker(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> str:
    source = copy_app("attacker", tmp_path_factory.mktemp("attacker"))
    daemon.cli("apps:create", "sbx-attacker", cwd=source)
    daemon.cli("deploy", cwd=source)
    return "sbx-attacker"


@pytest.fixture(scope="module")
def victim(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> str:
    source = copy_app("wsgi_basic", tmp_path_factory.mktemp("victim"))
    daemon.cli("apps:create", "sbx-victim", cwd=source)
    daemon.cli("addons:create", "postgresql", cwd=source)
    daemon.cli("deploy", cwd=source)
    return "sbx-victim"


# -- Heroku's dyno filesystem ---------------------------------------------------------------

def test_a_dyno_writes_into_its_own_copy_of_the_app(daemon: Daemon, tmp_path: Path) -> None:
    source = copy_app("writable_fs", tmp_path)
    daemon.cli("apps:create", "sbx-writable", cwd=source)
    daemon.cli("deploy", cwd=source)
    daemon.cli("ps:scale", "web=2", cwd=source)
    slug = slug_of(daemon, "sbx-writable")
    before = tree_digest(slug)
    assert daemon.get("sbx-writable").text.startswith("writable logs=True")  # logs/ made at import

    wrote = daemon.get("sbx-writable", "/write?name=report").text  # "wrote report on web.N"
    writer = wrote.split()[-1]
    answers: dict[str, str] = {}

    def both_dynos_answered() -> bool:
        text, dyno = _read(daemon)
        answers[dyno] = text
        return len(answers) >= 2

    wait_for(both_dynos_answered, timeout=30, interval=0)
    assert answers[writer].startswith("written by " + writer)
    other = next(dyno for dyno in answers if dyno != writer)
    assert answers[other].startswith("no report")  # no other dyno sees it

    daemon.get("sbx-writable", "/overwrite")
    shipped = {daemon.get("sbx-writable", "/shipped").text for _ in range(10)}
    assert any(text.startswith("overwritten by") for text in shipped)
    assert daemon.cli("run", "-a", "sbx-writable", "--", "cat shipped.txt").stdout.splitlines()[-1] == "as shipped"
    assert tree_digest(slug) == before  # the slug itself is as built

    daemon.cli("ps:restart", "-a", "sbx-writable")
    after = {_read(daemon)[0] for _ in range(10)}
    assert all(text.startswith("no report") for text in after)  # gone with the dynos that wrote it
    assert daemon.get("sbx-writable", "/shipped").text.startswith("as shipped")


def _read(daemon: Daemon) -> tuple[str, str]:
    """(answer, dyno) of one /read?name=report."""
    text = daemon.get("sbx-writable", "/read?name=report").text.strip()
    return text, text.split()[-1]


def test_processes_that_leave_their_session_die_with_the_dyno_and_the_app(daemon: Daemon, tmp_path: Path) -> None:
    source = copy_app("writable_fs", tmp_path)
    daemon.cli("apps:create", "sbx-survivor", cwd=source)
    daemon.cli("deploy", cwd=source)
    uid = pwd.getpwnam("s-sbx-survivor").pw_uid
    assert _sleepers(daemon) == 1
    daemon.cli("ps:restart", "-a", "sbx-survivor")
    wait_for(lambda: _sleepers(daemon) == 1 and len(dyno_processes(daemon, "sbx-survivor", "web")) == 4, timeout=30)
    daemon.cli("apps:destroy", "-a", "sbx-survivor", "--confirm", "sbx-survivor")
    wait_for(lambda: not processes_of(uid), timeout=30)
    with pytest.raises(KeyError):
        pwd.getpwnam("s-sbx-survivor")


def _sleepers(daemon: Daemon) -> int:
    """How many of sbx-survivor's `setsid sleep` processes run (one per web dyno)."""
    return sum(p.strip() == "sleep 1000" for p in dyno_processes(daemon, "sbx-survivor", "web"))


# -- the attacks ---------------------------------------------------------------------------

def test_a_dyno_cannot_poison_the_build_cache_or_a_slug(daemon: Daemon, attacker: str, tmp_path: Path) -> None:
    home = daemon.home
    targets = [f"{home}/cache/apps/{attacker}/venvs/*/lib/python3*/site-packages",
               f"{home}/cache/apps/{attacker}/builder/uv", f"{home}/slugs/*/app/.venv/lib/python3*/site-packages",
               "/app/.venv/lib/python3*/site-packages"]
    tried = attack(daemon, attacker, "write", *targets)
    assert all(line.startswith("FAILED") for line in tried.values()), tried
    # The same source built by another app: its slug runs nothing of the attacker's.
    source = copy_app("attacker", tmp_path)
    (source / "app.py").write_text((source / "app.py").read_text().replace("HIJACKED", "INNOCENT"))
    daemon.cli("apps:create", "sbx-same-source", cwd=source)
    daemon.cli("deploy", cwd=source)
    assert daemon.get("sbx-same-source").text == "INNOCENT\n"
    for app in (attacker, "sbx-same-source"):
        assert "POISONED" not in daemon.cli("logs", "-a", app, "-n", "500").stdout
    assert "POISONED" not in daemon.cli("run", "-a", "sbx-same-source", "--", "python3 -c 'print(1)'").stdout


def test_a_slug_is_shared_only_by_digest_of_every_file(daemon: Daemon, attacker: str) -> None:
    venv = slug_of(daemon, attacker) / "app" / ".venv"
    digests = list((daemon.home / "cache" / "apps" / attacker / "venvs").glob("*.sha256"))
    assert digests and venv.is_dir()
    from seaway.slugs.deps import venv_digest

    assert venv_digest(venv) in {path.read_text().strip() for path in digests}


def test_a_port_hijack_gets_no_traffic(daemon: Daemon, attacker: str, tmp_path: Path) -> None:
    source = copy_app("formation", tmp_path)
    daemon.cli("apps:create", "sbx-slow", cwd=source)
    daemon.cli("apps:settings", "boot_timeout=120", cwd=source)
    daemon.cli("config:set", "BOOT_DELAY=4", cwd=source)
    deploy = threading.Thread(target=daemon.cli, args=("deploy",), kwargs={"cwd": source})
    deploy.start()
    port = _victim_port(daemon, "sbx-slow", timeout=120)
    tried = attack(daemon, attacker, "hijack", port, "15")
    deploy.join(180)
    assert all(line.startswith("OK") for line in tried.values()), tried  # it may bind, in its own network only
    assert daemon.get("sbx-slow").text.startswith("formation DYNO=web.1")
    daemon.cli("ps:scale", "web=0", cwd=source)


def _victim_port(daemon: Daemon, app: str, timeout: float) -> str:
    """The PORT of the app's booting web dyno, read as root from its process's environment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if f"/{app}.web." not in Path(f"/proc/{pid}/cgroup").read_text():
                    continue
                for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                    if item.startswith(b"PORT="):
                        return item[5:].decode()
            except OSError:
                continue
        time.sleep(0.1)
    raise AssertionError(f"no booting web dyno of {app}")


def test_a_dyno_takes_none_of_the_platform_ports(daemon: Daemon, attacker: str, victim: str) -> None:
    pg_port = daemon.env["SEAWAY_POSTGRES_PORT"]
    tried = attack(daemon, attacker, "bind", str(daemon.router_port), str(daemon.api_port), pg_port)
    assert len(tried) == 9
    # Whatever it bound is in its own network: the router, the API and PostgreSQL still answer.
    assert daemon.get(victim).text.startswith("basic VERSION=1")
    assert daemon.api("GET", "/apps").status_code == 200
    assert daemon.cli("pg:psql", "-a", victim, "-c", "SELECT 42").stdout.split().count("42") == 1


def test_a_dyno_cannot_reach_another_apps_dynos_or_the_api(daemon: Daemon, attacker: str, victim: str) -> None:
    addresses = upstreams(daemon, victim)
    service = re.sub(r"\.\d+/\d+$", ".1", daemon.env["SEAWAY_DYNO_NETWORK"])
    port = addresses[0].rsplit(":", 1)[1]
    targets = [*addresses, f"127.0.0.1:{port}", f"127.0.0.1:{daemon.api_port}", f"{service}:{daemon.api_port}"]
    tried = attack(daemon, attacker, "connect", *targets)
    assert len(tried) == len(targets) and all(line.startswith("FAILED") for line in tried.values()), tried


def test_a_dyno_reads_none_of_the_routers_files(daemon: Daemon, attacker: str, victim: str) -> None:
    router = daemon.home / "router"
    daemon.get(victim)
    tried = attack(daemon, attacker, "read", str(router / "access.log"), str(router / "nginx.conf"))
    assert all(line.startswith("FAILED") for line in tried.values()), tried
    for path in (router / "access.log", router / "nginx.conf"):
        assert path.stat().st_mode & 0o077 == 0  # nor can any other user of the host


def test_a_build_sees_no_platform_secret_and_cannot_reach_the_api(daemon: Daemon, tmp_path: Path) -> None:
    source = copy_app("build_probe", tmp_path)
    daemon.cli("apps:create", "sbx-build-probe", cwd=source)
    service = re.sub(r"\.\d+/\d+$", ".1", daemon.env["SEAWAY_DYNO_NETWORK"])
    daemon.cli("config:set", f"PROBE_TARGETS=127.0.0.1:{daemon.api_port} {service}:{daemon.api_port}",
               "BUILD_VISIBLE=yes", cwd=source)
    failed = daemon.cli("deploy", cwd=source, check=False)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0 and "BUILD-ENV BUILD_VISIBLE=yes" in output, output  # the probe ran
    seen = [line for line in output.splitlines() if "BUILD-ENV " in line]
    assert not [line for line in seen if "SEAWAY_" in line], seen
    assert daemon.token not in output
    assert f"BUILD-UNREACHABLE 127.0.0.1:{daemon.api_port}" in output and f"BUILD-UNREACHABLE {service}:" in output
    assert "BUILD-REACHED" not in output


def test_pg_psql_puts_no_password_on_a_command_line(daemon: Daemon, victim: str) -> None:
    url = json.loads(daemon.cli("config", "-a", victim, "--json").stdout)["DATABASE_URL"]
    password = re.match(r"postgres://[^:]+:([^@]+)@", url).group(1)  # type: ignore[union-attr]
    seen: list[str] = []
    psql = threading.Thread(target=daemon.cli, args=("pg:psql", "-a", victim, "-c", "SELECT pg_sleep(3)"))
    psql.start()
    deadline = time.monotonic() + 10
    while psql.is_alive() and time.monotonic() < deadline:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"psql" in cmdline and b"pg_sleep" in cmdline:
                seen.append(cmdline.decode(errors="replace"))
        time.sleep(0.05)
    psql.join()
    assert seen and not any(password in line for line in seen)
