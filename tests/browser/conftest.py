"""Browser tests: a real Chromium driven by Playwright against Django's live server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's live_server and ORM calls
# from the test body are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SYSTEM_CHROMIUM = "/usr/bin/chromium"


def _playwright_has_own_browser() -> bool:
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH", Path.home() / ".cache/ms-playwright"))
    return cache.exists() and any(cache.glob("chromium*"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = dict(browser_type_launch_args)
    if not _playwright_has_own_browser() and shutil.which(SYSTEM_CHROMIUM):
        args["executable_path"] = SYSTEM_CHROMIUM
    # Root in CI needs --no-sandbox; the rest keeps Chromium off the (closed) network.
    args["args"] = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 768}}


@pytest.fixture
def login(page, live_server):
    """login(user) logs `user` in through the real login form and returns the page."""
    from tests.conftest import PASSWORD

    def _login(user):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return _login
