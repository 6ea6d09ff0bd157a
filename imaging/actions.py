"""Writes of the imaging app. The PET and dosimetry forms are CRFs saved through
trial.actions.save_crf; the gate decision is a decision (trial/decisions.py, registered in
imaging/crf.py) signed through trial.actions.sign_decision, whose domain side is `decide`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from imaging import selectors
from imaging.models import Gate, GateDecision
from trial import actions as trial_actions
from trial import roles, schedule
from trial.calculations import exact
from trial.changes import JourneyChange
from trial.decisions import Decided, DecisionContext
from trial.languages import shown_date
from trial.models import FormStatus, Participant, Signature
from trial.registry import RefreshContext

GATE_DECISIONS = (schedule.PROCEED, "not_eligible", "declined")
# The advisory lock that orders every gate decision across the trial: two investigators signing
# the 10th slot at once are served one after the other, and the second sees 10 held.
IAH_SLOT_LOCK = 0x1A4_5107


def record_gate_decision(
    user: Any, participant: Participant, decision: str, on: date
) -> Participant:
    """The enhancement-ratio gate's decision as the journey sees it, without a signature (the
    demo's unsigned decisions): "proceed" opens the IAH dose and dosimetry; any other decision
    leads straight to follow-up."""
    if not roles.has_any(user, roles.SIGN):
        raise trial_actions.ActionRefused(_("Only an investigator records the gate decision."))
    if decision not in GATE_DECISIONS:
        raise trial_actions.ActionRefused(_("Unknown gate decision."))
    with trial_actions.write(user, participant, command="record_gate_decision") as w:
        w.journey(JourneyChange(dates={selectors.GATE_EVENT: on}, gate_decision=decision))
        return w.participant


def meaning_for(decision: str, summary: selectors.GateSummary, reason: str) -> str:
    ratio = summary.patient_ratio_text or _("not computed")
    if decision == GateDecision.PROCEED:
        return _("I decide the IAH dose: patient enhancement ratio %(ratio)s") % {"ratio": ratio}
    if decision == GateDecision.NOT_ELIGIBLE:
        return _("I decide no IAH dose (not eligible): patient enhancement ratio %(ratio)s") % {
            "ratio": ratio
        }
    return _("The participant declined the IAH dose: %(reason)s") % {"reason": reason}


def refusal(
    decision: str,
    summary: selectors.GateSummary,
    used: int,
    given_on: date | None = None,
) -> str | None:
    """Why this decision cannot be signed, or None. `used`: the IAH slots held by the other
    participants; `given_on`: the date of this participant's IAH dose, when given."""
    if decision not in GateDecision.values:
        return _("Unknown decision.")
    if given_on is not None and decision != GateDecision.PROCEED:
        return _(
            "The IAH dose was given on %(day)s: the decision to proceed stands and can no "
            "longer be changed (its slot is kept for good)."
        ) % {"day": shown_date(given_on)}
    if decision != GateDecision.PROCEED:
        return None
    if summary.patient_ratio is None:
        return selectors.missing_text(summary)
    if not summary.met:
        return _("The patient enhancement ratio %(ratio)s is below the threshold of 3.") % {
            "ratio": summary.patient_ratio_text
        }
    if used >= selectors.IAH_SLOTS and given_on is None:
        return _(
            "The trial's %(slots)s IAH slots are all held (doses given or decided to proceed)."
        ) % {"slots": selectors.IAH_SLOTS}
    return None


def sign_gate(
    user: Any,
    password: str,
    participant: Participant,
    decision: str,
    reason: str = "",
    on: date | None = None,
) -> Signature:
    """Sign the gate decision (trial.actions.sign_decision): the Gate row, the journey and the
    signature in one write session. "proceed" needs the gate met and a free slot of the
    trial's 10; the count is taken under a transaction-wide advisory lock (the decision's
    `serialize`), so concurrent signers cannot both take the last slot."""
    return trial_actions.sign_decision(
        user, password, participant, selectors.SIGNATURE_KIND, choice=decision, reason=reason, on=on
    )


def decide(context: DecisionContext) -> Decided:
    """The gate decision's side (trial/decisions.py), inside the signing session and its
    advisory lock: refused when the gate is not met or no slot is free for "proceed", and any
    other decision once the IAH dose is given; then recorded on the GATE slot. "proceed" opens
    the IAH dose and dosimetry.

    A decision signed again keeps the first decision's date (the GATE event's date) unless
    another date is given, which is a correction and needs a reason; the first decision, its
    date and signer stay in the Gate row's audit trail and in the signatures."""
    participant, decision, reason = context.participant, context.choice, context.reason
    summary = selectors.summary(participant)
    # Counted under the advisory lock, after the participant's row lock: a dose recorded or a
    # "proceed" signed by another session is committed before this count is taken.
    slots = selectors.iah_slots(participant)
    refused = refusal(decision, summary, slots.held_by_others, selectors.dose_given_on(participant))
    if refused:
        raise trial_actions.ActionRefused(refused)
    first = Gate.objects.filter(form_status=context.row).first()
    first_on = first.decided_on if first is not None else None
    on = context.on or first_on or timezone.localdate()
    if first_on is not None and on != first_on and not reason:
        raise trial_actions.ReasonRequired(
            _("The gate was decided on %(day)s: another date is a correction, give the reason.")
            % {"day": shown_date(first_on)}
        )
    ratio = summary.patient_ratio
    # The row read above, under the slot's lock: one write, an update or the first insert.
    gate = first if first is not None else Gate(form_status=context.row)
    gate.decision, gate.reason, gate.gate_met, gate.decided_on = (
        decision,
        reason,
        summary.met,
        on,
    )
    gate.patient_ratio = None if ratio is None else exact(ratio)
    gate.save()
    journey = schedule.PROCEED if decision == GateDecision.PROCEED else decision
    return Decided(
        meaning_for(decision, summary, reason),
        journey=JourneyChange(dates={selectors.GATE_EVENT: on}, gate_decision=journey),
    )


def decide_dosimetry(context: DecisionContext) -> Decided:
    """The physicist's (investigator's) review of the dosimetry (trial/decisions.py): refused
    until doses can be computed; nothing else is written, the signature is the review, and
    any change to the SPECT/CT form or the IAH dose breaks it."""
    data = selectors.dosimetry_data(context.participant)
    refused = selectors.dosimetry_refusal(data)
    if refused:
        raise trial_actions.ActionRefused(refused)
    return Decided(selectors.dosimetry_meaning(data), saves_slot=False)


def refresh_gate_ratio(context: RefreshContext) -> list[FormStatus]:
    """After a change of either PET (a corrected SUV): the Gate row's stored patient ratio and
    "gate met" computed again from the SUVs as they are now. The gate signature covers the
    PETs and the Gate row, so the session records its break; the decision itself stays as
    signed until an investigator decides again."""
    gate = (
        Gate.objects.filter(
            form_status__participant_id=context.participant.pk,
            form_status__form=selectors.GATE_FORM,
        )
        .select_related("form_status")
        .first()
    )
    if gate is None:
        return []
    values = selectors.gate_record(selectors.summary(context.participant))
    changed = [name for name, value in values.items() if getattr(gate, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(gate, name, values[name])
    gate.save(update_fields=changed)
    return [gate.form_status]
