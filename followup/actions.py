"""Writes of the follow-up app. The visit and RECIST forms will be CRFs saved through
trial.actions.save_crf; the end of study changes the journey through
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

END_STATUSES = (schedule.COMPLETED, schedule.WITHDRAWN)


def end_study(
    user: Any, participant: Participant, status: str, on: date, *, reason: str
) -> Participant:
    """Close the participant's follow-up: completed at M18, or withdrawn (consent withdrawn,
    lost to follow-up, death, investigator decision), with the reason recorded."""
    if not roles.has_any(user, roles.ENTER_DATA):
        raise trial_actions.ActionRefused(_("Your role does not allow you to enter data."))
    if status not in END_STATUSES:
        raise trial_actions.ActionRefused(_("Unknown end-of-study status."))
    if not reason.strip():
        raise trial_actions.ReasonRequired(_("Give a reason."))
    with transaction.atomic(), audit_context(user, reason=reason, command="end_study"):
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        trial_actions.require_reach(user, locked)
        return trial_actions.change_journey(user, locked, dates={"EOS": on}, status=status)
