"""The IV cycle form: interval, SSA gap, activity (the MBq slip), dates in order, cancellation."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dosing.models import CycleAdministration
from tests.dosing.conftest import build_form, cycle, save

C1_DATE = date(2025, 11, 3)


def errors_of(participant, event, values, **kwargs):
    form = build_form(participant, event, "CYCLE", values, **kwargs)
    form.is_valid()
    return form


def test_a_complete_cycle_is_saved_and_dates_the_event(nurse, c1):
    saved = save(nurse, c1, "C2", "CYCLE", cycle(C1_DATE + timedelta(weeks=8)))
    assert saved.administered_gbq == Decimal("7.3")
    c1.refresh_from_db()
    assert c1.event_dates["C2"] == "2025-12-29"


def test_mbq_typed_into_the_gbq_field_is_caught_with_the_gbq_value(c1):
    form = errors_of(c1, "C2", cycle(C1_DATE + timedelta(weeks=8), administered_gbq="7400"))
    assert form.errors["administered_gbq"] == ["7400 GBq looks like MBq: did you mean 7.4 GBq?"]


@pytest.mark.parametrize("value", ["0.3", "9", "12000", "-1", "1e400"])
def test_activity_outside_half_to_eight_gbq_is_refused(c1, value):
    form = errors_of(c1, "C2", cycle(C1_DATE + timedelta(weeks=8), prescribed_gbq=value))
    assert "prescribed_gbq" in form.errors
    assert form.needs_confirmation is False  # an error, not a warning to confirm


@pytest.mark.parametrize("value", ["0.5", "8.0"])
def test_activity_bounds_are_accepted(c1, value):
    values = cycle(
        C1_DATE + timedelta(weeks=8),
        prescribed_gbq=value,
        administered_gbq=value,
        confirm_unusual=True,  # 0.5 GBq without a recorded reduction asks for confirmation
    )
    assert errors_of(c1, "C2", values).errors == {}


def test_ten_weeks_after_the_previous_cycle_is_a_warning_to_confirm(nurse, c1):
    values = cycle(C1_DATE + timedelta(weeks=10))
    form = errors_of(c1, "C2", values)
    assert form.needs_confirmation
    assert "70 days (10 weeks) after C1: outside the expected 8 weeks ± 1 week." in str(
        form.errors["administration_date"]
    )
    saved = save(nurse, c1, "C2", "CYCLE", {**values, "confirm_unusual": True})
    assert saved.administration_date == C1_DATE + timedelta(weeks=10)


def test_a_delay_for_toxicity_may_reach_sixteen_weeks_without_warning(c1):
    values = cycle(
        C1_DATE + timedelta(weeks=12),
        dose_modification="delayed",
        modification_reason="toxicity",
    )
    assert errors_of(c1, "C2", values).errors == {}


def test_more_than_sixteen_weeks_is_refused_even_when_confirmed(c1):
    values = cycle(C1_DATE + timedelta(days=113), confirm_unusual=True)
    form = errors_of(c1, "C2", values)
    assert "more than 16 weeks" in str(form.errors["administration_date"])


def test_a_cycle_before_the_previous_one_is_refused(c1):
    form = errors_of(c1, "C2", cycle(C1_DATE - timedelta(days=1)))
    assert form.errors["administration_date"] == [
        "The administration date must be after C1 (2025-11-03)."
    ]


def test_a_cycle_after_the_next_recorded_one_is_refused(nurse, c1):
    save(nurse, c1, "C2", "CYCLE", cycle(C1_DATE + timedelta(weeks=8)))
    form = errors_of(c1, "C1", cycle(C1_DATE + timedelta(weeks=9)))
    assert "must be before C2" in str(form.errors["administration_date"])


def test_ssa_less_than_four_weeks_before_is_a_warning(c1):
    day = C1_DATE + timedelta(weeks=8)
    form = errors_of(c1, "C2", cycle(day, last_ssa_date=day - timedelta(days=20)))
    assert form.needs_confirmation
    assert "20 days before administration" in str(form.errors["last_ssa_date"])
    ok = errors_of(c1, "C2", cycle(day, last_ssa_date=day - timedelta(days=28)))
    assert ok.errors == {}


def test_ssa_after_the_administration_is_refused(c1):
    day = C1_DATE + timedelta(weeks=8)
    form = errors_of(c1, "C2", cycle(day, last_ssa_date=day + timedelta(days=1)))
    assert "dated after this administration" in str(form.errors["last_ssa_date"])


def test_a_future_administration_date_is_refused(c1):
    form = errors_of(c1, "C2", cycle(date.today() + timedelta(days=30)))
    assert "in the future" in str(form.errors["administration_date"])


def test_a_cancelled_cycle_needs_no_date_or_activity(nurse, c1):
    values = {"dose_modification": "cancelled", "modification_reason": "toxicity"}
    saved = save(nurse, c1, "C2", "CYCLE", values)
    assert saved.administration_date is None and not saved.administered
    c1.refresh_from_db()
    assert "C2" not in c1.event_dates


def test_a_cancelled_cycle_with_an_activity_given_is_refused(c1):
    values = cycle(
        C1_DATE + timedelta(weeks=8), dose_modification="cancelled", modification_reason="other"
    )
    form = errors_of(c1, "C2", values)
    assert "A cancelled cycle was not given" in str(form.errors["administered_gbq"])
    assert "A cancelled cycle was not given" in str(form.errors["administration_date"])


def test_a_modification_needs_its_reason_and_other_needs_details(c1):
    day = C1_DATE + timedelta(weeks=8)
    form = errors_of(c1, "C2", cycle(day, administered_gbq="3.7", dose_modification="reduced"))
    assert "modification_reason" in form.errors
    form = errors_of(
        c1,
        "C2",
        cycle(
            day, administered_gbq="3.7", dose_modification="reduced", modification_reason="other"
        ),
    )
    assert "modification_details" in form.errors


def test_a_complete_cycle_needs_its_items_but_a_draft_does_not(nurse, c1):
    form = errors_of(c1, "C2", {"dose_modification": "none"})
    assert {"administration_date", "administered_gbq", "residual_uptake"} <= set(form.errors)
    saved = save(nurse, c1, "C2", "CYCLE", {"prescribed_gbq": "7.4"}, complete=False)
    assert saved.form_status.status == "in_progress"


def test_a_full_dose_recorded_as_reduced_is_questioned(c1):
    values = cycle(
        C1_DATE + timedelta(weeks=8),
        prescribed_gbq="3.7",
        administered_gbq="7.4",
        dose_modification="reduced",
        modification_reason="toxicity",
    )
    form = errors_of(c1, "C2", values)
    assert form.needs_confirmation
    assert "recorded as reduced but 7.4 GBq" in str(form.errors["administered_gbq"])


def test_bad_input_on_the_page_stays_typed_with_the_message_beside_the_field(nurse_client, c1):
    url = f"/p/{c1.code}/C2/CYCLE/1/"
    response = nurse_client.post(
        url,
        {
            "version": "0",
            "crf-administration_date": "2025-12-29",
            "crf-prescribed_gbq": "7.4",
            "crf-administered_gbq": "7400",
            "crf-amino_acids": "True",
            "crf-residual_uptake": "False",
            "crf-dose_modification": "none",
            "save_complete": "",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="error_1_id_crf-administered_gbq"' in page
    assert "did you mean 7.4 GBq?" in page
    assert 'value="7400"' in page and 'value="2025-12-29"' in page
    assert not CycleAdministration.objects.filter(form_status__event="C2").exists()
