"""The audit-trail review as the page reads it: filters, review flags and keyset paging over
the ledger (trial/ledger.py), for monitors (their sites) and data managers (every site).

Pages are cut by keyset, from the last row seen: (at, id) after or before a cursor, never an
OFFSET, so the last page of a million entries costs what the first does. Each page reads its
entries, then their audit contexts (reason, page or command) and their review marks: three
queries whatever the filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import BooleanField, DateField, Exists, Field, Model, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from pghistory.models import Context

from trial import crf as crf_registry
from trial import roles, schedule
from trial.forms import date_format_hint, typed_date
from trial.languages import shown_date, shown_moment
from trial.models import AuditEntry, AuditReview, Site
from trial.reasons import shown_reason
from trial.selectors import participants_for, visible_sites

PAGE_SIZE = 50
REVIEWERS = {roles.MONITOR, roles.DATA_MANAGER}

# The review flags, each a filter: (name, label, lookup).
FLAGS: dict[str, tuple[Any, dict[str, Any]]] = {
    "off_hours": (_("Outside 08:00-20:00 site time"), {"off_hours": True}),
    "weekend": (_("At a weekend"), {"weekend": True}),
    "after_sdv": (_("Edited after SDV"), {"after_sdv": True}),
    "after_signature": (_("Edited after a signature"), {"after_signature": True}),
    "often_changed": (_("Item changed 3 times or more"), {"often_changed": True}),
    "deletion": (_("Deletion"), {"deletion": True}),
    "auth": (_("Failed login or signature"), {"kind": "auth"}),
}
# The kinds of change a reviewer filters on.
KINDS: dict[str, tuple[Any, dict[str, Any]]] = {
    "insert": (_("Entered"), {"label": "insert"}),
    "update": (_("Changed"), {"label": "update"}),
    "delete": (_("Deleted"), {"label": "delete"}),
    "login_failed": (_("Failed login"), {"label": "login_failed"}),
    "login_refused": (_("Login refused (locked)"), {"label": "login_refused"}),
    "signature_failed": (_("Failed signature"), {"label": "signature_failed"}),
    "locked": (_("Account locked"), {"label": "locked"}),
}
REVIEWED = {"no": _("Not reviewed"), "yes": _("Reviewed")}
# The participant's own changes (registration, status, gate decision, event dates, casebook
# lock): their record kind in the ledger, offered beside the forms in the form filter.
PARTICIPANT = "Participant"


class FilterError(ValueError):
    """A filter names nothing the reviewer may see, or is malformed: said next to it."""

    def __init__(self, name: str, message: Any) -> None:
        super().__init__(str(message))
        self.name = name
        self.message = message


@dataclass
class Filters:
    site: str = ""
    participant: str = ""
    form: str = ""
    item: str = ""
    user: str = ""
    kind: str = ""
    flag: str = ""
    reviewed: str = ""
    start: str = ""
    end: str = ""
    errors: dict[str, Any] = field(default_factory=dict)

    NAMES = (
        "site",
        "participant",
        "form",
        "item",
        "user",
        "kind",
        "flag",
        "reviewed",
        "start",
        "end",
    )

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        return cls(**{name: query.get(name, "").strip()[:120] for name in cls.NAMES})

    def as_params(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.NAMES if getattr(self, name)}


def reviewer_sites(user: Any) -> QuerySet[Site]:
    if not roles.has_any(user, REVIEWERS):
        return Site.objects.none()
    return visible_sites(user)


# The dates a filter accepts: any the trail can hold, with room for time zones both sides
# (a day at the calendar's ends has no midnight in every zone).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _day(value: str, name: str) -> date:
    day = typed_date(value)
    if day is None:
        raise FilterError(name, _("Enter a date as %(format)s.") % {"format": date_format_hint()})
    if not FIRST_DAY <= day <= LAST_DAY:
        raise FilterError(
            name,
            _("Enter a date between %(first)s and %(last)s.")
            % {"first": shown_date(FIRST_DAY), "last": shown_date(LAST_DAY)},
        )
    return day


def entries_for(user: Any, filters: Filters) -> QuerySet[AuditEntry]:
    """The entries the user may review, filtered. Unknown codes and values are errors named
    after their filter (a site out of reach reads as unknown, so reach does not leak)."""
    entries = AuditEntry.objects.all()
    if not roles.has_any(user, roles.ALL_SITES):
        # Monitors: their sites only; entries of no site (failed logins) are the data
        # managers' to review.
        entries = entries.filter(site__in=list(reviewer_sites(user).values_list("pk", flat=True)))
    errors: dict[str, Any] = {}
    if filters.site:
        site = reviewer_sites(user).filter(code=filters.site).first()
        if site is None:
            errors["site"] = _("No such site.")
        else:
            entries = entries.filter(site=site.pk)
    if filters.participant:
        participant = participants_for(user).filter(code=filters.participant).first()
        if participant is None:
            errors["participant"] = _("No such participant.")
        else:
            entries = entries.filter(participant=participant.pk)
    if filters.form == PARTICIPANT:
        entries = entries.filter(kind=PARTICIPANT)
    elif filters.form:
        entries = entries.filter(form=filters.form)
    if filters.item:
        entries = entries.filter(item=filters.item)
    if filters.user:
        entries = entries.filter(username=filters.user)
    for name, choices in (("kind", KINDS), ("flag", FLAGS)):
        value = getattr(filters, name)
        if value:
            if value not in choices:
                errors[name] = _("Choose one of the list.")
            else:
                entries = entries.filter(**choices[value][1])
    if filters.reviewed:
        if filters.reviewed not in REVIEWED:
            errors["reviewed"] = _("Choose one of the list.")
        else:
            reviewed = Exists(AuditReview.objects.filter(entry=OuterRef("pk")))
            entries = entries.filter(reviewed if filters.reviewed == "yes" else ~reviewed)
    zone = ZoneInfo(settings.TIME_ZONE)
    start = end = None
    for name in ("start", "end"):
        value = getattr(filters, name)
        if value:
            try:
                day = _day(value, name)
            except FilterError as error:
                errors[name] = error.message
                continue
            if name == "start":
                start = datetime.combine(day, time.min, zone)
                entries = entries.filter(at__gte=start)
            else:
                end = datetime.combine(day + timedelta(days=1), time.min, zone)
                entries = entries.filter(at__lt=end)
    if start and end and end <= start:
        errors["end"] = _("The end comes before the start.")
    filters.errors = errors
    if errors:
        return AuditEntry.objects.none()
    return entries


@dataclass(frozen=True)
class Cursor:
    at: datetime
    id: int

    def __str__(self) -> str:
        return f"{self.at.isoformat()}~{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor | None:
        """The cursor of a page link; None for none. ValueError when it is not one of ours:
        an aware time stamp within the filters' dates, and an entry id."""
        if not text:
            return None
        stamp, pk = text.rsplit("~", 1) if "~" in text else (text, "")
        at = datetime.fromisoformat(stamp)
        number = int(pk) if pk.isascii() and pk.isdigit() else -1
        if at.tzinfo is None or not FIRST_DAY <= at.date() <= LAST_DAY:
            raise ValueError(text)
        if not 0 <= number < 2**63:
            raise ValueError(text)
        return cls(at, number)


@dataclass
class Page:
    entries: list[Any]
    first: bool  # nothing before
    last: bool  # nothing after

    @property
    def next_cursor(self) -> str:
        return str(Cursor(self.entries[-1].at, self.entries[-1].id)) if self.entries else ""

    @property
    def previous_cursor(self) -> str:
        return str(Cursor(self.entries[0].at, self.entries[0].id)) if self.entries else ""


def _keyset(op: str, cursor: Cursor) -> RawSQL:
    return RawSQL(
        f"(trial_auditentry.at, trial_auditentry.id) {op} (%s, %s)",
        (cursor.at, cursor.id),
        output_field=BooleanField(),
    )


def page(
    entries: QuerySet[AuditEntry],
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    last: bool = False,
    size: int = PAGE_SIZE,
) -> Page:
    """One page, oldest first: the first, the one after or before a cursor, or the last."""
    backwards = last or before is not None
    if after is not None:
        entries = entries.filter(_keyset(">", after))
    if before is not None:
        entries = entries.filter(_keyset("<", before))
    order = ("-at", "-id") if backwards else ("at", "id")
    rows = list(entries.select_related("site", "participant").order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        return Page(rows, first=not more, last=before is None)
    return Page(rows, first=after is None, last=not more)


@dataclass
class Line:
    """One entry as the page shows it."""

    entry: AuditEntry
    local: datetime
    item_label: str
    old_value: str | None
    new_value: str | None
    reason: str
    origin: str
    address: str
    flags: list[Any]
    reviews: list[AuditReview]


@cache
def _models_by_name() -> dict[str, type[Model]]:
    return {model.__name__: model for model in apps.get_models()}


def _field(entry: AuditEntry) -> Field | None:
    """The model field an entry is about: a form's item, a group row's, or a record's
    column (the entry's kind names its model: FormStatus, Signature...)."""
    if not entry.item or entry.kind == PARTICIPANT:
        return None
    spec = crf_registry.get(entry.form)
    if entry.kind in ("item", "group") and spec is not None:
        models = [spec.model, *(g.model for g in spec.groups if g.name == entry.grp)]
    else:
        models = [m for m in [_models_by_name().get(entry.kind)] if m is not None]
    for model in reversed(models):
        try:
            return cast(Field, model._meta.get_field(entry.item))
        except Exception:  # noqa: BLE001 - an item since renamed
            continue
    return None


def _item_label(entry: AuditEntry) -> str:
    if entry.kind == PARTICIPANT:
        return _participant_item_label(entry.item)
    model_field = _field(entry)
    if model_field is None:
        return entry.item
    return str(model_field.verbose_name).capitalize()


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}(:?\d{2})?|Z)"
)


def shown_value(
    model_field: Field | None, stored: str | None, zone: ZoneInfo | None = None
) -> str | None:
    """A stored value as the reader's language says it: a code by its label, a yes/no as
    Yes/No, a date in the reader's style, an instant in site time (`zone`) with the zone
    named; any other value as stored. Dates are recognised by their stored ISO form, so the
    participant's own columns (screening date, event dates, lock time) read the same."""
    if stored is None:
        return stored
    if model_field is None or isinstance(model_field, DateField):
        if _ISO_MOMENT.fullmatch(stored):
            return shown_moment(datetime.fromisoformat(stored), zone)
        if _ISO_DAY.fullmatch(stored):
            return shown_date(date.fromisoformat(stored))
    if model_field is None:
        return stored
    if isinstance(model_field, BooleanField) and stored in ("true", "false"):
        return str(_("Yes") if stored == "true" else _("No"))
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(stored, stored))
    return stored


PARTICIPANT_LABELS = {
    "code": _("Participant code"),
    "site": _("Site"),
    "status": _("Status"),
    "screening_date": _("Screening date"),
    "enrolment_date": _("Enrolment date"),
    "gate_decision": _("Gate decision"),
    "locked_at": _("Casebook locked at"),
    "locked_by": _("Casebook locked by"),
}


def _participant_item_label(item: str) -> str:
    event = schedule.EVENTS_BY_CODE.get(item.removeprefix("event_dates."))
    if item.startswith("event_dates.") and event is not None:
        return str(_("Date of %(event)s") % {"event": event.label})
    return str(PARTICIPANT_LABELS.get(item, item))


def lines(entries: list[AuditEntry], zones: dict[int, str]) -> list[Line]:
    """The page's entries with their reason and origin (one query for the contexts) and
    their review marks (one query)."""
    contexts = {
        c.id: c.metadata
        for c in Context.objects.filter(id__in={e.context_id for e in entries if e.context_id})
    }
    reviews: dict[int, list[AuditReview]] = {}
    marks = AuditReview.objects.filter(entry__in=[e.id for e in entries]).select_related("reviewer")
    for mark in marks.order_by("at", "pk"):
        reviews.setdefault(mark.entry_id, []).append(mark)
    default = settings.TIME_ZONE
    result = []
    for entry in entries:
        meta = contexts.get(entry.context_id, {}) if entry.context_id else {}
        zone = ZoneInfo(zones.get(entry.site_id or 0, default))
        flags = [label for name, (label, lookup) in FLAGS.items() if _has(entry, lookup)]
        result.append(
            Line(
                entry,
                entry.at.astimezone(zone),
                _item_label(entry),
                shown_value(_field(entry), entry.old_value, zone),
                shown_value(_field(entry), entry.new_value, zone),
                shown_reason(meta.get("reason", "")),
                meta.get("url") or meta.get("command") or "",
                meta.get("client_address", ""),
                flags,
                reviews.get(entry.id, []),
            )
        )
    return result


def _has(entry: AuditEntry, lookup: dict[str, Any]) -> bool:
    return all(getattr(entry, name) == value for name, value in lookup.items())
