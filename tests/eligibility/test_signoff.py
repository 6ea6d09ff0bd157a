"""The investigator's sign-off: refused while anything is missing, eligible enrols, screen
failure closes, and a later change to the data used breaks the signature."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from eligibility import actions, facts, rules, selectors
from eligibility.models import EligibilitySignoff
from tests.conftest import PASSWORD
from tests.eligibility import helpers as h
from trial import actions as trial_actions
from trial import schedule
from trial.models import AuthEvent, AuthEventKind, FormState, Signature

pytestmark = pytest.mark.django_db

ELIGIBLE_MEANING = "I confirm this participant is eligible"


def sign(user, participant, decision, password=PASSWORD, reason=""):
    return actions.sign_eligibility(user, password, participant, decision=decision, reason=reason)


def slot(participant):
    return participant.forms.get(event="ELIG", form="ELIGSIGN")


def assert_untouched(participant):
    participant.refresh_from_db()
    assert participant.status == schedule.SCREENING
    assert participant.enrolment_date is None
    assert "ELIG" not in participant.event_dates
    assert slot(participant).status == FormState.NOT_STARTED
    assert not Signature.objects.filter(participant=participant).exists()
    assert not EligibilitySignoff.objects.exists()


@pytest.mark.req("ELIG.SIGN")
def test_eligible_cannot_be_signed_while_an_item_is_missing(nurse, investigator, bdx):
    participant = h.eligible_participant(nurse, bdx)
    h.save(nurse, participant, "ELIG", "VITALS", {**h.vitals_data(), "ecog": ""}, complete=False)
    with pytest.raises(trial_actions.ActionRefused, match="I5 cannot be assessed yet"):
        sign(investigator, participant, "eligible")
    # Nothing failed either: a screen failure cannot be signed instead.
    with pytest.raises(trial_actions.ActionRefused, match="none has failed"):
        sign(investigator, participant, "screen_failure")
    assert_untouched(participant)


def test_signing_eligible_enrols_the_participant(investigator, eligible):
    signature = sign(investigator, eligible, "eligible")
    eligible.refresh_from_db()
    assert eligible.status == schedule.ENROLLED
    assert eligible.enrolment_date == h.TODAY
    assert eligible.event_dates["ELIG"] == h.TODAY.isoformat()
    # The next events' forms now exist.
    assert eligible.forms.filter(event="PET-IAH", form="PET_IAH").exists()
    assert eligible.forms.filter(event="M18").exists()
    assert slot(eligible).status == FormState.COMPLETE
    signoff = EligibilitySignoff.objects.get()
    assert (signoff.decision, signoff.signoff_date, signoff.failed_criteria) == (
        "eligible",
        h.TODAY,
        "",
    )
    assert signature.meaning == ELIGIBLE_MEANING
    assert signature.signer == investigator and signature.row == slot(eligible)
    # What was signed: every criterion's status and every source value.
    assert signature.content["result"] == rules.ELIGIBLE
    assert signature.content["I5"] == "met" and signature.content["E11"] == "not met"
    assert signature.content["VITALS.ecog"] == 1
    assert signature.content["LAB.platelets_mm3"] == "180000"
    assert signature.content["C4.administration_date"] == h.CYCLE_DATES[4].isoformat()
    assert signature.content["evaluation_date"] == h.TODAY.isoformat()


@pytest.mark.req("ELIG.SIGN")
def test_signing_a_screen_failure_closes_the_participant(nurse, investigator, eligible):
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "ecog": "3"})
    h.save(nurse, eligible, "SCR", "REPRO", {**h.repro_data(), "mri_contraindication": "True"})
    with pytest.raises(trial_actions.ActionRefused, match="I5, E11 failed"):
        sign(investigator, eligible, "eligible")
    signature = sign(investigator, eligible, "screen_failure")
    eligible.refresh_from_db()
    assert eligible.status == schedule.SCREEN_FAILURE
    assert eligible.enrolment_date is None
    assert signature.meaning == "I confirm this participant is a screen failure: I5, E11"
    assert EligibilitySignoff.objects.get().failed_criteria == "I5, E11"
    # The journey stops at eligibility.
    assert [p.code for p in eligible.plan()][-1] == "ELIG"


@pytest.mark.req("ROLE.SIGNERS")
def test_only_an_investigator_signs(nurse, eligible):
    with pytest.raises(trial_actions.ActionRefused, match="Only an investigator"):
        sign(nurse, eligible, "eligible")
    assert_untouched(eligible)


def test_a_wrong_password_signs_nothing_but_counts_towards_the_lockout(investigator, eligible):
    with pytest.raises(trial_actions.WrongPassword):
        sign(investigator, eligible, "eligible", password="not-the-password")
    assert_untouched(eligible)
    # The failed attempt survives the rollback of the sign-off.
    assert (
        AuthEvent.objects.filter(
            username=investigator.username, kind=AuthEventKind.SIGNATURE_FAILED
        ).count()
        == 1
    )


def test_a_signed_decision_is_not_signed_twice(investigator, eligible):
    sign(investigator, eligible, "eligible")
    with pytest.raises(trial_actions.ActionRefused, match="already signed"):
        sign(investigator, eligible, "eligible")


def test_a_lab_sampled_before_c4_cannot_serve_for_eligibility(nurse, investigator, bdx):
    participant = h.eligible_participant(nurse, bdx)
    # The LAB form refuses such a date; it still happens when C4's date is corrected later.
    corrected_c4 = h.LAB_DAY + timedelta(days=1)
    h.save(
        nurse,
        participant,
        "C4",
        "CYCLE",
        {**h.cycle_data(4), "administration_date": corrected_c4},
        confirm=True,
    )
    evaluation = selectors.evaluate(participant)
    (i7,) = [c for c in evaluation.criteria if c.code == "I7"]
    assert i7.status == rules.CANNOT_ASSESS and i7.missing == ("LAB.sample_date",)
    with pytest.raises(trial_actions.ActionRefused, match="cannot be assessed yet"):
        sign(investigator, participant, "eligible")


# --- The signature breaks when the data it used change -----------------------------------------
def test_the_signature_breaks_when_a_source_value_changes(nurse, investigator, eligible):
    signature = sign(investigator, eligible, "eligible")
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "weight_kg": "64"})
    signature.refresh_from_db()
    assert not signature.is_valid
    # Clearance still >= 50: only the source value changed, not a criterion's status.
    assert signature.breaks.get().changes == {"VITALS.weight_kg": ["68", "64"]}


def test_a_criterion_turning_shows_in_the_broken_signature(nurse, investigator, eligible):
    signature = sign(investigator, eligible, "eligible")
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "ecog": "3"})
    changes = signature.breaks.get().changes
    assert changes["VITALS.ecog"] == [1, 3]
    assert changes["I5"] == ["met", "not met"]
    assert changes["result"] == ["eligible", "not eligible"]


def test_a_change_the_criteria_do_not_read_keeps_the_signature(nurse, investigator, eligible):
    signature = sign(investigator, eligible, "eligible")
    h.save(nurse, eligible, "SCR", "DEMOG", {**h.demographics_data(), "height_cm": "170"})
    signature.refresh_from_db()
    assert signature.is_valid


def test_time_passing_does_not_break_the_signature(investigator, eligible, monkeypatch):
    signature = sign(investigator, eligible, "eligible")
    # Forty days on the lab would be too old for a new sign-off, but the signed evaluation
    # keeps its date.
    monkeypatch.setattr(facts, "site_today", lambda participant: h.TODAY + timedelta(days=40))
    assert selectors.signature_payload(eligible) == signature.content
    assert trial_actions.refresh_signatures(eligible) == []


def test_a_broken_signature_is_signed_again_for_the_same_evaluation(nurse, investigator, eligible):
    first = sign(investigator, eligible, "eligible")
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "weight_kg": "64"})
    second = sign(investigator, eligible, "eligible")
    first.refresh_from_db()
    assert second.is_valid and not first.is_valid
    assert second.content["VITALS.weight_kg"] == "64"
    eligible.refresh_from_db()
    assert eligible.status == schedule.ENROLLED and eligible.enrolment_date == h.TODAY


def test_an_enrolled_participant_cannot_be_turned_into_a_screen_failure(
    nurse, investigator, eligible
):
    sign(investigator, eligible, "eligible")
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "ecog": "3"})
    with pytest.raises(trial_actions.ActionRefused, match="data manager"):
        sign(investigator, eligible, "screen_failure", reason="ECOG 3 on review")


@pytest.mark.req("GATE.CORRECTION", "ELIG.SIGN")
def test_a_changed_eligibility_decision_needs_a_reason(
    nurse, investigator, investigator_client, eligible
):
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "ecog": "3"})
    first = sign(investigator, eligible, "screen_failure")
    h.save(nurse, eligible, "ELIG", "VITALS", h.vitals_data())
    # The signature is broken, and the other decision is a correction: a reason is needed.
    with pytest.raises(trial_actions.ReasonRequired, match="correction"):
        sign(investigator, eligible, "eligible")
    eligible.refresh_from_db()
    assert eligible.status == schedule.SCREEN_FAILURE
    # On the page, the reason is asked beside the password, and what was typed is kept.
    page = investigator_client.post(
        signoff_url(eligible), {"password": PASSWORD, "decision": "eligible"}
    )
    html = page.content.decode()
    assert page.status_code == 200 and "give the reason for the change" in html
    second = sign(investigator, eligible, "eligible", reason="ECOG corrected to 1")
    eligible.refresh_from_db()
    assert eligible.status == schedule.ENROLLED and second.is_valid and not first.is_valid


# --- Through the page ----------------------------------------------------------------------------
def signoff_url(participant):
    return reverse("signature_sign", args=[participant.code, "eligibility"])


def test_the_investigator_signs_on_the_page(investigator_client, eligible):
    response = investigator_client.post(
        signoff_url(eligible), {"password": PASSWORD, "decision": "eligible"}
    )
    assert response.status_code == 302
    eligible.refresh_from_db()
    assert eligible.status == schedule.ENROLLED
    page = investigator_client.get(signoff_url(eligible)).content.decode()
    assert 'data-testid="signature"' in page and ELIGIBLE_MEANING in page
    assert 'data-testid="sign-form"' not in page  # signed: nothing more to sign


def test_a_wrong_password_is_reported_beside_the_field(investigator_client, eligible):
    response = investigator_client.post(
        signoff_url(eligible), {"password": "nope", "decision": "eligible"}
    )
    assert response.status_code == 200
    assert "Wrong password" in response.content.decode()
    assert response.context["sign_form"].errors["password"]
    assert_untouched(eligible)


def test_the_page_shows_which_value_broke_the_signature(
    nurse, investigator, investigator_client, eligible
):
    sign(investigator, eligible, "eligible")
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "ecog": "2"})
    page = investigator_client.get(signoff_url(eligible)).content.decode()
    assert 'data-testid="signature-broken"' in page
    assert "<code>VITALS.ecog</code>: 1 → 2" in page
    assert 'data-testid="sign-form"' in page  # to be signed again


# --- Issue 9: signed on complete forms only -------------------------------------------------------
@pytest.mark.req("P11.10f")
def test_eligible_is_refused_while_a_form_is_a_draft(nurse, investigator, bdx):
    # Every value entered and eligible, but Demographics and the lab panel only saved as drafts.
    participant = h.eligible_participant(nurse, bdx)
    h.save(nurse, participant, "SCR", "DEMOG", h.demographics_data(), complete=False)
    h.save(nurse, participant, "ELIG", "LAB", h.lab_data(), complete=False)
    assert selectors.evaluate(participant).result == rules.ELIGIBLE
    assert set(facts.incomplete_forms(participant)) == {("SCR", "DEMOG"), ("ELIG", "LAB")}
    with pytest.raises(trial_actions.ActionRefused, match="every form is complete") as refused:
        sign(investigator, participant, "eligible")
    assert "Demographics" in str(refused.value)
    assert "Laboratory panel (eligibility)" in str(refused.value)
    assert_untouched(participant)
    # Once complete, eligible is signed.
    h.save(nurse, participant, "SCR", "DEMOG", h.demographics_data())
    h.save(nurse, participant, "ELIG", "LAB", h.lab_data())
    assert facts.incomplete_forms(participant) == {}
    assert sign(investigator, participant, "eligible").meaning == ELIGIBLE_MEANING


def test_every_form_feeding_the_rules_must_exist_and_be_complete(nurse, bdx):
    participant = trial_actions.register_participant(nurse, bdx, h.CONSENT_DAY)
    incomplete = facts.incomplete_forms(participant)
    assert set(incomplete) == set(facts.SIGNOFF_SLOTS)
    assert ("C4", "CYCLE") in incomplete and ("ELIG", "LAB") in incomplete
    assert ("SCR", "CONSENT") in incomplete and ("ELIG", "VITALS") in incomplete


def test_the_page_lists_the_draft_forms_with_links(nurse, investigator_client, eligible):
    h.save(nurse, eligible, "SCR", "CARDIO", h.cardio_data(), complete=False)
    response = investigator_client.get(signoff_url(eligible))
    page = response.content.decode()
    assert 'data-testid="incomplete-forms"' in page
    assert 'data-incomplete="SCR/CARDIO" data-status="in_progress"' in page
    assert reverse("crf_edit", args=[eligible.code, "SCR", "CARDIO", 1]) in page
    assert (
        "still in draft or not started: Cardiovascular history"
        in response.context["refusals"]["eligible"]
    )
    # A post is refused the same way.
    response = investigator_client.post(
        signoff_url(eligible), {"password": PASSWORD, "decision": "eligible"}
    )
    assert response.status_code == 200
    assert "every form is complete" in response.content.decode()
    assert_untouched(eligible)


def test_a_complete_participant_lists_no_form(investigator_client, eligible):
    page = investigator_client.get(signoff_url(eligible)).content.decode()
    assert 'data-testid="incomplete-forms"' not in page


def test_a_screen_failure_read_from_a_draft_is_refused(nurse, investigator, eligible):
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "ecog": "3"}, complete=False)
    with pytest.raises(trial_actions.ActionRefused, match="I5 can be signed only") as refused:
        sign(investigator, eligible, "screen_failure")
    assert "Vital signs and ECOG" in str(refused.value)
    assert_untouched(eligible)
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "ecog": "3"})
    sign(investigator, eligible, "screen_failure")
    eligible.refresh_from_db()
    assert eligible.status == schedule.SCREEN_FAILURE


def test_a_draft_that_fed_no_failed_criterion_does_not_hold_a_screen_failure(
    nurse, investigator, eligible
):
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "ecog": "3"})
    h.save(nurse, eligible, "SCR", "CARDIO", h.cardio_data(), complete=False)
    sign(investigator, eligible, "screen_failure")
    eligible.refresh_from_db()
    assert eligible.status == schedule.SCREEN_FAILURE
