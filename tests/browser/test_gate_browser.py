"""The nurse enters both PETs, the investigator reads the gate and signs "proceed", the nurse
enters the IAH dose; the gate chart and the time-activity curves are saved as screenshots."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dosing.models import IahDose
from imaging import selectors
from tests.conftest import PASSWORD
from tests.imaging import helpers as h

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def enter_pet(page, chip: str, injection, suvs, *, iah: bool) -> None:
    page.click(chip)
    page.select_option("select[name=crf-radiopharmaceutical]", "DOTATOC")
    page.fill("input[name=crf-measured_activity_mbq]", "180")
    page.fill("input[name=crf-measured_at]", h.dt(injection - timedelta(minutes=20)))
    page.fill("input[name=crf-residual_activity_mbq]", "8")
    page.fill("input[name=crf-residual_at]", h.dt(injection + timedelta(minutes=10)))
    page.fill("input[name=crf-injection_at]", h.dt(injection))
    page.fill("input[name=crf-scan_start_at]", h.dt(injection + timedelta(minutes=60)))
    page.fill("input[name=crf-weight_kg]", "70")
    if iah:
        page.select_option("select[name=crf-catheter_position]", "proper_hepatic")
        page.select_option("select[name=crf-angiography_complications]", "False")
    for index, (high, mean) in enumerate(suvs):
        page.fill(f"input[name=crf-lesion_suvs-{index}-suv_max]", str(high))
        page.fill(f"input[name=crf-lesion_suvs-{index}-suv_mean]", str(mean))
    for index, value in enumerate(("10.5", "11", "8", "5", "1.2")):
        page.fill(f"input[name=crf-organ_suvs-{index}-suv_mean]", value)
    page.click("button[name=save_complete]")


def test_from_the_two_pets_to_a_signed_proceed_and_the_iah_dose(
    login, live_server, nurse, investigator, bdx, output_path
):
    participant = h.enrolled(nurse, investigator, bdx)
    h.save(nurse, participant, "PET-IAH", "PETLES", *h.lesions_data())
    out = Path(output_path)
    out.mkdir(parents=True, exist_ok=True)

    page = login(nurse)
    page.goto(f"{live_server.url}/p/{participant.code}/")
    # A scan typed before its injection is refused, and what was typed stays.
    bad = list(h.IAH_SUVS)
    bad[0] = (10, 12)
    enter_pet(
        page,
        "li[data-event=PET-IAH] a.form-chip[data-form=PET_IAH]",
        h.IAH_INJECTION,
        bad,
        iah=True,
    )
    expect(page.locator("[data-testid=group-lesion_suvs]")).to_contain_text("below SUVmean")
    expect(page.locator("input[name=crf-lesion_suvs-0-suv_max]")).to_have_value("10")
    page.fill("input[name=crf-lesion_suvs-0-suv_max]", "40")
    page.fill("input[name=crf-lesion_suvs-0-suv_mean]", "20")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)

    page.goto(f"{live_server.url}/p/{participant.code}/")
    enter_pet(
        page,
        "li[data-event=PET-IV] a.form-chip[data-form=PET_IV]",
        h.IV_INJECTION,
        h.IV_SUVS,
        iah=False,
    )
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)

    # The investigator reads the gate and signs "proceed".
    page.context.clear_cookies()
    page = login(investigator)
    page.goto(f"{live_server.url}/p/{participant.code}/")
    page.click("li[data-event=GATE] a.form-chip[data-form=GATE]")
    expect(page.get_by_test_id("patient-ratio")).to_have_text("3.80")
    expect(page.get_by_test_id("slots")).to_contain_text(
        "0 doses given, 0 proceeds pending, 10 left"
    )
    page.get_by_test_id("gate-chart").screenshot(path=str(out / "gate_chart.png"))
    page.select_option("select[name=decision]", "proceed")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=sign-form] button[type=submit]")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)
    assert selectors.gate_of(participant).decision == "proceed"
    assert selectors.current_signature(participant).is_valid

    # The IAH dose, with the advice shown first.
    page.context.clear_cookies()
    page = login(nurse)
    page.goto(f"{live_server.url}/p/{participant.code}/")
    page.click("li[data-event=IAH] a.form-chip[data-form=IAHDOSE]")
    expect(page.get_by_test_id("iah-advice")).to_be_visible()
    values = h.iah_dose_data()
    page.fill("input[name=crf-infusion_date]", values["infusion_date"].isoformat())
    for name in ("infusion_start", "infusion_end", "activity_before_at", "residual_after_at"):
        page.fill(f"input[name=crf-{name}]", values[name])
    page.select_option("select[name=crf-catheter_position]", "proper_hepatic")
    page.fill("input[name=crf-activity_before_gbq]", "7.4")
    page.fill("input[name=crf-residual_after_gbq]", "0.2")
    page.select_option("select[name=crf-amino_acids]", "True")
    page.select_option("select[name=crf-complications]", "False")
    page.click("button[name=save_complete]")
    # C4 was 32 days ago: the dose is outside its window (8 weeks after C4, -1 / +4 weeks),
    # confirmed as an out-of-window visit is.
    expect(page.get_by_test_id("error-summary")).to_contain_text("outside the IAH dose window")
    page.check("input[name=crf-confirm_unusual]")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)
    assert IahDose.objects.get(form_status__participant=participant).net_administered_gbq

    # The dosimetry (entered through the form class) and its curves.
    participant.refresh_from_db()
    h.save(nurse, participant, "DOSI", "DOSI", {"comments": ""}, h.dosimetry_groups())
    page.goto(f"{live_server.url}/p/{participant.code}/DOSI/DOSI/1/")
    expect(page.get_by_test_id("dosimetry-results")).to_be_visible()
    page.get_by_test_id("tac-charts").screenshot(path=str(out / "time_activity_curves.png"))
    page.screenshot(path=str(out / "dosimetry_page.png"), full_page=True)
