"""The lab import's part of a participant's audit trail, as people read it: imports, approvals,
rejections, panels chosen by hand, hospital identifiers added or removed; who, when, why.

Read from the audit trail itself (the pghistory event tables), one line per action: the values
one import or one approval touched share its audit context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from dosing.labimport.models import HospitalIdentifier, ImportedLabValue, ValueState
from trial import schedule, trail_context
from trial.history import event_model_of
from trial.models import FormStatus, Participant


@dataclass
class Line:
    at: datetime
    what: str
    who: str
    reason: str
    how: str
    details: list[str] = field(default_factory=list)


def _meta(event: Any) -> dict[str, Any]:
    return trail_context.metadata(event)


def participant_history(participant: Participant) -> list[Line]:
    """Newest first (four queries: the two event tables, the panels named, the people)."""
    value_events = list(
        event_model_of(ImportedLabValue)
        ._default_manager.filter(participant_id=participant.pk)
        .select_related("pgh_context", "file")
        .order_by("pgh_id")
    )
    link_events = list(
        event_model_of(HospitalIdentifier)
        ._default_manager.filter(participant_id=participant.pk)
        .select_related("pgh_context")
        .order_by("pgh_id")
    )
    row_ids = {e.written_row_id for e in value_events} | {e.chosen_row_id for e in value_events}
    rows = {row.pk: row for row in FormStatus.objects.filter(pk__in=row_ids - {None})}
    user_ids = {str(_meta(e).get("user", "")) for e in [*value_events, *link_events]}
    people = {
        str(u.pk): u.get_full_name() or u.get_username()
        for u in get_user_model().objects.filter(pk__in=[int(i) for i in user_ids if i.isdigit()])
    }
    lines: dict[tuple, Line] = {}
    previous: dict[int, Any] = {}
    for event in value_events:
        before = previous.get(event.pgh_obj_id)
        previous[event.pgh_obj_id] = event
        what = _value_change(event, before, rows)
        if what is None:
            continue
        item = f"{event.code} {event.comparator}{event.value.normalize()} {event.unit}".strip()
        _add(lines, event, what, item, people)
    for event in link_events:
        what = (
            _("Hospital identifier removed")
            if event.pgh_label == "delete"
            else _("Hospital identifier added")
        )
        if event.pgh_label not in ("insert", "delete"):
            continue
        _add(lines, event, what, f"{event.system} | {event.value}", people)
    return sorted(lines.values(), key=lambda line: line.at, reverse=True)


def _add(lines: dict, event: Any, what: str, detail: str, people: dict[str, str]) -> None:
    meta = _meta(event)
    key = (event.pgh_context_id or f"e{event.pgh_id}", what)
    line = lines.get(key)
    if line is None:
        user = str(meta.get("user", ""))
        line = lines[key] = Line(
            event.pgh_created_at,
            what,
            people.get(user) or str(meta.get("username") or _("system")),
            str(meta.get("reason", "")),
            str(meta.get("command") or meta.get("url") or ""),
        )
    line.details.append(detail)


def _panel(rows: dict[int, FormStatus], row_id: int | None) -> str:
    row = rows.get(row_id) if row_id else None
    if row is None:
        return ""
    event = schedule.EVENTS_BY_CODE.get(row.event)
    return event.label if event else row.event


def _value_change(event: Any, before: Any, rows: dict[int, FormStatus]) -> str | None:
    if event.pgh_label == "insert":
        return _("Imported from %(file)s") % {"file": event.file.name if event.file else "?"}
    if before is None or event.pgh_label != "update":
        return None
    if before.state != event.state:
        if event.state == ValueState.APPROVED:
            return _("Approved into %(panel)s") % {"panel": _panel(rows, event.written_row_id)}
        if event.state == ValueState.REJECTED:
            return _("Rejected")
    if before.chosen_row_id != event.chosen_row_id:
        if event.chosen_row_id is None:
            return _("Panel back to the sample date's window")
        return _("Panel chosen: %(panel)s") % {"panel": _panel(rows, event.chosen_row_id)}
    return None
