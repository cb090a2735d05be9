"""Router lines in the app's log (one per request, with the dyno that served it), error codes, body limit, filters."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.daemon import Daemon, copy_app, wait_for


@pytest.fixture(scope="module")
def pair(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The formation app with two web dynos."""
    source = copy_app("formation", tmp_path_factory.mktemp("pair"))
    (source / "app.json").unlink()
    daemon.cli("apps:create", "router-lines", cwd=source)
    daemon.cli("config:set", "SLOW_SECONDS=3", cwd=source)
    daemon.cli("deploy", cwd=source)
    daemon.cli("ps:scale", "web=2", "worker=0", "stubborn=0", cwd=source)
    return "router-lines", source


def router_lines(daemon: Daemon, source: Path, *extra: str) -> list[str]:
    return daemon.cli("logs", "-n", "500", "--source", "router", *extra, cwd=source).stdout.splitlines()


def line_with(daemon: Daemon, source: Path, text: str) -> str:
    found: list[str] = []
    wait_for(lambda: found.extend(line for line in router_lines(daemon, source) if text in line) or found, timeout=10)
    return found[-1]


def test_one_router_line_per_request_naming_the_dyno(daemon: Daemon, pair: tuple[str, Path]) -> None:
    app, source = pair
    served: dict[str, str] = {}
    for _ in range(6):
        request_id = f"test-{uuid.uuid4()}"
        response = daemon.get(app, "/", headers={"X-Request-ID": request_id})
        served[request_id] = re.search(r"DYNO=(\S+)", response.text)[1]  # type: ignore[index]
    assert set(served.values()) == {"web.1", "web.2"}  # balanced over both
    for request_id, dyno in served.items():
        line = line_with(daemon, source, f"request_id={request_id}")
        assert re.search(r" router: at=info method=GET path=\"/\" host=router-lines\.localhost "
                         rf"request_id={request_id} fwd=\"127\.0\.0\.1\" dyno={dyno} connect=\d+ms service=\d+ms "
                         r"status=200 bytes=\d+ protocol=http$", line), line
        assert line.count(request_id) == 1 and len([x for x in router_lines(daemon, source) if request_id in x]) == 1


def test_router_line_for_a_timeout_is_h12(daemon: Daemon, pair: tuple[str, Path]) -> None:
    app, source = pair
    daemon.cli("apps:settings", "router_timeout=1", cwd=source)
    try:
        request_id = f"slow-{uuid.uuid4()}"
        assert daemon.get(app, "/slow?x=1", headers={"X-Request-ID": request_id}).status_code == 503
        line = line_with(daemon, source, request_id)
        assert 'at=error code=H12 desc="Request timeout" method=GET path="/slow?x=1"' in line
        assert re.search(r"dyno=web\.[12] connect=\d+ms service=1\d{3}ms status=503", line), line
    finally:
        daemon.cli("apps:settings", "router_timeout=default", cwd=source)
        time.sleep(3)  # the dyno is still busy with the slow request the router gave up on


def test_no_web_dynos_is_h14(daemon: Daemon, app_name: str, workdir: Path) -> None:
    daemon.cli("apps:create", app_name, cwd=workdir)
    assert daemon.get(app_name, "/nothing").status_code == 503
    line = line_with(daemon, workdir, 'path="/nothing"')
    assert 'at=error code=H14 desc="No web processes running" method=GET path="/nothing"' in line
    assert "dyno= connect= service= status=503" in line


def test_every_web_dyno_crashed_is_h10_app_crashed(daemon: Daemon, app_name: str, workdir: Path) -> None:
    source = copy_app("dies_after_bind", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    daemon.cli("config:set", "DIE_AFTER=2", cwd=source)  # it boots, then dies; restarted with backoff, it dies again
    daemon.cli("deploy", cwd=source)
    pages: list[httpx.Response] = []
    wait_for(lambda: pages.append(daemon.get(app_name, "/crashed")) or "has crashed (H10)" in pages[-1].text, timeout=60)
    assert pages[-1].status_code == 503 and f"Every web dyno of {app_name} has crashed (H10)" in pages[-1].text
    line = line_with(daemon, source, 'at=error code=H10 desc="App crashed" method=GET path="/crashed"')
    assert "status=503" in line  # the page above, or nginx finding the last dyno gone: both H10
    daemon.cli("apps:destroy", "-a", app_name, "--confirm", app_name)


def test_request_body_limit_per_app(daemon: Daemon, pair: tuple[str, Path]) -> None:
    app, source = pair
    url = f"http://127.0.0.1:{daemon.router_port}/"
    headers = {"Host": f"{app}.localhost"}
    # both dynos free again (a test before may have left one busy with a slow request), on a loaded machine too
    wait_for(lambda: all(httpx.post(url, headers=headers, content=b"x", timeout=30).status_code == 200
                         for _ in range(4)), timeout=120)
    assert httpx.post(url, headers=headers, content=b"x" * (2 << 20), timeout=30).status_code == 200
    daemon.cli("apps:settings", "max_body_size=1", cwd=source)
    try:
        response = httpx.post(url, headers=headers, content=b"x" * (2 << 20), timeout=30)
        assert response.status_code == 413
        assert "larger than router-lines accepts (1 MB)" in response.text and "max_body_size=" in response.text
        assert httpx.post(url, headers=headers, content=b"x" * 1000, timeout=30).status_code == 200
        assert "method=POST" in line_with(daemon, source, "status=413")
    finally:
        daemon.cli("apps:settings", "max_body_size=default", cwd=source)
    settings = daemon.cli("apps:settings", cwd=source).stdout
    assert re.search(r"max_body_size:\s+100", settings)


def test_logs_filters(daemon: Daemon, pair: tuple[str, Path]) -> None:
    _app, source = pair
    daemon.cli("run", "-a", "router-lines", "--", "echo marker-for-grep")
    logs = daemon.cli("logs", "-n", "1000", cwd=source).stdout.splitlines()
    sources = {re.match(r"\S+ ([a-z]+)", line)[1] for line in logs}  # type: ignore[index]
    assert {"router", "seaway", "app"} <= sources
    only_app = daemon.cli("logs", "-n", "1000", "--source", "app", cwd=source).stdout.splitlines()
    assert only_app and all(" app[" in line for line in only_app)
    web1 = daemon.cli("logs", "-n", "1000", "--dyno", "web.1", cwd=source).stdout.splitlines()
    assert web1 and all("[web.1]" in line for line in web1)
    web = daemon.cli("logs", "-n", "1000", "--dyno", "web", cwd=source).stdout.splitlines()
    assert any("[web.2]" in line for line in web) and all(re.search(r"\[web\.\d+\]", line) for line in web)
    grep = daemon.cli("logs", "-n", "5", "--grep", "marker-for-grep", cwd=source).stdout.splitlines()
    assert grep and all("marker-for-grep" in line for line in grep)
    bad = daemon.cli("logs", "--source", "nginx", cwd=source, check=False)
    assert bad.returncode != 0 and "'nginx' is not one of 'app', 'router', 'release', 'seaway'" in bad.stderr


def test_api_streams_logs_as_server_sent_events(daemon: Daemon, pair: tuple[str, Path]) -> None:
    app, _source = pair
    with httpx.stream("GET", f"{daemon.api_url}/apps/{app}/logs", params={"num": 3, "tail": True, "source": "router"},
                      headers={"Authorization": f"Bearer {daemon.token}", "Accept": "text/event-stream"},
                      timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        daemon.get(app, "/after-stream")
        seen = ""
        for chunk in response.iter_text():
            seen += chunk
            if 'path="/after-stream"' in seen:
                break
    events = [block for block in seen.split("\n\n") if block.startswith("data: ")]
    assert len(events) >= 4 and all(" router: " in event for event in events)
