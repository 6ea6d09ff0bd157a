"""The nurse fills the screening forms in the browser, the investigator signs, the participant
is enrolled. The IV cycles and the eligibility lab (dosing forms) are entered in the setup."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.eligibility import helpers as h
from trial import actions, schedule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_form(page: Page, data: dict) -> None:
    """Type each value into the field named crf-<name>: select, or text/date box."""
    for name, value in data.items():
        field = page.locator(f"[name='crf-{name}']")
        text = "" if value is None else str(value)
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(text)
        else:
            field.fill(text)


def open_form(page: Page, form: str, event: str = "SCR") -> None:
    page.click(f"li[data-event={event}] a.form-chip[data-form={form}]")
    expect(page.locator("form.crf-form")).to_be_visible()


def save_complete(page: Page, form: str, event: str = "SCR") -> None:
    page.click("button[name=save_complete]")
    chip = page.locator(f"li[data-event={event}] a.form-chip[data-form={form}]")
    expect(chip).to_have_attribute("data-status", "complete")


def test_nurse_screens_investigator_signs_participant_enrolled(
    login, live_server, nurse, investigator, bdx, output_path
):
    participant = actions.register_participant(nurse, bdx, h.CONSENT_DAY)
    h.enter_cycles(nurse, participant)
    h.save(nurse, participant, "ELIG", "LAB", h.lab_data())

    page = login(nurse)
    page.goto(f"{live_server.url}/p/{participant.code}/")

    open_form(page, "CONSENT")
    fill_form(page, h.consent_data())
    save_complete(page, "CONSENT")

    open_form(page, "DEMOG")
    fill_form(page, h.demographics_data())
    save_complete(page, "DEMOG")

    open_form(page, "DISEASE")
    fill_form(page, h.disease_data())
    save_complete(page, "DISEASE")

    open_form(page, "CARDIO")
    fill_form(page, h.cardio_data())
    save_complete(page, "CARDIO")

    # Child-Pugh is computed while typing, before anything is saved.
    open_form(page, "IAHCI")
    fill_form(
        page, {**h.iahci_data(), "albumin_g_l": "30", "inr": "1.9", "bilirubin_entered": "45"}
    )
    expect(page.get_by_test_id("derived-child_pugh")).to_have_text("8 points, class B")
    fill_form(page, {"albumin_g_l": "40", "inr": "1.0", "bilirubin_entered": "12"})
    expect(page.get_by_test_id("derived-child_pugh")).to_have_text("5 points, class A")
    save_complete(page, "IAHCI")

    open_form(page, "REPRO")
    fill_form(page, h.repro_data())
    save_complete(page, "REPRO")

    open_form(page, "IMAGING")
    imaging = {k: v for k, v in h.imaging_data().items() if "FORMS" not in k}
    fill_form(page, imaging)
    save_complete(page, "IMAGING")

    # Vital signs at eligibility: 700 kg is refused beside the field, nothing typed is lost.
    open_form(page, "VITALS", "ELIG")
    fill_form(page, {**h.vitals_data(), "weight_kg": "700"})
    expect(page.get_by_test_id("derived-alt")).to_have_text("0.75 × ULN")
    page.click("button[name=save_complete]")
    expect(page.locator("#error_1_id_crf-weight_kg")).to_contain_text("between 25 and 250 kg")
    expect(page.locator("input[name=crf-systolic_bp]")).to_have_value("128")
    fill_form(page, {"weight_kg": "68"})
    expect(page.get_by_test_id("derived-clearance")).to_have_text("68.3 mL/min")
    save_complete(page, "VITALS", "ELIG")

    # The nurse sees the criteria but cannot sign.
    page.click("li[data-event=ELIG] a.form-chip[data-form=ELIGSIGN]")
    expect(page.get_by_test_id("eligibility-result")).to_have_attribute("data-result", "eligible")
    expect(page.get_by_test_id("sign-form")).to_have_count(0)
    page.click("button:has-text('Log out')")

    page = login(investigator)
    page.goto(f"{live_server.url}/p/{participant.code}/")
    page.click("li[data-event=ELIG] a.form-chip[data-form=ELIGSIGN]")
    expect(page.locator("tr[data-criterion]")).to_have_count(23)
    expect(page.locator("tr[data-tone=pass]")).to_have_count(23)
    expect(page.get_by_role("button", name="screen failure")).to_be_disabled()
    page.fill("input[name=password]", "wrong")
    page.click("button[value=eligible]")
    expect(page.locator("#error_1_id_password")).to_contain_text("Wrong password")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[value=eligible]")

    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)
    expect(page.locator("text=Eligibility signed")).to_be_visible()
    expect(page.locator("li[data-event=PET-IAH]")).to_be_visible()
    participant.refresh_from_db()
    assert participant.status == schedule.ENROLLED
    assert participant.enrolment_date == h.TODAY

    page.click("li[data-event=ELIG] a.form-chip[data-form=ELIGSIGN]")
    expect(page.get_by_test_id("signature-meaning")).to_have_text(
        "“I confirm this participant is eligible”"
    )
    shot = Path(output_path) / "eligibility_signed.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
