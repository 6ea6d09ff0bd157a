"""A French nurse records a cycle in Chromium: the page says lang="fr", she types the date day
first and the activity with a decimal comma, and 7.4 GBq on that day is stored."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from dosing.models import CycleAdministration
from tests.dosing.conftest import c1  # noqa: F401 - a fixture
from trial.models import Site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_french_nurse_types_7_comma_4_gbq(login, live_server, nurse, bdx, c1):  # noqa: F811
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    c2 = date(2025, 11, 3) + timedelta(weeks=8)

    page = login(nurse)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.goto(f"{live_server.url}/p/{c1.code}/")
    page.click("li[data-event=C2] a.form-chip[data-form=CYCLE]")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    activity = page.locator("input[name=crf-administered_gbq]")
    expect(activity).to_have_attribute("type", "text")
    expect(activity).to_have_attribute("inputmode", "decimal")

    # The date the French way, in a box that says so (not the browser's own picker).
    day = page.locator("input[name=crf-administration_date]")
    expect(day).to_have_attribute("placeholder", "jj/mm/aaaa")
    day.fill(c2.strftime("%d/%m/%Y"))
    page.fill("input[name=crf-prescribed_gbq]", "7,4")
    activity.fill("7,4")
    page.select_option("select[name=crf-amino_acids]", "True")
    page.select_option("select[name=crf-residual_uptake]", "True")
    page.select_option("select[name=crf-dose_modification]", "none")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_have_text(c1.code)
    saved = CycleAdministration.objects.get(form_status__participant=c1, form_status__event="C2")
    assert (saved.prescribed_gbq, saved.administered_gbq) == (Decimal("7.4"), Decimal("7.4"))
    assert saved.administration_date == c2

    # Opened again, the form shows what she typed, the French way.
    page.click("li[data-event=C2] a.form-chip[data-form=CYCLE]")
    expect(page.locator("input[name=crf-administered_gbq]")).to_have_value("7,4")
    expect(page.locator("input[name=crf-administration_date]")).to_have_value(
        c2.strftime("%d/%m/%Y")
    )
