"""Router lines and body limits: render_config(access_log=...) checked as text and with `nginx -t`, then end to end
through a real NginxRouter writing into a real LogStore."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from seaway.dynos.local import free_port
from seaway.logs import LogStore
from seaway.router import AppRoute, NginxRouter, accesslog
from seaway.router.config import render_config
from seaway.router.logline import RECORD_FIELDS
from tests.router.test_config import LISTEN, needs_nginx, nginx_test, server_block

pytestmark = pytest.mark.timeout(60)

LOG_TO = "/var/seaway/router/access.log seaway_router buffer=64k flush=500ms"
ACCESS_LOG = f"access_log {LOG_TO};"
# What each of logline.FIELDS is in nginx's terms.
VARIABLES = {"app": "$seaway_app", "code": "$seaway_code", "method": "$request_method", "path": "$request_uri",
             "host": "$host", "request_id": "$seaway_request_id", "fwd": "$seaway_forwarded_for",
             "upstream": "$upstream_addr", "connect": "$upstream_connect_time", "service": "$upstream_response_time",
             "request_time": "$request_time", "status": "$status", "bytes": "$bytes_sent", "protocol": "$seaway_forwarded_proto",
             "msec": "$msec"}


def block(text: str, opening: str) -> str:
    """The `{ ... }` block that starts at `opening` (braces balanced)."""
    start = text.index(opening)
    depth, position = 0, text.index("{", start)
    while True:
        char = text[position]
        depth += char == "{"
        depth -= char == "}"
        position += 1
        if depth == 0:
            return text[start:position]


@pytest.fixture
def routes() -> list[AppRoute]:
    return [
        AppRoute("web-app", [("127.0.0.1", 5001), ("127.0.0.1", 5002)], domains=("www.example.com", "example.org"),
                 max_body_mb=1, dynos={"127.0.0.1:5001": "web.1", "127.0.0.1:5002": "web.2"}),
        AppRoute("idle-app", max_body_mb=0),
        AppRoute("plain"),
    ]


# -- the configuration as text ----------------------------------------------------------------------------------

def test_log_format_fields_are_the_parsers_fields(tmp_path: Path):
    """The record nginx writes and the record parse_record reads must agree field by field."""
    config = render_config([], tmp_path, LISTEN, None, access_log=LOG_TO)
    log_format = config[config.index("log_format seaway_router"):].split(";", 1)[0]
    assert "escape=json" in log_format
    pieces = re.split(r"\t|\\t", "".join(re.findall(r"'([^']*)'", log_format)))  # a tab, or nginx's \t
    assert pieces == [VARIABLES[name] for name in RECORD_FIELDS]


def test_each_app_logs_its_requests_to_the_access_log(tmp_path: Path, routes: list[AppRoute]):
    config = render_config(routes, tmp_path, LISTEN, None, access_log=LOG_TO)
    for name, hosts in (("web-app", "web-app.localhost www.example.com example.org"),
                        ("idle-app", "idle-app.localhost"), ("plain", "plain.localhost")):
        server = server_block(config, hosts)
        assert server.count(ACCESS_LOG) == 1, name
        assert f"set $seaway_app {name};" in server
        assert 'set $seaway_code "";' in server
    assert config.count(ACCESS_LOG) == 3


def test_unknown_hosts_are_not_logged(tmp_path: Path, routes: list[AppRoute]):
    config = render_config(routes, tmp_path, LISTEN, None, access_log=LOG_TO)
    http_level = config[:config.index("    server {")]
    assert "    access_log off;" in http_level
    default = block(config, f"server {{\n        listen {LISTEN} default_server;")
    assert "access_log" not in default
    assert 'set $seaway_app "";' in default


def test_without_an_access_log_nothing_is_logged(tmp_path: Path, routes: list[AppRoute]):
    config = render_config(routes, tmp_path, LISTEN, None)
    assert "access_log /" not in config
    for hosts in ("web-app.localhost www.example.com example.org", "idle-app.localhost", "plain.localhost"):
        assert "access_log off;" in server_block(config, hosts)


def test_body_limit_follows_the_route(tmp_path: Path, routes: list[AppRoute]):
    config = render_config(routes, tmp_path, LISTEN, None, access_log=LOG_TO)
    web = server_block(config, "web-app.localhost www.example.com example.org")
    assert "client_max_body_size 1m;" in web
    assert "larger than web-app accepts (1 MB)" in web
    assert "max_body_size=MEGABYTES -a web-app" in web
    assert "client_max_body_size 100m;" in server_block(config, "plain.localhost")  # the default
    assert "larger than plain accepts (100 MB)" in server_block(config, "plain.localhost")
    idle = server_block(config, "idle-app.localhost")
    assert "client_max_body_size 0m;" in idle  # nginx: 0 is no limit
    assert "(no limit)" in idle


def test_app_without_dynos_is_h14(tmp_path: Path, routes: list[AppRoute]):
    idle = server_block(render_config(routes, tmp_path, LISTEN, None, access_log=LOG_TO), "idle-app.localhost")
    location = block(idle, "location / {")
    assert "set $seaway_code H14;" in location
    assert "return 503" in location


def test_named_locations_set_their_codes(tmp_path: Path, routes: list[AppRoute]):
    web = server_block(render_config(routes, tmp_path, LISTEN, None, access_log=LOG_TO),
                       "web-app.localhost www.example.com example.org")
    h12, h10 = block(web, "location @h12 {"), block(web, "location @h10 {")
    assert "set $seaway_code H12;" in h12 and "return 503" in h12 and "(H12)" in h12
    assert "set $seaway_code H10;" in h10 and "return 503" in h10 and "(H10)" in h10
    root = block(web, "location / {")
    assert "error_page 504 = @h12;" in root
    assert "error_page 502 = @h10;" in root


def test_too_large_page_is_used_inside_the_proxied_location(tmp_path: Path, routes: list[AppRoute]):
    """error_page in `location /` replaces the server's error_page list, so 413 must be named there again."""
    web = server_block(render_config(routes, tmp_path, LISTEN, None, access_log=LOG_TO),
                       "web-app.localhost www.example.com example.org")
    assert "error_page 413 @too_large;" in block(web, "location / {")
    too_large = block(web, "location @too_large {")
    assert "return 413" in too_large and "Request too large" in too_large


@needs_nginx
def test_nginx_accepts_the_config_with_logging(tmp_path: Path, routes: list[AppRoute]):
    routes = routes + [AppRoute(f"app-{i}", [("127.0.0.1", 6000 + i)], max_body_mb=i) for i in range(5)]
    log_to = LOG_TO.replace("/var/seaway/router", str(tmp_path))
    result = nginx_test(render_config(routes, tmp_path, LISTEN, None, workers=1, access_log=log_to), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


# -- end to end: real nginx, real backend, real LogStore ----------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(1.5)
        self._answer(b"hello\n")

    def do_POST(self) -> None:
        size = len(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        self._answer(f"got {size} bytes\n".encode())

    def _answer(self, body: bytes) -> None:
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # nginx gave up on a slow answer
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[tuple[str, int]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[:2]
    server.shutdown()
    server.server_close()


@pytest.fixture
def hangup_backend() -> Iterator[tuple[str, int]]:
    """Accepts a connection, reads the request, closes without a word (H13)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[:2]
    stop.set()
    thread.join(2)
    listener.close()


@pytest.fixture(scope="module")
def router_dir() -> Iterator[Path]:
    # Not under pytest's base temp folder (mode 0700): nginx's workers (www-data when root) must reach it.
    base = Path(tempfile.mkdtemp(prefix="seaway-test-router-"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LogStore]:
    """One log store for the module: every test routes apps of its own names."""
    store = LogStore(tmp_path_factory.mktemp("router-logs"))
    yield store
    store.close()


@pytest.fixture(scope="module")
def routers() -> Iterator[list[NginxRouter]]:
    made: list[NginxRouter] = []
    yield made
    for router in made:
        router.stop()


@pytest.fixture(scope="module")
def make_router(routers: list[NginxRouter], router_dir: Path, logs: LogStore):
    def make(routes: list[AppRoute] | None = None) -> NginxRouter:
        router = NginxRouter(router_dir / f"router-{len(routers)}", "127.0.0.1", free_port(), logs=logs)
        routers.append(router)
        router.start(routes or [])
        return router

    return make


@pytest.fixture(scope="module")
def router(make_router) -> NginxRouter:
    """One real nginx for the module, started with no routes; tests add theirs with update()."""
    return make_router()


def request(router: NginxRouter, host: str, path: str = "/", method: str = "GET", body: bytes | None = None,
            request_id: str | None = None) -> tuple[int, str, str]:
    """(status, body, request id) of one request through the router."""
    request_id = request_id or uuid.uuid4().hex
    host_name, port = router.listen.split(":")
    connection = http.client.HTTPConnection(host_name, int(port), timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Host": host, "X-Request-ID": request_id})
        response = connection.getresponse()
        return response.status, response.read().decode(), request_id
    finally:
        connection.close()


def router_lines(logs: LogStore, app: str, count: int, timeout: float = 5.0) -> list[str]:
    """The app's router lines, once there are `count`; then a moment more, to see that no more come."""
    deadline = time.monotonic() + timeout
    while len(found := [line.split(" router: ", 1)[1] for line in logs.tail(app, 1000) if " router: " in line]) < count:
        assert time.monotonic() < deadline, f"{len(found)} router lines of {count}: {found}"
        time.sleep(0.02)
    time.sleep(0.2)
    again = [line.split(" router: ", 1)[1] for line in logs.tail(app, 1000) if " router: " in line]
    assert again == found, "more router lines than requests"
    return found


def the_line(lines: list[str], request_id: str) -> str:
    matching = [line for line in lines if f" request_id={request_id} " in line]
    assert len(matching) == 1, (request_id, lines)
    return matching[0]


@needs_nginx
def test_one_router_line_per_request_naming_the_dyno(router: NginxRouter, logs: LogStore, backend):
    router.update(AppRoute("myapp", [backend], dynos={f"{backend[0]}:{backend[1]}": "web.1"}))
    answers = [request(router, "myapp.localhost", f"/hello/{n}?x={n}") for n in range(3)]
    assert all(status == 200 and body == "hello\n" for status, body, _ in answers)
    lines = router_lines(logs, "myapp", 3)
    for n, (_, _, request_id) in enumerate(answers):
        assert re.fullmatch(
            rf'at=info method=GET path="/hello/{n}\?x={n}" host=myapp.localhost request_id={request_id} '
            r'fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=\d+ms status=200 bytes=\d+ protocol=http',
            the_line(lines, request_id)), lines


@needs_nginx
def test_apps_get_their_own_router_lines(router: NginxRouter, logs: LogStore, backend):
    router.update(AppRoute("one", [backend], dynos={f"{backend[0]}:{backend[1]}": "web.1"}))
    router.update(AppRoute("two", [backend], dynos={f"{backend[0]}:{backend[1]}": "web.7"}))
    _, _, first = request(router, "one.localhost", "/a")
    _, _, second = request(router, "two.localhost", "/b")
    assert request(router, "nobody.localhost")[0] == 404  # the default server logs nothing
    assert 'path="/a"' in the_line(router_lines(logs, "one", 1), first)
    assert " dyno=web.7 " in the_line(router_lines(logs, "two", 1), second)
    assert not (logs.folder / "nobody").exists() and not (logs.folder / "nobody.localhost").exists()


@needs_nginx
def test_unknown_dyno_is_named_by_its_address(router: NginxRouter, logs: LogStore, backend):
    router.update(AppRoute("nameless", [backend]))
    _, _, request_id = request(router, "nameless.localhost")
    assert f" dyno={backend[0]}:{backend[1]} " in the_line(router_lines(logs, "nameless", 1), request_id)


@needs_nginx
def test_the_dyno_that_answered_is_named_when_another_was_tried_first(router: NginxRouter, logs: LogStore, backend):
    dead = ("127.0.0.1", free_port())
    router.update(AppRoute("retried", [dead, backend],
                           dynos={f"{dead[0]}:{dead[1]}": "web.1", f"{backend[0]}:{backend[1]}": "web.2"}))
    answers = [request(router, "retried.localhost", f"/{n}") for n in range(4)]  # round robin: some try web.1 first
    assert [status for status, _, _ in answers] == [200] * 4
    for line in router_lines(logs, "retried", 4):
        assert re.search(r" dyno=web\.2 connect=\d+ms service=\d+ms status=200 ", line), line
    # nginx did try the dead one (the records said "dead, live"), and the line names the live one.
    assert f'upstream: "http://{dead[0]}:{dead[1]}/' in (router.directory / "error.log").read_text()


@needs_nginx
@pytest.mark.parametrize("failing", ["dead", "hangs_up"])
def test_standby_dynos_answer_what_the_new_one_cannot(router: NginxRouter, logs: LogStore, backend, hangup_backend,
                                                       failing: str):
    """Under a release watch the previous release's dynos are nginx's backup servers: a request the new
    dyno refuses or hangs up on is answered by them."""
    new = ("127.0.0.1", free_port()) if failing == "dead" else hangup_backend
    router.update(AppRoute("watched", [new], standby=[backend],
                           dynos={f"{new[0]}:{new[1]}": "web.1", f"{backend[0]}:{backend[1]}": "web.1"}))
    assert [request(router, "watched.localhost", f"/{n}")[0] for n in range(4)] == [200] * 4


@needs_nginx
def test_standby_dynos_serve_alone_when_no_new_one_is_up(router: NginxRouter, backend):
    router.update(AppRoute("watched", [], standby=[backend], crashed=True))
    assert request(router, "watched.localhost")[0] == 200


def test_standby_dynos_are_backup_servers(tmp_path: Path):
    config = render_config([AppRoute("w", [("127.0.0.1", 5001)], standby=[("127.0.0.1", 5002)])], tmp_path, LISTEN, None)
    assert "server 127.0.0.1:5001 max_fails=0;" in config and "server 127.0.0.1:5002 max_fails=0 backup;" in config


@needs_nginx
def test_app_without_dynos_logs_h14(router: NginxRouter, logs: LogStore):
    router.update(AppRoute("idle"))
    status, body, request_id = request(router, "idle.localhost", "/anything")
    assert status == 503 and "idle has no web dynos running" in body
    assert re.fullmatch(
        rf'at=error code=H14 desc="No web processes running" method=GET path="/anything" host=idle.localhost '
        rf'request_id={request_id} fwd="127\.0\.0\.1" dyno= connect= service= status=503 bytes=\d+ protocol=http',
        the_line(router_lines(logs, "idle", 1), request_id))


@needs_nginx
def test_unreachable_dyno_logs_h10(router: NginxRouter, logs: LogStore):
    dead = ("127.0.0.1", free_port())
    router.update(AppRoute("crashed", [dead], dynos={f"{dead[0]}:{dead[1]}": "web.1"}))
    status, body, request_id = request(router, "crashed.localhost")
    assert status == 503 and "crashed is not answering (H10)" in body
    line = the_line(router_lines(logs, "crashed", 1), request_id)
    assert line.startswith('at=error code=H10 desc="App crashed" method=GET path="/" ')
    assert re.search(r" dyno=web\.1 connect= service=\d+ms status=503 ", line), line


@needs_nginx
def test_dyno_that_hangs_up_logs_h13(router: NginxRouter, logs: LogStore, hangup_backend):
    address = f"{hangup_backend[0]}:{hangup_backend[1]}"
    router.update(AppRoute("rude", [hangup_backend], dynos={address: "web.1"}))
    status, _, request_id = request(router, "rude.localhost")
    assert status == 503
    line = the_line(router_lines(logs, "rude", 1), request_id)
    assert line.startswith('at=error code=H13 desc="Connection closed without response" ')
    assert re.search(r" dyno=web\.1 connect=\d+ms service=\d+ms status=503 ", line), line


@needs_nginx
def test_slow_dyno_logs_h12(router: NginxRouter, logs: LogStore, backend):
    router.update(AppRoute("slow", [backend], read_timeout=1, dynos={f"{backend[0]}:{backend[1]}": "web.1"}))
    status, body, request_id = request(router, "slow.localhost", "/slow")
    assert status == 503 and "did not answer within 1 seconds (H12)" in body
    line = the_line(router_lines(logs, "slow", 1), request_id)
    assert line.startswith('at=error code=H12 desc="Request timeout" method=GET path="/slow" ')
    service = int(re.search(r" dyno=web\.1 connect=\d+ms service=(\d+)ms status=503 ", line)[1])
    assert 900 <= service < 5000


@needs_nginx
def test_body_over_the_limit_gets_413_and_a_router_line(router: NginxRouter, logs: LogStore, backend):
    router.update(AppRoute("upload", [backend], max_body_mb=1, dynos={f"{backend[0]}:{backend[1]}": "web.1"}))
    status, body, small = request(router, "upload.localhost", "/upload", "POST", b"x" * 1_000_000)
    assert (status, body) == (200, "got 1000000 bytes\n")

    host, port = router.listen.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:  # announce 2 MB and send none of it: nginx answers from the headers alone
        connection.putrequest("POST", "/upload", skip_host=True)
        connection.putheader("Host", "upload.localhost")
        connection.putheader("X-Request-ID", large := uuid.uuid4().hex)
        connection.putheader("Content-Length", str(2 << 20))
        connection.endheaders()
        response = connection.getresponse()
        status, page = response.status, response.read().decode()
    finally:
        connection.close()
    assert status == 413
    assert "<h1>Request too large</h1>" in page
    assert "larger than upload accepts (1 MB)" in page
    assert "seaway apps:settings max_body_size=MEGABYTES -a upload" in page

    lines = router_lines(logs, "upload", 2)
    assert re.search(r' dyno=web\.1 connect=\d+ms service=\d+ms status=200 ', the_line(lines, small))
    assert re.fullmatch(rf'at=info method=POST path="/upload" host=upload.localhost request_id={large} '
                        r'fwd="127\.0\.0\.1" dyno= connect= service=\d+ms status=413 bytes=\d+ protocol=http',
                        the_line(lines, large))


@needs_nginx
def test_no_body_limit(router: NginxRouter, backend):
    router.update(AppRoute("big", [backend], max_body_mb=0))
    assert request(router, "big.localhost", "/", "POST", b"y" * (2 << 20))[:2] == (200, f"got {2 << 20} bytes\n")


@needs_nginx
def test_routes_given_to_start_name_their_dynos(make_router, logs: LogStore, backend):
    router = make_router([AppRoute("started", [backend], dynos={f"{backend[0]}:{backend[1]}": "web.1"})])
    _, _, request_id = request(router, "started.localhost")
    assert " dyno=web.1 " in the_line(router_lines(logs, "started", 1), request_id)


@needs_nginx
def test_a_rotated_access_log_is_reopened_by_nginx_and_no_line_is_lost(router: NginxRouter, logs: LogStore, backend,
                                                                       monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(accesslog, "ROTATE_BYTES", 3000)  # about 15 records
    router.update(AppRoute("rotated", [backend], dynos={f"{backend[0]}:{backend[1]}": "web.1"}))
    path = router.directory / "access.log"
    first = os.stat(path).st_ino
    sent = []
    for n in range(60):
        sent.append(request(router, "rotated.localhost", f"/{n}")[2])
        if n % 15 == 14:
            time.sleep(accesslog.POLL * 8)  # nginx flushes (FLUSH), the follower reads and rotates
    lines = router_lines(logs, "rotated", 60, timeout=15)
    assert sorted(re.search(r" request_id=(\S+) ", line)[1] for line in lines) == sorted(sent)
    assert os.stat(path).st_ino != first  # nginx made a new file after SIGUSR1
    assert path.stat().st_size < 3000 + 64 * 1024
