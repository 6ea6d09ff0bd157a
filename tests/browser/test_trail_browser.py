"""The participant's own changes on the audit review in a browser: a data manager locks a
casebook with its reason through the page, then finds the registration and the lock, with
who, why and the client address, under the form filter "Participant"; a date beyond the
calendar in a filter is refused beside the filter, the page answering 400."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from trial import actions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/ui/trailrev")


def test_the_casebook_lock_and_the_registration_on_the_review_page(
    login, live_server, nurse, data_manager, bdx
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    participant = actions.register_participant(nurse, bdx, date(2026, 3, 2))
    page = login(data_manager)
    page.goto(f"{live_server.url}/p/{participant.code}/lock/")
    page.select_option("select[name=change-reason]", "other")
    page.fill("input[name=change-reason_other]", "Database freeze for the interim analysis")
    page.get_by_role("button", name="Lock").click()
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)

    page.goto(f"{live_server.url}/review/")
    page.fill("#f-participant", participant.code)
    page.select_option("#f-form", "Participant")
    page.get_by_role("button", name="Filter", exact=True).click()
    rows = page.locator("[data-testid=review-table] tbody tr[data-entry]")
    expect(rows.first).to_be_visible()
    texts = rows.all_inner_texts()
    assert all("Participant" in text for text in texts)
    lock = [t for t in texts if "Casebook locked at" in t]
    assert len(lock) == 1 and "dana" in lock[0]
    assert "Other: Database freeze for the interim analysis" in lock[0]
    # The origin in words (its code stays in the row's data-origin and the audit CSV).
    assert "127.0.0.1" in lock[0] and "Casebook locked\n" in lock[0]
    registration = [t for t in texts if "Participant code" in t]
    assert len(registration) == 1 and "alice" in registration[0]
    page.screenshot(path=str(SHOTS / "review-participant.png"), full_page=True)

    response = page.goto(f"{live_server.url}/review/?end=9999-12-31")
    assert response.status == 400
    expect(page.locator("#f-end")).to_have_value("9999-12-31")
    expect(page.locator("#f-end + .invalid-feedback")).to_contain_text("Enter a date between")
    page.screenshot(path=str(SHOTS / "review-bad-date.png"), full_page=True)
    response = page.goto(f"{live_server.url}/review/?after=garbage")
    assert response.status == 400
    expect(page.get_by_test_id("bad-request")).to_contain_text("This page link is damaged")
    page.screenshot(path=str(SHOTS / "review-bad-cursor.png"), full_page=True)
