"""Every API route but /health needs the admin token; the CLI finds it in SEAWAY_HOME/credentials."""

from __future__ import annotations

import stat

import httpx
import pytest

from tests.e2e.daemon import Daemon


def test_health_needs_no_token(daemon: Daemon) -> None:
    assert httpx.get(f"{daemon.api_url}/health").json()["status"] == "ok"


@pytest.mark.parametrize("method, path", [("GET", "/apps"), ("POST", "/apps"), ("GET", "/apps/x"),
                                          ("DELETE", "/apps/x"), ("GET", "/apps/x/config"),
                                          ("PATCH", "/apps/x/config"), ("POST", "/apps/x/builds"),
                                          ("POST", "/apps/x/dynos"), ("GET", "/apps/x/logs"),
                                          ("POST", "/apps/x/addons"), ("GET", "/apps/x/releases")])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz"])
def test_routes_refuse_missing_or_wrong_token(daemon: Daemon, method: str, path: str, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.request(method, f"{daemon.api_url}{path}", headers=headers)
    assert response.status_code == 401
    assert "API token" in response.json()["detail"]


def test_every_route_in_the_openapi_document_is_protected(daemon: Daemon) -> None:
    spec = httpx.get(f"{daemon.api_url}/openapi.json").json()
    for path, methods in spec["paths"].items():
        if path == "/health":
            continue
        for method in methods:
            url = daemon.api_url + path.replace("{app}", "x")
            assert httpx.request(method.upper(), url).status_code == 401, (method, path)


def test_credentials_file_is_private_and_used_by_the_cli(daemon: Daemon) -> None:
    credentials = daemon.home / "credentials"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert daemon.cli("apps").returncode == 0
    wrong = daemon.cli("apps", env={"SEAWAY_API_TOKEN": "wrong"}, check=False)
    assert wrong.returncode == 1 and "Invalid or missing API token" in wrong.stderr
    elsewhere = daemon.cli("apps", env={"SEAWAY_HOME": str(daemon.home.parent / "empty"),
                                        "SEAWAY_API_URL": daemon.api_url}, check=False)
    assert elsewhere.returncode == 1 and "Invalid or missing API token" in elsewhere.stderr
