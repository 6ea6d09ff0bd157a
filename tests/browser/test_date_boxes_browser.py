"""Date boxes follow the reader's language, not the browser's: in an en-US Chromium (whose own
date picker shows 12/04/2026, month first), an English nurse types ISO and a French nurse day
first, each in a text box that says the format, and the day stored is the day meant."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from dosing.models import CycleAdministration
from tests.dosing.conftest import c1  # noqa: F401 - a fixture
from trial.models import Site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A day after the 12th: read month first, it could be no date at all.
C2_DAY = date(2025, 11, 3) + timedelta(weeks=8)
STYLE = {
    "en": ("YYYY-MM-DD", C2_DAY.strftime("%Y-%m-%d")),
    "fr": ("jj/mm/aaaa", C2_DAY.strftime("%d/%m/%Y")),
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_date_typed_in_an_en_us_browser_is_the_day_meant(
    browser,
    live_server,
    nurse,
    bdx,
    c1,  # noqa: F811
    language,
):
    from tests.conftest import PASSWORD

    Site.objects.filter(pk=bdx.pk).update(language=language)
    placeholder, typed = STYLE[language]
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", nurse.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        expect(page.locator("html")).to_have_attribute("lang", language)

        page.goto(f"{live_server.url}/p/{c1.code}/")
        page.click("li[data-event=C2] a.form-chip[data-form=CYCLE]")
        day = page.locator("input[name=crf-administration_date]")
        expect(day).to_have_attribute("type", "text")  # not the browser's picker
        expect(day).to_have_attribute("placeholder", placeholder)
        expect(day).to_have_attribute("autocomplete", "off")
        day.fill(typed)
        decimal = "7,4" if language == "fr" else "7.4"
        page.fill("input[name=crf-prescribed_gbq]", decimal)
        page.fill("input[name=crf-administered_gbq]", decimal)
        page.select_option("select[name=crf-amino_acids]", "True")
        page.select_option("select[name=crf-residual_uptake]", "True")
        page.select_option("select[name=crf-dose_modification]", "none")
        page.click("button[name=save_complete]")
        expect(page.get_by_test_id("participant-code")).to_have_text(c1.code)
        saved = CycleAdministration.objects.get(
            form_status__participant=c1, form_status__event="C2"
        )
        assert saved.administration_date == C2_DAY

        # Opened again, the box shows the day in the reader's style.
        page.click("li[data-event=C2] a.form-chip[data-form=CYCLE]")
        expect(page.locator("input[name=crf-administration_date]")).to_have_value(typed)
    finally:
        context.close()
