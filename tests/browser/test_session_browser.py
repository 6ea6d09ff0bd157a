"""The idle session in a real browser: the warning counts down, "Stay logged in" keeps the
session, and at the end the page goes to the login page, the session over on the server too."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from trial.models import AuthEvent, AuthEventKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_warning_then_the_end_of_an_idle_session(
    login, live_server, nurse, settings, output_path
):
    settings.SESSION_IDLE_TIMEOUT = 8
    settings.SESSION_IDLE_WARNING = 5
    page = login(nurse)
    warning = page.get_by_test_id("session-warning")
    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=6000)
    expect(warning).to_contain_text("your session ends in")
    page.screenshot(path=str(Path(output_path) / "session-warning.png"))
    page.click("[data-keepalive]")
    expect(warning).to_be_hidden()
    assert page.url == f"{live_server.url}/"
    # Left alone: the warning again, then the login page with the reason.
    expect(warning).to_be_visible(timeout=6000)
    page.wait_for_url(f"{live_server.url}/accounts/login/**", timeout=12000)
    expect(page.locator("body")).to_contain_text("Your session ended after")
    assert AuthEvent.objects.filter(kind=AuthEventKind.SESSION_EXPIRED, user=nurse).exists()
