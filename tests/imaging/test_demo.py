"""seed_demo's imaging hook: a participant who passed the gate with full dosimetry, one below
the threshold, one waiting for the second PET."""

from __future__ import annotations

from dosing.models import IahDose
from imaging import selectors
from imaging.models import REGION_KEYS, Dosimetry, Gate, PetScan
from trial.models import FormStatus, Participant


def test_the_demo_covers_the_gate_stories(demo):
    # `demo`: seed_demo --participants 18 --seed 7, run once for the session (tests/conftest.py).
    signed_proceed_with_full_dosimetry()
    signed_below_threshold()
    waiting_for_the_second_pet()


def signed_proceed_with_full_dosimetry():
    gate = Gate.objects.get(decision="proceed")
    participant = gate.form_status.participant
    assert selectors.current_signature(participant).is_valid
    assert selectors.summary(participant).met
    assert IahDose.objects.filter(form_status__participant=participant).exists()
    dosi = Dosimetry.objects.get(form_status__participant=participant)
    assert dosi.points.count() == 4
    # Issue 31: a VOI volume for every region, and a dose in Gy and Gy/GBq for each method.
    assert dosi.volumes.count() == len(REGION_KEYS)
    regions = selectors.dosimetry_data(participant).regions
    assert [r.name for r in regions] == list(REGION_KEYS)
    for region in regions:
        assert region.methods["trapezoids"].dose_gy > 0, region.name
        assert region.methods["mono"].dose_gy > 0, region.name
        assert region.methods["single"].dose_gy > 0, region.name
        assert region.methods["trapezoids"].gy_per_gbq > 0, region.name


def signed_below_threshold():
    gate = Gate.objects.get(decision="not_eligible")
    summary = selectors.summary(gate.form_status.participant)
    assert summary.patient_ratio is not None and not summary.met
    assert selectors.current_signature(gate.form_status.participant).is_valid


def waiting_for_the_second_pet():
    second = FormStatus.objects.filter(form="PET_IV", status="complete")
    waiting = Participant.objects.filter(
        forms__form="PET_IAH", forms__status="complete", status="enrolled"
    ).exclude(pk__in=second.values("participant_id"))
    assert waiting.exists()
    participant = waiting.first()
    assert "PET-IV" not in participant.event_dates
    assert PetScan.objects.filter(form_status__participant=participant).count() == 1
