"""Writes of the imaging app. The PET and dosimetry forms are CRFs saved through
trial.actions.save_crf; the gate decision is signed here, with what it changes in the
participant's journey going through trial.actions.change_journey."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from imaging import selectors
from imaging.models import Gate, GateDecision
from trial import actions as trial_actions
from trial import roles, schedule
from trial.audit import audit_context
from trial.models import Participant, Signature

GATE_DECISIONS = (schedule.PROCEED, "not_eligible", "declined")
# The advisory lock that orders every "proceed" across the trial: two investigators signing
# the 10th slot at once are served one after the other, and the second sees 10 used.
IAH_SLOT_LOCK = 0x1A4_5107


def record_gate_decision(
    user: Any, participant: Participant, decision: str, on: date
) -> Participant:
    """The enhancement-ratio gate's decision as the journey sees it: "proceed" opens the IAH
    dose and dosimetry; any other decision leads straight to follow-up. sign_gate calls this
    inside its signing transaction."""
    if not roles.has_any(user, roles.SIGN):
        raise trial_actions.ActionRefused(_("Only an investigator records the gate decision."))
    if decision not in GATE_DECISIONS:
        raise trial_actions.ActionRefused(_("Unknown gate decision."))
    with transaction.atomic(), audit_context(user, command="record_gate_decision"):
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        trial_actions.require_reach(user, locked)
        return trial_actions.change_journey(
            user, locked, dates={"GATE": on}, gate_decision=decision
        )


def meaning_for(decision: str, summary: selectors.GateSummary, reason: str) -> str:
    ratio = summary.patient_ratio_text or _("not computed")
    if decision == GateDecision.PROCEED:
        return _("I decide the IAH dose: patient enhancement ratio %(ratio)s") % {"ratio": ratio}
    if decision == GateDecision.NOT_ELIGIBLE:
        return _("I decide no IAH dose (not eligible): patient enhancement ratio %(ratio)s") % {
            "ratio": ratio
        }
    return _("The participant declined the IAH dose: %(reason)s") % {"reason": reason}


def refusal(decision: str, summary: selectors.GateSummary, used: int) -> str | None:
    """Why this decision cannot be signed, or None."""
    if decision not in GateDecision.values:
        return _("Unknown decision.")
    if decision != GateDecision.PROCEED:
        return None
    if summary.patient_ratio is None:
        return selectors.missing_text(summary)
    if not summary.met:
        return _("The patient enhancement ratio %(ratio)s is below the threshold of 3.") % {
            "ratio": summary.patient_ratio_text
        }
    if used >= selectors.IAH_SLOTS:
        return _("The trial's %(slots)s IAH doses are all decided.") % {
            "slots": selectors.IAH_SLOTS
        }
    return None


def sign_gate(
    user: Any,
    password: str,
    participant: Participant,
    decision: str,
    reason: str = "",
    on: date | None = None,
) -> Signature:
    """Sign the gate decision: the Gate row, the journey and the signature in one transaction.

    "proceed" needs the gate met and a free slot of the trial's 10; the count is taken under a
    transaction-wide advisory lock, so concurrent signers cannot both take the last slot.
    """
    if not roles.has_any(user, roles.SIGN):
        raise trial_actions.ActionRefused(_("Only an investigator signs the gate decision."))
    reason = (reason or "").strip()
    if decision == GateDecision.DECLINED and not reason:
        raise trial_actions.ActionRefused(_("Give the reason the participant declined."))
    trial_actions.signable_for(user, participant, selectors.SIGNATURE_KIND)
    verified = trial_actions.verify_signer(user, password)
    with transaction.atomic(), audit_context(user, command="sign_gate", reason=reason):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IAH_SLOT_LOCK])
        participant, row = trial_actions.lock_decision_slot(
            participant,
            selectors.GATE_EVENT,
            selectors.GATE_FORM,
            missing=_("This participant has no gate form yet (both PETs come first)."),
        )
        current = selectors.current_signature(participant)
        if current is not None and current.is_valid:
            raise trial_actions.ActionRefused(
                _("The gate is already signed (%(meaning)s).") % {"meaning": current.meaning}
            )
        summary = selectors.summary(participant)
        used = selectors.proceed_count(exclude_participant=participant.pk)
        refused = refusal(decision, summary, used)
        if refused:
            raise trial_actions.ActionRefused(refused)
        on = on or timezone.localdate()
        ratio = summary.patient_ratio
        Gate.objects.update_or_create(
            form_status=row,
            defaults={
                "decision": decision,
                "reason": reason,
                "patient_ratio": None if ratio is None else round(ratio, 2),
                "gate_met": summary.met,
                "decided_on": on,
            },
        )
        trial_actions.mark_saved(user, row)
        journey = schedule.PROCEED if decision == GateDecision.PROCEED else decision
        trial_actions.change_journey(
            user, participant, dates={selectors.GATE_EVENT: on}, gate_decision=journey
        )
        trial_actions.refresh_signatures(participant, [row])
        return trial_actions.record_signature(
            user,
            verified,
            participant,
            kind=selectors.SIGNATURE_KIND,
            meaning=meaning_for(decision, summary, reason),
            row=row,
        )
