"""The dashboard in a real browser (Debian's chromium through Playwright) on the real daemon, with a Flask +
Flask-Migrate app on PostgreSQL behind nginx: sign-in, apps, a deploy's output live on the activity page,
rollback, config vars, scaling, logs, database, metrics; and every form refused without its session or
CSRF token. Each page's screenshot goes to docs/screenshots/ for the README.

The tests build on one another in file order (one app, deployed once by the module's fixture)."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import keep_on_loopback, screenshot
from tests.e2e.daemon import Daemon, copy_app, wait_for

WAIT = 300_000  # ms: generous, for a loaded machine
# The release phase waits, while the code has a HOLD file, until the test says go (a table named `go` in the
# app's database): the deploy is then certainly still running while the test looks at its output.
HOLD = '''import os, time
import psycopg2
if os.path.exists("HOLD"):
    print("hold: waiting for go", flush=True)
    deadline = time.time() + 900
    while time.time() < deadline:
        with psycopg2.connect(os.environ["DATABASE_URL"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('public.go')")
            if cur.fetchone()[0]:
                break
        time.sleep(0.3)
    print("hold: go", flush=True)
'''


@dataclass
class Deployed:
    name: str
    source: Path
    requests: int = 0  # made through the router by these tests
    left_loopback: list[str] = field(default_factory=list)

    def get(self, daemon: Daemon, path: str = "/") -> httpx.Response:
        self.requests += 1
        return daemon.get(self.name, path)


@pytest.fixture(scope="module")
def deployed(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    name = f"dash-{uuid.uuid4().hex[:6]}"
    source = copy_app("flask_migrate", tmp_path_factory.mktemp("dashboard"))
    (source / "hold.py").write_text(HOLD)
    (source / "Procfile").write_text("web: gunicorn app:app\nrelease: python hold.py && flask db upgrade\n")
    daemon.cli("apps:create", name, cwd=source)
    daemon.cli("addons:create", "postgresql", "-a", name)
    daemon.cli("deploy", "-a", name, str(source))
    app = Deployed(name, source)
    assert app.get(daemon).json()["version"] == "1"
    yield app
    daemon.cli("apps:destroy", "--confirm", name, check=False)


def sign_in(page: Page, daemon: Daemon, app: Deployed, path: str = "/") -> None:
    app.left_loopback = keep_on_loopback(page)
    page.goto(f"{daemon.api_url}{path}")
    page.fill("#token", daemon.token)
    page.click("form[action='/login'] button")
    expect(page.locator("form[action='/logout']")).to_be_visible()


def notice(page: Page) -> str:
    return page.locator(".notice").first.inner_text()


def releases(daemon: Daemon, app: str) -> list[dict]:
    return json.loads(daemon.cli("releases", "-a", app, "--json").stdout)


def test_sign_in_refuses_a_wrong_token_then_takes_the_right_one(daemon: Daemon, deployed: Deployed, page: Page) -> None:
    left = keep_on_loopback(page)
    page.goto(f"{daemon.api_url}/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    page.fill("#token", "not-the-token")
    page.click("form[action='/login'] button")
    expect(page.locator(".notice.error")).to_contain_text("not a valid API token")
    assert page.context.cookies() == [] or all(c["name"] != "seaway_session" for c in page.context.cookies())
    screenshot(page, "sign-in")
    page.fill("#token", daemon.token)
    page.click("form[action='/login'] button")
    expect(page.locator("h1")).to_have_text("Apps")
    cookie = next(c for c in page.context.cookies() if c["name"] == "seaway_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and daemon.token not in page.content()
    assert left == []


def test_the_apps_page_lists_the_deployed_app(daemon: Daemon, deployed: Deployed, page: Page) -> None:
    sign_in(page, daemon, deployed)
    row = page.locator(f"tr[data-app='{deployed.name}']")
    expect(row.locator(".state")).to_have_text("up")
    expect(row).to_contain_text("1 / 1 up")
    expect(row).to_contain_text(f"http://{deployed.name}.localhost:{daemon.router_port}/")
    screenshot(page, "apps")
    page.click(f"tr[data-app='{deployed.name}'] a >> nth=0")
    expect(page.locator("#current-release")).to_contain_text("Deploy")
    expect(page.locator("table.dynos tr[data-dyno='web.1']")).to_contain_text(" MB")  # measured, from its sandbox
    screenshot(page, "overview")
    assert deployed.left_loopback == []


def test_a_deploy_from_the_cli_shows_its_output_live_on_the_activity_page(daemon: Daemon, deployed: Deployed,
                                                                          page: Page) -> None:
    (deployed.source / "HOLD").write_text("wait for the test\n")
    app_py = deployed.source / "app.py"
    app_py.write_text(app_py.read_text().replace('VERSION = "1"', 'VERSION = "2"'))
    outcome: dict[str, object] = {}

    def deploy() -> None:
        try:
            outcome["result"] = daemon.cli("deploy", "-a", deployed.name, str(deployed.source))
        except AssertionError as error:
            outcome["error"] = error

    thread = threading.Thread(target=deploy)
    thread.start()
    try:
        sign_in(page, daemon, deployed, f"/dashboard/apps/{deployed.name}/activity")
        deadline = time.monotonic() + WAIT / 1000
        while page.locator("section.live").count() == 0:  # the deploy had not begun when the page was made
            assert thread.is_alive() and time.monotonic() < deadline, outcome
            page.wait_for_timeout(500)
            page.reload()
        live = page.locator("section.live pre")
        expect(live).to_contain_text("Installing", timeout=WAIT)
        expect(live).to_contain_text("hold: waiting for go", timeout=WAIT)
        assert thread.is_alive()  # the output came while the deploy was still running
        screenshot(page, "activity-live")
    finally:
        daemon.cli("pg:psql", "-a", deployed.name, "-c", "CREATE TABLE IF NOT EXISTS go ()")
        thread.join(900)
    assert "error" not in outcome, outcome.get("error")
    expect(page.locator("section.live")).to_have_count(0, timeout=WAIT)  # the page reloads when the stream ends
    expect(page.locator("li.release").first).to_contain_text("succeeded")
    expect(page.locator("li.release").first).to_contain_text("Deploy")
    screenshot(page, "activity")
    assert deployed.get(daemon).json()["version"] == "2"
    (deployed.source / "HOLD").unlink()


def test_rollback_from_the_releases_page_serves_the_previous_release(daemon: Daemon, deployed: Deployed,
                                                                      page: Page) -> None:
    deploys = [r for r in releases(daemon, deployed.name) if r["slug"] and r["status"] == "succeeded"]
    newest, previous = deploys[0], deploys[1]
    assert newest["current"] and deployed.get(daemon).json()["version"] == "2"
    sign_in(page, daemon, deployed, f"/dashboard/apps/{deployed.name}/releases")
    screenshot(page, "releases")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"tr[data-release='v{previous['version']}'] button")
    expect(page.locator(".notice.ok")).to_contain_text(f"Rolled back to v{previous['version']}", timeout=WAIT)
    assert deployed.get(daemon).json()["version"] == "1"  # through the router
    current = releases(daemon, deployed.name)[0]
    assert current["current"] and current["rollback_of"] == previous["version"] and current["author"] == "dashboard"
    expect(page.locator("tr.current")).to_contain_text(f"v{current['version']}")


def test_config_vars_are_set_and_removed_from_the_page(daemon: Daemon, deployed: Deployed, page: Page) -> None:
    sign_in(page, daemon, deployed, f"/dashboard/apps/{deployed.name}/config")
    expect(page.locator("tr[data-key='DATABASE_URL']")).to_contain_text("set by postgresql-")
    assert "postgres://" not in page.content()  # hidden until revealed
    page.fill("#key", "GREETING")
    page.fill("#value", "hello from the dashboard")
    page.click("#set-config button")
    expect(page.locator(".notice.ok")).to_contain_text("Set GREETING: release v", timeout=WAIT)
    assert daemon.cli("config:get", "GREETING", "-a", deployed.name).stdout.strip() == "hello from the dashboard"
    screenshot(page, "config")
    page.click("#reveal")
    expect(page.locator("tr[data-key='GREETING'] .value")).to_have_text("hello from the dashboard")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("tr[data-key='GREETING'] button")
    expect(page.locator(".notice.ok")).to_contain_text("Removed GREETING", timeout=WAIT)
    assert "GREETING" not in json.loads(daemon.cli("config", "-a", deployed.name, "--json").stdout)
    expect(page.locator("tr[data-key='GREETING']")).to_have_count(0)


def test_scaling_and_restarting_from_the_resources_page(daemon: Daemon, deployed: Deployed, page: Page) -> None:
    sign_in(page, daemon, deployed, f"/dashboard/apps/{deployed.name}/resources")
    page.fill("#qty-web", "2")
    page.click("#scale button")
    expect(page.locator(".notice.ok")).to_contain_text("Scaled to web=2", timeout=WAIT)
    expect(page.locator("tr[data-dyno='web.2'] .state")).to_have_text("up")
    screenshot(page, "resources")
    page.click("form:has(input[name='target'][value='web.2']) button")
    expect(page.locator(".notice.ok")).to_contain_text("Restarted web.2", timeout=WAIT)
    page.fill("#qty-web", "1")
    page.click("#scale button")
    expect(page.locator(".notice.ok")).to_contain_text("Scaled to web=1", timeout=WAIT)
    wait_for(lambda: [d["name"] for d in json.loads(daemon.cli("ps", "-a", deployed.name, "--json").stdout)] == ["web.1"],
             timeout=120)


def test_the_logs_page_shows_a_router_line_for_a_request_live(daemon: Daemon, deployed: Deployed, page: Page) -> None:
    probe = uuid.uuid4().hex
    sign_in(page, daemon, deployed, f"/dashboard/apps/{deployed.name}/logs?source=router&grep={probe}")
    expect(page.locator("#log")).not_to_contain_text(probe)
    expect(page.locator("#log[data-live='true']")).to_have_count(1, timeout=WAIT)  # the live tail is connected
    assert deployed.get(daemon, f"/?probe={probe}").status_code == 200
    expect(page.locator("#log")).to_contain_text(f'path="/?probe={probe}"', timeout=WAIT)
    expect(page.locator("#log")).to_contain_text("router: at=info method=GET")
    page.goto(f"{daemon.api_url}/dashboard/apps/{deployed.name}/logs")
    expect(page.locator("#log")).to_contain_text(probe)
    screenshot(page, "logs")


def test_the_database_page_captures_a_verified_backup_and_shows_migrations(daemon: Daemon, deployed: Deployed,
                                                                           page: Page) -> None:
    sign_in(page, daemon, deployed, f"/dashboard/apps/{deployed.name}/database")
    expect(page.locator("main")).to_contain_text("PostgreSQL")
    expect(page.locator("main")).to_contain_text("flask")  # the migration status: Flask-Migrate found
    page.click("form[action$='/backups'] button")
    expect(page.locator(".notice.ok")).to_contain_text("captured and verified by a restore", timeout=WAIT)
    row = page.locator("#backups tbody tr").first
    expect(row.locator(".state")).to_have_text("verified")
    with page.expect_download() as download:
        row.locator("a[download]").click()
    assert Path(download.value.path()).read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    screenshot(page, "database")
    backup = row.get_attribute("data-backup")
    daemon.cli("pg:psql", "-a", deployed.name, "-c", "INSERT INTO greeting (text) VALUES ('made after the backup')")
    row.locator("details.restore summary").click()
    row.locator("input[name='confirm']").fill(deployed.name)
    row.locator("details.restore button").click()
    expect(page.locator(".notice.ok")).to_contain_text(f"Restored {backup}", timeout=WAIT)
    rows = daemon.cli("pg:psql", "-a", deployed.name, "-c", "SELECT text FROM greeting ORDER BY id").stdout
    assert "hello from the migration" in rows and "made after the backup" not in rows  # as the backup had it
    assert deployed.get(daemon).status_code == 200


def test_the_metrics_page_charts_the_requests_made_with_deploy_markers(daemon: Daemon, deployed: Deployed,
                                                                         page: Page) -> None:
    for _ in range(20):
        assert deployed.get(daemon, "/").status_code == 200
    sign_in(page, daemon, deployed, f"/dashboard/apps/{deployed.name}/metrics")

    def counted() -> int:
        page.reload()
        return int(page.locator("#request-total").inner_text().split()[0])

    wait_for(lambda: counted() >= deployed.requests, timeout=120)
    requests_chart = page.locator("section.chart-card", has_text="Requests per minute")
    assert requests_chart.locator("svg path.class-2xx").count() == 1
    expect(requests_chart.locator("svg g.marker.deploy").first).to_be_attached()
    expect(requests_chart.locator("svg g.marker.rollback")).to_have_count(1)
    memory = page.locator("section.chart-card", has_text="Memory per dyno")
    wait_for(lambda: page.reload() or "web.1" in memory.inner_text(), timeout=180)  # sampled every few seconds
    page.goto(f"{daemon.api_url}/dashboard/apps/{deployed.name}/metrics?hours=1")
    expect(page.locator("#request-total")).to_contain_text("in the last 1 h")
    screenshot(page, "metrics")


def test_every_form_is_refused_without_its_session_or_csrf_token(daemon: Daemon, deployed: Deployed, page: Page) -> None:
    sign_in(page, daemon, deployed)
    forms: set[str] = set()
    for path in ("/", *(f"/dashboard/apps/{deployed.name}{tab}" for tab in
                        ("", "/releases", "/config", "/resources", "/database"))):
        page.goto(f"{daemon.api_url}{path}")
        forms |= set(page.eval_on_selector_all("form[method='post']", "fs => fs.map(f => f.getAttribute('action'))"))
    assert {"/logout", "/dashboard/apps", f"/dashboard/apps/{deployed.name}/config",
            f"/dashboard/apps/{deployed.name}/rollback", f"/dashboard/apps/{deployed.name}/scale"} <= forms
    session = next(c["value"] for c in page.context.cookies() if c["name"] == "seaway_session")
    before = (releases(daemon, deployed.name), daemon.cli("config", "-a", deployed.name, "--json").stdout)
    fields = {"name": "csrf-made", "key": "SNEAKY", "value": "1", "version": "1", "qty-web": "0", "confirm": deployed.name,
              "hostname": "sneaky.example.com", "target": "web"}
    for action in sorted(forms - {"/login"}):
        without_session = httpx.post(f"{daemon.api_url}{action}", data=fields, timeout=60)
        forged = httpx.post(f"{daemon.api_url}{action}", data=fields | {"csrf": "forged"},
                            cookies={"seaway_session": session}, timeout=60)
        assert (without_session.status_code, forged.status_code) == (403, 403), action
        assert "Nothing was changed" in forged.text
    assert (releases(daemon, deployed.name), daemon.cli("config", "-a", deployed.name, "--json").stdout) == before
    assert deployed.get(daemon).status_code == 200
