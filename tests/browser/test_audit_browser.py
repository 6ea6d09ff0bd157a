"""A nurse corrects a completed Demographics form, gives a reason, and reads it in History."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.audit.conftest import save_demographics
from trial import actions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UTC_TITLE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")


def test_nurse_corrects_demographics_with_a_reason_and_reads_it_in_history(
    login, live_server, nurse, bdx
):
    participant = actions.register_participant(nurse, bdx, date(2026, 3, 2))
    save_demographics(nurse, participant.forms.get(form="DEMOG"))  # completed, 61.5 kg

    page = login(nurse)
    page.goto(f"{live_server.url}/p/{participant.code}/")
    page.click("a.form-chip[data-form=DEMOG]")
    page.fill("input[name=crf-weight_kg]", "62")
    page.click("button[name=save_complete]")
    # No reason: refused beside the reason field, and the typed weight is still there.
    expect(page.locator("#error_1_id_change-reason")).to_be_visible()
    expect(page.locator("input[name=crf-weight_kg]")).to_have_value("62")

    page.select_option("select[name=change-reason]", "transcription error")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)

    page.click("a.form-chip[data-form=DEMOG]")
    page.get_by_test_id("history-link").click()
    weights = page.locator("tr[data-field=weight_kg]")
    expect(weights).to_have_count(2)
    expect(weights.nth(0)).to_contain_text("61.5")
    expect(weights.nth(0)).to_contain_text("first entry")
    expect(weights.nth(1)).to_contain_text("62.0")
    expect(weights.nth(1)).to_contain_text("Transcription error")
    expect(weights.nth(1)).to_contain_text("Alice Nurse (alice)")
    expect(weights.nth(1)).to_have_attribute("data-current", "true")
    # The time is the site's (Paris), with UTC on hover.
    stamp = weights.nth(1).locator("time")
    expect(stamp).to_have_attribute("title", UTC_TITLE)
    expect(stamp).to_contain_text("CE")  # CET or CEST
