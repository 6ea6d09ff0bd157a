"""The monitoring loop in a browser: a monitor raises a query, the nurse corrects the value
from it, the monitor closes it, works the "edited after SDV" queue of the audit review, marks
the entry reviewed and downloads the audit CSV."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.audit.conftest import save_demographics
from trial import actions
from trial.models import AuditReview, Query, QueryState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_query_correction_close_review_queue_and_audit_csv(
    login, live_server, nurse, monitor, bdx, tmp_path
):
    participant = actions.register_participant(nurse, bdx, date(2026, 3, 2))
    row = save_demographics(nurse, participant.forms.get(form="DEMOG"))  # 61.5 kg
    actions.verify_items(monitor, row, ["weight_kg", "height_cm"])
    form_url = f"{live_server.url}/p/{participant.code}/SCR/DEMOG/1/"

    # 1. The monitor raises a query on the weight.
    page = login(monitor)
    page.goto(form_url)
    page.get_by_test_id("raise-query").click()
    page.select_option("select[name=item]", "weight_kg")
    page.fill("textarea[name=text]", "The source says 65.1 kg: please check.")
    page.get_by_role("button", name="Raise the query").click()
    query = Query.objects.get()
    expect(page.locator(f"text=Q{query.pk}").first).to_be_visible()

    # 2. The nurse corrects the value from the query.
    page.context.clear_cookies()
    page = login(nurse)
    page.goto(f"{live_server.url}/p/{participant.code}/queries/{query.pk}/")
    page.get_by_test_id("correct-link").click()
    expect(page.get_by_test_id("answering")).to_be_visible()
    page.fill("input[name=crf-weight_kg]", "65.1")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)
    query.refresh_from_db()
    assert query.state == QueryState.ANSWERED

    # 3. The monitor closes the query...
    page.context.clear_cookies()
    page = login(monitor)
    page.goto(f"{live_server.url}/p/{participant.code}/queries/{query.pk}/")
    page.get_by_test_id("close-query").click()
    expect(page.get_by_test_id("query-state")).to_have_attribute("data-state", "closed")

    # ... works the "edited after SDV" queue: exactly the corrected weight, old beside new.
    page.get_by_role("link", name="Audit review").click()
    page.locator("[data-testid=review-queues] [data-flag=after_sdv]").click()
    rows = page.locator("[data-testid=review-table] tbody tr[data-entry]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("61.5")
    expect(rows.first).to_contain_text("65.1")
    expect(rows.first).to_contain_text(f"Data clarified by query #{query.pk}")
    expect(rows.first).to_contain_text("Edited after SDV")
    page.screenshot(path=str(tmp_path / "review-after-sdv.png"), full_page=True)

    # ... marks it reviewed with a comment ...
    rows.first.locator("input[name=entry]").check()
    page.fill("#review-comment", "Corrected from the source after query")
    page.get_by_test_id("mark-reviewed").click()
    expect(page.get_by_test_id("review-mark")).to_contain_text(
        "Corrected from the source after query"
    )
    assert AuditReview.objects.get().reviewer == monitor

    # ... and downloads the audit CSV, which holds the correction with its reason.
    with page.expect_download() as download:
        page.get_by_test_id("review-csv").click()
    path = tmp_path / "audit.csv"
    download.value.save_as(path)
    with open(path, newline="", encoding="utf-8") as handle:
        changes = [r for r in csv.DictReader(handle) if "65.1" in r.values()]
    assert len(changes) == 1
    assert "61.5" in changes[0].values()
    assert f"data clarified by query #{query.pk}" in changes[0].values()


def test_the_exports_page_shows_a_download_s_progress_to_the_end(
    login, live_server, nurse, monitor, bdx, tmp_path
):
    participant = actions.register_participant(nurse, bdx, date(2026, 3, 2))
    save_demographics(nurse, participant.forms.get(form="DEMOG"))
    page = login(monitor)
    page.get_by_role("link", name="Exports").click()
    progress = page.get_by_test_id("export-progress")
    expect(progress).to_be_hidden()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    download.value.save_as(tmp_path / "audit.csv")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("Export complete")
    rows = (tmp_path / "audit.csv").read_text(encoding="utf-8").splitlines()
    expect(progress).to_contain_text(f"{len(rows) - 1} rows written")
    page.screenshot(path=str(tmp_path / "exports-progress.png"), full_page=True)
