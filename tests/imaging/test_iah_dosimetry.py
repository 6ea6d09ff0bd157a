from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dosing.models import IahDose
from imaging import actions, pages
from imaging.models import Dosimetry
from tests.conftest import PASSWORD
from tests.imaging import helpers as h


@pytest.fixture
def proceeded(nurse, investigator, scanned):
    actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    scanned.refresh_from_db()
    return scanned


def test_no_iah_dose_form_before_a_signed_proceed(scanned):
    assert not scanned.forms.filter(form="IAHDOSE").exists()


def test_the_iah_dose_net_activity_is_decayed_to_the_infusion(nurse, proceeded):
    h.save(nurse, proceeded, "IAH", "IAHDOSE", h.iah_dose_data(), {}, confirm=True)
    dose = IahDose.objects.get(form_status__participant=proceeded)
    expected = 7.4 * 2 ** (-1 / 159.528) - 0.2 * 2 ** (1 / 159.528)
    assert abs(float(dose.net_administered_gbq) - expected) < 0.0006
    proceeded.refresh_from_db()
    assert proceeded.dates["IAH"] == dose.infusion_date


def test_the_iah_dose_refuses_a_residual_above_the_activity(nurse, proceeded):
    bound = h.bind(proceeded, "IAH", "IAHDOSE", h.iah_dose_data(residual_after_gbq="8"), {})
    assert not bound.is_valid()
    assert "nothing was given" in str(bound.errors["residual_after_gbq"])
    assert bound["residual_after_gbq"].value() == "8"


def test_the_iah_page_shows_the_advice_first(client, nurse, proceeded):
    client.force_login(nurse)
    page = client.get(reverse("crf_edit", args=[proceeded.code, "IAH", "IAHDOSE", 1]))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index('data-testid="iah-advice"') < html.index('name="crf-infusion_date"')


def test_dosimetry_computes_tia_residence_time_and_the_cross_check(nurse, proceeded):
    h.enter_iah_and_dosimetry(nurse, proceeded)
    dosi = Dosimetry.objects.get(form_status__participant=proceeded)
    assert dosi.points.count() == 4
    form = h.bind(proceeded, "DOSI", "DOSI", {}, {})
    form = type(form)(instance=dosi, participant=proceeded, row=dosi.form_status)
    result = pages.dosimetry_context(proceeded, dosi.form_status, form)
    by_name = {r["name"]: r["region"] for r in result["results"]}
    liver = by_name["act_liver"]
    assert liver.methods["trapezoids"].tia == pytest.approx(141.75, abs=0.01)
    assert by_name["act_l1"].methods["trapezoids"].tia == pytest.approx(283.5, abs=0.02)
    administered = float(result["administered"])
    assert liver.residence_h == pytest.approx(141.7496 / administered, rel=1e-5)
    assert liver.methods["mono"].difference == pytest.approx(-1.08, abs=0.05)
    assert not liver.methods_flag
    assert "<svg" in {r["name"]: r for r in result["results"]}["act_liver"]["chart"]


def test_dosimetry_page_draws_curves(client, nurse, proceeded):
    h.enter_iah_and_dosimetry(nurse, proceeded)
    client.force_login(nurse)
    page = client.get(reverse("crf_edit", args=[proceeded.code, "DOSI", "DOSI", 1]))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-part="mono"') == 10
    # Four points from the peak: the fit has its covariance and its ±1 SD band.
    assert html.count('data-part="band"') == 10
    assert 'data-testid="dosimetry-results"' in html


def test_a_time_point_out_of_its_window_is_a_warning(nurse, proceeded):
    h.save(nurse, proceeded, "IAH", "IAHDOSE", h.iah_dose_data(), {}, confirm=True)
    rows = h.dosimetry_rows((4, 24, 72, 100))
    bound = h.bind(proceeded, "DOSI", "DOSI", {}, h.dosimetry_groups(rows))
    assert not bound.is_valid() and bound.needs_confirmation
    assert "planned 168" in str(bound.non_field_errors())


def test_time_points_out_of_order_are_refused(nurse, proceeded):
    rows = h.dosimetry_rows()
    rows[1]["acquired_at"] = h.dt(h.INFUSION + timedelta(hours=2))
    bound = h.bind(proceeded, "DOSI", "DOSI", {}, h.dosimetry_groups(rows))
    assert not bound.is_valid()
    assert bound.time_points.forms[1].errors["acquired_at"]
    assert Decimal(bound.time_points.forms[1]["act_liver"].value()) == Decimal("0.90")


# --- Issue 21: acquisitions after the infusion, in time order, never in the future ----------


def test_an_acquisition_before_the_infusion_is_refused_beside_it(nurse, proceeded):
    h.save(nurse, proceeded, "IAH", "IAHDOSE", h.iah_dose_data(), {}, confirm=True)
    rows = h.dosimetry_rows()
    rows[0]["acquired_at"] = h.dt(h.INFUSION - timedelta(minutes=30))
    bound = h.bind(proceeded, "DOSI", "DOSI", {}, h.dosimetry_groups(rows))
    assert not bound.is_valid()
    assert bound.time_points.forms[0].errors["acquired_at"] == ["This is before the IAH infusion."]


def test_an_acquisition_in_the_future_is_refused_and_the_form_not_complete(nurse, proceeded):
    h.save(nurse, proceeded, "IAH", "IAHDOSE", h.iah_dose_data(), {}, confirm=True)
    rows = h.dosimetry_rows()
    rows[3]["acquired_at"] = h.dt(timezone.localtime() + timedelta(hours=2))
    bound = h.bind(proceeded, "DOSI", "DOSI", {}, h.dosimetry_groups(rows))
    assert not bound.is_valid()
    assert "in the future" in str(bound.time_points.forms[3].errors["acquired_at"])
    assert Decimal(bound.time_points.forms[3]["act_liver"].value()) == Decimal("0.30")
    assert not Dosimetry.objects.filter(form_status__participant=proceeded).exists()


def test_acquisitions_before_the_iah_dose_is_entered_are_a_draft_only(proceeded):
    rows = h.dosimetry_rows()
    complete = h.bind(proceeded, "DOSI", "DOSI", {}, h.dosimetry_groups(rows))
    assert not complete.is_valid()
    assert "enter the IAH dose first" in str(complete.non_field_errors())
    draft = h.bind(proceeded, "DOSI", "DOSI", {}, h.dosimetry_groups(rows), complete=False)
    assert draft.is_valid(), draft.errors
