"""Issue 31 in Chromium: the nurse types the VOI volumes on the SPECT/CT form (a zero volume
refused beside its input, nothing typed lost), the page reproduces the worked example of
PROTOCOL.md section 5 with the doses in Gy and Gy/GBq and the fit's ±1 SD band, and the
investigator signs the physicist's review on the signing page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from imaging import actions
from tests.conftest import PASSWORD
from tests.imaging import helpers as h
from trial import selectors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cell(page, volume: str, method: str, value: str):
    return page.locator(
        f'tbody[data-volume="{volume}"] tr[data-method="{method}"] [data-value="{value}"]'
    )


def test_the_worked_example_on_the_page_and_the_signed_review(
    login, live_server, nurse, investigator, bdx, output_path
):
    participant = h.enrolled(nurse, investigator, bdx)
    h.enter_pets(nurse, participant)
    actions.sign_gate(investigator, PASSWORD, participant, "proceed")
    participant.refresh_from_db()
    # 7.400 GBq measured at the infusion start, nothing left: 7400 MBq given.
    dose = h.iah_dose_data(
        activity_before_at=h.dt(h.INFUSION),
        residual_after_gbq="0",
        residual_after_at=h.dt(h.INFUSION),
    )
    h.save(nurse, participant, "IAH", "IAHDOSE", dose, {}, confirm=True)
    participant.refresh_from_db()
    h.save(nurse, participant, "DOSI", "DOSI", {}, h.dosimetry_groups(volumes=[]))
    out = Path(output_path)
    out.mkdir(parents=True, exist_ok=True)

    page = login(nurse)
    page.goto(f"{live_server.url}/p/{participant.code}/DOSI/DOSI/1/")
    expect(page.get_by_test_id("group-volumes")).to_be_visible()
    for index in range(10):
        page.fill(f"input[name=crf-volumes-{index}-volume_ml]", "10")
    page.fill("input[name=crf-volumes-6-volume_ml]", "0")  # left kidney: refused
    page.fill("input[name=crf-volumes-9-density_g_ml]", "1.03")
    page.click("button[name=save_complete]")
    left = page.locator("input[name=crf-volumes-6-volume_ml]")
    expect(left).to_have_value("0")
    expect(left).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_crf-volumes-6-volume_ml_errors")).to_contain_text(
        "Enter a volume above 0"
    )
    expect(page.locator("input[name=crf-volumes-9-density_g_ml]")).to_have_value("1.03")
    left.fill("10")
    # The time points were saved before: adding the volumes is a change with its reason.
    page.select_option("select[name=change-reason]", "source document updated")
    page.click("button[name=save_complete]")
    page.wait_for_url(f"{live_server.url}/p/{participant.code}/")
    page.goto(f"{live_server.url}/p/{participant.code}/DOSI/DOSI/1/")
    expect(page.get_by_test_id("dosimetry-results")).to_be_visible()

    # The worked example: 141.75 MBq·h (trapezoids), 140.22 ± 1.9 % (fit, 1.1 % below),
    # 124.65 MBq·h at 72 h; 0.019155 h for 7400 MBq; 0.8048 Gy per 100 MBq·h in 10 mL.
    expect(_cell(page, "act_liver", "trapezoids", "tia")).to_have_text("141.75")
    expect(_cell(page, "act_liver", "mono", "tia")).to_contain_text("140.22")
    expect(_cell(page, "act_liver", "mono", "uncertainty")).to_have_text("± 1.9 %")
    expect(_cell(page, "act_liver", "mono", "difference")).to_have_text("-1.1 %")
    expect(_cell(page, "act_liver", "single", "tia")).to_have_text("124.65")
    expect(_cell(page, "act_liver", "trapezoids", "dose")).to_have_text("1.14")
    expect(_cell(page, "act_liver", "trapezoids", "per-gbq")).to_have_text("0.154")
    expect(page.locator('tbody[data-volume="act_liver"] th')).to_contain_text("0.019155 h")
    expect(page.locator('[data-chart="act_liver"] [data-part="band"]')).to_have_count(1)
    page.get_by_test_id("dosimetry-results").screenshot(path=str(out / "dosimetry_results.png"))
    page.locator('[data-chart="act_liver"]').screenshot(path=str(out / "liver_curve.png"))
    page.screenshot(path=str(out / "dosimetry_page.png"), full_page=True)

    page.context.clear_cookies()
    page = login(investigator)
    page.goto(f"{live_server.url}/p/{participant.code}/DOSI/DOSI/1/")
    page.get_by_test_id("dosimetry-review").click()
    expect(page.get_by_test_id("dosimetry-state")).to_have_attribute("data-state", "clear")
    expect(page.get_by_test_id("sign-form")).to_contain_text("I have reviewed the dosimetry")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[name=sign]")
    page.wait_for_url(f"{live_server.url}/p/{participant.code}/")
    assert selectors.current_signature(participant, "dosimetry").is_valid
    page.goto(f"{live_server.url}/p/{participant.code}/sign/dosimetry/")
    expect(page.get_by_test_id("signature-card")).to_contain_text("I have reviewed the dosimetry")
    page.screenshot(path=str(out / "dosimetry_review_signed.png"), full_page=True)
