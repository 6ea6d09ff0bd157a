"""The audit-trail review as the page reads it: filters, review flags and keyset paging over
the ledger (trial/ledger.py), for monitors (their sites) and data managers (every site).

Pages are cut by keyset, from the last row seen: (at, id) after or before a cursor, never an
OFFSET, so the last page of a million entries costs what the first does. Each page reads its
entries, then their audit contexts (reason, page or command) and their review marks: three
queries whatever the filters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    BooleanField,
    DateField,
    Exists,
    Field,
    JSONField,
    Model,
    OuterRef,
    QuerySet,
)
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from trial import crf as crf_registry
from trial import roles, schedule, trail_context
from trial.forms import date_format_hint, typed_date
from trial.languages import shown_date
from trial.models import AuditEntry, AuditReview, Participant, Site
from trial.origins import origin_label
from trial.readable import field_label, shown_value
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
    # The origin as stored (command, page), for the data manager who looks it up.
    origin_code: str = ""


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
    if not entry.item:
        return ""
    return field_label(_field(entry), entry.item)


# The participant's event dates are filed as "event_dates.<event>": each a date.
_EVENT_DATE = DateField()


def _participant_field(item: str) -> Field | None:
    if item.startswith("event_dates."):
        return _EVENT_DATE
    try:
        return cast(Field, Participant._meta.get_field(item))
    except FieldDoesNotExist:
        return None


def _unit(entry: AuditEntry) -> str:
    spec = crf_registry.get(entry.form) if entry.kind == "item" else None
    return spec.unit(entry.item) if spec is not None else ""


def _form_item(form: str, address: str) -> tuple[Field | None, str]:
    """The model field and unit of a form's item named as the queries and SDV marks name it:
    "weight_kg", or "lesions[T1].size_mm" for an item group's."""
    spec = crf_registry.get(form)
    if spec is None or not address:
        return None, ""
    group_name, _sep, name = address.rpartition(".")
    group_name = group_name.partition("[")[0]
    models = [g.model for g in spec.groups if g.name == group_name] if group_name else []
    try:
        model_field = cast(Field, (models or [spec.model])[0]._meta.get_field(name))
    except FieldDoesNotExist:
        return None, ""
    return model_field, "" if group_name else spec.unit(name)


# The records whose columns name a form's item ("item") and hold that item's value.
ITEM_RECORDS = {"Query": "value_when_raised", "SdvMark": "value"}


def entry_value(
    entry: AuditEntry, stored: str | None, sites: dict[int, str], item_code: str = ""
) -> str | None:
    """An entry's stored value (text, as the ledger filed it) as the reader's language says
    it (trial/readable.py); a site by its code, an item's code by its label, a query's or an
    SDV mark's value as its item's, a signature break's changes by the items' labels.
    `item_code`: the item a query's or a mark's entry is about, when known."""
    if stored is None:
        return None
    if entry.kind == PARTICIPANT:
        if entry.item == "site" and stored.isdigit():
            return sites.get(int(stored), stored)
        return shown_value(_participant_field(entry.item), stored)
    if entry.kind in ITEM_RECORDS:
        if entry.item == "item":
            model_field, _unit_ = _form_item(entry.form, stored)
            return field_label(model_field, stored) if model_field is not None else stored
        if entry.item == ITEM_RECORDS[entry.kind] and item_code:
            model_field, unit = _form_item(entry.form, item_code)
            if model_field is not None:
                return shown_value(model_field, _json_scalar(stored), unit)
    model_field = _field(entry)
    if isinstance(model_field, JSONField):
        return _json_value(stored)
    return shown_value(model_field, stored, _unit(entry))


def _json_scalar(stored: str) -> Any:
    """A value kept as JSON (66.0, "2024-01-02", true) as text the item's field reads."""
    try:
        value = json.loads(stored)
    except ValueError:
        return stored
    if isinstance(value, bool) or value is None:
        return value
    return str(value)


def _json_value(stored: str) -> str:
    """A signature break's changes ({"FORM.item": [old, new]}) as "Form · Item: old → new"."""
    try:
        data = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(data, dict):
        return stored
    parts = []
    for key, change in data.items():
        form, _sep, item = str(key).partition(".")
        spec = crf_registry.get(form)
        model_field: Field | None = None
        if spec is not None:
            try:
                model_field = cast(Field, spec.model._meta.get_field(item))
            except FieldDoesNotExist:
                model_field = None
        label = (
            f"{schedule.form_label(form)} · {field_label(model_field, item)}"
            if spec is not None
            else str(_("An item"))
        )
        unit = spec.unit(item) if spec is not None else ""
        if isinstance(change, list) and len(change) == 2:
            old, new = ("∅" if v is None else shown_value(model_field, v, unit) for v in change)
            parts.append(f"{label}: {old} → {new}")
        else:
            parts.append(label)
    return "; ".join(parts)


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


def lines(
    entries: list[AuditEntry], zones: dict[int, str], sites: dict[int, str] | None = None
) -> list[Line]:
    """The page's entries with their reason and origin (one query for their events'
    contexts) and their review marks (one query)."""
    contexts = trail_context.metadata_of_events(
        (e.event_table, e.pgh_id) for e in entries if e.context_id
    )
    reviews: dict[int, list[AuditReview]] = {}
    marks = AuditReview.objects.filter(entry__in=[e.id for e in entries]).select_related("reviewer")
    for mark in marks.order_by("at", "pk"):
        reviews.setdefault(mark.entry_id, []).append(mark)
    default = settings.TIME_ZONE
    # The item a query's or an SDV mark's entries are about: their "item" entry, filed with
    # them (same event row), usually on the same page.
    items = {
        (e.event_table, e.pgh_id): e.new_value or e.old_value or ""
        for e in entries
        if e.kind in ITEM_RECORDS and e.item == "item"
    }
    result = []
    for entry in entries:
        item_code = items.get((entry.event_table, entry.pgh_id), "")
        meta = contexts.get((entry.event_table, entry.pgh_id), {})
        zone = ZoneInfo(zones.get(entry.site_id or 0, default))
        flags = [label for name, (label, lookup) in FLAGS.items() if _has(entry, lookup)]
        result.append(
            Line(
                entry,
                entry.at.astimezone(zone),
                _item_label(entry),
                entry_value(entry, entry.old_value, sites or {}, item_code),
                entry_value(entry, entry.new_value, sites or {}, item_code),
                shown_reason(meta.get("reason", "")),
                origin_label(meta.get("command", ""))
                or (str(_("Web page")) if meta.get("url") else ""),
                meta.get("client_address", ""),
                flags,
                reviews.get(entry.id, []),
                str(meta.get("command") or meta.get("url") or ""),
            )
        )
    return result


def _has(entry: AuditEntry, lookup: dict[str, Any]) -> bool:
    return all(getattr(entry, name) == value for name, value in lookup.items())
