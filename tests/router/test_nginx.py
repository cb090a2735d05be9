"""NginxRouter: the real nginx, started on a free loopback port, reloaded as routes change."""

from __future__ import annotations

import http.client
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seaway.dynos.local import free_port, port_open
from seaway.host import child_pids, process_alive
from seaway.router import AppRoute, NginxRouter, RouterError

pytestmark = pytest.mark.timeout(60)

NO_SUCH_APP = ("<!doctype html><title>No such app</title><h1>No such app</h1><p>Nothing on this Seaway router is "
               "named {host}. Run <code>seaway apps</code> to see your apps; their URLs are APP.localhost.</p>\n")


def get(port: int, host: str, path: str = "/") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


class Backend:
    """A tiny real HTTP server process answering with a fixed file."""

    def __init__(self, root: Path, text: str) -> None:
        root.mkdir(parents=True)
        (root / "index.html").write_text(text)
        self.address = ("127.0.0.1", free_port())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.address[1]), "--bind", "127.0.0.1", "--directory", str(root)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not port_open(self.address):
            assert self.process.poll() is None and time.monotonic() < deadline, "backend did not start"
            time.sleep(0.02)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def backends(tmp_path: Path) -> Iterator[list[Backend]]:
    started: list[Backend] = []
    yield started
    for backend in started:
        backend.close()


@pytest.fixture
def backend(tmp_path: Path, backends: list[Backend]) -> Backend:
    started = Backend(tmp_path / "site", "hello from the backend\n")
    backends.append(started)
    return started


@pytest.fixture
def routers() -> Iterator[list[NginxRouter]]:
    made: list[NginxRouter] = []
    yield made
    for router in reversed(made):
        router.stop()
        if router.process is not None and router.process.poll() is None:
            router.process.kill()
            router.process.wait()


@pytest.fixture
def router_dir() -> Iterator[Path]:
    # Not under pytest's base temp folder: pytest resets it to mode 0700 whenever a session starts, which takes
    # away the ACL entry that lets nginx's workers (www-data) reach their temp folders.
    base = Path(tempfile.mkdtemp(prefix="seaway-test-router-"))
    yield base / "router"
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def make_router(routers: list[NginxRouter], router_dir: Path, port: int):
    def make() -> NginxRouter:
        router = NginxRouter(router_dir, "127.0.0.1", port)
        routers.append(router)
        return router

    return make


@pytest.fixture
def router(make_router) -> NginxRouter:
    started = make_router()
    started.start([])
    return started


def nginx_pids(router: NginxRouter) -> set[int]:
    assert router.process is not None
    return {router.process.pid} | child_pids(router.process.pid)


def test_unknown_host_gets_a_clear_404(router: NginxRouter, port: int):
    status, body = get(port, "nope.localhost")
    assert status == 404
    assert body == NO_SUCH_APP.format(host="nope.localhost")


def test_master_runs_with_workers(router: NginxRouter, router_dir: Path):
    assert router.process is not None and router.process.poll() is None
    assert len(child_pids(router.process.pid)) >= 1
    assert (router_dir / "nginx.pid").read_text().strip() == str(router.process.pid)


def test_route_to_a_backend(router: NginxRouter, port: int, backend: Backend):
    router.update(AppRoute("myapp", [backend.address]))
    assert get(port, "myapp.localhost") == (200, "hello from the backend\n")
    assert get(port, "myapp.localhost:80") == (200, "hello from the backend\n")  # a port in Host does not matter
    assert get(port, "other.localhost")[0] == 404


def test_route_started_with(make_router, port: int, backend: Backend):
    router = make_router()
    router.start([AppRoute("myapp", [backend.address]), AppRoute("idle")])
    assert get(port, "myapp.localhost") == (200, "hello from the backend\n")
    status, body = get(port, "idle.localhost")
    assert status == 503
    assert "idle has no web dynos running (H14). Deploy it with <code>seaway deploy</code>" in body


def test_app_without_dynos_gets_503(router: NginxRouter, port: int):
    router.update(AppRoute("quiet"))
    status, body = get(port, "quiet.localhost")
    assert status == 503
    assert "quiet has no web dynos running" in body


def test_remove_route(router: NginxRouter, port: int, backend: Backend):
    router.update(AppRoute("myapp", [backend.address]))
    assert get(port, "myapp.localhost")[0] == 200
    router.update(remove="myapp")
    assert get(port, "myapp.localhost") == (404, NO_SUCH_APP.format(host="myapp.localhost"))


def test_update_moves_an_app_to_new_backends(router: NginxRouter, port: int, tmp_path: Path,
                                             backends: list[Backend]):
    old = Backend(tmp_path / "v1", "v1\n")
    new = Backend(tmp_path / "v2", "v2\n")
    backends += [old, new]
    router.update(AppRoute("myapp", [old.address]))
    assert get(port, "myapp.localhost") == (200, "v1\n")
    router.update(AppRoute("myapp", [new.address]))
    assert get(port, "myapp.localhost") == (200, "v2\n")


def test_reload_replaces_the_workers(router: NginxRouter, backend: Backend):
    before = child_pids(router.process.pid)
    master = router.process.pid
    router.update(AppRoute("myapp", [backend.address]))
    after = child_pids(router.process.pid)
    assert router.process.pid == master  # a graceful reload, not a restart
    assert after and not (after & before)  # update() returns once the old workers are gone


def test_rejected_update_keeps_the_previous_config(router: NginxRouter, router_dir: Path, port: int,
                                                   backend: Backend):
    router.update(AppRoute("myapp", [backend.address]))
    config = (router_dir / "nginx.conf").read_text()
    workers = child_pids(router.process.pid)
    with pytest.raises(RouterError, match="nginx refused the generated configuration"):
        router.update(AppRoute("broken", [("127.0.0.1", 70000)]))
    assert (router_dir / "nginx.conf").read_text() == config
    assert child_pids(router.process.pid) == workers  # no reload happened
    assert get(port, "myapp.localhost") == (200, "hello from the backend\n")
    assert get(port, "broken.localhost")[0] == 404
    # The refused route was forgotten: later updates do not carry it (and so do not fail).
    router.update(AppRoute("later"))
    assert "broken" not in (router_dir / "nginx.conf").read_text()
    assert get(port, "later.localhost")[0] == 503
    assert get(port, "myapp.localhost")[0] == 200


def test_rejected_removal_of_a_route_keeps_it(router: NginxRouter, port: int, backend: Backend):
    router.update(AppRoute("myapp", [backend.address]))
    with pytest.raises(RouterError):
        router.update(AppRoute("broken", [("127.0.0.1", 70000)]), remove="myapp")
    assert get(port, "myapp.localhost")[0] == 200
    router.update(AppRoute("later"))
    assert get(port, "myapp.localhost")[0] == 200


def test_stop_ends_master_and_workers(router: NginxRouter, port: int):
    pids = nginx_pids(router)
    assert len(pids) >= 2
    router.stop()
    assert router.process.poll() is not None
    deadline = time.monotonic() + 5
    while any(process_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(process_alive(pid) for pid in pids)
    assert not port_open(("127.0.0.1", port))
    router.stop()  # stopping twice is harmless


def test_leftover_nginx_is_taken_back_and_reloaded(make_router, port: int, backend: Backend):
    forgotten = make_router()
    forgotten.start([])  # then the daemon "dies": nobody calls stop()
    master = forgotten.process.pid
    assert get(port, "myapp.localhost")[0] == 404

    replacement = make_router()  # the next daemon's router: the nginx still serving is kept, with the new routes
    replacement.start([AppRoute("myapp", [backend.address])])
    assert replacement.process.pid == master and process_alive(master)
    assert replacement.process.poll() is None
    assert get(port, "myapp.localhost") == (200, "hello from the backend\n")


def test_leftover_check_ignores_a_pid_file_of_another_process(make_router, router_dir: Path, port: int):
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        router_dir.mkdir(parents=True)
        (router_dir / "nginx.pid").write_text(f"{sleeper.pid}\n")
        router = make_router()
        router.start([])
        assert sleeper.poll() is None  # not nginx: left alone
        assert get(port, "x.localhost")[0] == 404
    finally:
        sleeper.kill()
        sleeper.wait()


def test_start_on_a_busy_port_raises(make_router, port: int):
    import socket

    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", port))
        taken.listen()
        router = make_router()
        with pytest.raises(RouterError, match=f"port 127.0.0.1:{port} is taken by python"):
            router.start([])
