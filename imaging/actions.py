"""Writes of the imaging app. The PET and dosimetry forms will be CRFs saved through
trial.actions.save_crf; what changes the participant's journey goes through
trial.actions.change_journey, as here."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from trial import actions as trial_actions
from trial import roles, schedule
from trial.audit import audit_context
from trial.models import Participant

GATE_DECISIONS = (schedule.PROCEED, "not_eligible", "declined")


def record_gate_decision(
    user: Any, participant: Participant, decision: str, on: date
) -> Participant:
    """The enhancement-ratio gate's decision as the journey sees it: "proceed" opens the IAH
    dose and dosimetry; any other decision leads straight to follow-up. The signed gate form
    (issue "paired PETs and the gate") calls this inside its signing transaction."""
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
