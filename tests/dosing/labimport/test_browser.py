"""A nurse uploads the hospital's CSV, sees the flags, approves the C2 panel (confirming the
tenfold platelets), rejects the test the panel does not hold, and reads the values on the lab
form."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dosing.labimport.models import ImportedLabValue, ValueState
from dosing.models import LabPanel
from tests.dosing.labimport.conftest import DATA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, output_path, name: str) -> None:
    page.screenshot(path=str(Path(output_path) / name), full_page=True)
    extra = os.environ.get("EDC_SCREENSHOTS")  # a folder to look at them by hand
    if extra:
        page.screenshot(path=str(Path(extra) / name), full_page=True)


def test_nurse_uploads_approves_a_panel_and_reads_it_on_the_lab_form(
    login, live_server, nurse, c1, bdx, output_path
):
    page = login(nurse)
    page.get_by_test_id("nav-lab-import").click()
    page.set_input_files("input[name=file]", str(DATA / "browser_panel.csv"))
    page.get_by_test_id("upload-form").locator("button[type=submit]").click()
    summary = page.get_by_test_id("import-summary")
    expect(summary).to_contain_text("12 results of 1 participants queued")
    expect(page.locator("[data-testid=import-line][data-flags=tenfold]")).to_have_count(1)
    shot(page, output_path, "lab-import-upload.png")

    # The participant page says how many wait, and leads to the queue.
    page.goto(f"{live_server.url}/p/{c1.code}/")
    expect(page.get_by_test_id("lab-pending")).to_have_attribute("data-count", "12")
    page.get_by_test_id("lab-queue-link").click()
    group = page.locator("[data-testid=panel-group][data-panel=C2]")
    expect(group.get_by_test_id("queued-value")).to_have_count(12)
    platelets = group.locator("[data-testid=queued-value][data-item=platelets]")
    expect(platelets.locator("[data-flag=tenfold]")).to_be_visible()
    sodium = group.locator("[data-testid=queued-value][data-item=Sodium]")
    expect(sodium.locator("[data-flag=unknown_code]")).to_be_visible()
    expect(sodium.get_by_test_id("approve-value")).to_have_count(0)
    shot(page, output_path, "lab-import-queue.png")

    # Approving without confirming the flagged value is refused, with nothing written.
    approve = group.get_by_test_id("approve-panel")
    approve.get_by_role("button").click()
    expect(page.get_by_test_id("queue-error")).to_be_visible()
    assert not LabPanel.objects.filter(form_status__event="C2").exists()
    group = page.locator("[data-testid=panel-group][data-panel=C2]")
    group.get_by_test_id("approve-panel").get_by_role("checkbox").check()
    group.get_by_test_id("approve-panel").get_by_role("button").click()
    expect(page.locator(".alert-success")).to_contain_text("11 values approved into IV cycle 2")

    # The unknown test is rejected with a reason.
    sodium = page.locator("[data-testid=queued-value][data-item=Sodium]")
    sodium.locator("summary", has_text="Reject").click()
    sodium.get_by_test_id("reject-value").get_by_role("button").click()  # no reason yet
    expect(page.locator("[data-testid=queued-value][data-item=Sodium]")).to_be_visible()
    sodium = page.locator("[data-testid=queued-value][data-item=Sodium]")
    sodium.locator("input[name=reason]").fill("not a test of the panel")
    sodium.get_by_test_id("reject-value").get_by_role("button").click()
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    expect(page.locator("[data-testid=decided-value][data-state=rejected]")).to_have_count(1)
    shot(page, output_path, "lab-import-decided.png")

    page.goto(f"{live_server.url}/p/{c1.code}/")
    page.click("li[data-event=C2] a.form-chip[data-form=LAB]")
    expect(page.locator("input[name=crf-platelets_entered]")).to_have_value("21")
    expect(page.locator("select[name=crf-platelets_unit]")).to_have_value("G/L")
    expect(page.locator("input[name=crf-haemoglobin_g_dl]")).to_have_value("13.1")
    expect(page.locator("input[name=crf-sample_date]")).to_have_value("2025-12-26")
    expect(page.get_by_test_id("grade-platelets")).to_have_attribute("data-grade", "4")
    shot(page, output_path, "lab-import-lab-form.png")
    states = set(ImportedLabValue.objects.values_list("state", flat=True))
    assert states == {ValueState.APPROVED, ValueState.REJECTED}
