"""render_config with HTTPS: a TLS server per certificate, force_https, HSTS, ACME challenges, stapling,
trusted proxies; checked as text and with the real `nginx -t`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seaway.certs.files import CertificateFiles, TlsFiles
from seaway.router.config import AppRoute, Https, render_config
from tests.router.test_config import LISTEN, needs_nginx, nginx_test

HTTPS_LISTEN = "127.0.0.1:18443"


@pytest.fixture
def files(tmp_path: Path) -> CertificateFiles:
    made = CertificateFiles(tmp_path / "tls")
    made.prepare()
    return made


def servers(config: str) -> list[str]:
    return re.findall(r"\n    server \{\n.*?\n    \}\n", config, re.S)


def render(files: CertificateFiles, tmp_path: Path, route: AppRoute, port: int = 18443, **extra) -> str:
    https = Https(HTTPS_LISTEN.replace("18443", str(port)), port, files.default())
    return render_config([route], tmp_path / "nginx", LISTEN, None, https=https, webroot=tmp_path / "acme", **extra)


def route_with(files: CertificateFiles, own: TlsFiles | None = None, **fields) -> AppRoute:
    hosts = ["shop.localhost", "www.shop.test", "api.shop.test"]
    tls = {host: files.local(host) for host in hosts}
    if own:
        tls["www.shop.test"] = tls["api.shop.test"] = own
    return AppRoute("shop", [("127.0.0.1", 5001)], domains=("www.shop.test", "api.shop.test"), tls=tls, **fields)


@needs_nginx
def test_each_certificate_gets_a_tls_server_for_the_hosts_it_serves(files: CertificateFiles, tmp_path: Path):
    own = files.local("www.shop.test")  # stands for an installed certificate covering both domains
    config = render(files, tmp_path, route_with(files, own))
    tls = [s for s in servers(config) if " ssl http2" in s and "server_name _" not in s]
    names = sorted(re.search(r"server_name ([^;]+);", s)[1] for s in tls)  # type: ignore[index]
    assert names == ["shop.localhost", "www.shop.test api.shop.test"]
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in config and "ssl_session_tickets off;" in config
    assert "listen 127.0.0.1:18443 ssl http2 default_server;" in config
    checked = nginx_test(config, tmp_path / "nginx")
    assert checked.returncode == 0, checked.stderr


@needs_nginx
def test_force_https_hsts_and_challenges(files: CertificateFiles, tmp_path: Path):
    config = render(files, tmp_path, route_with(files, force_https=True, hsts=600, acme=True))
    plain = next(s for s in servers(config) if f"listen {LISTEN};" in s and "shop.localhost" in s)
    assert "return 308 https://$host:18443$request_uri;" in plain and "proxy_pass" not in plain
    assert plain.index("/.well-known/acme-challenge/") < plain.index("return 308")  # challenges are not redirected
    secured = [s for s in servers(config) if " ssl http2;" in s]
    assert secured and all('add_header Strict-Transport-Security "max-age=600" always;' in s for s in secured)
    assert all("proxy_pass http://seaway_app_shop;" in s for s in secured)
    assert "Strict-Transport-Security" not in plain
    assert nginx_test(config, tmp_path / "nginx").returncode == 0
    on_443 = render(files, tmp_path, route_with(files, force_https=True), port=443)
    assert "return 308 https://$host$request_uri;" in on_443 and "proxy_redirect" not in on_443


def test_an_apps_redirect_to_https_is_pointed_at_the_https_port(files: CertificateFiles, tmp_path: Path):
    config = render(files, tmp_path, route_with(files))
    assert "proxy_redirect https://$host/ https://$host:18443/;" in config
    assert "proxy_redirect https://$host:18999/ https://$host:18443/;" in config


@needs_nginx
def test_stapling_and_trusted_proxies(files: CertificateFiles, tmp_path: Path):
    local = files.local("www.shop.test")
    stapled = TlsFiles(local.cert, local.key, staple=True)
    config = render(files, tmp_path, route_with(files, stapled), trusted_proxies=("10.0.0.0/8",), resolver="127.0.0.53")
    assert "ssl_stapling on;" in config and "resolver 127.0.0.53;" in config
    assert "set_real_ip_from 10.0.0.0/8;" in config and "        10.0.0.0/8 1;" in config
    checked = nginx_test(config, tmp_path / "nginx")
    assert checked.returncode == 0, checked.stderr  # (nginx warns that a local CA's chain names no responder)


def test_without_https_nothing_of_tls_is_written(tmp_path: Path):
    config = render_config([AppRoute("shop", [("127.0.0.1", 5001)])], tmp_path, LISTEN, None)
    assert "ssl" not in config and "proxy_redirect" not in config
