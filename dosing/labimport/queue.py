"""The approval queue as the pages read it: each imported value with what it means for its panel.

For every value: the panel item, the unit conversion, the target panel (the person's choice, or
the event window holding the sample date), the CTCAE grade it would get there, the value already
in that panel, and the flags. All computed from the current data when read, in a fixed number
of queries per participant (a test pins them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.db import models
from django.db.models import Count

from dosing import labs
from dosing.labimport import flags, mapping, windows
from dosing.labimport.models import ImportedLabValue, ValueState
from dosing.labimport.observations import LOINC_SYSTEM
from dosing.labimport.words import FLAG_LABELS
from dosing.models import LabPanel
from trial import schedule
from trial.crf import model_field
from trial.models import FormState, FormStatus, Participant


@dataclass(frozen=True)
class Resolved:
    """What an imported value becomes on the lab form."""

    item: labs.LabItem | None
    conversion: mapping.Conversion | None
    # In entered_unit, rounded to the form field's places (flagged when that changes it); the
    # canonical value is then exact from it (labs.to_canonical), as the saved panel will be.
    entered: Decimal | None = None
    entered_unit: str = ""
    limit_entered: Decimal | None = None  # the lab's LLN or ULN, in entered_unit
    canonical: Decimal | None = None  # in the item's canonical unit (what grades read)
    limit: Decimal | None = None
    rounded: bool = False

    @property
    def known_unit(self) -> bool:
        return self.conversion is not None

    @property
    def shown_unit(self) -> str:
        return labs.unit_label(self.entered_unit)

    @property
    def canonical_unit(self) -> str:
        return labs.unit_label(self.item.unit) if self.item else ""

    @property
    def limit_label(self) -> str:
        return str(labs.LIMIT_LABELS[self.item.limit_kind]) if self.item and self.item.limit else ""

    @property
    def shows_canonical(self) -> bool:
        """The canonical value says something more (a count in G/L is stored per mm3 too)."""
        return self.item is not None and self.entered_unit != self.item.unit


def _places(name: str) -> int:
    return cast(models.DecimalField, model_field(LabPanel, name)).decimal_places or 0


def _typed(panel: LabPanel | None, name: str | None) -> Any:
    return getattr(panel, name) if panel is not None and name else None


def resolve(value: ImportedLabValue, panel: LabPanel | None = None) -> Resolved:
    """The value as the lab form would take it into `panel` (None: an empty panel)."""
    key = mapping.item_for(value.code_system, value.code, value.display)
    item = labs.ITEMS_BY_KEY.get(key) if key else None
    if item is None:
        return Resolved(None, None)
    conversion = mapping.convert(item.key, value.value, value.unit)
    if conversion is None:
        return Resolved(item, None)
    unit = conversion.unit
    entered = conversion.value
    reported_limit = value.low if item.decreased else value.high
    limit = None
    if reported_limit is not None and item.limit:
        limit_conversion = mapping.convert(item.key, reported_limit, value.range_unit or value.unit)
        if limit_conversion is not None:
            limit = mapping.between_form_units(
                item.key, limit_conversion.value, limit_conversion.unit, unit
            )
    if item.switchable:
        # The panel's typed normal limit stays meaningful only in the unit it was typed in:
        # without a limit of its own, the value follows the panel's unit.
        panel_unit = _typed(panel, item.unit_field)
        if limit is None and _typed(panel, item.limit_input_field) is not None and panel_unit:
            entered = mapping.between_form_units(item.key, entered, unit, panel_unit)
            unit = panel_unit
    places = _places(item.input_field)
    stored = _quantize(entered, places)
    stored_limit = (
        _quantize(limit, _places(item.limit_input_field))
        if limit is not None and item.limit_input_field
        else None
    )
    canonical = labs.to_canonical(item, stored, unit if item.switchable else None)
    canonical_limit = (
        labs.to_canonical(item, stored_limit, unit if item.switchable else None)
        if stored_limit is not None
        else None
    )
    return Resolved(
        item,
        conversion,
        mapping.normal(stored),
        unit,
        mapping.normal(stored_limit) if stored_limit is not None else None,
        canonical,
        canonical_limit,
        rounded=stored != entered or (stored_limit is not None and stored_limit != limit),
    )


def _quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def form_values(resolved: Resolved) -> dict[str, Any]:
    """The lab form's fields this value fills (value, its unit, the lab's normal limit)."""
    item = resolved.item
    assert item is not None  # only a value mapped to a lab item fills the form
    values: dict[str, Any] = {item.input_field: resolved.entered}
    if item.unit_field:
        values[item.unit_field] = resolved.entered_unit
    if resolved.limit_entered is not None and item.limit_input_field:
        values[item.limit_input_field] = resolved.limit_entered
    return values


# --- The queue of one participant ------------------------------------------------------------


@dataclass
class Entry:
    value: ImportedLabValue
    resolved: Resolved
    row: FormStatus | None  # the target panel's form-status row
    chosen: bool  # the panel was chosen by a person
    flags: list[str]
    grade: labs.Grade | None
    in_crf: Any  # the value typed in the target panel (its unit beside), None when empty
    in_crf_unit: str = ""

    @property
    def blocked(self) -> bool:
        return flags.blocking(self.flags)

    @property
    def warned(self) -> bool:
        return any(flag not in flags.BLOCKING for flag in self.flags)

    @property
    def label(self) -> str:
        if self.resolved.item is not None:
            return str(self.resolved.item.label)
        return self.value.display or self.value.code

    @property
    def key(self) -> str:
        return f"v{self.value.pk}"

    @property
    def source_name(self) -> str:
        """How the file names the test, when that says more than the item's label."""
        named = " · ".join(part for part in (self.value.code, self.value.display) if part)
        if mapping.fold(named) == mapping.fold(self.label):
            return ""
        return f"LOINC {named}" if self.value.code_system == LOINC_SYSTEM else named

    @property
    def panel_label(self) -> str:
        return row_label(self.row) if self.row is not None else ""

    @property
    def flag_items(self) -> list[tuple[str, str, bool]]:
        """(flag, its words, blocking) for the page."""
        return [(flag, str(FLAG_LABELS[flag]), flag in flags.BLOCKING) for flag in self.flags]


@dataclass
class Group:
    """The pending values of one target panel (row None: values with no panel yet)."""

    row: FormStatus | None
    entries: list[Entry] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"g{self.row.pk}" if self.row is not None else "gnone"

    @property
    def event_label(self) -> str:
        return row_label(self.row) if self.row is not None else ""

    @property
    def approvable(self) -> list[Entry]:
        return [entry for entry in self.entries if not entry.blocked]

    @property
    def warned(self) -> bool:
        return any(entry.warned for entry in self.approvable)

    @property
    def panel_sample_date(self) -> date | None:
        panel = _panel(self.row) if self.row is not None else None
        return panel.sample_date if panel is not None else None


@dataclass
class Queue:
    participant: Participant
    groups: list[Group]
    decided: list[Entry]
    lab_rows: list[FormStatus]

    @property
    def pending_count(self) -> int:
        return sum(len(group.entries) for group in self.groups)

    @property
    def panel_choices(self) -> list[tuple[int, str]]:
        return [(row.pk, row_label(row)) for row in self.lab_rows]


def row_label(row: FormStatus) -> str:
    """A lab panel as a person names it: its event."""
    event = schedule.EVENTS_BY_CODE.get(row.event)
    return event.label if event else row.event


def _panel(row: FormStatus) -> LabPanel | None:
    try:
        return row.dosing_labpanel
    except LabPanel.DoesNotExist:
        return None


def lab_rows(participant: Participant) -> list[FormStatus]:
    """The participant's lab panels (their form-status rows with their data), in the
    schedule's order: one query."""
    rows = list(
        FormStatus.objects.filter(participant=participant, form=windows.LAB_FORM)
        .exclude(status=FormState.DELETED)
        .select_related("dosing_labpanel")
    )
    rows.sort(key=lambda r: (schedule.EVENT_ORDER.get(r.event, 99), r.repeat))
    return rows


def participant_queue(participant: Participant) -> Queue:
    """Every imported value of the participant with its panel, grade and flags (two
    queries: the values with their files and who decided, the panels)."""
    values = list(
        ImportedLabValue.objects.filter(participant=participant)
        .select_related("file", "decided_by")
        .order_by("sample_date", "sampled_at", "file_id", "position")
    )
    rows = lab_rows(participant)
    entries = assess(participant, values, rows)
    pending = [entry for entry in entries if entry.value.state == ValueState.PENDING]
    decided = [entry for entry in entries if entry.value.state != ValueState.PENDING]
    decided.sort(key=lambda e: e.value.decided_at or e.value.file.imported_at, reverse=True)
    return Queue(participant, group_entries(pending), decided, rows)


def group_entries(entries: Iterable[Entry]) -> list[Group]:
    """Pending entries by target panel, in the schedule's order; those with no panel last."""
    by_row: dict[int | None, Group] = {}
    for entry in entries:
        key = entry.row.pk if entry.row is not None else None
        if key not in by_row:
            by_row[key] = Group(entry.row)
        by_row[key].entries.append(entry)
    return sorted(
        by_row.values(),
        key=lambda g: (
            g.row is None,
            schedule.EVENT_ORDER.get(g.row.event, 99) if g.row is not None else 0,
        ),
    )


def assess(
    participant: Participant,
    values: list[ImportedLabValue],
    rows: list[FormStatus],
    *,
    earlier: Iterable[ImportedLabValue] = (),
) -> list[Entry]:
    """Each value with its target panel, conversion, grade and flags. `earlier`: values already
    imported that `values` (a file not yet saved) are compared with, besides each other."""
    row_by_event = {row.event: row for row in rows if row.repeat == 1}
    rows_by_pk = {row.pk: row for row in rows}
    spans = windows.panel_windows(participant.plan())
    panels = {row.pk: _panel(row) for row in rows}
    everything = [*earlier, *values]
    resolved_cache: dict[int, Resolved] = {}

    def plain(value: ImportedLabValue) -> Resolved:
        # Resolved into an empty panel: the item and canonical value, for comparisons.
        key = id(value)
        if key not in resolved_cache:
            resolved_cache[key] = resolve(value)
        return resolved_cache[key]

    entries = []
    for value in values:
        chosen = value.chosen_row_id is not None and value.chosen_row_id in rows_by_pk
        row: FormStatus | None
        if value.state == ValueState.APPROVED and value.written_row_id in rows_by_pk:
            row = rows_by_pk[value.written_row_id]
        elif chosen and value.chosen_row_id is not None:
            row = rows_by_pk[value.chosen_row_id]
        else:
            event = windows.target_event(spans, value.sample_date)
            row = row_by_event.get(event) if event else None
        panel = panels.get(row.pk) if row is not None else None
        resolved = resolve(value, panel)
        item = resolved.item
        crf_value = crf_unit = None
        if item is not None and panel is not None:
            crf_value = getattr(panel, item.input_field)
            crf_unit = labs.unit_label(
                getattr(panel, item.unit_field) if item.unit_field else item.unit
            )
        in_crf_canonical = getattr(panel, item.field) if item is not None and panel else None
        facts = flags.Facts(
            known_code=item is not None,
            known_unit=resolved.known_unit,
            canonical=resolved.canonical,
            plausible=item.plausible if item else None,
            usual=item.usual if item else None,
            comparator=value.comparator,
            status=value.status,
            has_panel=row is not None,
            previous=_previous(value, item, panels, row, everything, plain),
            in_crf=in_crf_canonical,
            duplicate=_duplicate(value, everything, plain),
            other_sample_date=bool(
                panel is not None and panel.sample_date and panel.sample_date != value.sample_date
            ),
            rounded=resolved.rounded,
        )
        grade = None
        if item is not None and resolved.canonical is not None:
            current = labs.panel_values(panel) if panel is not None else {}
            merged = {**current, item.field: resolved.canonical, "sample_date": value.sample_date}
            if resolved.limit is not None and item.limit:
                merged[item.limit] = resolved.limit
            grade = labs.grade(item, merged, _baseline(panels, row, value.sample_date))
        entries.append(
            Entry(
                value,
                resolved,
                row,
                chosen,
                flags.assess(facts),
                grade,
                crf_value,
                crf_unit or "",
            )
        )
    return entries


def _baseline(panels: dict[int, LabPanel | None], row: FormStatus | None, sample: date):
    """The participant's earliest other panel sampled before this one (as the lab form's
    grades read it)."""
    earlier = [
        panel
        for pk, panel in panels.items()
        if panel is not None
        and panel.sample_date is not None
        and panel.sample_date < sample
        and (row is None or pk != row.pk)
    ]
    if not earlier:
        return None
    first = min(earlier, key=lambda panel: (panel.sample_date, panel.pk))
    return labs.panel_values(first)


def _moment(value: ImportedLabValue) -> tuple[date, datetime | None]:
    return value.sample_date, value.sampled_at


def _previous(
    value: ImportedLabValue,
    item: labs.LabItem | None,
    panels: dict[int, LabPanel | None],
    row: FormStatus | None,
    everything: list[ImportedLabValue],
    plain: Any,
) -> Decimal | None:
    """The same test's latest value sampled before this one: a panel's (other than the
    target) or another imported value's not rejected."""
    if item is None:
        return None
    found: list[tuple[date, int, Decimal]] = []
    for pk, panel in panels.items():
        if panel is None or (row is not None and pk == row.pk) or panel.sample_date is None:
            continue
        current = getattr(panel, item.field)
        if current is not None and panel.sample_date < value.sample_date:
            found.append((panel.sample_date, 0, current))
    for other in everything:
        if other is value or other.state == ValueState.REJECTED:
            continue
        if other.sample_date >= value.sample_date:
            continue
        resolved = plain(other)
        if resolved.item is item and resolved.canonical is not None:
            found.append((other.sample_date, 1, resolved.canonical))
    return max(found, key=lambda f: (f[0], f[1]))[2] if found else None


def _duplicate(value: ImportedLabValue, everything: list[ImportedLabValue], plain: Any) -> bool:
    """Another file brought the same result before (the same test sampled at the same moment,
    the same value once converted), not rejected. A lab's CSV naming the test "Hémoglobine"
    and a FHIR bundle coding it 718-7 bring the same result."""
    mine = plain(value)
    for other in everything:
        if other is value or other.state == ValueState.REJECTED or not _earlier(other, value):
            continue
        if other.file_id is not None and other.file_id == value.file_id:
            continue
        if _moment(other) != _moment(value):
            continue
        theirs = plain(other)
        if mine.item is not None:
            same = theirs.item is mine.item and theirs.canonical == mine.canonical
        else:
            same = (other.code, other.value, other.unit) == (value.code, value.value, value.unit)
        if same:
            return True
    return False


def _earlier(other: ImportedLabValue, value: ImportedLabValue) -> bool:
    """`other` was imported before `value` (an unsaved value comes after every saved one)."""
    if value.pk is None:
        return other.pk is not None
    return other.pk is not None and other.pk < value.pk


def pending_counts(participant_ids: list[int]) -> dict[int, int]:
    """Values waiting for approval, per participant (one query)."""
    rows = (
        ImportedLabValue.objects.filter(
            participant_id__in=participant_ids, state=ValueState.PENDING
        )
        .values("participant_id")
        .annotate(n=Count("id"))
        .values_list("participant_id", "n")
    )
    return dict(rows)


def panel_context(participant: Participant, user: Any) -> dict[str, Any]:
    """The participant page's card (trial.registry panel): no query; the card asks for the
    count of values waiting with a request of its own (views.lab_waiting)."""
    return {}
