"""Demo data (seed_demo): sites, staff and participants, written through the same sessions as
every other write. Invented people only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.utils import timezone

from trial import crf as crf_registry
from trial import roles, schedule
from trial.actions import formstatus
from trial.actions.participants import register_participant
from trial.actions.session import write
from trial.changes import JourneyChange
from trial.models import (
    FormStatus,
    Membership,
    Participant,
    RoleAssignment,
    Site,
    UserPreference,
)

DEMO_STAFF = (
    # username, first name, last name, role, site, language chosen ("": the site's)
    ("nurse", "Claire", "Dubois", roles.NURSE, "BDX", ""),
    ("investigator", "Marc", "Laurent", roles.INVESTIGATOR, "BDX", ""),
    # The sponsor's monitor reads English, as monitors may: the choice is per person.
    ("monitor", "Sophie", "Martin", roles.MONITOR, "BDX", "en"),
    ("datamanager", "Julien", "Moreau", roles.DATA_MANAGER, "BDX", ""),
    ("admin", "Anne", "Petit", roles.ADMINISTRATOR, "BDX", ""),
    ("nurse2", "Lucie", "Bernard", roles.NURSE, "TLS", ""),
)
DEMO_SITES = (("BDX", "CHU de Bordeaux", "fr"), ("TLS", "CHU de Toulouse", "fr"))
# The staff's assignments start this many days before the demo is seeded; the monitor also
# covered TLS for the first months (an assignment that ended), so the roles-over-time report
# shows a history.
DEMO_STAFF_SINCE_DAYS = 300
DEMO_ENDED = (("monitor", roles.MONITOR, "TLS", 0, 120),)


def demo_sites() -> list[Site]:
    with write(None, command="seed_demo"):
        return [
            Site.objects.get_or_create(code=code, defaults={"name": name, "language": language})[0]
            for code, name, language in DEMO_SITES
        ]


def create_demo_staff(password: str) -> dict[str, Any]:
    """The demo users, one per role (idempotent; an existing user keeps its password)."""
    sites = {site.code: site for site in demo_sites()}
    users = {}
    since = timezone.localdate() - timedelta(days=DEMO_STAFF_SINCE_DAYS)
    with write(None, reason="study start-up", command="seed_demo"):
        for username, first, last, role, site_code, language in DEMO_STAFF:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                },
            )
            if created:
                user.set_password(password)
                user.is_staff = role == roles.ADMINISTRATOR
                user.save()
                user.groups.add(Group.objects.get(name=role))
                Membership.objects.get_or_create(user=user, site=sites[site_code])
                RoleAssignment.objects.create(
                    user=user, role=role, site=sites[site_code], starts_on=since
                )
                for name, old_role, old_site, start, end in DEMO_ENDED:
                    if name == username:
                        RoleAssignment.objects.create(
                            user=user,
                            role=old_role,
                            site=sites[old_site],
                            starts_on=since + timedelta(days=start),
                            ends_on=since + timedelta(days=end),
                        )
                if language:
                    UserPreference.objects.update_or_create(
                        user=user, defaults={"language": language}
                    )
            users[username] = user
    return users


def import_demo_participant(user: Any, site: Site, journey: Any) -> Participant:
    """Register a participant and bring their form statuses to where the journey stands."""
    participant = register_participant(user, site, journey.screening_date)
    return import_demo_journey(user, participant, journey)


def import_demo_journey(user: Any, participant: Participant, journey: Any) -> Participant:
    """Bring a registered participant's form statuses to where the journey stands."""
    with write(user, participant, command="seed_demo") as w:
        w.journey(
            JourneyChange(
                dates=dict(journey.dates),
                status=journey.status,
                enrolment_date=journey.enrolment_date,
                gate_decision=journey.gate_decision,
            )
        )
    # Forms whose app has no data model yet stand as the journey says; forms with a model
    # are filled (and so marked complete) by that app's demo hook through save_crf.
    unregistered = [code for code in schedule.FORMS if crf_registry.get(code) is None]
    mark_complete_for_demo(
        user, participant.forms.filter(event__in=journey.done_events, form__in=unregistered)
    )
    return participant


def mark_complete_for_demo(user: Any, rows: QuerySet[FormStatus]) -> int:
    """Demo data only: form slots recorded as done without data (forms whose app holds no
    data model yet, decisions not signed for real); never used for entered data."""
    with write(user, command="mark_complete_for_demo"):
        return formstatus.complete_for_demo(rows, user)
