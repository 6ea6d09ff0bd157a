"""Every write of the trial app. Views and commands call these; nothing else writes.

Each action: one transaction, the audit context (user, reason) set, the optimistic-version
check, status updates, then side effects on commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from trial import crf as crf_registry
from trial import roles, schedule
from trial.audit import audit_context
from trial.models import FormState, FormStatus, Participant, Site


class ActionRefused(Exception):
    """A write that the rules forbid; the message is shown to the user as it is."""


class StaleVersion(ActionRefused):
    pass


class ReasonRequired(ActionRefused):
    pass


class Locked(ActionRefused):
    pass


def _require(user: Any, allowed: set[str], what: str) -> None:
    if not roles.has_any(user, allowed):
        raise ActionRefused(_("Your role does not allow you to %(what)s.") % {"what": what})


def register_participant(user: Any, site: Site, screening_date: date) -> Participant:
    _require(user, roles.ENTER_DATA, _("register participants"))
    for _attempt in range(3):
        try:
            with transaction.atomic(), audit_context(user, command="register_participant"):
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
                ensure_expected_forms(participant)
                return participant
        except IntegrityError:
            continue
    raise ActionRefused(_("Could not allocate a participant number; try again."))


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


def _check_writable(row: FormStatus, participant: Participant) -> None:
    if participant.locked_at is not None:
        raise Locked(_("This casebook is locked; a data manager must unlock it first."))
    if row.locked_at is not None:
        raise Locked(_("This form is locked; a data manager must unlock it first."))


def save_crf(
    user: Any,
    row: FormStatus,
    form: Any,
    *,
    expected_version: int,
    reason: str = "",
    complete: bool = True,
) -> Any:
    """Save a CRF's validated form against its form-status row.

    The first save needs no reason; any later change does. A save based on a version other
    than the current one is refused: someone else saved in between, and nothing is overwritten.
    """
    _require(user, roles.ENTER_DATA, _("enter data"))
    spec = crf_registry.get(row.form)
    if spec is None:
        raise ActionRefused(_("This form is not available yet."))
    with transaction.atomic():
        row = FormStatus.objects.select_for_update().select_related("participant").get(pk=row.pk)
        participant = row.participant
        _check_writable(row, participant)
        if row.version != expected_version:
            raise StaleVersion(
                _(
                    "Someone else saved this form while you were editing it. Your entries are "
                    "still on the page; review the saved version and save again."
                )
            )
        if row.version > 0 and not reason:
            raise ReasonRequired(_("Give a reason for changing data that was already saved."))
        with audit_context(user, reason=reason, command="save_crf"):
            instance = form.save(commit=False)
            instance.form_status = row
            instance.save()
            form.save_m2m()
            now = timezone.now()
            row.version += 1
            row.status = FormState.COMPLETE if complete else FormState.IN_PROGRESS
            row.updated_at, row.updated_by = now, user
            if row.first_saved_at is None:
                row.first_saved_at, row.first_saved_by = now, user
            row.save(
                update_fields=[
                    "version",
                    "status",
                    "updated_at",
                    "updated_by",
                    "first_saved_at",
                    "first_saved_by",
                ]
            )
            if spec.event_date_field:
                _record_event_date(participant, row.event, getattr(instance, spec.event_date_field))
            if spec.after_save is not None:
                spec.after_save(user, row, instance)
    return instance


def _record_event_date(participant: Participant, event: str, value: date | None) -> None:
    dates = dict(participant.event_dates)
    if value is None:
        dates.pop(event, None)
    else:
        dates[event] = value.isoformat()
    if dates != participant.event_dates:
        participant.event_dates = dates
        participant.save(update_fields=["event_dates"])
        ensure_expected_forms(participant)


def add_repeating_form(user: Any, participant: Participant, form: str) -> FormStatus:
    """Open a new instance of a repeating log form (adverse event, concomitant medication)."""
    _require(user, roles.ENTER_DATA, _("enter data"))
    if form not in schedule.LOG_FORMS:
        raise ActionRefused(_("This form does not repeat."))
    with transaction.atomic(), audit_context(user, command="add_repeating_form"):
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.locked_at is not None:
            raise Locked(_("This casebook is locked; a data manager must unlock it first."))
        last = (
            locked.forms.filter(event=schedule.LOG_EVENT, form=form).aggregate(m=Max("repeat"))["m"]
            or 0
        )
        return FormStatus.objects.create(
            participant=locked, event=schedule.LOG_EVENT, form=form, repeat=last + 1
        )


# --- Demo data (seed_demo): the same rules, in bulk --------------------------------------

DEMO_STAFF = (
    # username, first name, last name, role, site
    ("nurse", "Claire", "Dubois", roles.NURSE, "BDX"),
    ("investigator", "Marc", "Laurent", roles.INVESTIGATOR, "BDX"),
    ("monitor", "Sophie", "Martin", roles.MONITOR, "BDX"),
    ("datamanager", "Julien", "Moreau", roles.DATA_MANAGER, "BDX"),
    ("admin", "Anne", "Petit", roles.ADMINISTRATOR, "BDX"),
    ("nurse2", "Lucie", "Bernard", roles.NURSE, "TLS"),
)
DEMO_SITES = (("BDX", "CHU de Bordeaux"), ("TLS", "CHU de Toulouse"))


def demo_sites() -> list[Site]:
    with audit_context(command="seed_demo"):
        return [
            Site.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in DEMO_SITES
        ]


def create_demo_staff(password: str) -> dict[str, Any]:
    """The demo users, one per role (idempotent; an existing user keeps its password)."""
    from django.contrib.auth.models import Group, User

    from trial.models import Membership

    sites = {site.code: site for site in demo_sites()}
    users = {}
    with transaction.atomic(), audit_context(command="seed_demo"):
        for username, first, last, role, site_code in DEMO_STAFF:
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
            users[username] = user
    return users


def import_demo_participant(user: Any, site: Site, journey: Any) -> Participant:
    """Register a participant and bring their form statuses to where the journey stands."""
    participant = register_participant(user, site, journey.screening_date)
    with transaction.atomic(), audit_context(user, command="seed_demo"):
        participant.status = journey.status
        participant.enrolment_date = journey.enrolment_date
        participant.gate_decision = journey.gate_decision
        participant.event_dates = {k: v.isoformat() for k, v in journey.dates.items()}
        participant.save(update_fields=["status", "enrolment_date", "gate_decision", "event_dates"])
        ensure_expected_forms(participant)
        # Forms whose app has no data model yet stand as the journey says; forms with a model
        # are filled (and so marked complete) by that app's demo hook through save_crf.
        unregistered = [code for code in schedule.FORMS if crf_registry.get(code) is None]
        now = timezone.now()
        participant.forms.filter(event__in=journey.done_events, form__in=unregistered).update(
            status=FormState.COMPLETE,
            version=1,
            updated_at=now,
            updated_by=user,
            first_saved_at=now,
            first_saved_by=user,
        )
    return participant
