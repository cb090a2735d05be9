"""Logs on their own daemon: kept across deploys and restarts, bounded under a flood, and drained."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seaway.slugs.slug import remove_tree
from tests.e2e.conftest import _kill_leftovers, _outside_pytest_tmp
from tests.e2e.daemon import Daemon, copy_app, wait_for
from tests.e2e.receivers import RFC5424, HttpReceiver, SyslogReceiver, self_signed

MAX_LINES, RATE = 3000, 2000


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    path = _outside_pytest_tmp()
    yield path
    _kill_leftovers(path)
    remove_tree(path)


@pytest.fixture(scope="module")
def tls(folder: Path) -> tuple[Path, Path]:
    return self_signed(folder)


@pytest.fixture(scope="module")
def own(folder: Path, tls: tuple[Path, Path]) -> Iterator[Daemon]:
    """A daemon with a small log allowance and rate, trusting the test receivers' certificate."""
    daemon = Daemon(folder / "home")
    daemon.env.update(SEAWAY_LOG_MAX_LINES=str(MAX_LINES), SEAWAY_LOG_RATE=str(RATE), SEAWAY_DRAIN_CA_FILE=str(tls[0]))
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def app(own: Daemon, folder: Path) -> Path:
    source = copy_app("wsgi_basic", folder)
    own.cli("apps:create", "logged", cwd=source)
    own.cli("deploy", cwd=source)
    return source


def log(daemon: Daemon, source: Path, *args: str) -> str:
    return daemon.cli("logs", "-n", str(MAX_LINES), *args, cwd=source).stdout


def test_logs_survive_a_deploy_and_a_daemon_restart_and_tail_follows_through(own: Daemon, app: Path) -> None:
    own.get("logged", "/before-deploy")
    wait_for(lambda: 'path="/before-deploy"' in log(own, app, "--source", "router"), timeout=10)
    follower = subprocess.Popen([sys.executable, "-m", "seaway", "logs", "-a", "logged", "-n", "0", "--tail"],
                                env=own.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        (app / "app.py").write_text((app / "app.py").read_text().replace('VERSION = "1"', 'VERSION = "2"'))
        own.cli("deploy", cwd=app)
        own.stop()
        own.start()
        wait_for(lambda: own.get("logged", "/after-restart").text.startswith("basic VERSION=2"), timeout=30)
        wait_for(lambda: 'path="/after-restart"' in log(own, app, "--source", "router"), timeout=10)
        history = log(own, app)
        assert 'path="/before-deploy"' in history and "Release v1 created" in history and "Release v2 is live" in history
        assert 'path="/after-restart"' in history
        assert history.count('path="/before-deploy"') == 1
        time.sleep(2)  # the follower reconnects within a second or so
    finally:
        follower.terminate()
        out, err = follower.communicate(timeout=10)
    assert "Release v2 is live" in out and 'path="/after-restart"' in out  # across the deploy and the restart
    assert "went away" in err and "reconnected" in err
    assert len(out.splitlines()) == len(set(out.splitlines()))  # nothing shown twice after reconnecting


def rss_kb(pid: int) -> int:
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())[1])  # type: ignore[index]


def test_a_flood_is_bounded_and_does_not_block_the_dyno(own: Daemon, app: Path) -> None:
    assert own.process is not None
    before = rss_kb(own.process.pid)
    own.cli("run:detached", "-a", "logged", "--",
            "yes 0123456789012345678901234567890123456789 | head -n 3000000; echo flood-finished")
    wait_for(lambda: re.search(r"seaway\[run\.\d+\]: Process exited with status 0", log(own, app, "--source", "seaway")),
             timeout=300, interval=1)  # the dyno was never blocked by the log: it printed everything and ended
    history = log(own, app)
    assert "Error L12 (Local buffer overflow)" in history
    dropped = sum(int(n) for n in re.findall(r"L12 \(Local buffer overflow\): (\d+) lines", history))
    # dropped and counted, some kept (at most RATE a second: tests/dynos/test_flood.py shows the rate itself,
    # which a wall-clock allowance here would make depend on the machine's speed)
    assert 0 < dropped < 3_000_000
    segments = list((own.home / "logs" / "logged").glob("*.log"))
    on_disk = sum(path.read_bytes().count(b"\n") for path in segments)
    assert len(segments) <= 10 and on_disk <= MAX_LINES
    assert rss_kb(own.process.pid) - before < 60_000  # flat: what the dyno printed is not held in memory
    assert own.get("logged", "/").status_code == 200


def test_syslog_tls_drain_gets_lines_in_rfc5424(own: Daemon, app: Path, tls: tuple[Path, Path]) -> None:
    receiver = SyslogReceiver(tls=tls)
    url = f"syslog+tls://localhost:{receiver.port}"
    try:
        own.cli("drains:add", url, cwd=app)
        own.get("logged", "/drained-tls")
        wait_for(lambda: receiver.containing('path="/drained-tls"'), timeout=15)
        message = receiver.containing('path="/drained-tls"')[0]
        pri, stamp, host, appname, procid, msgid, sd, text = RFC5424.match(message).groups()  # type: ignore[union-attr]
        assert (pri, host, appname, procid, msgid, sd) == ("190", "logged", "router", "-", "-", "-")
        assert stamp.endswith("+00:00") and text.startswith("at=info method=GET")
        drains = json.loads(own.cli("drains", "--json", cwd=app).stdout)
        assert drains[0]["url"] == url and drains[0]["state"] == "ok" and drains[0]["delivered"] > 0
        assert drains[0]["token"].startswith("d.")
    finally:
        own.cli("drains:remove", url, cwd=app)
        receiver.close()
    assert json.loads(own.cli("drains", "--json", cwd=app).stdout) == []


def test_a_drain_that_is_down_is_retried_reported_and_caught_up(own: Daemon, app: Path) -> None:
    probe = SyslogReceiver()
    port = probe.port
    probe.close()  # nothing listens there now
    url = f"syslog://127.0.0.1:{port}"
    own.cli("drains:add", url, cwd=app)
    try:
        own.get("logged", "/while-down")
        try:
            wait_for(lambda: json.loads(own.cli("drains", "--json", cwd=app).stdout)[0]["state"] == "retrying", timeout=15)
        except AssertionError:
            raise AssertionError(own.cli("drains", "--json", cwd=app).stdout + log(own, app)[-3000:]) from None
        status = json.loads(own.cli("drains", "--json", cwd=app).stdout)[0]
        assert "Connection" in status["last_error"] and status["buffered"] > 0
        assert f"Error L10: drain {url} cannot take lines" in log(own, app, "--source", "seaway")
        table = own.cli("drains", cwd=app).stdout
        assert "syslog://127.0.0.1" in table and "retrying" in table
        # the app never waits: it answers (within the client's generous time-out) while the drain is still down,
        # which it stays until the receiver below starts
        assert own.get("logged", "/").status_code == 200
        assert json.loads(own.cli("drains", "--json", cwd=app).stdout)[0]["state"] == "retrying"
        receiver = SyslogReceiver(port=port)
        try:
            wait_for(lambda: receiver.containing('path="/while-down"'), timeout=45)  # backoff is at most 30 s
            wait_for(lambda: json.loads(own.cli("drains", "--json", cwd=app).stdout)[0]["state"] == "ok", timeout=10)
        finally:
            receiver.close()
    finally:
        own.cli("drains:remove", url, cwd=app)


def test_https_drain_posts_logplex_batches(own: Daemon, app: Path) -> None:
    receiver = HttpReceiver()
    url = f"http://127.0.0.1:{receiver.port}/logs"
    try:
        own.cli("drains:add", url, cwd=app)
        own.get("logged", "/drained-http")
        wait_for(lambda: receiver.containing('path="/drained-http"'), timeout=15)
        headers = receiver.requests[-1]
        assert headers["Content-Type"] == "application/logplex-1" and headers["Logplex-Drain-Token"].startswith("d.")
        assert int(headers["Logplex-Msg-Count"]) >= 1
    finally:
        own.cli("drains:remove", url, cwd=app)
        receiver.close()


def test_bad_drain_urls_are_refused_clearly(own: Daemon, app: Path) -> None:
    bad = own.cli("drains:add", "ftp://example.com", cwd=app, check=False)
    assert bad.returncode == 1 and "use syslog://HOST:PORT" in bad.stderr
    missing = own.cli("drains:remove", "syslog://nowhere:1", cwd=app, check=False)
    assert missing.returncode == 1 and "has no drain syslog://nowhere:1" in missing.stderr
