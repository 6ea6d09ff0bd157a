"""seed_demo fills the screening forms: a signed eligible participant, a screen failure, and one
awaiting the sign-off with a missing item."""

from __future__ import annotations

from eligibility import rules, selectors
from eligibility.models import Consent, InclusionImaging, VitalSigns
from tests.conftest import DEMO_PARTICIPANTS
from trial import schedule
from trial.models import FormState, Participant, Signature


def test_seed_demo_fills_the_screening_forms_and_signs_eligibility(demo):
    # `demo`: seed_demo --participants 18 --seed 7, run once for the session (tests/conftest.py).
    participants = {p.code: p for p in Participant.objects.select_related("site")}
    assert len(participants) == DEMO_PARTICIPANTS
    assert Consent.objects.count() == DEMO_PARTICIPANTS
    # Every participant past screening has inclusion imaging with RECIST target lesions.
    assert InclusionImaging.objects.filter(measurable_target_lesions__gte=1).count() >= 8
    assert VitalSigns.objects.exists()

    signed = Signature.objects.filter(kind="eligibility", breaks__isnull=True)
    eligible = [
        s.participant for s in signed if s.meaning == "I confirm this participant is eligible"
    ]
    assert eligible, "no eligible participant signed"
    for participant in eligible:
        assert participant.status not in (schedule.SCREENING, schedule.SCREEN_FAILURE)
        assert selectors.evaluate(participant).result == rules.ELIGIBLE
        assert participant.forms.get(form="ELIGSIGN").status == FormState.COMPLETE

    failures = [p for p in participants.values() if p.status == schedule.SCREEN_FAILURE]
    assert failures
    for participant in failures:
        assert selectors.evaluate(participant).result == rules.NOT_ELIGIBLE

    # C4 given, not signed: the stage "awaiting_eligibility" misses the ECOG; the showcase's
    # "ready to sign" misses nothing and is eligible.
    awaiting = [
        p for p in participants.values() if p.status == schedule.SCREENING and "C4" in p.event_dates
    ]
    missing = [p for p in awaiting if "VITALS.ecog" in selectors.evaluate(p).missing]
    ready = [p for p in awaiting if not selectors.evaluate(p).missing]
    assert missing and ready and len(missing) + len(ready) == len(awaiting)
    for participant in awaiting:
        assert participant.forms.get(form="ELIGSIGN").status == FormState.NOT_STARTED
    for participant in ready:
        assert selectors.evaluate(participant).result == rules.ELIGIBLE
