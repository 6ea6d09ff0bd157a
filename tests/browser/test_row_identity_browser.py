"""A nurse edits the baseline target lesions in Chromium: each row shows its permanent label,
removing T1 while follow-up measures it is refused beside the row (naming the assessment) with
everything typed kept, and removing a lesion nothing depends on leaves the others' labels."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from eligibility.models import TargetLesion
from tests.followup import helpers as h

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def labels(page) -> list[str]:
    return page.locator("[data-testid=target-lesions] tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.label)"
    )


def test_lesion_rows_keep_their_labels_and_a_measured_one_stays(
    login, live_server, nurse, bdx, output_path
):
    participant = h.follow_up_participant(nurse, bdx)
    h.save_recist(nurse, participant, "M3", h.visit_day(3), 22, 16, 12)
    page = login(nurse)
    url = f"{live_server.url}/p/{participant.code}/SCR/IMAGING/1/"
    out = Path(output_path)
    out.mkdir(parents=True, exist_ok=True)

    page.goto(url)
    assert labels(page) == ["T1", "T2", "T3", "T4", "T5"]
    # A new lung lesion typed in T4, and T1 ticked for removal: refused, T1 is measured at M3.
    page.select_option("select[name=crf-target-3-organ]", "lung")
    page.fill("input[name=crf-target-3-diameter_mm]", "14")
    page.check("input[name=crf-target-0-DELETE]")
    page.select_option("select[name=change-reason]", "transcription error")
    page.click("button[name=save_complete]")
    error = page.locator("[data-label=T1] [data-testid=row-error]")
    expect(error).to_contain_text("T1 cannot be removed; data that depend on it: M3 RECIST.")
    expect(error).to_contain_text("not evaluable")
    expect(page.get_by_test_id("target-errors")).to_contain_text("(T1)")
    expect(page.locator("input[name=crf-target-3-diameter_mm]")).to_have_value("14")
    page.screenshot(path=str(out / "baseline-removal-refused.png"), full_page=True)
    assert sorted(TargetLesion.objects.values_list("number", flat=True)) == [1, 2, 3]

    # T1 kept: the lung lesion is saved as T4.
    page.uncheck("input[name=crf-target-0-DELETE]")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_be_visible()
    assert sorted(TargetLesion.objects.values_list("number", "organ")) == [
        (1, "liver"),
        (2, "liver"),
        (3, "lymph_node"),
        (4, "lung"),
    ]

    # T4 (measured nowhere) removed: T1-T3 keep their labels, T4 is free again.
    page.goto(url)
    assert labels(page)[:4] == ["T1", "T2", "T3", "T4"]
    page.check("input[name=crf-target-3-DELETE]")
    page.select_option("select[name=change-reason]", "transcription error")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_be_visible()
    page.goto(url)
    assert labels(page) == ["T1", "T2", "T3", "T4", "T5"]
    expect(page.locator("input[name=crf-target-2-diameter_mm]")).to_have_value("18.0")
    page.screenshot(path=str(out / "baseline-after-removal.png"), full_page=True)
