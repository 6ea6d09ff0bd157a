"""The gate page in Chromium (issue 23): a patient ratio of 2.99689 reads 2.997 and does not open
the gate; a "proceed" withdrawn before the dose asks for its reason, frees its slot and keeps
the first decision in view; the same page in French."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from imaging import selectors
from tests.conftest import PASSWORD
from tests.imaging import helpers as h
from tests.imaging.test_gate import EXACT_RATIOS
from trial.models import Site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pets(nurse, participant, iah, iv) -> None:
    h.save(nurse, participant, "PET-IAH", "PETLES", *h.lesions_data())
    h.save(nurse, participant, "PET-IAH", "PET_IAH", *h.pet_data(h.IAH_INJECTION, iah))
    h.save(nurse, participant, "PET-IV", "PET_IV", *h.pet_data(h.IV_INJECTION, iv, iah=False))


def _sign(page, decision: str, reason: str = "") -> None:
    page.select_option("select[name=decision]", decision)
    page.fill("input[name=reason]", reason)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=sign-form] button[type=submit]")


def test_the_gate_page_reads_on_the_side_of_its_threshold_and_a_proceed_is_corrected(
    login, live_server, nurse, investigator, bdx, output_path
):
    out = Path(output_path)
    out.mkdir(parents=True, exist_ok=True)
    shots = [out, Path("/tmp/ui/gate")]
    _name, iah, iv, _met, _shown = next(e for e in EXACT_RATIOS if e[0] == "2.99689")
    below = h.enrolled(nurse, investigator, bdx)
    _pets(nurse, below, iah, iv)
    chosen = h.enrolled(nurse, investigator, bdx)
    h.enter_pets(nurse, chosen)

    page = login(investigator)
    page.goto(f"{live_server.url}/p/{below.code}/sign/gate/")
    expect(page.get_by_test_id("patient-ratio")).to_have_text("2.997")
    expect(page.get_by_test_id("gate-result")).to_have_attribute("data-result", "not-met")
    expect(page.get_by_test_id("proceed-refusal")).to_contain_text("2.997 is below")
    for folder in shots:
        page.screenshot(path=str(folder / "gate_2_997_en.png"), full_page=True)

    # A "proceed" signed, then withdrawn before the dose: the reason is asked first.
    page.goto(f"{live_server.url}/p/{chosen.code}/sign/gate/")
    _sign(page, "proceed")
    expect(page.get_by_test_id("participant-code")).to_have_text(chosen.code)
    page.goto(f"{live_server.url}/p/{chosen.code}/sign/gate/")
    expect(page.get_by_test_id("slots")).to_have_attribute("data-pending", "1")
    expect(page.get_by_test_id("slots")).to_contain_text("9 left of 10")
    _sign(page, "not_eligible")
    expect(page.get_by_test_id("error-summary")).to_contain_text("reason for the change")
    expect(page.locator("select[name=decision]")).to_have_value("not_eligible")
    _sign(page, "not_eligible", "hepatic artery anatomy unsuitable")
    expect(page.get_by_test_id("participant-code")).to_have_text(chosen.code)
    assert selectors.gate_of(chosen).decision == "not_eligible"
    page.goto(f"{live_server.url}/p/{chosen.code}/sign/gate/")
    expect(page.get_by_test_id("slots")).to_contain_text("0 proceeds pending, 10 left of 10")
    expect(page.get_by_test_id("first-decision")).to_contain_text("I decide the IAH dose")
    expect(page.get_by_test_id("later-decision")).to_contain_text("not eligible")
    for folder in shots:
        page.screenshot(path=str(folder / "gate_corrected_en.png"), full_page=True)

    # The same pages in French: the site's language.
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    page.context.clear_cookies()
    page = login(investigator)
    page.goto(f"{live_server.url}/p/{below.code}/sign/gate/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_test_id("patient-ratio")).to_have_text("2,997")
    expect(page.get_by_test_id("slots")).to_contain_text("10 restantes sur 10")
    for folder in shots:
        page.screenshot(path=str(folder / "gate_2_997_fr.png"), full_page=True)
    page.goto(f"{live_server.url}/p/{chosen.code}/sign/gate/")
    expect(page.get_by_test_id("first-decision")).to_contain_text("Première décision")
    for folder in shots:
        page.screenshot(path=str(folder / "gate_corrected_fr.png"), full_page=True)
