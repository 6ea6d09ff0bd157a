"""Writes of the dosing app. The IV cycles, lab panels, adverse events and medications are CRFs:
their data go through trial.actions.save_crf (the one door), with this app's derived values
(canonical lab units, MedDRA coding) declared in dosing/crf.py. What is the dosing app's own is
here: a new entry of its repeating logs, and the domain side of an adverse event's causality
(a decision, trial/decisions.py, signed through trial.actions.sign_decision)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from dosing import selectors
from dosing.models import AdverseEvent, Relationship
from trial import actions as trial_actions
from trial.crf import model_field
from trial.decisions import Decided, DecisionContext
from trial.models import FormStatus, Participant

LOG_FORMS = ("AE", "CM")


def record_log_entry(
    user: Any, participant: Participant, form: str, data: dict[str, Any], *, complete: bool = True
) -> FormStatus:
    """A new adverse event or concomitant medication, created with its first data."""
    if form not in LOG_FORMS:
        raise trial_actions.ActionRefused(_("Only adverse events and medications are logged."))
    return trial_actions.add_repeat(user, participant, form, data, complete=complete)


def decide_causality(context: DecisionContext) -> Decided:
    """An adverse event's causality (trial/decisions.py): the investigator signs the
    relationships as recorded on the entry; refused until each one due is entered (to the IAH
    procedure and dose once they happened: selectors.causality_due). Nothing else is written:
    the entry keeps its version, the signature is the decision."""
    event = AdverseEvent.objects.filter(form_status=context.row).first()
    missing = [
        str(model_field(AdverseEvent, name).verbose_name)
        for name in selectors.causality_due(context.participant.dates)
        if event is None or not getattr(event, name)
    ]
    if event is None or missing:
        raise trial_actions.ActionRefused(
            _("Enter the relationship before signing the causality: %(items)s.")
            % {"items": ", ".join(missing)}
        )
    assert context.row is not None
    return Decided(causality_meaning(event, context.row.repeat), saves_slot=False)


def causality_meaning(event: AdverseEvent, number: int) -> str:
    """The sentence signed: the event and each relationship stated, in the signer's words."""
    relationships = "; ".join(
        f"{model_field(AdverseEvent, name).verbose_name}: "
        f"{Relationship(getattr(event, name)).label}"
        for name in selectors.CAUSALITY_ITEMS
        if getattr(event, name)
    )
    return _(
        "I assess the causality of adverse event #%(number)s (%(term)s): %(relationships)s"
    ) % {"number": number, "term": event.term, "relationships": relationships}
