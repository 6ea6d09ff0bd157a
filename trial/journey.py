"""The participant's journey as the pages show it: the schedule joined with the form statuses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _

from trial import crf as crf_registry
from trial import schedule
from trial.models import FormState, FormStatus, Participant

DONE_STATES = {FormState.COMPLETE, FormState.MISSED, FormState.DELETED}
STATE_LABELS = {
    "done": _("Done"),
    "overdue": _("Overdue"),
    "in_progress": _("In progress"),
    "open": _("Window open"),
    "upcoming": _("Upcoming"),
}


@dataclass
class FormSlot:
    row: FormStatus

    @property
    def available(self) -> bool:
        return crf_registry.get(self.row.form) is not None


@dataclass
class EventView:
    planned: schedule.PlannedEvent
    slots: list[FormSlot] = field(default_factory=list)
    today: date | None = None

    @property
    def done(self) -> bool:
        return bool(self.slots) and all(s.row.status in DONE_STATES for s in self.slots)

    @property
    def any_locked(self) -> bool:
        return any(s.row.is_locked for s in self.slots)

    @property
    def all_locked(self) -> bool:
        return bool(self.slots) and all(s.row.is_locked for s in self.slots)

    @property
    def started(self) -> bool:
        return any(s.row.status != FormState.NOT_STARTED for s in self.slots)

    @property
    def overdue(self) -> bool:
        return (
            not self.done
            and self.planned.window.closes is not None
            and (self.today is not None and self.today > self.planned.window.closes)
        )

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def state(self) -> str:
        if self.done:
            return "done"
        if self.overdue:
            return "overdue"
        if self.started:
            return "in_progress"
        if self.today is not None and self.planned.is_open(self.today):
            return "open"
        return "upcoming"


def timeline(participant: Participant, rows: Iterable[FormStatus], today: date) -> list[EventView]:
    by_event: dict[str, list[FormStatus]] = defaultdict(list)
    for row in rows:
        by_event[row.event].append(row)
    views = []
    for planned in participant.plan():
        order = {code: i for i, code in enumerate(planned.event.forms)}
        event_rows = sorted(
            by_event.get(planned.code, []), key=lambda r: (order.get(r.form, 99), r.repeat)
        )
        views.append(EventView(planned, [FormSlot(r) for r in event_rows], today))
    return views


def log_rows(rows: Iterable[FormStatus]) -> dict[str, list[FormStatus]]:
    logs: dict[str, list[FormStatus]] = {code: [] for code in schedule.LOG_FORMS}
    for row in rows:
        if row.event == schedule.LOG_EVENT and row.form in logs:
            logs[row.form].append(row)
    return logs


def next_action(events: list[EventView]) -> tuple[EventView, FormSlot | None] | None:
    """The first event not done, and its first form not complete: what to do next."""
    for view in events:
        if not view.done:
            for slot in view.slots:
                if slot.row.status not in DONE_STATES and slot.available:
                    return view, slot
            return view, None
    return None


@dataclass(frozen=True)
class ListSummary:
    current: str
    next_due: date | None
    overdue: bool


def summarise(participant: Participant, open_events: set[str], today: date) -> ListSummary:
    """One participant's row on the list, from the events with forms still open."""
    current, next_due, overdue = "", None, False
    for planned in participant.plan():
        if planned.code not in open_events:
            continue
        if not current:
            current = planned.event.label
            next_due = planned.window.target or planned.window.opens
        if planned.is_overdue(today):
            overdue = True
    return ListSummary(current or "—", next_due, overdue)
