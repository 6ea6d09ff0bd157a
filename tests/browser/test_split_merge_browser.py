"""A nurse records in Chromium that target lesions split and merged at follow-up: a merge into
the lesion itself is refused beside "Merged into" with what was typed kept, then the
corrected entry is saved and the response read on the form and on the RECIST page."""

import pytest
from playwright.sync_api import expect

from followup.models import RecistAssessment
from tests.followup import helpers as h

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.req("CALC.RECIST.LESIONS"),
]


def test_split_and_merge_typed_into_the_follow_up_form(login, live_server, nurse, bdx):
    participant = h.follow_up_participant(nurse, bdx)
    page = login(nurse)
    base = f"{live_server.url}/p/{participant.code}"
    page.goto(f"{base}/M3/RECIST/1/")
    page.fill("input[name=crf-imaging_date]", h.visit_day(3).isoformat())
    page.select_option("select[name=crf-non_target_status]", "NON-CR/NON-PD")
    page.select_option("select[name=crf-new_lesions]", "False")
    page.select_option("select[name=crf-unequivocal_progression]", "False")
    # Baseline T1 32, T2 25, T3 (node) 18: 75 mm. T1 split into fragments of 12 and 10 mm;
    # T2 merged into T3, the merged lesion 30 mm under T3: 52 mm, -30.7 %, a PR.
    row = "crf-measurements-{}-{}"
    page.select_option(f"select[name={row.format(0, 'present')}]", "True")
    page.fill(f"input[name={row.format(0, 'size_mm')}]", "22")
    page.select_option(f"select[name={row.format(0, 'state')}]", "split")
    page.select_option(f"select[name={row.format(1, 'state')}]", "merged")
    page.select_option(f"select[name={row.format(1, 'merged_into')}]", "T2")  # itself
    page.select_option(f"select[name={row.format(2, 'present')}]", "True")
    page.fill(f"input[name={row.format(2, 'size_mm')}]", "30")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("merged-into-error")).to_contain_text(
        "T2 cannot be merged into itself"
    )
    expect(page.locator(f"input[name={row.format(0, 'size_mm')}]")).to_have_value("22")
    expect(page.locator(f"select[name={row.format(0, 'state')}]")).to_have_value("split")
    page.select_option(f"select[name={row.format(1, 'merged_into')}]", "T3")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_be_visible()

    m3 = RecistAssessment.objects.get(form_status__participant=participant)
    assert (str(m3.sum_mm), m3.overall_response) == ("52.0", "PR")
    page.goto(f"{base}/M3/RECIST/1/")
    expect(page.get_by_test_id("sum")).to_have_text("52.0 mm")
    expect(page.get_by_test_id("target-response")).to_have_text("PR")
    page.get_by_test_id("recist-page-link").click()
    expect(page.get_by_test_id("lesions-M3")).to_have_text("T1 split · T2 merged into T3")
    expect(page.get_by_test_id("target-M3")).to_have_text("PR")
    expect(page.get_by_test_id("overall-M3")).to_contain_text("PR")  # unconfirmed yet
