"""The vocabulary of a write session (trial/actions/session.py), shared with the domain apps:
what a session records as touched, what a domain hook returns, what a derived value reads.

Plain data, no database access: a domain hook builds these and returns them; only the session
(in trial.actions) writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from trial.models import FormStatus


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


# "Leave as it is", for a journey field where None is a value (no enrolment date).
UNCHANGED: Final[Any] = _Unchanged()


@dataclass(frozen=True)
class JourneyChange:
    """A change of the participant's journey: event dates (None removes one), status,
    enrolment date, gate decision. Fields left at their default are not changed."""

    dates: dict[str, date | None] = field(default_factory=dict)
    status: str | None = None
    enrolment_date: Any = UNCHANGED
    gate_decision: str | None = None


@dataclass(frozen=True)
class Effects:
    """What a domain hook (a form's `on_save`, a decision's `decide`) changed, or asks the
    write session to change: the session applies it, the hook never writes trial's tables.

    - `changed`: form-status rows whose data the hook wrote (their signatures are checked);
    - `missed`: form slots that become MISSED (a missed visit's forms, the remaining events);
    - `journey`: a journey change (the end of study's status).
    """

    changed: tuple[FormStatus, ...] = ()
    missed: tuple[FormStatus, ...] = ()
    journey: JourneyChange | None = None


NO_EFFECTS: Final = Effects()


@dataclass(frozen=True)
class Inputs:
    """What a derived value is computed from, for the write session to know when to refresh
    it: any save of these forms, any row added, changed or removed in these item groups
    ((form, group) pairs), any change of these events' dates, of these journey fields
    ("status", "gate_decision", "enrolment_date"). "*" in `event_dates` means any event."""

    forms: frozenset[str] = frozenset()
    groups: frozenset[tuple[str, str]] = frozenset()
    event_dates: frozenset[str] = frozenset()
    journey: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        *,
        forms: Iterable[str] = (),
        groups: Iterable[tuple[str, str]] = (),
        event_dates: Iterable[str] = (),
        journey: Iterable[str] = (),
    ) -> Inputs:
        return cls(frozenset(forms), frozenset(groups), frozenset(event_dates), frozenset(journey))


@dataclass
class Touched:
    """What one write session changed so far: the form-status rows whose data or status
    changed, their forms, the data rows saved (row pk -> the form's data instance as
    written), the item groups whose rows changed, the events whose date changed, the journey
    fields that changed."""

    rows: dict[int, FormStatus] = field(default_factory=dict)
    data: dict[int, Any] = field(default_factory=dict)
    forms: set[str] = field(default_factory=set)
    groups: set[tuple[str, str]] = field(default_factory=set)
    event_dates: set[str] = field(default_factory=set)
    journey: set[str] = field(default_factory=set)

    def add(self, row: FormStatus, groups: Iterable[str] = ()) -> None:
        self.rows[row.pk] = row
        self.forms.add(row.form)
        self.groups.update((row.form, name) for name in groups)

    def reaches(self, inputs: Inputs) -> bool:
        """Whether anything touched is one of these inputs."""
        return bool(
            inputs.forms & self.forms
            or inputs.groups & self.groups
            or inputs.journey & self.journey
            or (self.event_dates and ("*" in inputs.event_dates))
            or inputs.event_dates & self.event_dates
        )

    def rows_of(self, *forms: str) -> list[FormStatus]:
        return [row for row in self.rows.values() if row.form in forms]
