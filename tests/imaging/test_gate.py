from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from imaging import actions, selectors
from tests.conftest import PASSWORD, make_user
from tests.eligibility import helpers as eh
from tests.imaging import helpers as h
from trial import actions as trial_actions
from trial import roles
from trial.audit import audit_context


def test_proceed_is_signed_and_opens_the_iah_dose(investigator, scanned):
    signature = actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    scanned.refresh_from_db()
    assert signature.kind == "gate" and signature.is_valid
    assert scanned.gate_decision == "proceed"
    gate = selectors.gate_of(scanned)
    assert gate.patient_ratio == Decimal("3.8") and gate.gate_met
    assert scanned.forms.filter(event="IAH", form="IAHDOSE").exists()
    slots = selectors.iah_slots()
    assert (slots.given, slots.pending, slots.left) == (0, 1, 9)
    assert "3.80" in signature.meaning


def test_proceed_below_threshold_is_refused(nurse, investigator, enrolled):
    h.enter_pets(nurse, enrolled, iv_suvs=h.LOW_IV_SUVS)
    with pytest.raises(trial_actions.ActionRefused, match="below the threshold"):
        actions.sign_gate(investigator, PASSWORD, enrolled, "proceed")
    assert selectors.gate_of(enrolled) is None
    actions.sign_gate(investigator, PASSWORD, enrolled, "not_eligible")
    enrolled.refresh_from_db()
    assert enrolled.gate_decision == "not_eligible"
    assert not enrolled.forms.filter(event="IAH").exists()


def test_declined_needs_a_reason(investigator, scanned):
    with pytest.raises(trial_actions.ActionRefused, match="reason"):
        actions.sign_gate(investigator, PASSWORD, scanned, "declined", "")


def test_only_an_investigator_signs(nurse, scanned):
    with pytest.raises(trial_actions.ActionRefused):
        actions.sign_gate(nurse, PASSWORD, scanned, "proceed")


def test_a_changed_suv_breaks_the_gate_signature(nurse, investigator, scanned):
    signature = actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    values, groups = h.pet_data(h.IV_INJECTION, h.IV_SUVS, iah=False)
    groups["lesion_suvs"][1] = {"suv_max": "8.5", "suv_mean": "4"}
    h.save(nurse, scanned, "PET-IV", "PET_IV", values, groups, reason="transcription error")
    current = selectors.current_signature(scanned)
    assert current.pk == signature.pk
    assert current.verdict.is_broken
    assert any("suv_max" in key for key in current.verdict.changes)


def test_the_gate_cannot_be_signed_while_eligibility_is_broken(nurse, investigator, scanned):
    eh.save(nurse, scanned, "ELIG", "VITALS", {**eh.vitals_data(), "weight_kg": "71"})
    with pytest.raises(trial_actions.ActionRefused, match="broken"):
        actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    assert selectors.gate_of(scanned) is None
    scanned.refresh_from_db()
    assert scanned.gate_decision == ""


def _fill_slots(site, count: int, *, given: int = 0, given_decision: str = "proceed") -> None:
    """Other participants holding IAH slots: the first `given` with their dose given (the IAH
    event's date on the journey, with `given_decision` at the gate), the rest with a "proceed"
    and no dose yet."""
    user = make_user(f"filler{count}{given}", roles.NURSE, site)
    for n in range(count):
        other = trial_actions.register_participant(user, site, h.NOW.date())
        dose = n < given
        with audit_context(user, command="test_setup"):
            trial_actions.change_journey(
                user,
                other,
                dates={"IAH": h.NOW.date()} if dose else {},
                gate_decision=given_decision if dose else "proceed",
            )


SLOTS_FULL = "10 IAH slots are all held"


@pytest.mark.req("GATE.CAP")
def test_the_tenth_slot_is_the_last(nurse, investigator, scanned, bdx):
    _fill_slots(bdx, selectors.IAH_SLOTS, given=4)
    with pytest.raises(trial_actions.ActionRefused, match=SLOTS_FULL):
        actions.sign_gate(investigator, PASSWORD, scanned, "proceed")


@pytest.mark.req("GATE.CAP")
def test_the_cap_counts_doses_given_whatever_the_gate_says(nurse, investigator, scanned, bdx):
    # Ten doses given, none of them a "proceed" any more (re-decided before this issue): the
    # slots are theirs for good, so an eleventh dose is refused.
    _fill_slots(bdx, selectors.IAH_SLOTS, given=10, given_decision="not_eligible")
    slots = selectors.iah_slots()
    assert (slots.given, slots.pending, slots.left) == (10, 0, 0)
    with pytest.raises(trial_actions.ActionRefused, match=SLOTS_FULL):
        actions.sign_gate(investigator, PASSWORD, scanned, "proceed")


@pytest.mark.django_db(transaction=True)
@pytest.mark.req("GATE.CAP")
def test_two_investigators_racing_for_the_tenth_slot_get_one(nurse, investigator, bdx):
    first = h.enrolled(nurse, investigator, bdx)
    h.enter_pets(nurse, first)
    second = h.enrolled(nurse, investigator, bdx)
    h.enter_pets(nurse, second)
    other = make_user("olga", roles.INVESTIGATOR, bdx)
    _fill_slots(bdx, selectors.IAH_SLOTS - 1, given=5)
    barrier = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def sign(user, participant) -> None:
        try:
            barrier.wait(timeout=30)
            actions.sign_gate(user, PASSWORD, participant, "proceed")
            outcome[participant.code] = "signed"
        except trial_actions.ActionRefused as refused:
            outcome[participant.code] = str(refused)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=sign, args=(investigator, first)),
        threading.Thread(target=sign, args=(other, second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcome.values()).count("signed") == 1, outcome
    assert any(SLOTS_FULL in value for value in outcome.values()), outcome
    slots = selectors.iah_slots()
    assert (slots.given, slots.pending, slots.left) == (5, 5, 0)


def test_the_gate_page_shows_ratios_chart_and_slots(client, investigator, scanned):
    client.force_login(investigator)
    url = reverse("crf_edit", args=[scanned.code, "GATE", "GATE", 1])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="patient-ratio">3.80' in html
    assert "<svg" in html and 'data-threshold="3"' in html
    assert "0 doses given, 0 proceeds pending, 10 left of 10" in html
    sign_url = reverse("signature_sign", args=[scanned.code, "gate"])
    wrong = client.post(sign_url, {"password": "nope", "decision": "proceed"})
    assert wrong.status_code == 200 and "Wrong password" in wrong.content.decode()
    done = client.post(sign_url, {"password": PASSWORD, "decision": "proceed"})
    assert done.status_code == 302
    assert selectors.gate_of(scanned).decision == "proceed"


def test_the_gate_page_names_missing_cells(client, investigator, nurse, enrolled):
    h.save(nurse, enrolled, "PET-IAH", "PET_IAH", *h.pet_data(h.IAH_INJECTION))
    client.force_login(investigator)
    page = client.get(reverse("signature_sign", args=[enrolled.code, "gate"]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-result="unknown"' in html and "PET-IV L1 SUVmax" in html
    refused = client.post(
        reverse("signature_sign", args=[enrolled.code, "gate"]),
        {"password": PASSWORD, "decision": "proceed"},
    )
    assert refused.status_code == 200
    assert "Cannot be computed" in refused.content.decode()
    assert selectors.gate_of(enrolled) is None


# --- Issue 23: the gate decided on the exact patient ratio (PROTOCOL.md section 5) -----------
# (IAH SUVs, IV SUVs) of the 5 index lesions, as (SUVmax, SUVmean).
THREES = [(30, 15), (24, 12), (21, 10)], [(10, 5), (8, 4), (7, 3)]
EXACT_RATIOS = [
    # 3, 3, 3, 3 and 2.9995: 2.9999, "3.00" at two decimals.
    ("2.9999", [(120, 60)] * 4 + [(119.98, 60)], [(40, 20)] * 5, False, "2.9999"),
    # 3, 3, 3, 2.00025 and 3.9842: 2.99689, "3.00" at two decimals (the patient).
    (
        "2.99689",
        [*THREES[0], (160.02, 80), (199.21, 99)],
        [*THREES[1], (80, 40), (50, 25)],
        False,
        "2.997",
    ),
    ("3.0", [*THREES[0], (12, 6), (60, 30)], [*THREES[1], (4, 2), (20, 10)], True, "3.00"),
]


@pytest.mark.req("CALC.ER", "CALC.THRESHOLDS")
@pytest.mark.parametrize(
    ("iah", "iv", "met", "shown"), [e[1:] for e in EXACT_RATIOS], ids=[e[0] for e in EXACT_RATIOS]
)
def test_the_gate_is_decided_on_the_exact_ratio_and_shown_on_its_side(
    client, nurse, investigator, enrolled, iah, iv, met, shown
):
    h.save(nurse, enrolled, "PET-IAH", "PETLES", *h.lesions_data())
    h.save(nurse, enrolled, "PET-IAH", "PET_IAH", *h.pet_data(h.IAH_INJECTION, iah))
    h.save(nurse, enrolled, "PET-IV", "PET_IV", *h.pet_data(h.IV_INJECTION, iv, iah=False))
    summary = selectors.summary(enrolled)
    assert summary.met is met and summary.patient_ratio_text == shown
    client.force_login(investigator)
    html = client.get(reverse("signature_sign", args=[enrolled.code, "gate"])).content.decode()
    assert f'data-testid="patient-ratio">{shown}<' in html
    assert f'data-result="{"met" if met else "not-met"}"' in html
    if met:
        signature = actions.sign_gate(investigator, PASSWORD, enrolled, "proceed")
        assert selectors.gate_of(enrolled).patient_ratio == Decimal(3)
        assert f"ratio {shown}" in signature.meaning
        return
    with pytest.raises(trial_actions.ActionRefused, match=f"ratio {shown} is below"):
        actions.sign_gate(investigator, PASSWORD, enrolled, "proceed")
    actions.sign_gate(investigator, PASSWORD, enrolled, "not_eligible")
    gate = selectors.gate_of(enrolled)
    assert gate.gate_met is False and gate.patient_ratio == Decimal(
        shown if shown != "2.997" else "2.99689"
    )


# --- Issue 23: the cap counts doses; a re-decision is a correction ----------------------------


def _give_the_dose(nurse, participant) -> None:
    h.save(nurse, participant, "IAH", "IAHDOSE", h.iah_dose_data(), {}, confirm=True)
    participant.refresh_from_db()


def _break_the_gate_signature(nurse, participant) -> None:
    values, groups = h.pet_data(h.IV_INJECTION, h.IV_SUVS, iah=False)
    groups["lesion_suvs"][1] = {"suv_max": "8.5", "suv_mean": "4"}
    h.save(nurse, participant, "PET-IV", "PET_IV", values, groups, reason="transcription error")


@pytest.mark.req("GATE.CAP", "GATE.CORRECTION")
def test_once_the_dose_is_given_the_gate_stands_and_keeps_its_slot(
    client, nurse, investigator, scanned
):
    actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    _give_the_dose(nurse, scanned)
    slots = selectors.iah_slots()
    assert (slots.given, slots.pending, slots.left) == (1, 0, 9)
    # The finding: a broken signature signed again as "not eligible" freed the slot and dropped
    # the IAH dose and dosimetry from the plan. Now refused, with or without a reason.
    _break_the_gate_signature(nurse, scanned)
    for choice in ("not_eligible", "declined"):
        with pytest.raises(trial_actions.ActionRefused, match="IAH dose was given on"):
            actions.sign_gate(investigator, PASSWORD, scanned, choice, "wrong SUV")
    scanned.refresh_from_db()
    assert scanned.gate_decision == "proceed"
    assert {"IAH", "DOSI"} <= {event.code for event in scanned.plan()}
    assert selectors.gate_of(scanned).decision == "proceed"
    assert selectors.iah_slots().given == 1
    # The page says why, and counts the dose.
    client.force_login(investigator)
    html = client.get(reverse("signature_sign", args=[scanned.code, "gate"])).content.decode()
    assert 'data-testid="not_eligible-refusal"' in html and "IAH dose was given on" in html
    assert "1 doses given, 0 proceeds pending, 9 left of 10" in html
    # Signing the same "proceed" again, on the corrected data, stays possible.
    actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    assert selectors.current_signature(scanned).is_valid


@pytest.mark.req("GATE.CAP", "GATE.CORRECTION")
def test_a_proceed_withdrawn_before_the_dose_needs_a_reason_and_frees_its_slot(
    client, nurse, investigator, scanned, bdx
):
    first = actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    first_day = selectors.gate_of(scanned).decided_on
    assert selectors.iah_slots().pending == 1
    other = make_user("olga", roles.INVESTIGATOR, bdx)
    # Changed after signing, with no reason: refused, nothing written.
    with pytest.raises(trial_actions.ReasonRequired, match="correction"):
        actions.sign_gate(other, PASSWORD, scanned, "not_eligible")
    assert selectors.gate_of(scanned).decision == "proceed"
    # With its reason: the slot is freed, the GATE date stays the first decision's.
    later = actions.sign_gate(
        other, PASSWORD, scanned, "not_eligible", "hepatic artery anatomy unsuitable"
    )
    scanned.refresh_from_db()
    gate = selectors.gate_of(scanned)
    assert (gate.decision, gate.decided_on) == ("not_eligible", first_day)
    assert scanned.dates["GATE"] == first_day and scanned.gate_decision == "not_eligible"
    slots = selectors.iah_slots()
    assert (slots.given, slots.pending, slots.left) == (0, 0, 10)
    assert [s.pk for s in selectors.signed_decisions(scanned)] == [first.pk, later.pk]
    # The first decision, its date and its signer stay on the page...
    client.force_login(investigator)
    html = client.get(reverse("signature_sign", args=[scanned.code, "gate"])).content.decode()
    assert 'data-testid="first-decision"' in html and first.meaning in html
    assert first.signer_name in html and later.signer_name in html
    # ... and in History, with the reason of the change.
    history = client.get(
        reverse("crf_history", args=[scanned.code, "GATE", "GATE", 1])
    ).content.decode()
    assert "Proceed to the IAH dose" in history and "Not eligible" in history
    assert "hepatic artery anatomy unsuitable" in history


@pytest.mark.req("GATE.CORRECTION")
def test_the_gate_date_stays_the_first_decisions_unless_corrected_with_a_reason(
    nurse, investigator, scanned
):
    actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    first_day = selectors.gate_of(scanned).decided_on
    _break_the_gate_signature(nurse, scanned)
    earlier = first_day - timedelta(days=1)
    with pytest.raises(trial_actions.ReasonRequired, match="another date is a correction"):
        actions.sign_gate(investigator, PASSWORD, scanned, "proceed", on=earlier)
    scanned.refresh_from_db()
    assert scanned.dates["GATE"] == first_day
    actions.sign_gate(
        investigator, PASSWORD, scanned, "proceed", "decided the day before", on=earlier
    )
    scanned.refresh_from_db()
    assert scanned.dates["GATE"] == earlier == selectors.gate_of(scanned).decided_on
