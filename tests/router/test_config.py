"""render_config: nginx configuration from app routes; checked with the real `nginx -t`."""

from __future__ import annotations

import grp
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from seaway.router.config import AppRoute, render_config
from seaway.router.nginx import worker_user

NGINX = os.environ.get("SEAWAY_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
LISTEN = "127.0.0.1:18999"


def server_block(config: str, host: str) -> str:
    """The `server { ... }` block whose server_name is `host`."""
    match = re.search(r"server \{\s*listen [^;]+;\s*server_name " + re.escape(host) + r";.*?\n    \}\n", config, re.S)
    assert match, f"no server block for {host}"
    return match[0]


def upstream_block(config: str, name: str) -> str:
    match = re.search(r"upstream " + re.escape(name) + r" \{.*?\n    \}\n", config, re.S)
    assert match, f"no upstream {name}"
    return match[0]


def nginx_test(config: str, prefix: Path) -> subprocess.CompletedProcess[str]:
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(config)
    return subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
        capture_output=True, text=True, timeout=30,
    )


needs_nginx = pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed")


@pytest.fixture
def routes() -> list[AppRoute]:
    return [
        AppRoute("my-app", [("127.0.0.1", 5001), ("127.0.0.1", 5002)], read_timeout=45),
        AppRoute("idle-app"),
    ]


def test_app_is_served_as_app_dot_localhost(tmp_path: Path, routes):
    config = render_config(routes, tmp_path, LISTEN, None)
    assert AppRoute("my-app").hosts == ["my-app.localhost"]
    block = server_block(config, "my-app.localhost")
    assert f"listen {LISTEN};" in block
    assert "proxy_pass http://seaway_app_my_app;" in block
    assert "proxy_read_timeout 45s;" in block


def test_upstream_lists_every_backend(tmp_path: Path, routes):
    upstream = upstream_block(render_config(routes, tmp_path, LISTEN, None), "seaway_app_my_app")
    assert re.findall(r"server (\S+) max_fails=0;", upstream) == ["127.0.0.1:5001", "127.0.0.1:5002"]
    assert "keepalive" in upstream


def test_app_without_backends_answers_503(tmp_path: Path, routes):
    config = render_config(routes, tmp_path, LISTEN, None)
    block = server_block(config, "idle-app.localhost")
    assert "return 503" in block
    assert "idle-app has no web dynos running" in block
    assert "proxy_pass" not in block
    assert "seaway_app_idle_app" not in config


def test_unknown_hosts_get_a_404_default_server(tmp_path: Path):
    config = render_config([], tmp_path, LISTEN, None)
    assert f"listen {LISTEN} default_server;" in config
    default = re.search(r"server \{\s*listen [^;]+ default_server;.*?\n    \}\n", config, re.S)
    assert default and "server_name _;" in default[0] and "return 404" in default[0]
    assert config.count("default_server") == 1
    assert "upstream seaway_app" not in config


def test_forwarding_and_request_id_headers(tmp_path: Path, routes):
    config = render_config(routes, tmp_path, LISTEN, None)
    for header, value in [
        ("Host", "$host"),
        ("X-Forwarded-For", "$seaway_forwarded_for"),  # the client's own, unless from a trusted proxy
        ("X-Forwarded-Proto", "$seaway_forwarded_proto"),
        ("X-Forwarded-Port", "$seaway_forwarded_port"),
        ("X-Request-ID", "$seaway_request_id"),
    ]:
        assert f"proxy_set_header {header} {value};" in config, header
    assert "map $http_x_request_id $seaway_request_id" in config
    assert "default $request_id;" in config


def test_paths_live_in_the_router_directory(tmp_path: Path):
    config = render_config([], tmp_path, LISTEN, None)
    assert f"pid {tmp_path}/nginx.pid;" in config
    assert f"error_log {tmp_path}/error.log" in config
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        assert f"{tmp_path}/tmp/{sub};" in config


def test_worker_user_line(tmp_path: Path):
    assert "user nobody nogroup;" in render_config([], tmp_path, LISTEN, "nobody nogroup")
    assert not re.search(r"^user ", render_config([], tmp_path, LISTEN, None), re.M)


def test_routes_are_rendered_in_name_order(tmp_path: Path):
    config = render_config([AppRoute("zeta"), AppRoute("alpha"), AppRoute("mid-app")], tmp_path, LISTEN, None)
    order = re.findall(r"server_name (\S+)\.localhost;", config)
    assert order == ["alpha", "mid-app", "zeta"]


def test_rendering_is_deterministic(tmp_path: Path, routes):
    assert render_config(routes, tmp_path, LISTEN, None) == render_config(list(reversed(routes)), tmp_path, LISTEN, None)


@needs_nginx
def test_nginx_accepts_the_rendered_config(tmp_path: Path, routes):
    result = nginx_test(render_config(routes, tmp_path, LISTEN, None, workers=1), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@needs_nginx
def test_nginx_accepts_the_config_without_apps(tmp_path: Path):
    result = nginx_test(render_config([], tmp_path, LISTEN, None), tmp_path)
    assert result.returncode == 0, result.stderr


@needs_nginx
def test_nginx_accepts_many_apps_with_a_worker_user(tmp_path: Path):
    routes = [AppRoute(f"app-{i}", [("127.0.0.1", 6000 + i)]) for i in range(20)] + [AppRoute("z-idle")]
    found = worker_user()  # what NginxRouter uses when the daemon is root; None otherwise
    user = f"{found.name} {grp.getgrgid(found.gid).gr_name}" if found else None
    result = nginx_test(render_config(routes, tmp_path, LISTEN, user), tmp_path)
    assert result.returncode == 0, result.stderr


@needs_nginx
def test_nginx_check_can_fail(tmp_path: Path):
    """The check above is meaningful: nginx -t does refuse a broken configuration."""
    broken = render_config([AppRoute("my-app", [("127.0.0.1", 5001)])], tmp_path, LISTEN, None).replace(
        "keepalive 16;", "keepalive;"
    )
    assert nginx_test(broken, tmp_path).returncode != 0


def test_client_keepalive_is_configurable(tmp_path: Path):
    assert "keepalive_timeout 75s;" in render_config([], tmp_path, LISTEN, None)
    assert "keepalive_timeout 0s;" in render_config([], tmp_path, LISTEN, None, keepalive=0)


def test_worker_processes_follow_the_setting(tmp_path: Path):
    assert "worker_processes 1;" in render_config([], tmp_path, LISTEN, None)
    assert "worker_processes 4;" in render_config([], tmp_path, LISTEN, None, workers=4)


def test_regular_expressions_are_compiled(tmp_path: Path):
    assert "\npcre_jit on;" in render_config([], tmp_path, LISTEN, None)
