"""Reads of the eligibility app: the evaluation, the sign-off and its signature payload."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from eligibility import facts, rules
from eligibility.models import EligibilitySignoff
from trial import selectors as trial_selectors
from trial.models import FormStatus, Participant, Signature

SIGNATURE_KIND = "eligibility"
SIGNOFF_FORM = "ELIGSIGN"


def signoff_of(participant: Participant) -> EligibilitySignoff | None:
    return EligibilitySignoff.objects.filter(
        form_status__participant=participant,
        form_status__event=facts.ELIGIBILITY_EVENT,
        form_status__form=SIGNOFF_FORM,
    ).first()


def recorded_decision(participant: Participant, row: FormStatus | None = None) -> str:
    """The eligibility decision last signed ("" before any): trial.decisions' `recorded`, so
    that signing the other decision after a break is a correction, with its reason."""
    signoff = signoff_of(participant)
    return signoff.decision if signoff is not None else ""


def evaluation_date(participant: Participant, signoff: EligibilitySignoff | None = None) -> date:
    """The date the criteria are evaluated for: the sign-off's once signed, else today.

    A signed evaluation keeps its date, so the 28-day lab window does not expire under a
    signature, and a re-signature after a correction evaluates the same day.
    """
    if signoff is not None:
        signed_on = signoff.signoff_date
    else:  # only the date: a whole sign-off row costs more to build, on every check
        signed_on = (
            EligibilitySignoff.objects.filter(
                form_status__participant=participant,
                form_status__event=facts.ELIGIBILITY_EVENT,
                form_status__form=SIGNOFF_FORM,
            )
            .values_list("signoff_date", flat=True)
            .first()
        )
    return signed_on if signed_on is not None else facts.site_today(participant)


def evaluate(participant: Participant, on: date | None = None) -> rules.Evaluation:
    return rules.evaluate(facts.facts_for(participant, on or evaluation_date(participant)))


def _plain(value: object) -> Any:
    """A source value as JSON can hold it, spelled the same way however it was read."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def signature_payload(participant: Participant) -> dict[str, Any]:
    """What the eligibility signature covers: each criterion's status and every source value.

    Flat ("I5": "met", "VITALS.ecog": 1, ...), so a broken signature names the item that changed.
    """
    facts_ = facts.facts_as_signed(participant)
    on = facts_.signoff_date
    evaluation = rules.evaluate(facts_)
    payload: dict[str, Any] = {"evaluation_date": on.isoformat(), "result": evaluation.result}
    for result in evaluation.criteria:
        payload[result.code] = result.status
    for result in evaluation.criteria:
        for key, value in result.sources.items():
            payload[key] = _plain(value)
    return payload


# The forms the eligibility payload reads (facts.py): the screening forms, the eligibility
# visit's vital signs and lab, the sign-off itself (its date), and the IV cycles C1-C4.
_COVERED = {(event, form) for form, (event, _model) in facts.FORM_MODELS.items()} | {
    (facts.ELIGIBILITY_EVENT, "LAB"),
    (facts.ELIGIBILITY_EVENT, SIGNOFF_FORM),
    *((f"C{n}", "CYCLE") for n in rules.IV_CYCLES),
}


def signature_covers(row: FormStatus) -> bool:
    """Whether a change of this form-status row can change the eligibility payload."""
    return (row.event, row.form) in _COVERED


def current_signature(participant: Participant) -> Signature | None:
    """The latest eligibility signature (valid or broken), or None."""
    return trial_selectors.current_signature(participant, SIGNATURE_KIND)
