"""A nurse logs in, registers a participant, fills Demographics and sees it on the timeline."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_nurse_registers_fills_demographics_and_sees_it_complete(
    login, live_server, nurse, output_path
):
    page = login(nurse)
    page.click("text=Register a participant")
    page.fill("input[name=screening_date]", "2026-03-02")
    page.click("button:has-text('Register')")
    expect(page.get_by_test_id("participant-code")).to_have_text("BDX-001")

    page.click("a.form-chip[data-form=DEMOG]")
    page.fill("input[name=crf-birth_date]", "1961-05-14")
    page.select_option("select[name=crf-sex]", "F")
    page.fill("input[name=crf-height_cm]", "164")
    page.fill("input[name=crf-weight_kg]", "700")
    page.click("button[name=save_complete]")
    # A weight of 700 kg is refused beside the field, and what was typed stays.
    expect(page.locator("#error_1_id_crf-weight_kg")).to_contain_text("between")
    expect(page.locator("input[name=crf-height_cm]")).to_have_value("164")
    page.fill("input[name=crf-weight_kg]", "62")
    page.click("button[name=save_complete]")

    chip = page.locator("a.form-chip[data-form=DEMOG]")
    expect(chip).to_have_attribute("data-status", "complete")
    shot = Path(output_path) / "timeline.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
