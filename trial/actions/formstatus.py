"""The one writer of the form-status table (FormStatus): slots created, statuses moved on,
locks set. Only the write session (trial/actions/session.py) and the lock actions call it,
inside their transaction and audit context.

A status transition is recorded on the row object first (`Transition`) and written once per
row when the session ends (`flush`): a missed visit's form, saved then marked missed in the
same session, moves from version 0 to 1 with one update, not two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from trial import schedule
from trial.actions import statements
from trial.models import FormState, FormStatus, Participant

# The fields a status transition may write, in the order of the UPDATE.
_FIELDS = ("status", "version", "updated_at", "updated_by", "first_saved_at", "first_saved_by")


@dataclass
class Transition:
    """The pending change of one row: its new status, who and when; the version moves on
    once, whatever the number of transitions in the session."""

    row: FormStatus
    fields: set[str] = field(default_factory=set)


def transition(
    pending: dict[int, Transition],
    row: FormStatus,
    status: str,
    user: Any,
    now: datetime,
    *,
    first_save: bool = False,
) -> None:
    """Record on `row` (and in `pending`) that it now stands at `status`, changed by `user`."""
    entry = pending.get(row.pk)
    if entry is None:
        entry = pending[row.pk] = Transition(row)
        row.version += 1
        entry.fields.add("version")
    row.status = status
    row.updated_at, row.updated_by = now, user
    entry.fields.update(("status", "updated_at", "updated_by"))
    if first_save and row.first_saved_at is None:
        row.first_saved_at, row.first_saved_by = now, user
        entry.fields.update(("first_saved_at", "first_saved_by"))


def lock_rows(participant_id: int, pks: Iterable[int]) -> dict[int, FormStatus]:
    """Lock form-status rows of one participant, in primary-key order (one query): every
    writer locks the participant first, then its rows in this order, so two sessions never
    wait on each other in a circle."""
    wanted = sorted(set(pks))
    if not wanted:
        return {}
    rows = FormStatus.objects.select_for_update().filter(
        participant_id=participant_id, pk__in=wanted
    )
    return {row.pk: row for row in rows.order_by("pk")}


def flush(pending: dict[int, Transition]) -> None:
    """Write each pending transition: one UPDATE per row, in primary-key order."""
    for pk in sorted(pending):
        entry = pending[pk]
        # Written out: the ORM's save compiled the same UPDATE again for every row.
        statements.update_fields(entry.row, [name for name in _FIELDS if name in entry.fields])
    pending.clear()


def ensure_expected_forms(participant: Participant) -> int:
    """Create the missing form-status rows of every event that now applies (idempotent)."""
    have = set(participant.forms.filter(repeat=1).values_list("event", "form"))
    wanted = [
        FormStatus(participant=participant, event=event.code, form=form, repeat=1)
        for event in schedule.applicable_events(
            participant.status, participant.gate_decision, participant.dates
        )
        for form in event.forms
        if (event.code, form) not in have
    ]
    # ignore_conflicts: a concurrent save may have created the same slot meanwhile.
    FormStatus.objects.bulk_create(wanted, ignore_conflicts=True)
    return len(wanted)


def next_repeat(participant: Participant, form: str) -> FormStatus:
    """An unsaved slot for the next entry of a log form: what the "new entry" page shows."""
    entries = participant.forms.filter(event=schedule.LOG_EVENT, form=form)
    last = entries.aggregate(m=Max("repeat"))["m"] or 0
    return FormStatus(participant=participant, event=schedule.LOG_EVENT, form=form, repeat=last + 1)


def create_log_slot(participant: Participant, form: str) -> FormStatus:
    """The slot of a new log entry (adverse event, medication), numbered after the last."""
    slot = next_repeat(participant, form)
    slot.save(force_insert=True)
    return slot


def set_lock(row: FormStatus, user: Any, *, lock: bool) -> FormStatus:
    row.locked_at, row.locked_by = (timezone.now(), user) if lock else (None, None)
    row.save(update_fields=["locked_at", "locked_by"])
    return row


def set_locks(rows: QuerySet[FormStatus], user: Any, *, lock: bool) -> int:
    # A bulk update: the triggers still record one event per row, with the session's context.
    if lock:
        return rows.update(locked_at=timezone.now(), locked_by=user)
    return rows.update(locked_at=None, locked_by=None)


def complete_for_demo(rows: QuerySet[FormStatus], user: Any) -> int:
    """Demo data only: slots recorded as done without data (forms whose app holds no data
    model, decisions not signed for real); never used for entered data."""
    now = timezone.now()
    return rows.filter(status=FormState.NOT_STARTED).update(
        status=FormState.COMPLETE,
        version=1,
        updated_at=now,
        updated_by=user,
        first_saved_at=now,
        first_saved_by=user,
    )
