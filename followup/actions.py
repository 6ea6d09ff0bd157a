"""Writes of the follow-up app. The visit, RECIST and end-of-study forms are CRFs saved through
trial.actions.save_crf; what follows a save (a missed visit's forms, later assessments'
nadirs, the journey at the end of study) is done here, inside save_crf's transaction and audit
context, through trial.actions.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from followup import derived, selectors
from followup.models import EndStatus, RecistAssessment
from trial import actions as trial_actions
from trial import roles, schedule
from trial.audit import audit_context
from trial.models import FormState, FormStatus, Participant

END_STATUSES = (schedule.COMPLETED, schedule.WITHDRAWN)
FOLLOW_UP_EVENTS = tuple(f"M{m}" for m in schedule.FOLLOW_UP_MONTHS)
VISIT_FORM = "FU"


def _set_missed(user: Any, rows: list[FormStatus]) -> list[FormStatus]:
    now = timezone.now()
    for row in rows:
        row.status = FormState.MISSED
        row.version += 1
        row.updated_at, row.updated_by = now, user
        row.save(update_fields=["status", "version", "updated_at", "updated_by"])
    return rows


def visit_saved(user: Any, row: FormStatus, instance: Any) -> None:
    """After a follow-up visit's save (Crf.after_save): a visit marked missed sets every form
    of its event not complete (and the visit form itself) to MISSED, which is "done" for the
    journey and the reminders (trial.journey.DONE_STATES)."""
    if not instance.missed:
        return
    rows = list(
        FormStatus.objects.select_for_update()
        .filter(participant_id=row.participant_id, event=row.event, repeat=1)
        .exclude(status__in=(FormState.COMPLETE, FormState.MISSED, FormState.DELETED))
        .exclude(pk=row.pk)
    )
    _set_missed(user, [row, *rows])
    trial_actions.refresh_signatures(row.participant, [row, *rows])


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


def recompute_later(user: Any, row: FormStatus, instance: RecistAssessment) -> list[FormStatus]:
    """After a RECIST save (Crf.after_save): the assessments dated after this one read its sum
    for their nadir and its response for the progression date, so their derived values are
    computed again, in date order, and saved where they changed (audited, signatures
    refreshed)."""
    if instance.imaging_date is None:
        return []
    participant = row.participant
    later = list(
        selectors.stored_assessments([participant.pk])
        .filter(imaging_date__gt=instance.imaging_date)
        .prefetch_related("measurements")
    )
    if not later:
        return []
    baseline = selectors.baseline_of(participant)
    changed_rows = []
    for assessment in later:
        context = selectors.recist_context(participant, assessment.form_status, baseline)
        measurements = [
            {"number": m.number, "present": m.present, "size_mm": m.size_mm}
            for m in assessment.measurements.all()
        ]
        values = derived.assess(
            measurements,
            assessment.non_target_status,
            assessment.new_lesions,
            assessment.unequivocal_progression,
            assessment.imaging_date,
            context,
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
        changed_rows.append(assessment.form_status)
    if changed_rows:
        trial_actions.refresh_signatures(participant, changed_rows)
    return changed_rows


def journey_status(end_status: str) -> str:
    return schedule.COMPLETED if end_status == EndStatus.COMPLETED else schedule.WITHDRAWN


def close_remaining(user: Any, participant: Participant) -> list[FormStatus]:
    """Our decision for "the remaining events are closed": every form slot of a scheduled event
    (not the EOS itself, not the AE/CM logs) that was never started becomes MISSED. The slots
    stay visible (with their history), count as done for the journey, and no reminder goes
    out for them. Drafts (in progress) are kept as typed for the data manager to resolve."""
    rows = list(
        FormStatus.objects.select_for_update()
        .filter(participant=participant, status=FormState.NOT_STARTED)
        .exclude(event__in=("EOS", schedule.LOG_EVENT))
    )
    return _set_missed(user, rows)


def study_ended(user: Any, row: FormStatus, instance: Any) -> None:
    """After an end-of-study save (Crf.after_save): the journey's status (completed or
    withdrawn) through trial.actions.change_journey, then the remaining events closed."""
    if not instance.status or instance.end_date is None:
        return
    participant = Participant.objects.select_for_update().get(pk=row.participant_id)
    trial_actions.change_journey(user, participant, status=journey_status(instance.status))
    closed = close_remaining(user, participant)
    if closed:
        trial_actions.refresh_signatures(participant, closed)


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
    with transaction.atomic(), audit_context(user, reason=reason, command="end_study"):
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        trial_actions.require_reach(user, locked)
        trial_actions.change_journey(user, locked, dates={"EOS": on}, status=status)
        close_remaining(user, locked)
        return locked
