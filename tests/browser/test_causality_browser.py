"""The investigator signs an adverse event's causality from its page, on the one signing page
of every decision; a later change of the relationship asks for a new signature."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.dosing.conftest import save
from tests.dosing.test_ae_cm_forms import ae
from trial import selectors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_causality_of_an_adverse_event_is_signed_then_broken(
    login, live_server, nurse, investigator, participant, output_path
):
    save(nurse, participant, "LOG", "AE", ae())
    row = participant.forms.get(form="AE")
    out = Path(output_path)
    out.mkdir(parents=True, exist_ok=True)

    page = login(investigator)
    page.goto(f"{live_server.url}/p/{participant.code}/LOG/AE/1/")
    page.click("[data-testid=sign-causality]")
    expect(page.get_by_test_id("decision")).to_have_attribute("data-kind", "ae_causality")
    expect(page.get_by_test_id("signed-content")).to_contain_text("Probable")
    page.screenshot(path=str(out / "causality_sign_page.png"), full_page=True)
    page.fill("input[name=password]", "not the password")
    page.click("[data-testid=sign-form] button[type=submit]")
    expect(page.locator("#error_1_id_password")).to_contain_text("Wrong password")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=sign-form] button[type=submit]")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)
    expect(page.locator(".alert-success")).to_contain_text("Adverse event causality")
    assert selectors.current_signature(participant, "ae_causality", row).is_valid

    save(
        nurse,
        participant,
        "LOG",
        "AE",
        ae(relationship_iv_lutathera="definite"),
        reason="source document updated",
    )
    page.goto(f"{live_server.url}/p/{participant.code}/")
    alert = page.locator('[data-testid=signature-alert][data-kind="ae_causality"]')
    expect(alert).to_contain_text("Adverse event causality")
    page.screenshot(path=str(out / "causality_to_sign_again.png"), full_page=True)
    page.goto(f"{live_server.url}/p/{participant.code}/LOG/AE/1/")
    expect(page.get_by_test_id("signature-broken")).to_contain_text("probable → definite")
