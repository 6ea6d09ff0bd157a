"""A participant's registration and journey (event dates, status, enrolment, gate decision).

The journey is written by the write session (`WriteSession.journey`), once at its end;
`change_journey` is the same for a caller outside any session (tests, the demo).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError
from django.db.models import Max
from django.utils.translation import gettext as _

from trial import roles, selectors
from trial.actions.errors import ActionRefused, require_role
from trial.actions.session import write
from trial.changes import UNCHANGED, JourneyChange
from trial.models import Participant, Site


def register_participant(user: Any, site: Site, screening_date: date) -> Participant:
    require_role(user, roles.ENTER_DATA, _("register participants"))
    if not selectors.visible_sites(user).filter(pk=site.pk).exists():
        raise ActionRefused(_("This site is not one of yours."))
    for _attempt in range(3):
        try:
            with write(user, command="register_participant") as w:
                # Lock the site row so two nurses registering at once get distinct numbers.
                Site.objects.select_for_update().get(pk=site.pk)
                last = site.participants.aggregate(m=Max("sequence"))["m"] or 0
                participant = Participant.objects.create(
                    site=site,
                    sequence=last + 1,
                    code=f"{site.code}-{last + 1:03d}",
                    screening_date=screening_date,
                    event_dates={"SCR": screening_date.isoformat()},
                    created_by=user,
                )
                w.adopt(participant)
                w.expect_forms()
                return participant
        except IntegrityError:
            continue
    raise ActionRefused(_("Could not allocate a participant number; try again."))


def change_journey(
    user: Any,
    participant: Participant,
    *,
    dates: dict[str, date | None] | None = None,
    status: str | None = None,
    enrolment_date: Any = UNCHANGED,
    gate_decision: str | None = None,
) -> Participant:
    """Change a participant's journey: in the open write session of that participant, or in
    a session of its own. The events that now apply get their form slots."""
    change = JourneyChange(
        dates=dict(dates or {}),
        status=status,
        enrolment_date=enrolment_date,
        gate_decision=gate_decision,
    )
    with write(user, participant, command="change_journey", reach=False) as w:
        w.journey(change)
        locked = w.participant
    for name in ("event_dates", "status", "enrolment_date", "gate_decision"):
        setattr(participant, name, getattr(locked, name))
    return participant
