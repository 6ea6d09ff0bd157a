"""The administrator at work in Chromium, in French and in English: an account created (once
without a reason, refused with what was typed kept), a role assigned with dates, the account
deactivated; the roles-over-time report and the administration trail show it all. The new
nurse's open session ends at the deactivation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from trial.models import RoleAssignment, Site, UserPreference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/ui/trailsec")
NEW_PASSWORD = "violet-harbour-2026"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_administrator_creates_assigns_and_deactivates(
    login, live_server, browser, administrator, bdx, language
):
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    UserPreference.objects.create(user=administrator, language=language)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = login(administrator)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_test_id("nav-administration").click()
    expect(page.get_by_test_id("accounts")).to_be_visible()
    page.get_by_test_id("new-account").click()

    form = page.get_by_test_id("account-form")
    form.locator("input[name=username]").fill("bruno")
    form.locator("input[name=first_name]").fill("Bruno")
    form.locator("input[name=last_name]").fill("Garnier")
    form.locator("input[name=email]").fill("bruno@example.org")
    form.locator("input[name=password]").fill(NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    # No reason: refused beside the field, nothing typed lost.
    reason = page.get_by_test_id("account-form").locator("input[name=reason]")
    expect(reason).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.get_by_test_id("account-form").locator("input[name=last_name]")).to_have_value(
        "Garnier"
    )
    page.screenshot(path=str(SHOTS / f"{language}-1-new-account-refused.png"), full_page=True)
    reason.fill("nouvelle infirmière de recherche" if language == "fr" else "new research nurse")
    page.get_by_test_id("account-form").locator("button[type=submit]").click()

    assign = page.get_by_test_id("assign-form")
    expect(assign).to_be_visible()
    assign.locator("select[name=assign-role]").select_option("Research nurse")
    assign.locator("select[name=assign-site]").select_option(str(bdx.pk))
    assign.locator("input[name=assign-reason]").fill("joined the unit")
    assign.locator("button[name=action][value=assign]").click()
    row = page.get_by_test_id("assignments").locator("tr[data-role='Research nurse']")
    expect(row).to_have_count(1)
    page.screenshot(path=str(SHOTS / f"{language}-2-account-assigned.png"), full_page=True)
    assert RoleAssignment.objects.filter(user__username="bruno", site=bdx).exists()

    # Bruno logs in, in a browser of his own.
    other = browser.new_context()
    nurse_page = other.new_page()
    nurse_page.goto(f"{live_server.url}/accounts/login/")
    nurse_page.fill("input[name=username]", "bruno")
    nurse_page.fill("input[name=password]", NEW_PASSWORD)
    nurse_page.click("button[type=submit]")
    nurse_page.wait_for_url(f"{live_server.url}/")

    deactivate = page.get_by_test_id("deactivate-form")
    deactivate.locator("input[name=deactivate-reason]").fill("left the hospital")
    deactivate.locator("button[name=action]").click()
    expect(page.get_by_test_id("activate-form")).to_be_visible()
    page.screenshot(path=str(SHOTS / f"{language}-3-account-deactivated.png"), full_page=True)

    # His open session ends at its next request.
    nurse_page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in nurse_page.url
    other.close()

    page.get_by_test_id("admin-nav").locator("a[href$='/administration/roles/']").click()
    report = page.get_by_test_id("roles-report")
    expect(report).to_contain_text("bruno")
    expect(report).to_contain_text("joined the unit")
    page.screenshot(path=str(SHOTS / f"{language}-4-roles-over-time.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_test_id("roles-csv").click()
    assert b"bruno" in Path(download.value.path()).read_bytes()

    page.get_by_test_id("admin-nav").locator("a[href$='/administration/trail/']").click()
    trail = page.get_by_test_id("account-changes")
    expect(trail).to_contain_text("left the hospital")
    expect(trail).to_contain_text("joined the unit")
    page.screenshot(path=str(SHOTS / f"{language}-5-administration-trail.png"), full_page=True)

    page.get_by_test_id("admin-nav").locator("a[href$='/administration/sites/']").click()
    expect(page.get_by_test_id("sites")).to_contain_text("BDX")
    page.screenshot(path=str(SHOTS / f"{language}-6-sites.png"), full_page=True)
