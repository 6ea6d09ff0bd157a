"""The morning reminders (PROTOCOL.md section 7): what is due, to whom, sent exactly once.

`compute(as_of)` finds the items from the schedule and the form-status table with a fixed
number of queries, however many participants (bench/bench_reminders.py):
- a visit window opening in 7 days (the site's nurses);
- a visit overdue: window closed, no form started, not marked missed (the site, daily);
- a serious AE not reported to the sponsor 24 h after awareness (the investigators; the
  dosing app registers that source in trial.registry);
- a query open for more than 7 days (the site; `open_queries` until queries exist);
- eligibility data complete but unsigned for 3 days (the investigators);
- a current signature broken or invalid (the investigators, who sign again).
Reminders follow their duty, not the study status: the visits, the eligibility sign-off and the
signatures to redo stop at the end of study (completed, withdrawn, screen failure), and nothing
is due for a visit with a form marked missed; a serious AE not yet reported to the sponsor and
an open query are duties that outlive the study, so they are reminded until settled.

`run(day)` sends one digest per person and day, grouped by participant. Each (participant,
event, kind, day, recipient) is claimed in ReminderSent by an insert that does nothing on
conflict, in the transaction that sends the e-mail, after the items were computed again:
a retried or doubled run sends nothing twice, and a condition settled meanwhile is not sent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.mail import send_mail
from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from trial import actions, languages, registry, roles, schedule, selectors, signatures
from trial.models import (
    FormState,
    FormStatus,
    Participant,
    ParticipantStatus,
    Query,
    QueryState,
    ReminderKind,
    ReminderSent,
    UserPreference,
)

log = logging.getLogger(__name__)

WINDOW_NOTICE = timedelta(days=7)
ELIGIBILITY_WAIT = timedelta(days=3)
QUERY_WAIT = timedelta(days=7)
IN_STUDY = (ParticipantStatus.SCREENING, ParticipantStatus.ENROLLED, ParticipantStatus.FOLLOW_UP)
SITE = frozenset({roles.NURSE, roles.INVESTIGATOR})
NURSES = frozenset({roles.NURSE})
INVESTIGATORS = frozenset({roles.INVESTIGATOR})
# Who is told of each kind (PROTOCOL.md section 7).
RECIPIENTS: dict[str, frozenset[str]] = {
    ReminderKind.WINDOW_OPENS: NURSES,
    ReminderKind.OVERDUE: SITE,
    ReminderKind.SAE_UNREPORTED: INVESTIGATORS,
    ReminderKind.QUERY_OPEN: SITE,
    ReminderKind.ELIGIBILITY_UNSIGNED: INVESTIGATORS,
    ReminderKind.SIGNATURE_BROKEN: INVESTIGATORS,
}


@dataclass(frozen=True)
class Item:
    participant_id: int
    participant_code: str
    site_id: int
    kind: str
    # What the item is about, unique for the participant and kind: an event code, a
    # repeating form ("LOG/AE/2"), a signature kind.
    event: str
    detail: str
    url: str

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.participant_id, self.event, self.kind)

    @property
    def kind_label(self) -> str:
        return str(ReminderKind(self.kind).label)

    @property
    def roles(self) -> frozenset[str]:
        return RECIPIENTS[self.kind]


def as_of_day(day: date) -> datetime:
    """The moment a run for `day` stands at: the morning reminder hour, trial time."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(day, time(settings.REMINDER_HOUR), tzinfo=zone)


def site_day(as_of: datetime, time_zone: str) -> date:
    return as_of.astimezone(ZoneInfo(time_zone)).date()


class Person(NamedTuple):
    pk: int
    code: str
    site_id: int
    tz: str
    status: str
    gate_decision: str
    event_dates: dict
    screening_date: date
    enrolment_date: date | None


_URL_MARKS = ("CODE0", "EVENT0", "FORM0", 987654321)


@lru_cache(maxsize=1)
def _url_template() -> str:
    # One reverse(), then plain string formatting: reverse() per item costs seconds for 10,000.
    url = reverse("crf_edit", args=list(_URL_MARKS))
    for mark, name in zip(_URL_MARKS, ("code", "event", "form", "repeat"), strict=True):
        url = url.replace(str(mark), "{" + name + "}")
    return url


def _form_url(code: str, event: str, form: str, repeat: int = 1) -> str:
    return _url_template().format(code=code, event=event, form=form, repeat=repeat)


def in_study(participants: QuerySet[Participant] | None = None) -> QuerySet[Participant]:
    base = participants if participants is not None else Participant.objects.all()
    return base.filter(status__in=IN_STUDY)


def open_queries(participants: QuerySet[Participant], as_of: datetime) -> list[Item]:
    """Queries waiting for the site's answer for more than QUERY_WAIT (one query): one Item
    per query, about "Q<id>", linking to the query."""
    waiting = (
        Query.objects.filter(
            participant__in=participants,
            state=QueryState.OPEN,
            opened_at__lt=as_of - QUERY_WAIT,
        )
        .select_related("participant", "row")
        .order_by("opened_at")
    )
    url = reverse("query_detail", args=["CODE", 999999])
    return [
        Item(
            participant_id=query.participant_id,
            participant_code=query.participant.code,
            site_id=query.participant.site_id,
            kind=ReminderKind.QUERY_OPEN,
            event=f"Q{query.pk}",
            detail=_("%(form)s: %(days)s d")
            % {"form": query.row.label, "days": query.days_open(as_of)},
            url=url.replace("CODE", query.participant.code).replace("999999", str(query.pk)),
        )
        for query in waiting
    ]


def compute(as_of: datetime, participants: QuerySet[Participant] | None = None) -> list[Item]:
    """Every item due at `as_of`, for the participants given (default: all): the journey's
    items for those still in study, the duties (open queries, the registered sources: the
    unreported serious AEs) for every one of them, ended or not.

    Queries: participants, touched events, eligibility, signatures, one per registered
    source: the same for 10 or 10,000 participants.
    """
    every = participants if participants is not None else Participant.objects.all()
    scope = in_study(every)
    # Plain tuples, not model instances: 10,000 participants are read in a fraction of the time.
    people = [
        Person(pk, code, site_id, tz, status, gate, dates, screening, enrolment)
        for pk, code, site_id, tz, status, gate, dates, screening, enrolment in scope.values_list(
            "pk",
            "code",
            "site_id",
            "site__time_zone",
            "status",
            "gate_decision",
            "event_dates",
            "screening_date",
            "enrolment_date",
        )
    ]
    items: list[Item] = []
    # A duty does not end with the study: the reporting of a serious AE and the answer to a
    # query are owed whatever became of the participant.
    items += open_queries(every, as_of)
    for source in registry.reminder_sources():
        items += source(every, as_of)
    if not people:
        return sorted(items, key=lambda i: (i.participant_code, i.kind, i.event))
    touched = dict(
        FormStatus.objects.filter(participant__in=scope)
        .exclude(status=FormState.NOT_STARTED)
        .exclude(event=schedule.LOG_EVENT)
        .values("participant_id")
        .annotate(events=ArrayAgg("event", distinct=True))
        .values_list("participant_id", "events")
    )
    opens_text = _("%(event)s: window opens on %(opens)s")
    overdue_text = _("%(event)s: window closed on %(closes)s, no form started")
    days: dict[str, date] = {}
    for p in people:
        day = days.get(p.tz) or days.setdefault(p.tz, site_day(as_of, p.tz))
        started = touched.get(p.pk, ())
        dates = {code: date.fromisoformat(value) for code, value in p.event_dates.items()}
        planned_events = schedule.plan(
            p.status,
            p.gate_decision,
            dates,
            screening_date=p.screening_date,
            enrolment_date=p.enrolment_date,
        )
        for planned in planned_events:
            if planned.actual is not None or planned.code in started:
                continue
            opens, closes = planned.window.opens, planned.window.closes
            if opens is not None and opens - day == WINDOW_NOTICE:
                kind, text = ReminderKind.WINDOW_OPENS, opens_text
            elif closes is not None and day > closes:
                kind, text = ReminderKind.OVERDUE, overdue_text
            else:
                continue
            items.append(
                Item(
                    p.pk,
                    p.code,
                    p.site_id,
                    kind,
                    planned.code,
                    text
                    % {
                        "event": planned.event.label,
                        "opens": languages.shown_date(opens) if opens else "",
                        "closes": languages.shown_date(closes) if closes else "",
                    },
                    _form_url(p.code, planned.code, planned.event.forms[0]),
                )
            )
    items += _eligibility_unsigned(scope, people, as_of)
    items += _signatures_to_redo(scope, people)
    return sorted(items, key=lambda i: (i.participant_code, i.kind, i.event))


ELIG_DATA_EVENTS = ("SCR", "ELIG")
ELIG_SIGNOFF = "ELIGSIGN"


def _eligibility_unsigned(
    scope: QuerySet[Participant], people: list[Person], as_of: datetime
) -> list[Item]:
    """Screening participants whose screening and eligibility forms are all complete (the
    last saved ELIGIBILITY_WAIT or more ago) and whose sign-off is not made."""
    rows = (
        FormStatus.objects.filter(
            participant__in=scope.filter(status=ParticipantStatus.SCREENING),
            event__in=ELIG_DATA_EVENTS,
        )
        .values("participant_id")
        .annotate(
            pending=Count("pk", filter=~Q(form=ELIG_SIGNOFF) & ~Q(status=FormState.COMPLETE)),
            signoff=Count("pk", filter=Q(form=ELIG_SIGNOFF)),
            signed=Count("pk", filter=Q(form=ELIG_SIGNOFF, status=FormState.COMPLETE)),
            last=Max("updated_at", filter=~Q(form=ELIG_SIGNOFF)),
        )
        .values_list("participant_id", "pending", "signoff", "signed", "last")
    )
    by_pk = {p.pk: p for p in people}
    items = []
    for pid, pending, signoff, signed, last in rows:
        p = by_pk.get(pid)
        if p is None or pending or not signoff or signed or last is None:
            continue
        day = site_day(as_of, p.tz)
        waited_since = site_day(last, p.tz)
        if day - waited_since >= ELIGIBILITY_WAIT:
            items.append(
                Item(
                    pid,
                    p.code,
                    p.site_id,
                    ReminderKind.ELIGIBILITY_UNSIGNED,
                    "ELIG",
                    _("Eligibility data complete since %(day)s, sign-off pending")
                    % {"day": languages.shown_date(waited_since)},
                    _form_url(p.code, "ELIG", ELIG_SIGNOFF),
                )
            )
    return items


def _signatures_to_redo(scope: QuerySet[Participant], people: list[Person]) -> list[Item]:
    by_pk = {p.pk: p for p in people}
    items = []
    for pid, pairs in selectors.signatures_to_redo(scope.values("pk")).items():
        p = by_pk.get(pid)
        if p is None:
            continue
        for signature, verdict in pairs:
            signable = signatures.get(signature.kind)
            label = str(signable.label) if signable and signable.label else signature.kind
            state = _("invalid") if verdict.is_invalid else _("broken")
            items.append(
                Item(
                    pid,
                    p.code,
                    p.site_id,
                    ReminderKind.SIGNATURE_BROKEN,
                    signatures.current_key(signature),
                    _("%(what)s signature %(state)s: sign again") % {"what": label, "state": state},
                    reverse("participant_detail", args=[p.code]),
                )
            )
    return items


# --- Who receives what ----------------------------------------------------------------


@dataclass
class Recipient:
    pk: int
    name: str
    email: str
    wants_email: bool
    # site id -> the person's roles there (roles are global, memberships per site).
    sites: dict[int, set[str]] = field(default_factory=dict)
    # The language their e-mail is written in (trial/languages.py).
    language: str = settings.LANGUAGE_CODE

    def concerned(self, item: Item) -> bool:
        return bool(self.sites.get(item.site_id, set()) & item.roles)


def recipients(site_ids: Iterable[int] | None = None) -> list[Recipient]:
    """Active nurses and investigators with their sites, in one query."""
    where = {"is_active": True, "groups__name__in": sorted(SITE), "memberships__isnull": False}
    if site_ids is not None:
        where["memberships__site_id__in"] = list(site_ids)
    # One filter() call: the values below read the same group and membership joins.
    users = get_user_model().objects.filter(**where)
    found: dict[int, Recipient] = {}
    for pk, first, last, username, email, role, site_id, wants in users.values_list(
        "pk",
        "first_name",
        "last_name",
        "username",
        "email",
        "groups__name",
        "memberships__site_id",
        "preference__email_reminders",
    ):
        person = found.setdefault(
            pk,
            Recipient(pk, f"{first} {last}".strip() or username, email or "", wants is not False),
        )
        person.sites.setdefault(site_id, set()).add(role)
    for pk, language in languages.languages_of(found).items():
        found[pk].language = language
    return list(found.values())


def todo_for(user, participants: QuerySet[Participant]) -> dict[str, list[Item]]:
    """The in-app To do list: the user's items now, grouped by participant code."""
    names = roles.role_names(user)
    if not names & SITE:
        return {}
    site_ids = set(user.memberships.values_list("site_id", flat=True))
    grouped: dict[str, list[Item]] = defaultdict(list)
    for item in compute(timezone.now(), participants.filter(site_id__in=site_ids)):
        if names & item.roles:
            grouped[item.participant_code].append(item)
    return dict(grouped)


# --- Sending --------------------------------------------------------------------------


@dataclass
class Result:
    sent: int = 0
    already: int = 0
    emails: int = 0
    lines: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"{self.sent} sent, {self.already} already sent"


def _claim(items: list[Item], day: date, person: Recipient) -> set[tuple[int, str, str]]:
    """Log the items as sent to `person` on `day`: returns the keys this run claimed."""
    return actions.claim_reminders(
        ((item.participant_id, item.event, item.kind, item.detail) for item in items),
        day,
        person.pk,
        person.email,
    )


def digest(person: Recipient, day: date, items: list[Item]) -> tuple[str, str]:
    grouped: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        grouped[item.participant_code].append(item)
    subject = _("[%(trial)s] To do on %(day)s: %(n)d item(s)") % {
        "trial": settings.TRIAL_NUMBER,
        "day": languages.shown_date(day),
        "n": len(items),
    }
    lines = [
        _("Hello %(name)s,") % {"name": person.name},
        "",
        _("What is due today, by participant:"),
        "",
    ]
    for code in sorted(grouped):
        lines.append(_("Participant %(code)s") % {"code": code})
        for item in grouped[code]:
            lines.append(f"  - {item.kind_label}: {item.detail}")
            lines.append(f"    {settings.SITE_URL}{item.url}")
        lines.append("")
    lines.append(
        _("You can turn these e-mails off on your profile page: %(url)s")
        % {"url": settings.SITE_URL + reverse("profile")}
    )
    return subject, "\n".join(lines)


def run(day: date | None = None, *, dry_run: bool = False, as_of: datetime | None = None) -> Result:
    """Send the day's digests. Returns how many items were sent and how many already were."""
    as_of = as_of or (as_of_day(day) if day else timezone.now())
    result = Result()
    items = compute(as_of)
    if not items:
        return result
    people = recipients({item.site_id for item in items})
    site_zone = dict(
        Participant.objects.filter(pk__in={i.participant_id for i in items}).values_list(
            "pk", "site__time_zone"
        )
    )
    for person in sorted(people, key=lambda r: r.pk):
        mine = [item for item in items if person.concerned(item)]
        if not mine or not person.wants_email or not person.email:
            continue
        days = {site_day(as_of, site_zone[i.participant_id]) for i in mine}
        for run_day in sorted(days):
            todays = [i for i in mine if site_day(as_of, site_zone[i.participant_id]) == run_day]
            _send_one(person, run_day, todays, as_of, dry_run, result)
    return result


def _send_one(
    person: Recipient, day: date, items: list[Item], as_of: datetime, dry_run: bool, result: Result
) -> None:
    if dry_run:
        done = set(
            ReminderSent.objects.filter(recipient_id=person.pk, day=day).values_list(
                "participant_id", "event", "kind"
            )
        )
        new = [i for i in items if i.key not in done]
        result.already += len(items) - len(new)
        result.sent += len(new)
        if new:
            result.emails += 1
            result.lines.append(f"would e-mail {person.email}: {len(new)} item(s)")
        return
    # In the recipient's language: the items' details are computed again below, in it.
    with actions.write(None, command="send_reminders"), translation.override(person.language):
        # The condition checked again just before sending, within the claiming transaction.
        still = {
            i.key: i
            for i in compute(
                as_of, Participant.objects.filter(pk__in={i.participant_id for i in items})
            )
        }
        items = [still[i.key] for i in items if i.key in still]
        claimed = _claim(items, day, person)
        new = [i for i in items if i.key in claimed]
        result.already += len(items) - len(new)
        if not new:
            return
        subject, body = digest(person, day, new)
        # A failure raises: the claim rolls back, and the retried task sends it later.
        send_mail(subject, body, None, [person.email])
    result.sent += len(new)
    result.emails += 1
    result.lines.append(f"e-mailed {person.email}: {len(new)} item(s)")
    log.info("Reminder digest to %s: %d item(s) on %s", person.email, len(new), day)


def email_enabled(user) -> bool:
    pref = UserPreference.objects.filter(user=user).values_list("email_reminders", flat=True)
    return pref.first() is not False
