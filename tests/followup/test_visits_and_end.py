"""Follow-up visits (and a visit marked missed), the end of study closing the remaining
events, entered through the forms and the actions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from followup import actions as followup_actions
from tests.followup import helpers as h
from trial import schedule
from trial.models import FormState, Participant


@pytest.fixture
def fu(nurse, bdx):
    return h.follow_up_participant(nurse, bdx)


def visit(day, **changes):
    values = {
        "visit_date": day,
        "ecog": "1",
        "systolic_bp": "125",
        "diastolic_bp": "78",
        "heart_rate": "70",
        "weight_kg": "66.5",
        "missed": "False",
        "missed_reason": "",
    }
    return {**values, **changes}


def status(participant, event, form):
    return participant.forms.get(event=event, form=form, repeat=1).status


def test_visit_date_is_the_event_date(nurse, fu):
    h.save_form(nurse, h.bind_form(fu, "M1", "FU", visit(h.visit_day(1))))
    fu.refresh_from_db()
    assert fu.dates["M1"] == h.visit_day(1)
    assert status(fu, "M1", "FU") == FormState.COMPLETE


def test_visit_refuses_implausible_vitals_and_warns_outside_window(fu):
    form = h.bind_form(fu, "M1", "FU", visit(h.visit_day(1), systolic_bp="20"))
    assert not form.is_valid()
    assert "between 50 and 300" in str(form.errors["systolic_bp"])
    late = h.bind_form(fu, "M1", "FU", visit(h.visit_day(1, 20)))
    assert not late.is_valid()
    assert "outside the visit window" in str(late.errors["visit_date"])


def test_visit_missed_through_the_form_needs_a_reason(fu):
    form = h.bind_form(fu, "M3", "FU", {"missed": "True", "missed_reason": ""})
    assert not form.is_valid()
    assert "missed_reason" in form.errors


def test_mark_visit_missed_closes_the_event_forms(nurse, fu):
    row = followup_actions.mark_visit_missed(nurse, fu, "M3", "hospitalised elsewhere")
    assert row.status == FormState.MISSED
    for form in ("FU", "LAB", "RECIST"):
        assert status(fu, "M3", form) == FormState.MISSED
    assert status(fu, "M6", "FU") == FormState.NOT_STARTED
    fu.refresh_from_db()
    assert "M3" not in fu.dates
    timeline = {p.code for p in fu.plan()}
    assert "M3" in timeline  # still in the journey, shown as missed (done)


def eos(status_value, day, **changes):
    return {
        "status": status_value,
        "end_date": day,
        "death_date": "",
        "death_cause": "",
        "details": "",
        **changes,
    }


def test_death_ends_the_study_and_closes_remaining_events(nurse, fu):
    h.save_form(nurse, h.bind_form(fu, "M1", "FU", visit(h.visit_day(1))))
    died = h.visit_day(4)
    form = h.bind_form(
        fu, "EOS", "EOS", eos("death", died, death_date=died, death_cause="liver failure")
    )
    h.save_form(nurse, form)
    fu = Participant.objects.get(pk=fu.pk)
    assert fu.status == schedule.WITHDRAWN
    assert fu.dates["EOS"] == died
    assert status(fu, "M1", "FU") == FormState.COMPLETE
    for event in ("M3", "M6", "M18"):
        assert status(fu, event, "FU") == FormState.MISSED
        assert status(fu, event, "RECIST") == FormState.MISSED
    assert status(fu, "EOS", "EOS") == FormState.COMPLETE
    assert not fu.forms.filter(status=FormState.NOT_STARTED).exclude(event="LOG").exists()


def test_death_needs_its_date_and_cause(fu):
    form = h.bind_form(fu, "EOS", "EOS", eos("death", h.visit_day(4)))
    assert not form.is_valid()
    assert {"death_date", "death_cause"} <= set(form.errors)
    mixed = h.bind_form(fu, "EOS", "EOS", eos("lost_to_follow_up", h.visit_day(4), death_cause="x"))
    assert not mixed.is_valid()
    assert "status" in mixed.errors


def test_completion_at_m18(nurse, fu):
    h.save_form(nurse, h.bind_form(fu, "M18", "FU", visit(h.visit_day(18))))
    h.save_form(nurse, h.bind_form(fu, "EOS", "EOS", eos("completed", h.visit_day(18))))
    fu = Participant.objects.get(pk=fu.pk)
    assert fu.status == schedule.COMPLETED
    assert status(fu, "M18", "FU") == FormState.COMPLETE
    assert status(fu, "M12", "RECIST") == FormState.MISSED


def test_end_study_action_closes_remaining_events(nurse, fu):
    followup_actions.end_study(
        nurse, fu, schedule.WITHDRAWN, h.visit_day(2), reason="withdrew consent"
    )
    fu = Participant.objects.get(pk=fu.pk)
    assert fu.status == schedule.WITHDRAWN
    assert status(fu, "M3", "FU") == FormState.MISSED


def test_end_date_cannot_be_in_the_future(fu):
    form = h.bind_form(fu, "EOS", "EOS", eos("other", h.TODAY + timedelta(days=3), details="x"))
    assert not form.is_valid()
    assert "end_date" in form.errors


def test_participant_page_after_the_end_shows_missed_slots_and_the_recist_card(
    nurse, nurse_client, fu
):
    followup_actions.mark_visit_missed(nurse, fu, "M1", "patient hospitalised")
    followup_actions.end_study(nurse, fu, schedule.WITHDRAWN, h.visit_day(2), reason="consent")
    response = nurse_client.get(f"/p/{fu.code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="recist-panel"' in page
    assert f"/followup/p/{fu.code}/recist/" in page
