"""seed_demo's dosing hook: cycles and labs for the events done, the eligibility panel, a few
graded toxicities, adverse events including a serious (reported) and an ongoing one."""

import random
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from dosing import demo, labs, selectors
from dosing.models import AdverseEvent, LabPanel
from tests.conftest import make_user
from trial import actions, roles, schedule
from trial import demo as trial_demo
from trial.models import FormState, Site

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One participant per stage, filled by the dosing hook: built once for the module inside a
    transaction rolled back after its last test (each test runs in a savepoint of it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        bdx = Site.objects.create(code="BDX", name="CHU de Bordeaux")
        nurse = make_user("alice", roles.NURSE, bdx, first="Alice", last="Nurse")
        rng = random.Random(7)
        today = timezone.localdate()
        people = []
        for stage in trial_demo.STAGES:
            journey = trial_demo.plan_journey(stage, today, rng)
            participant = actions.import_demo_participant(nurse, bdx, journey)
            demo.fill(participant, journey, rng, nurse)
            people.append((participant, journey))
        yield people
        transaction.set_rollback(True)


def test_every_cycle_done_has_its_cycle_and_lab_forms_complete(seeded):
    for participant, journey in seeded:
        done = [c for c in ("C1", "C2", "C3", "C4") if c in journey.done_events]
        statuses = {
            (row.event, row.form): row.status
            for row in participant.forms.filter(event__in=done, form__in=("CYCLE", "LAB"))
        }
        assert statuses and set(statuses.values()) == {FormState.COMPLETE}, participant
        facts = selectors.cycle_facts(participant)
        assert [f["administered"] for f in facts] == [f"C{n}" in done for n in (1, 2, 3, 4)]


def test_eligibility_panels_are_after_c4_and_within_28_days(seeded):
    today = timezone.localdate()
    checked = 0
    for participant, journey in seeded:
        items = selectors.lab_items(participant)
        if "ELIG" not in journey.done_events and journey.stage != "awaiting_eligibility":
            assert items["LAB.sample_date"] is None
            continue
        signoff = journey.dates.get("ELIG", today)
        sample = items["LAB.sample_date"]
        assert journey.dates["C4"] < sample <= signoff
        assert signoff - sample <= timedelta(days=28)
        # The eligibility demo signs these participants eligible: the counts must allow it.
        assert items["LAB.neutrophils_mm3"] >= 1500 and items["LAB.platelets_mm3"] >= 100_000
        checked += 1
    assert checked >= 6


def test_follow_up_visits_have_their_lab_panel(seeded):
    for participant, journey in seeded:
        visits = [e for e in demo.LATER_LAB_EVENTS if e in journey.done_events]
        complete = participant.forms.filter(
            event__in=visits, form="LAB", status=FormState.COMPLETE
        ).count()
        assert complete == len(visits)


def test_some_values_are_graded_and_adverse_events_include_serious_and_ongoing(seeded):
    graded = [
        g.grade
        for panel in LabPanel.objects.all()
        for g in labs.grades(labs.panel_values(panel)).values()
        if g.grade
    ]
    assert graded and max(graded) >= 2
    events = list(AdverseEvent.objects.select_related("form_status"))
    assert all(e.form_status.status == FormState.COMPLETE for e in events)
    serious = [e for e in events if e.serious]
    assert serious and all(e.reported_to_sponsor_at and not e.reporting_deadline for e in serious)
    assert any(e.ongoing for e in events)


def test_participants_given_the_iah_dose_have_adverse_events_after_it(seeded):
    """The safety tables' second period (after the IAH dose) is not empty on the demo."""
    dosed = [
        (participant, journey.dates["IAH"])
        for participant, journey in seeded
        if journey.gate_decision == schedule.PROCEED and "IAH" in journey.done_events
    ]
    assert dosed
    for participant, iah in dosed:
        after = AdverseEvent.objects.filter(
            form_status__participant=participant, onset_date__gte=iah
        )
        assert after.filter(relationship_iah_procedure="probable").exists(), participant
        assert all(e.form_status.status == FormState.COMPLETE for e in after)
    others = [p for p, journey in seeded if "IAH" not in journey.done_events]
    assert not AdverseEvent.objects.filter(
        form_status__participant__in=others, relationship_iah_procedure="probable"
    ).exists()
