"""A nurse enters the follow-up imaging: M3 a partial response, M6 confirming it, M9 a
progression; the RECIST page names the confirmation and draws the sum of diameters; the
study's spider plot shows the participant. Screenshots go to test-results/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from followup.models import RecistAssessment
from tests.followup import helpers as h

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def enter(page, url: str, day, sizes: list[str], *, bad: str | None = None) -> None:
    page.goto(url)
    page.fill("input[name=crf-imaging_date]", day.isoformat())
    page.select_option("select[name=crf-non_target_status]", "NON-CR/NON-PD")
    page.select_option("select[name=crf-new_lesions]", "False")
    page.select_option("select[name=crf-unequivocal_progression]", "False")
    for index, size in enumerate(sizes):
        page.select_option(f"select[name=crf-measurements-{index}-present]", "True")
        page.fill(
            f"input[name=crf-measurements-{index}-size_mm]", bad if index == 0 and bad else size
        )
    page.click("button[name=save_complete]")
    if bad is not None:
        # Refused with the reason beside the lesion, and nothing typed is lost.
        expect(page.get_by_test_id("size-error").first).to_contain_text("cannot be negative")
        expect(page.locator("input[name=crf-measurements-1-size_mm]")).to_have_value(sizes[1])
        page.fill("input[name=crf-measurements-0-size_mm]", sizes[0])
        page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_be_visible()


def test_pr_confirmed_then_pd_with_charts(login, live_server, nurse, bdx, output_path):
    participant = h.follow_up_participant(nurse, bdx)
    page = login(nurse)
    base = f"{live_server.url}/p/{participant.code}"
    # Baseline T1 32, T2 25, T3 (node) 18: 75 mm.
    enter(page, f"{base}/M3/RECIST/1/", h.visit_day(3), ["22", "16", "12"], bad="-4")  # 50: PR
    enter(page, f"{base}/M6/RECIST/1/", h.visit_day(6), ["20", "15", "13"])  # 48: PR
    enter(page, f"{base}/M9/RECIST/1/", h.visit_day(9), ["28", "20", "12"])  # 60: PD
    responses = dict(RecistAssessment.objects.values_list("form_status__event", "overall_response"))
    assert responses == {"M3": "PR", "M6": "PR", "M9": "PD"}

    page.goto(f"{base}/M9/RECIST/1/")
    expect(page.get_by_test_id("overall-response")).to_have_text("PD")
    page.get_by_test_id("recist-page-link").click()
    expect(page.get_by_test_id("best-response-value")).to_have_text("PR")
    expect(page.get_by_test_id("best-response")).to_contain_text(
        "established at M3, confirmed at M6"
    )
    expect(page.get_by_test_id("overall-M9")).to_have_text("PD")
    chart = page.get_by_test_id("sum-chart")
    expect(chart).to_contain_text("57.6 mm (+20 %)")
    out = Path(output_path)
    out.mkdir(parents=True, exist_ok=True)
    chart.screenshot(path=str(out / "recist-sum-of-diameters.png"))
    page.screenshot(path=str(out / "recist-participant-page.png"), full_page=True)

    page.goto(f"{live_server.url}/followup/spider/")
    spider = page.get_by_test_id("study-chart")
    expect(spider.locator(f"polyline[data-participant='{participant.code}']")).to_have_count(1)
    spider.screenshot(path=str(out / "recist-spider.png"))
