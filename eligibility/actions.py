"""Writes of the eligibility app: the investigator's sign-off, a decision (trial/decisions.py,
registered in eligibility/crf.py) signed through trial.actions.sign_decision.

`decide` is the decision's domain side, run inside the signing session: the criteria
evaluated, the decision recorded on the ELIGSIGN slot, and the journey change returned (the
participant enrolled or closed). The signature's refusal rolls everything back; the password
is checked before, so a failed attempt stays logged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from eligibility import facts, presentation, rules, selectors
from eligibility.models import Decision, EligibilitySignoff
from trial import actions as trial_actions
from trial import roles, schedule
from trial.changes import JourneyChange
from trial.decisions import Decided, DecisionContext
from trial.models import Participant

SIGNERS = {roles.INVESTIGATOR}
# Statuses in which the eligibility decision may be (re)signed. Beyond enrolment a broken
# signature may be re-signed "eligible" after a correction; a screen failure can no longer be.
ELIGIBLE_FROM = {
    schedule.SCREENING,
    schedule.SCREEN_FAILURE,
    schedule.ENROLLED,
    schedule.FOLLOW_UP,
    schedule.COMPLETED,
    schedule.WITHDRAWN,
}
SCREEN_FAILURE_FROM = {schedule.SCREENING, schedule.SCREEN_FAILURE}


def meaning_for(decision: str, evaluation: rules.Evaluation) -> str:
    if decision == Decision.ELIGIBLE:
        return _("I confirm this participant is eligible")
    codes = ", ".join(c.code for c in evaluation.failed)
    return _("I confirm this participant is a screen failure: %(criteria)s") % {"criteria": codes}


def feeding_slots(result: rules.CriterionResult) -> set[tuple[str, str]]:
    """The forms (event, form) whose values decided a criterion: those of its sources."""
    return {presentation.slot_of(key) for key in result.sources}


def _forms_text(slots: Iterable[tuple[str, str]]) -> str:
    return ", ".join(presentation.form_label(event, form) for event, form in slots)


def refusal(
    decision: str,
    evaluation: rules.Evaluation,
    incomplete: Mapping[tuple[str, str], str],
) -> str | None:
    """Why this decision cannot be signed on this evaluation, or None when it can.

    `incomplete`: the forms feeding the rules that are not complete (facts.incomplete_forms).
    Eligible needs every one of them complete. A screen failure needs the forms whose values
    decided the failed criteria complete: a failure read from a draft may be a typing slip the
    nurse has not checked yet, and the signed list of failed criteria must not change once she
    completes the form. Forms that fed no failed criterion do not hold a screen failure up.
    """
    unassessed = ", ".join(c.code for c in evaluation.unassessed)
    failed = ", ".join(c.code for c in evaluation.failed)
    if decision == Decision.ELIGIBLE:
        if failed:
            return _("Not eligible: %(codes)s failed. Sign a screen failure instead.") % {
                "codes": failed
            }
        if unassessed:
            return _(
                "Eligible can be signed only when every criterion is assessed; "
                "%(codes)s cannot be assessed yet."
            ) % {"codes": unassessed}
        if incomplete:
            return _(
                "Eligible can be signed only when every form is complete; "
                "still in draft or not started: %(forms)s."
            ) % {"forms": _forms_text(incomplete)}
        return None
    if decision == Decision.SCREEN_FAILURE:
        if not failed:
            return _(
                "A screen failure needs a failed criterion, and none has failed "
                "(cannot be assessed yet: %(codes)s)."
            ) % {"codes": unassessed or "—"}
        feeding = set().union(*(feeding_slots(c) for c in evaluation.failed))
        drafts = [slot for slot in incomplete if slot in feeding]
        if drafts:
            return _(
                "A screen failure on %(codes)s can be signed only when the forms it is read "
                "from are complete; still in draft or not started: %(forms)s."
            ) % {"codes": failed, "forms": _forms_text(drafts)}
        return None
    return _("Unknown decision.")


def sign_eligibility(
    user: Any,
    password: str,
    participant: Participant,
    *,
    decision: str,
    on: date | None = None,
    reason: str = "",
) -> Any:
    """Sign the eligibility decision (trial.actions.sign_decision): eligible enrols the
    participant, screen failure closes. `on` is the evaluation date (default: the earlier
    sign-off's date when re-signing, else today in the site's time zone); the demo data
    passes its invented dates. `reason`: why a decision signed before is changed (a
    correction). Returns the trial.models Signature."""
    return trial_actions.sign_decision(
        user,
        password,
        participant,
        selectors.SIGNATURE_KIND,
        choice=decision,
        on=on,
        reason=reason,
    )


def decide(context: DecisionContext) -> Decided:
    """The eligibility decision's side (trial/decisions.py): the criteria evaluated on the data
    as locked, the decision refused when the evaluation does not allow it, then recorded on
    the sign-off slot; eligible enrols, screen failure closes."""
    participant, decision = context.participant, context.choice
    previous = EligibilitySignoff.objects.filter(form_status=context.row).first()
    on = context.on or selectors.evaluation_date(participant, previous)
    evaluation = selectors.evaluate(participant, on)
    reason = refusal(decision, evaluation, facts.incomplete_forms(participant))
    if reason:
        raise trial_actions.ActionRefused(reason)
    _check_journey(participant, decision)
    EligibilitySignoff.objects.update_or_create(
        form_status=context.row,
        defaults={
            "decision": decision,
            "signoff_date": on,
            "failed_criteria": ", ".join(c.code for c in evaluation.failed),
        },
    )
    return Decided(meaning_for(decision, evaluation), journey=_journey(participant, decision, on))


def _check_journey(participant: Participant, decision: str) -> None:
    allowed = ELIGIBLE_FROM if decision == Decision.ELIGIBLE else SCREEN_FAILURE_FROM
    if participant.status not in allowed:
        raise trial_actions.ActionRefused(
            _("The participant is %(status)s; a data manager must review this decision.")
            % {"status": participant.get_status_display()}
        )


def _journey(participant: Participant, decision: str, on: date) -> JourneyChange:
    if decision == Decision.ELIGIBLE:
        status = schedule.ENROLLED if participant.status in SCREEN_FAILURE_FROM else None
        return JourneyChange(dates={facts.ELIGIBILITY_EVENT: on}, status=status, enrolment_date=on)
    return JourneyChange(
        dates={facts.ELIGIBILITY_EVENT: on}, status=schedule.SCREEN_FAILURE, enrolment_date=None
    )
