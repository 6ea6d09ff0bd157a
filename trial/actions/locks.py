"""Locks: what a data manager does before a database freeze. A form, an event's forms or the
whole casebook, each locked or unlocked with a reason, in one write session."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from trial import roles
from trial.actions import formstatus
from trial.actions.errors import ActionRefused, require_reason, require_role
from trial.actions.session import write
from trial.models import FormStatus, Participant


def lock_form(user: Any, row: FormStatus, *, reason: str) -> FormStatus:
    return _set_form_lock(user, row, reason=reason, lock=True)


def unlock_form(user: Any, row: FormStatus, *, reason: str) -> FormStatus:
    return _set_form_lock(user, row, reason=reason, lock=False)


def _set_form_lock(user: Any, row: FormStatus, *, reason: str, lock: bool) -> FormStatus:
    require_role(user, roles.LOCK, _("lock or unlock data"))
    require_reason(reason)
    command = "lock_form" if lock else "unlock_form"
    with write(user, row.participant_id, rows=[row], reason=reason, command=command) as w:
        (row,) = w.lock([row])
        if row.is_locked == lock:
            return row
        formstatus.set_lock(row, user, lock=lock)
    return row


def lock_event(user: Any, participant: Participant, event: str, *, reason: str) -> int:
    """Lock every form of one event of the participant; returns how many were locked."""
    return _set_event_lock(user, participant, event, reason=reason, lock=True)


def unlock_event(user: Any, participant: Participant, event: str, *, reason: str) -> int:
    return _set_event_lock(user, participant, event, reason=reason, lock=False)


def _set_event_lock(
    user: Any, participant: Participant, event: str, *, reason: str, lock: bool
) -> int:
    require_role(user, roles.LOCK, _("lock or unlock data"))
    require_reason(reason)
    command = "lock_event" if lock else "unlock_event"
    with write(user, participant, reason=reason, command=command) as w:
        forms = w.participant.forms.filter(event=event)
        if not forms.exists():
            raise ActionRefused(_("This participant has no such event."))
        return formstatus.set_locks(forms.filter(locked_at__isnull=lock), user, lock=lock)


def lock_casebook(user: Any, participant: Participant, *, reason: str) -> Participant:
    return _set_casebook_lock(user, participant, reason=reason, lock=True)


def unlock_casebook(user: Any, participant: Participant, *, reason: str) -> Participant:
    return _set_casebook_lock(user, participant, reason=reason, lock=False)


def _set_casebook_lock(
    user: Any, participant: Participant, *, reason: str, lock: bool
) -> Participant:
    require_role(user, roles.LOCK, _("lock or unlock data"))
    require_reason(reason)
    command = "lock_casebook" if lock else "unlock_casebook"
    with write(user, participant, reason=reason, command=command) as w:
        participant = w.participant
        if (participant.locked_at is not None) == lock:
            return participant
        participant.locked_at, participant.locked_by = (
            (timezone.now(), user) if lock else (None, None)
        )
        participant.save(update_fields=["locked_at", "locked_by"])
    return participant
