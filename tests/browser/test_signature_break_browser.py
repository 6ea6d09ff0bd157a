"""The investigator signs eligibility; the nurse corrects the eligibility haemoglobin; the
participant page shows the broken signature, what changed and that it must be signed again;
the investigator signs again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.eligibility import helpers as h
from trial.models import Signature

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def sign_eligible(page) -> None:
    expect(page.get_by_test_id("sign-form")).to_be_visible()
    page.fill("input[name=password]", PASSWORD)
    page.click("button[value=eligible]")
    expect(page.locator("text=Eligibility signed")).to_be_visible()


def test_a_corrected_source_value_breaks_the_signature_and_it_is_signed_again(
    login, live_server, nurse, investigator, bdx
):
    SHOTS.mkdir(exist_ok=True)
    participant = h.eligible_participant(nurse, bdx)
    detail = f"{live_server.url}/p/{participant.code}/"
    eligsign = "li[data-event=ELIG] a.form-chip[data-form=ELIGSIGN]"

    page = login(investigator)
    page.goto(detail)
    page.click(eligsign)
    sign_eligible(page)
    expect(page.locator(eligsign)).to_have_attribute("data-signature", "valid")
    page.click("button:has-text('Log out')")

    # The nurse corrects the haemoglobin of the eligibility lab, with a reason.
    page = login(nurse)
    page.goto(detail)
    page.click("li[data-event=ELIG] a.form-chip[data-form=LAB]")
    page.fill("input[name=crf-haemoglobin_g_dl]", "10.1")
    page.select_option("select[name=change-reason]", "transcription error")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)

    # Broken: on the sign-off chip, in the banner with the change, and as the next step.
    chip = page.locator(eligsign)
    expect(chip).to_have_attribute("data-signature", "broken")
    expect(chip).to_contain_text("signature broken")
    alert = page.locator("[data-testid=signature-alert][data-kind=eligibility]")
    expect(alert).to_contain_text("Signature broken: the signed data changed")
    expect(alert).to_contain_text("LAB.haemoglobin_g_dl: 11.2 → 10.1")
    nxt = page.get_by_test_id("next-action")
    expect(nxt).to_have_attribute("data-next", "resign")
    expect(nxt).to_contain_text("sign Eligibility sign-off again")
    expect(nxt).to_contain_text("An investigator must sign again.")
    page.screenshot(path=str(SHOTS / "signature_broken_nurse.png"), full_page=True)
    page.click("button:has-text('Log out')")

    # The investigator follows "Next" and signs again.
    page = login(investigator)
    page.goto(detail)
    page.screenshot(path=str(SHOTS / "signature_broken_investigator.png"), full_page=True)
    page.get_by_test_id("resign-link").click()
    expect(page.get_by_test_id("signature-broken")).to_contain_text("10.1")
    sign_eligible(page)
    expect(page.get_by_test_id("signature-alert")).to_have_count(0)
    expect(page.locator(eligsign)).to_have_attribute("data-signature", "valid")
    expect(page.get_by_test_id("next-action")).not_to_have_attribute("data-next", "resign")
    page.screenshot(path=str(SHOTS / "signature_resigned.png"), full_page=True)

    first, second = Signature.objects.filter(kind="eligibility").order_by("signed_at")
    assert first.breaks.get().changes["LAB.haemoglobin_g_dl"] == ["11.2", "10.1"]
    assert second.is_valid and second.content["LAB.haemoglobin_g_dl"] == "10.1"
