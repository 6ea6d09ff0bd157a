"""Site scoping: every queryset of clinical data starts here.

A user sees the participants of the sites they belong to; data managers see every site;
administrators enter and read no clinical data. A participant out of reach is a 404, never a
403, so that its existence does not leak.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from trial import roles
from trial.models import AuthEvent, AuthEventKind, FormStatus, Participant, Signature, Site


def visible_sites(user) -> QuerySet[Site]:
    names = roles.role_names(user)
    if not names & roles.READ_CLINICAL:
        return Site.objects.none()
    if names & roles.ALL_SITES:
        return Site.objects.all()
    return Site.objects.filter(memberships__user=user)


def participants_for(user) -> QuerySet[Participant]:
    return Participant.objects.filter(site__in=visible_sites(user)).select_related("site")


def participant_or_404(user, code: str) -> Participant:
    try:
        return participants_for(user).get(code=code)
    except Participant.DoesNotExist:
        raise Http404("No such participant") from None


def form_status_or_404(participant: Participant, event: str, form: str, repeat: int) -> FormStatus:
    try:
        return participant.forms.get(event=event, form=form, repeat=repeat)
    except FormStatus.DoesNotExist:
        raise Http404("No such form") from None


def participant_count() -> int:
    return Participant.objects.count()


def open_events_by_participant(participant_ids: list[int]) -> dict[int, set[str]]:
    """Events with at least one form not done, per participant, in one query."""
    from django.contrib.postgres.aggregates import ArrayAgg

    from trial.journey import DONE_STATES
    from trial.schedule import LOG_EVENT

    rows = (
        FormStatus.objects.filter(participant_id__in=participant_ids)
        .exclude(status__in=[s.value for s in DONE_STATES])
        .exclude(event=LOG_EVENT)
        .values("participant_id")
        .annotate(events=ArrayAgg("event", distinct=True))
        .values_list("participant_id", "events")
    )
    return {pid: set(events) for pid, events in rows}


# --- Signatures -------------------------------------------------------------------------


def current_signature(participant: Participant, kind: str) -> Signature | None:
    """The latest signature of that kind for the participant, valid or broken."""
    return (
        Signature.objects.filter(participant=participant, kind=kind)
        .select_related("signer")
        .order_by("-signed_at", "-pk")
        .first()
    )


def row_signature(row: FormStatus) -> Signature | None:
    """The latest signature attached to this form-status row, valid or broken."""
    return Signature.objects.filter(row=row).order_by("-signed_at", "-pk").first()


def current_signatures(participant: Participant) -> dict[str, Signature]:
    """The latest signature of each kind for the participant, in one query."""
    latest = (
        Signature.objects.filter(participant=participant)
        .order_by("kind", "-signed_at", "-pk")
        .distinct("kind")
    )
    return {signature.kind: signature for signature in latest}


# --- Account lockout (logins and signatures share it) -------------------------------------

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
_FAILURES = (AuthEventKind.LOGIN_FAILED, AuthEventKind.SIGNATURE_FAILED)
# A success or a lock starts the count again: failures are counted since the last of these.
_RESETS = (AuthEventKind.LOGIN, AuthEventKind.SIGNED, AuthEventKind.LOCKED)


def consecutive_failures(username: str) -> int:
    events = AuthEvent.objects.filter(username=username)
    last_reset = events.filter(kind__in=_RESETS).order_by("-pk").values_list("pk", flat=True)
    failures = events.filter(kind__in=_FAILURES)
    reset_pk = last_reset.first()
    if reset_pk is not None:
        failures = failures.filter(pk__gt=reset_pk)
    return failures.count()


def locked_until(username: str) -> datetime | None:
    """When the account's current lock ends, or None if it is not locked."""
    locked_at = (
        AuthEvent.objects.filter(username=username, kind=AuthEventKind.LOCKED)
        .order_by("-pk")
        .values_list("at", flat=True)
        .first()
    )
    if locked_at is None:
        return None
    until = locked_at + LOCK_DURATION
    return until if until > timezone.now() else None
