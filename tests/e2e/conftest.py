"""Browser tests: Debian's Chromium driven by Playwright against the live test server."""

import os
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM_MISSING

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by
# the test itself (building data) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chromium(playwright) -> str | None:
    """Debian's chromium (.ci/run installs it), else one from `playwright install chromium`."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    bundled = playwright.chromium.executable_path
    return bundled if bundled and Path(bundled).exists() else None


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable = _chromium(playwright)
        if executable is None:
            pytest.skip(f"{CHROMIUM_MISSING} ({CHROMIUM} or Playwright's)")
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
