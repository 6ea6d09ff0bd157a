"""seed_demo's follow-up part: PR, SD and PD courses, a death and a completion at M18, all
entered through the forms and actions."""

from __future__ import annotations

from followup.models import EndOfStudy, FollowUpVisit, RecistAssessment
from trial import schedule
from trial.models import FormState, FormStatus, Participant


def test_seed_demo_fills_follow_up(demo):
    # `demo`: seed_demo --participants 18 --seed 7, run once for the session (tests/conftest.py).
    responses = set(RecistAssessment.objects.values_list("overall_response", flat=True))
    assert {"PR", "SD", "PD"} <= responses
    assert FollowUpVisit.objects.filter(visit_date__isnull=False).exists()
    died = EndOfStudy.objects.get(status="death")
    assert died.death_date and died.death_cause
    assert died.form_status.participant.status == schedule.WITHDRAWN
    completed = EndOfStudy.objects.filter(status="completed")
    assert completed.exists()
    for eos in completed:
        assert eos.form_status.participant.status == schedule.COMPLETED
    # Ended participants have no form left waiting (no reminders after the end).
    ended = Participant.objects.filter(status__in=(schedule.COMPLETED, schedule.WITHDRAWN))
    assert (
        not FormStatus.objects.filter(participant__in=ended, status=FormState.NOT_STARTED)
        .exclude(event="LOG")
        .exists()
    )
