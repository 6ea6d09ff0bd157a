"""The accessibility statement from the footer of the login page, by keyboard, in French and in
English; screenshots of both for the record."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("language", "title"),
    [("fr", "Déclaration d'accessibilité"), ("en", "Accessibility statement")],
)
def test_the_statement_from_the_footer(page, live_server, output_path, language, title):
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/accounts/login/")
    link = page.get_by_test_id("accessibility-link")
    for _ in range(30):  # Tab to the footer's link, then Enter
        page.keyboard.press("Tab")
        if link.evaluate("e => e === document.activeElement"):
            break
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/accessibility/")
    expect(page.locator("h1")).to_have_text(title)
    expect(page.get_by_test_id("non-conformities").locator("li")).to_have_count(2)
    expect(page.get_by_test_id("recourse").locator("li")).to_have_count(3)
    expect(page.get_by_test_id("accessibility-contact")).to_be_visible()
    out = Path(output_path)
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"statement-{language}.png"), full_page=True)
