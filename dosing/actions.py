"""Writes of the dosing app. The IV cycles, lab panels, adverse events and medications are CRFs:
their data go through trial.actions.save_crf (the one door), with this app's derived values
(canonical lab units, MedDRA coding) declared in dosing/crf.py. What is the dosing app's own is
here: a new entry of its repeating logs."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from trial import actions as trial_actions
from trial.models import FormStatus, Participant

LOG_FORMS = ("AE", "CM")


def record_log_entry(
    user: Any, participant: Participant, form: str, data: dict[str, Any], *, complete: bool = True
) -> FormStatus:
    """A new adverse event or concomitant medication, created with its first data."""
    if form not in LOG_FORMS:
        raise trial_actions.ActionRefused(_("Only adverse events and medications are logged."))
    return trial_actions.add_repeat(user, participant, form, data, complete=complete)
