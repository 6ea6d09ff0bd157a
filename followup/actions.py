"""Writes of the follow-up app. The visit, RECIST and end-of-study forms are CRFs saved through
trial.actions.save_crf; what follows a save is declared here as hooks that return what they
change (trial.changes.Effects) for the write session to apply:

- `visit_saved` (the FU form's on_save): a visit marked missed sets its event's forms MISSED;
- `study_ended` (the EOS form's on_save): the journey's status, the remaining slots MISSED;
- `refresh_recist` (a derived-value refresh): any change of an assessment or of the baseline
  recomputes every assessment's sums, nadir, responses and progression date.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _

from followup import derived, selectors
from followup.models import EndStatus, RecistAssessment
from trial import actions as trial_actions
from trial import roles, schedule
from trial.changes import NO_EFFECTS, Effects, JourneyChange
from trial.crf import Lookup, Saved
from trial.models import FormState, FormStatus, Participant
from trial.registry import RefreshContext

END_STATUSES = (schedule.COMPLETED, schedule.WITHDRAWN)
FOLLOW_UP_EVENTS = tuple(f"M{m}" for m in schedule.FOLLOW_UP_MONTHS)
VISIT_FORM = "FU"
NOT_DONE = (FormState.COMPLETE, FormState.MISSED, FormState.DELETED)


def visit_saved(saved: Saved) -> Effects:
    """A follow-up visit marked missed: every form of its event not done (and the visit form
    itself) becomes MISSED, which is "done" for the journey and the reminders
    (trial.journey.DONE_STATES)."""
    if not saved.instance.missed:
        return NO_EFFECTS
    others = (
        FormStatus.objects.filter(
            participant_id=saved.participant.pk, event=saved.row.event, repeat=1
        )
        .exclude(status__in=NOT_DONE)
        .exclude(pk=saved.row.pk)
    )
    return Effects(missed=(saved.row, *others))


def mark_visit_missed(user: Any, participant: Participant, event: str, reason: str) -> FormStatus:
    """Record that follow-up visit `event` did not take place, with the reason: the visit form
    is saved (through the one door) as missed, and the event's forms become MISSED."""
    if event not in FOLLOW_UP_EVENTS:
        raise trial_actions.ActionRefused(_("Only a follow-up visit can be marked missed."))
    if not reason.strip():
        raise trial_actions.ReasonRequired(_("Give the reason the visit was missed."))
    row = participant.forms.get(event=event, form=VISIT_FORM, repeat=1)
    trial_actions.save_crf(
        user,
        row,
        {"missed": True, "missed_reason": reason.strip(), "visit_date": None},
        expected_version=row.version,
        reason=reason.strip() if row.version else "",
        complete=True,
    )
    row.refresh_from_db()
    return row


# --- RECIST 1.1: what an assessment's derivation reads, and the later ones refreshed -------

BASELINE = "followup.recist_baseline"
ASSESSMENTS = "followup.recist_assessments"


def _baseline(participant: Participant, memo: Any) -> dict[str, Any] | None:
    return memo(BASELINE, lambda: selectors.baseline_of(participant))


def _stored(participant: Participant, memo: Any) -> dict[int, tuple]:
    return memo(ASSESSMENTS, lambda: selectors.assessment_summaries(participant.pk))


def recist_context(lookup: Lookup) -> dict[str, Any] | None:
    """The RECIST form's lookup (followup/crf.py): the baseline lesions and (date, sum,
    overall response) of the participant's other assessments, read inside the save's locks."""
    baseline = _baseline(lookup.participant, lookup.memo)
    if baseline is None:
        return None
    stored = _stored(lookup.participant, lookup.memo)
    return {**baseline, "prior": [v for pk, v in stored.items() if pk != lookup.row.pk]}


def refresh_recist(context: RefreshContext) -> list[FormStatus]:
    """After any change of a RECIST input (an assessment's measurements or date, the baseline
    lesions): every assessment of the participant is computed again, in date order, each
    reading the earlier ones as just recomputed, and saved where its values changed (the
    session then checks the signatures covering them). All of them, not only those after the
    saved one: a date moved past later assessments changes what those read as earlier, and a
    corrected baseline changes every one."""
    participant = context.participant
    assessments = list(
        RecistAssessment.objects.filter(form_status__participant_id=participant.pk)
        .exclude(form_status__status=FormState.DELETED)
        .select_related("form_status")
        .order_by(F("imaging_date").asc(nulls_last=True), "pk")
    )
    if not assessments:
        return []
    # Read now, not from the session's memo: this session may have changed the baseline.
    baseline = selectors.baseline_of(participant)
    measurements = selectors.measurements_of([a.pk for a in assessments])
    summaries = {a.form_status_id: _summary(a) for a in assessments if a.imaging_date}
    changed_rows = []
    for assessment in assessments:
        prior = [v for pk, v in summaries.items() if pk != assessment.form_status_id]
        values = derived.assess(
            measurements.get(assessment.pk, []),
            assessment.non_target_status,
            assessment.new_lesions,
            assessment.unequivocal_progression,
            assessment.imaging_date,
            None if baseline is None else {**baseline, "prior": prior},
        )
        changed = [
            name
            for name, value in zip(derived.OUTPUTS, values, strict=True)
            if getattr(assessment, name) != value
        ]
        if not changed:
            continue
        for name, value in zip(derived.OUTPUTS, values, strict=True):
            setattr(assessment, name, value)
        assessment.save(update_fields=changed)
        if assessment.imaging_date:
            summaries[assessment.form_status_id] = _summary(assessment)
        changed_rows.append(assessment.form_status)
    return changed_rows


def _summary(assessment: RecistAssessment) -> tuple[date | None, Any, str]:
    return (assessment.imaging_date, assessment.sum_mm, assessment.overall_response)


# --- The end of study -----------------------------------------------------------------------


def journey_status(end_status: str) -> str:
    return schedule.COMPLETED if end_status == EndStatus.COMPLETED else schedule.WITHDRAWN


def remaining_slots(participant: Participant) -> list[FormStatus]:
    """Our decision for "the remaining events are closed": every form slot of a scheduled event
    (not the EOS itself, not the AE/CM logs) that was never started becomes MISSED. The slots
    stay visible (with their history), count as done for the journey, and no reminder goes
    out for them. Drafts (in progress) are kept as typed for the data manager to resolve."""
    return list(
        FormStatus.objects.filter(participant=participant, status=FormState.NOT_STARTED).exclude(
            event__in=("EOS", schedule.LOG_EVENT)
        )
    )


def study_ended(saved: Saved) -> Effects:
    """An end-of-study save: the journey's status (completed or withdrawn), then the remaining
    events closed."""
    instance = saved.instance
    if not instance.status or instance.end_date is None:
        return NO_EFFECTS
    return Effects(
        journey=JourneyChange(status=journey_status(instance.status)),
        missed=tuple(remaining_slots(saved.participant)),
    )


def end_study(
    user: Any, participant: Participant, status: str, on: date, *, reason: str
) -> Participant:
    """Close the participant's follow-up: completed at M18, or withdrawn (consent withdrawn,
    lost to follow-up, death, investigator decision), with the reason recorded. The EOS form
    does the same on save (study_ended)."""
    if not roles.has_any(user, roles.ENTER_DATA):
        raise trial_actions.ActionRefused(_("Your role does not allow you to enter data."))
    if status not in END_STATUSES:
        raise trial_actions.ActionRefused(_("Unknown end-of-study status."))
    if not reason.strip():
        raise trial_actions.ReasonRequired(_("Give a reason."))
    with trial_actions.write(user, participant, reason=reason, command="end_study") as w:
        w.journey(JourneyChange(dates={"EOS": on}, status=status))
        w.missed(remaining_slots(w.participant))
        return w.participant
