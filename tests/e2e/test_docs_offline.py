"""The daemon's schema browser renders in a real browser with the internet cut off: its script, style and the
OpenAPI document all come from the daemon."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import keep_on_loopback, screenshot
from tests.e2e.daemon import Daemon


def test_swagger_ui_renders_offline(daemon: Daemon, page: Page):
    left = keep_on_loopback(page)
    page.goto(f"{daemon.api_url}/docs")
    expect(page.locator("#swagger-ui .info .title")).to_contain_text("Seaway", timeout=15_000)
    expect(page.locator('.opblock-summary-path[data-path="/apps"]').first).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "api-docs")
    assert left == [], "the page reached beyond loopback"

