"""Site scoping: every queryset of clinical data starts here.

A user sees the participants of the sites they belong to; data managers see every site;
administrators enter and read no clinical data. A participant out of reach is a 404, never a
403, so that its existence does not leak.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from trial import roles
from trial.models import FormStatus, Participant, Site


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
