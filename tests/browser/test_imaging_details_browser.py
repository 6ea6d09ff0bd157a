"""Issue 21 in Chromium, as the French BDX nurse and investigator: the gate chart legible at
1366 and 1024 px, a text box that counts its characters and keeps a text too long, the error
summary's links that move focus to the row input, and a confirmation that stays ticked."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from imaging.models import PetScan
from tests.imaging import helpers as h
from trial.models import Site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_gate_chart_is_legible_at_both_widths(
    login, live_server, nurse, investigator, bdx, output_path
):
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    participant = h.enrolled(nurse, investigator, bdx)
    h.enter_pets(nurse, participant)
    page = login(investigator)
    out = Path(output_path)
    for width in (1366, 1024):
        page.set_viewport_size({"width": width, "height": 768})
        page.goto(f"{live_server.url}/p/{participant.code}/GATE/GATE/1/")
        chart = page.locator("[data-testid=gate-chart] svg")
        box = chart.bounding_box()
        label = page.locator("[data-threshold-label]").bounding_box()
        assert box["width"] >= 600, (width, box)
        # The label whole inside the chart, right of the plot, in a readable size.
        assert box["x"] <= label["x"] and label["x"] + label["width"] <= box["x"] + box["width"]
        assert label["height"] >= 13, label
        expect(page.locator("[data-threshold-label]")).to_have_text("seuil 3")
        chart.screenshot(path=str(out / f"gate_chart_{width}.png"))


def test_pet_form_limits_summary_links_and_a_confirmation_that_stays(
    login, live_server, nurse, investigator, bdx, output_path
):
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    participant = h.enrolled(nurse, investigator, bdx)
    h.save(nurse, participant, "PET-IAH", "PETLES", *h.lesions_data())
    page = login(nurse)
    page.goto(f"{live_server.url}/p/{participant.code}/PET-IAH/PET_IAH/1/")
    values, groups = h.pet_data(h.IAH_INJECTION)

    def typed(moment: str) -> str:
        day, time = moment.split("T")
        year, month, date = day.split("-")
        return f"{date}/{month}/{year} {time}"

    page.select_option("select[name=crf-radiopharmaceutical]", "DOTATOC")
    page.fill("input[name=crf-measured_activity_mbq]", "180")
    for name in ("measured_at", "residual_at", "injection_at", "scan_start_at"):
        page.fill(f"input[name=crf-{name}]", typed(values[name]))
    page.fill("input[name=crf-residual_activity_mbq]", "8")
    page.fill("input[name=crf-weight_kg]", "38")  # unusual: to confirm
    page.select_option("select[name=crf-catheter_position]", "proper_hepatic")
    page.select_option("select[name=crf-angiography_complications]", "True")
    for index, row in enumerate(groups["lesion_suvs"]):
        page.fill(f"input[name=crf-lesion_suvs-{index}-suv_max]", str(row["suv_max"]))
        page.fill(f"input[name=crf-lesion_suvs-{index}-suv_mean]", str(row["suv_mean"]))
    page.fill("input[name=crf-lesion_suvs-1-suv_max]", "5")  # L2 below its SUVmean: refused

    # The text box counts its characters; beyond 200 it says so, and nothing is cut.
    detail = page.locator("input[name=crf-complications_detail]")
    counter = page.locator("[data-limit-for='crf-complications_detail']")
    expect(counter).to_have_text("0 / 200 caractères")
    long_text = "Dissection de l'artère hépatique propre, traitée par stent. " * 4  # 240
    detail.fill(long_text)
    expect(counter).to_contain_text("240 / 200")
    expect(counter).to_have_class("form-text text-limit text-danger fw-semibold")
    expect(detail).to_have_value(long_text)

    page.click("button[name=save_complete]")
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    # Weight (unusual), L2, the text too long, and the confirmation box.
    expect(summary.locator("h2")).to_contain_text("4 champs à corriger")
    expect(page.locator("input[name=crf-complications_detail]")).to_have_value(long_text)
    page.screenshot(path=str(Path(output_path) / "pet_error_summary.png"), full_page=True)

    # The row's link moves focus to the row's input, whose error stands beside it.
    summary.get_by_role("link", name="L2 (segment IV)").click()
    row_input = page.locator("input[name=crf-lesion_suvs-1-suv_max]")
    expect(row_input).to_be_focused()
    expect(row_input.locator("xpath=..")).to_contain_text("ne peut pas être inférieure")

    # Confirmed, then refused for the two other errors: the confirmation stays ticked.
    page.check("input[name=crf-confirm_unusual]")
    page.click("button[name=save_complete]")
    expect(page.locator("input[name=crf-confirm_unusual]")).to_be_checked()
    row_input.fill("40")
    page.fill("input[name=crf-complications_detail]", "Dissection traitée par stent.")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)
    saved = PetScan.objects.get(form_status__participant=participant)
    assert saved.weight_kg == 38 and saved.complications_detail == "Dissection traitée par stent."
