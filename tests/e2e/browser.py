"""Browser tests' fixtures: Playwright driving Debian's chromium (scripts/install.sh installs it for the tests).

Playwright is told where chromium is, so it never looks for, nor downloads, a browser build of its own.
In a test module under tests/e2e (conftest.py loads this module as a plugin):

    from tests.e2e.browser import keep_on_loopback, screenshot

    def test_something(daemon, page):
        left = keep_on_loopback(page)
        page.goto(f"{daemon.api_url}/docs")
        screenshot(page, "api-docs")  # docs/screenshots/api-docs.png
        assert left == []
"""

from __future__ import annotations

import ipaddress
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# The background-networking flags matter: without them chromium's own connections (updates, sync, field
# trials) are refused by this network and can stall it.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"no {CHROMIUM}: install Debian's chromium (SEAWAY_INSTALL_TARGET='.[test]' scripts/install.sh)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context (no cookies or storage from another test)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG of `page` as docs/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", "ws", "wss"}:
        return True  # data:, blob:, about: never leave the browser
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def keep_on_loopback(page: Page) -> list[str]:
    """Abort every request of `page`'s context to a host other than loopback; the list returned fills with their URLs."""
    left: list[str] = []

    def route(route: Route, request: Request) -> None:
        if is_loopback(request.url):
            route.continue_()
        else:
            left.append(request.url)
            route.abort("internetdisconnected")

    page.context.route("**/*", route)
    return left
