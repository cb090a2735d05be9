"""The router's folder and files (every app's hostnames, dyno addresses, paths, client addresses) are the daemon's
and nginx's only: checked on a real nginx after requests and an access-log rotation, which nginx follows by reopening."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from seaway.logs import LogStore
from seaway.router import AppRoute, NginxRouter, accesslog

pytestmark = pytest.mark.timeout(60)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b"hello\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backend() -> Iterator[tuple[str, int]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[:2]
    server.shutdown()
    server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def router(logs: LogStore) -> Iterator[NginxRouter]:
    # Not under pytest's base temp folder: pytest resets it to 0700 at each session, taking away nginx's ACL entry.
    base = Path(tempfile.mkdtemp(prefix="seaway-test-router-"))
    started = NginxRouter(base / "router", "127.0.0.1", free_port(), logs=logs)
    try:
        started.start([])
        yield started
    finally:
        started.stop()
        shutil.rmtree(base, ignore_errors=True)


def get(router: NginxRouter, host: str, path: str) -> int:
    host_name, port = router.listen.split(":")
    connection = http.client.HTTPConnection(host_name, int(port), timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_until(condition, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


def router_line_count(logs: LogStore, app: str) -> int:
    return sum(" router: " in line for line in logs.tail(app, 10_000))


def acl_entries(path: Path) -> set[str]:
    listed = subprocess.run(["getfacl", "--omit-header", "--absolute-names", str(path)], capture_output=True,
                            text=True, check=True).stdout
    return {line.split("#")[0].strip() for line in listed.splitlines() if line.strip()}


def assert_folder_is_private(router: NginxRouter) -> None:
    """0700; when root, nginx's workers also get search (x) through an ACL entry of their own, and nothing else.
    (With an ACL, stat's group bits are the ACL mask: --x for that one entry; the folder's group has nothing.)"""
    folder = router.directory
    mode = stat.S_IMODE(folder.stat().st_mode)
    assert mode & 0o007 == 0, oct(mode)
    if router.user is None:
        assert mode == 0o700, oct(mode)
        return
    if shutil.which("getfacl") is None:
        pytest.skip("no getfacl to read the ACL with")
    assert acl_entries(folder) == {"user::rwx", f"user:{router.user.name}:--x", "group::---", "mask::--x",
                                   "other::---"}


def test_folder_and_files_are_private_through_requests_and_a_rotation(router: NginxRouter, logs: LogStore, backend,
                                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(accesslog, "ROTATE_BYTES", 2000)  # about 10 records
    router.update(AppRoute("secret-app", [backend], dynos={f"{backend[0]}:{backend[1]}": "web.1"}))
    access_log = router.directory / "access.log"
    first = access_log.stat().st_ino
    for n in range(20):
        assert get(router, "secret-app.localhost", f"/private/{n}") == 200
    wait_until(lambda: router_line_count(logs, "secret-app") == 20, "the first 20 router lines")
    wait_until(lambda: access_log.stat().st_ino != first, "the access log's rotation")
    # nginx reopened the new file (SIGUSR1) and appends to it: these records land there.
    for n in range(5):
        assert get(router, "secret-app.localhost", f"/after/{n}") == 200
    wait_until(lambda: access_log.stat().st_size > 0, "records in the new access log")
    wait_until(lambda: router_line_count(logs, "secret-app") == 25, "the router lines after the rotation")

    assert_folder_is_private(router)
    files = {path.name: path.stat() for path in router.directory.iterdir() if path.is_file()}
    assert {"nginx.conf", "access.log", "error.log", "nginx.out", "nginx.pid"} <= set(files)
    assert {name: oct(stat.S_IMODE(info.st_mode)) for name, info in files.items()} == {
        name: oct(0o600) for name in files}
    if router.user is not None:  # a root nginx gives a reopened log to its workers' user, and keeps its mode
        assert files["access.log"].st_uid == router.user.uid
    assert get(router, "secret-app.localhost", "/still") == 200


def test_a_rejected_configuration_candidate_is_private_too(router: NginxRouter):
    from seaway.router import RouterError

    with pytest.raises(RouterError):
        router.update(AppRoute("broken", [("127.0.0.1", 70000)]))
    assert stat.S_IMODE((router.directory / "nginx.new").stat().st_mode) == 0o600


def test_files_left_world_readable_by_an_older_version_are_closed_at_start(logs: LogStore):
    base = Path(tempfile.mkdtemp(prefix="seaway-test-router-"))
    folder = base / "router"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o711)
    for name in ("error.log", "nginx.out", "access.log", "nginx.conf"):
        (folder / name).write_text("from before\n")
        (folder / name).chmod(0o644)
    router = NginxRouter(folder, "127.0.0.1", free_port(), logs=logs)
    try:
        router.start([])
        assert get(router, "nobody.localhost", "/") == 404
        assert_folder_is_private(router)
        for name in ("error.log", "nginx.out", "access.log", "nginx.conf"):
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    finally:
        router.stop()
        shutil.rmtree(base, ignore_errors=True)
