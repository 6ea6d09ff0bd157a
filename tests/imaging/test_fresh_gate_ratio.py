"""The Gate row's stored patient ratio and "gate met" follow the SUVs: a corrected SUV of
either PET computes them again in the same write session, and breaks the gate signature."""

from __future__ import annotations

from decimal import Decimal

from imaging import actions, selectors
from tests.conftest import PASSWORD
from tests.imaging import helpers as h


def test_a_corrected_suv_recomputes_the_stored_ratio_and_breaks_the_signature(
    nurse, investigator, scanned
):
    signature = actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    assert selectors.gate_of(scanned).patient_ratio == Decimal("3.80")

    # PET-IV L1 SUVmax was 20, not 10: L1's ratio is 2, the patient ratio (2+4+3.5+3.5+4)/5.
    values, groups = h.pet_data(h.IV_INJECTION, h.IV_SUVS, iah=False)
    groups["lesion_suvs"][0] = {"suv_max": "20", "suv_mean": "5"}
    h.save(nurse, scanned, "PET-IV", "PET_IV", values, groups, reason="transcription error")

    gate = selectors.gate_of(scanned)
    assert gate.patient_ratio == Decimal("3.40")
    fresh = selectors.gate_record(selectors.summary(scanned))
    assert (gate.patient_ratio, gate.gate_met) == (fresh["patient_ratio"], fresh["gate_met"])
    current = selectors.current_signature(scanned)
    assert current.pk == signature.pk and current.verdict.is_broken
    changed = current.verdict.changes
    assert any("suv_max" in key for key in changed)
    assert any("patient_ratio" in key for key in changed)


def test_a_ratio_dropping_below_three_is_stored_as_not_met(nurse, investigator, scanned):
    actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    h.save(
        nurse,
        scanned,
        "PET-IV",
        "PET_IV",
        *h.pet_data(h.IV_INJECTION, h.LOW_IV_SUVS, iah=False),
        reason="transcription error",
    )
    gate = selectors.gate_of(scanned)
    assert (gate.patient_ratio, gate.gate_met) == (Decimal("2.02"), False)
    assert selectors.current_signature(scanned).verdict.is_broken
