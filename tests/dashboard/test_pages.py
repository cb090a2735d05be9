"""The dashboard on a Platform with an in-memory runtime: sign-in, the CSRF and session checks of every
form, each page's content, and actions making the same changes the API makes."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from seaway.api.app import create_api
from seaway.dashboard.pages.signin import safe_next
from seaway.platform import Platform
from seaway.store.models import Slug
from seaway.tokens import token_hash

TOKEN = "dashboard-t0ken-that-must-never-show"
TABS = ("", "/activity", "/releases", "/config", "/resources", "/logs", "/database", "/metrics")


@pytest.fixture
def platform(inmemory_platform: Platform) -> Platform:
    inmemory_platform.store.add_token(token_hash(TOKEN), "the tests'")
    return inmemory_platform


@pytest.fixture
def browser(platform: Platform) -> TestClient:
    """A client without a session."""
    return TestClient(create_api(platform), follow_redirects=False)


def sign_in(client: TestClient, token: str = TOKEN, next_path: str = "/") -> object:
    form = client.get("/login")
    nonce = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert nonce is not None
    return client.post("/login", data={"token": token, "login_csrf": nonce.group(1), "next": next_path})


@pytest.fixture
def signed_in(browser: TestClient) -> TestClient:
    assert sign_in(browser).status_code == 303
    return browser


def csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert found is not None
    return found.group(1)


def notices(page: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r'<p class="notice (?:ok|error)"[^>]*>([^<]*)</p>', page)]


def act(client: TestClient, path: str, **fields: str) -> list[str]:
    """Post a form as the page would, follow its redirect, and return the notices shown."""
    done = client.post(path, data=fields | {"csrf": csrf(client)})
    assert done.status_code == 303
    return notices(client.get(done.headers["location"]).text)


@pytest.fixture
def app(platform: Platform) -> Iterator[str]:
    name = f"d-{uuid.uuid4().hex[:8]}"
    platform.create_app(name)
    for digest in ("a" * 64, "b" * 64):
        slug = platform.store.save_slug(Slug(digest=digest, size=1, python_version="3.12.7",
                                             process_types={"web": "gunicorn app:app", "worker": "python w.py"},
                                             deps_key="d", app_json={}))
        platform.releaser.create(platform.store.app(name), slug, f"Deploy {digest[:7]}", lambda _line: None)
    yield name
    platform.destroy_app(name)


def test_every_page_asks_for_a_sign_in_first_and_comes_back_after_it(browser: TestClient, app: str) -> None:
    for tab in TABS:
        answer = browser.get(f"/dashboard/apps/{app}{tab}")
        assert answer.status_code == 303 and answer.headers["location"] == f"/login?next=/dashboard/apps/{app}{tab}"
    assert browser.get("/").headers["location"] == "/login?next=/"
    back = sign_in(browser, next_path=f"/dashboard/apps/{app}/config")
    assert back.headers["location"] == f"/dashboard/apps/{app}/config"  # type: ignore[attr-defined]


def test_a_wrong_token_is_refused_and_opens_no_session(browser: TestClient) -> None:
    refused = sign_in(browser, "wrong")
    assert refused.status_code == 401 and "not a valid API token" in refused.text  # type: ignore[attr-defined]
    assert "seaway_session" not in browser.cookies
    assert browser.get("/").status_code == 303


def test_the_session_cookie_is_httponly_and_strict_and_the_token_never_shows(browser: TestClient, app: str) -> None:
    answer = sign_in(browser)
    cookie = answer.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
    for tab in TABS:
        assert TOKEN not in browser.get(f"/dashboard/apps/{app}{tab}").text


def test_a_sign_in_without_its_form_nonce_is_refused(browser: TestClient) -> None:
    answer = browser.post("/login", data={"token": TOKEN, "login_csrf": "made-up", "next": "/"})
    assert answer.status_code == 403 and "seaway_session" not in browser.cookies


def test_only_local_paths_are_followed_after_sign_in() -> None:
    assert safe_next("/dashboard/apps/x") == "/dashboard/apps/x"
    assert [safe_next(bad) for bad in ("//evil.example", "https://evil.example", "/\\evil", "")] == ["/"] * 4


FORMS = [("/config", {"key": "SNEAKY", "value": "1"}), ("/config/unset", {"key": "A"}), ("/rollback", {"version": "1"}),
         ("/scale", {"qty-web": "3"}), ("/restart", {}), ("/destroy", {"confirm": "{app}"}),
         ("/domains", {"hostname": "a.example.com"}), ("/domains/remove", {"hostname": "a.example.com"}),
         ("/addons", {"service": "postgresql"}), ("/backups", {}), ("/backups/b001/restore", {"confirm": "{app}"}),
         ("/settings", {"set-router_timeout": "99"}), ("/run", {"command": "true"}),
         ("/drains", {"url": "syslog://127.0.0.1:9"}), ("/drains/remove", {"url": "syslog://127.0.0.1:9"}),
         ("/rename", {"name": "renamed-by-csrf"}), ("/promote", {})]


def test_every_form_without_a_session_or_its_csrf_token_is_refused_and_changes_nothing(
        platform: Platform, browser: TestClient, app: str) -> None:
    before = (platform.releases(app), platform.config(app), platform.formation(app), platform.domains(app),
              platform.app_settings(app), platform.drain_list(app))
    for path, fields in FORMS:
        data = {k: v.format(app=app) for k, v in fields.items()}
        assert browser.post(f"/dashboard/apps/{app}{path}", data=data).status_code == 403, path
    assert browser.post("/dashboard/apps", data={"name": "made-by-csrf"}).status_code == 403
    sign_in(browser)
    token = csrf(browser)
    for path, fields in FORMS:
        data = {k: v.format(app=app) for k, v in fields.items()}
        assert browser.post(f"/dashboard/apps/{app}{path}", data=data).status_code == 403, path
        assert browser.post(f"/dashboard/apps/{app}{path}", data=data | {"csrf": token[:-1]}).status_code == 403, path
    assert browser.post("/logout", data={}).status_code == 403
    assert (platform.releases(app), platform.config(app), platform.formation(app), platform.domains(app),
            platform.app_settings(app), platform.drain_list(app)) == before
    assert [a["name"] for a in platform.apps()] == [app]


def test_pages_show_the_app(signed_in: TestClient, app: str) -> None:
    apps = signed_in.get("/").text
    assert f'data-app="{app}"' in apps and "v2" in apps and "Deploy bbbbbbb" in apps
    overview = signed_in.get(f"/dashboard/apps/{app}").text
    assert "v2" in overview and f"{app}.localhost" in overview and "Deploy bbbbbbb" in overview
    releases = signed_in.get(f"/dashboard/apps/{app}/releases").text
    assert "Rollback to v1" in releases and "Rollback to v2" not in releases
    resources = signed_in.get(f"/dashboard/apps/{app}/resources").text
    assert 'name="qty-web"' in resources and 'name="qty-worker"' in resources
    assert "App " + app + " created" in signed_in.get(f"/dashboard/apps/{app}/logs").text
    assert "no database" in signed_in.get(f"/dashboard/apps/{app}/database").text.lower()
    answer = signed_in.get(f"/dashboard/apps/{app}/metrics")
    assert answer.status_code == 200 and "<svg" in answer.text and 'data-release="v2"' in answer.text


def test_responses_forbid_framing_and_outside_scripts(signed_in: TestClient) -> None:
    headers = signed_in.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"] and headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"


def test_config_vars_are_hidden_until_revealed_and_set_and_removed_as_releases(
        platform: Platform, signed_in: TestClient, app: str) -> None:
    token = csrf(signed_in)
    done = signed_in.post(f"/dashboard/apps/{app}/config", data={"key": "GREETING", "value": "s3cret-hello", "csrf": token})
    assert done.status_code == 303
    page = signed_in.get(done.headers["location"]).text
    assert notices(page) == ["Set GREETING: release v3."] and "s3cret-hello" not in page and 'data-key="GREETING"' in page
    assert "s3cret-hello" in signed_in.get(f"/dashboard/apps/{app}/config?reveal=true").text
    assert platform.config(app) == {"GREETING": "s3cret-hello"}
    signed_in.post(f"/dashboard/apps/{app}/config/unset", data={"key": "GREETING", "csrf": token})
    assert platform.config(app) == {} and platform.releases(app)[0]["description"] == "Unset GREETING config vars"


def test_a_refused_value_shows_why_and_stores_nothing(platform: Platform, signed_in: TestClient, app: str) -> None:
    token = csrf(signed_in)
    signed_in.post(f"/dashboard/apps/{app}/config", data={"key": "BAD KEY", "value": "x", "csrf": token})
    assert "BAD KEY" in notices(signed_in.get(f"/dashboard/apps/{app}/config").text)[0]
    signed_in.post(f"/dashboard/apps/{app}/scale", data={"qty-web": "many", "csrf": token})
    assert "not a number of dynos" in notices(signed_in.get(f"/dashboard/apps/{app}/resources").text)[0]
    signed_in.post(f"/dashboard/apps/{app}/rollback", data={"version": "v99", "csrf": token})
    assert "v99" in notices(signed_in.get(f"/dashboard/apps/{app}/releases").text)[0]
    assert platform.config(app) == {} and platform.formation(app) == {"web": 1} and len(platform.releases(app)) == 2


def test_rollback_scale_and_restart_from_the_pages(platform: Platform, signed_in: TestClient, app: str) -> None:
    assert act(signed_in, f"/dashboard/apps/{app}/rollback", version="1") == ["Rolled back to v1: v3 is live."]
    assert platform.release_info(app, None)["rollback_of"] == 1
    assert act(signed_in, f"/dashboard/apps/{app}/scale", **{"qty-web": "2", "qty-worker": "1"}) == [
        "Scaled to web=2, worker=1."]
    assert platform.formation(app) == {"web": 2, "worker": 1}
    assert act(signed_in, f"/dashboard/apps/{app}/restart", target="web")[0].startswith("Restarted web")


def test_apps_are_created_and_destroyed_only_with_their_name_typed(platform: Platform, signed_in: TestClient) -> None:
    name = f"n-{uuid.uuid4().hex[:8]}"
    assert act(signed_in, "/dashboard/apps", name=name) == [f"Created {name}."]
    assert "Type the app's name" in act(signed_in, f"/dashboard/apps/{name}/destroy", confirm="nope")[0]
    assert name in [a["name"] for a in platform.apps()]
    assert act(signed_in, f"/dashboard/apps/{name}/destroy", confirm=name)[0].startswith(f"Destroyed {name}")
    assert name not in [a["name"] for a in platform.apps()]
    assert "Invalid app name" in act(signed_in, "/dashboard/apps", name="Bad Name")[0]


def test_sign_out_ends_the_session(signed_in: TestClient) -> None:
    assert signed_in.post("/logout", data={"csrf": csrf(signed_in)}).headers["location"] == "/login"
    assert signed_in.get("/").status_code == 303


def test_a_missing_app_is_a_page_for_a_browser_and_json_for_the_api(signed_in: TestClient) -> None:
    page = signed_in.get("/dashboard/apps/no-such-app")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html") and "no-such-app" in page.text
    api = signed_in.get("/apps/no-such-app", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status_code == 404 and api.json()["detail"].startswith("Couldn't find that app")


def test_settings_a_one_off_and_drains_from_the_pages(platform: Platform, signed_in: TestClient, app: str) -> None:
    resources = f"/dashboard/apps/{app}/resources"
    assert act(signed_in, f"/dashboard/apps/{app}/settings", **{"set-router_timeout": "120", "set-memory": "300"}) == [
        "Changed router_timeout=120."]  # memory was 300 already: not a change
    assert platform.app_settings(app)["router_timeout"] == 120
    assert "not a number" in act(signed_in, f"/dashboard/apps/{app}/settings", **{"set-hsts": "soon"})[0]
    assert act(signed_in, f"/dashboard/apps/{app}/settings", **{"set-router_timeout": "default"}) == [
        "Changed router_timeout=default."]
    assert platform.app_settings(app)["router_timeout"] == 30
    assert 'value="30"' in signed_in.get(resources).text
    ran = act(signed_in, f"/dashboard/apps/{app}/run", command="python tidy.py")
    assert ran[0].startswith("Running `python tidy.py` as run.")
    assert act(signed_in, f"/dashboard/apps/{app}/drains", url="syslog://127.0.0.1:9") == [
        "Drain syslog://127.0.0.1:9 added."]
    assert "syslog://127.0.0.1:9" in signed_in.get(f"/dashboard/apps/{app}/logs").text
    assert act(signed_in, f"/dashboard/apps/{app}/drains", url="ftp://nowhere")[0].startswith("Cannot drain to")
    assert act(signed_in, f"/dashboard/apps/{app}/drains/remove", url="syslog://127.0.0.1:9") == [
        "Drain syslog://127.0.0.1:9 removed."]
    assert platform.drain_list(app) == []


def test_a_form_over_a_megabyte_is_refused(platform: Platform, browser: TestClient, app: str) -> None:
    assert browser.post("/login", data={"token": "x" * (2 << 20)}).status_code == 403
    sign_in(browser)
    big = browser.post(f"/dashboard/apps/{app}/config", data={"key": "BIG", "value": "x" * (2 << 20), "csrf": csrf(browser)})
    assert big.status_code == 403 and "too large" in big.text and platform.config(app) == {}


def test_what_an_app_prints_or_stores_is_shown_as_text_never_as_markup(platform: Platform, signed_in: TestClient,
                                                                      app: str) -> None:
    attack = '<script>fetch("/dashboard/apps")</script><img src=x onerror=alert(1)>'
    platform.logs.append(app, "app[web.1]", attack)
    platform.set_config(app, {"INJECTED": attack}, lambda _line: None)
    for page in (f"/dashboard/apps/{app}/logs", f"/dashboard/apps/{app}/config?reveal=true"):
        text = signed_in.get(page).text
        assert attack not in text and "&lt;script&gt;fetch(" in text, page
