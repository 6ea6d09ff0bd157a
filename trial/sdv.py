"""Source-data verification as the pages read it: each item verified, not yet, or changed
after verification; progress per form, participant and site, critical items first.

Derived, not stored: an item is verified while it has not changed since its latest mark, so a
later change clears exactly that item's verification without any write on the save path. The
audit ledger (trial/ledger.py) says which items changed after a mark (its after_sdv entries
later than the mark's own entry), so progress is counted in SQL, without reading the data:
a form's items are its model's items plus its groups' rows times their items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count

from trial import crf as crf_registry
from trial import queries, schedule
from trial.history import event_model_of
from trial.models import FormState, FormStatus, SdvMark

VERIFIED, CHANGED, TO_VERIFY = "verified", "changed", "to_verify"
# The items the monitoring plan verifies first (issue: the eligibility items, the PET SUVs,
# the IAH activity, the RECIST sizes), by form code.
CRITICAL_FORMS = (
    "CONSENT",
    "DEMOG",
    "DISEASE",
    "CARDIO",
    "IAHCI",
    "REPRO",
    "IMAGING",
    "VITALS",
    "PET_IAH",
    "PET_IV",
    "IAHDOSE",
    "RECIST",
)
CRITICAL_EVENT_FORMS = {("ELIG", "LAB")}


def is_critical(event: str, form: str) -> bool:
    return form in CRITICAL_FORMS or (event, form) in CRITICAL_EVENT_FORMS


# The latest mark of each item of the rows, and whether the item changed after it: an
# after_sdv entry of the ledger for that item later than the mark's own entry.
_MARKS_SQL = """
SELECT m.row_id, m.item, EXISTS (
  SELECT 1 FROM trial_auditentry a
  WHERE a.row_id = m.row_id AND a.after_sdv AND a.address = m.item
    AND a.id > coalesce((SELECT max(b.id) FROM trial_auditentry b
                         WHERE b.event_table = %s AND b.obj_id = m.id::text), 0))
FROM (SELECT DISTINCT ON (row_id, item) id, row_id, item FROM trial_sdvmark
      WHERE row_id = ANY(%s) ORDER BY row_id, item, verified_at DESC, id DESC) m
"""


def _marks(row_ids: Iterable[int]) -> dict[tuple[int, str], bool]:
    """(row, item) -> changed since its latest mark, for every marked item of the rows."""
    ids = list(row_ids)
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_MARKS_SQL, [event_model_of(SdvMark)._meta.db_table, ids])
        return {(row_id, item): changed for row_id, item, changed in cursor.fetchall()}


def _state(marks: dict[tuple[int, str], bool], key: tuple[int, str]) -> str:
    changed = marks.get(key)
    if changed is None:
        return TO_VERIFY
    return CHANGED if changed else VERIFIED


def item_states(rows: list[FormStatus]) -> dict[int, dict[str, str]]:
    """Each saved row's items and their state (one query per form model, plus the marks)."""
    saved = [r for r in rows if r.status not in (FormState.NOT_STARTED, FormState.DELETED)]
    snapshot = crf_registry.snapshot(saved)
    marks = _marks(r.pk for r in saved)
    result: dict[int, dict[str, str]] = {}
    for row in saved:
        values = snapshot.get(row.pk)
        if values is None:
            continue
        plain = queries.plain_items(row, values)
        result[row.pk] = {item: _state(marks, (row.pk, item)) for item in plain}
    return result


# An item computed by the form's derivations: shown in the SDV list, never verified (there
# is no source document of a computation).
DERIVED = "derived"


def form_items(row: FormStatus) -> list[tuple[str, str, str]]:
    """The SDV list of one saved form: (address, label, state) of each item in the order the
    form shows it, derived values marked DERIVED."""
    spec = crf_registry.get(row.form)
    states = item_states([row]).get(row.pk, {})
    if spec is None or not states:
        return []
    derived = spec.derived_items
    return [
        (item, label, DERIVED if item in derived else states.get(item, TO_VERIFY))
        for item, label in queries.item_labels(row, states)
        if item in states
    ]


def verifiable(row: FormStatus, items: Iterable[str]) -> list[str]:
    """The items of `items` that can be verified against a source: not derived values."""
    spec = crf_registry.get(row.form)
    derived = spec.derived_items if spec else frozenset()
    return [item for item in items if item not in derived]


@dataclass
class Progress:
    verified: int = 0
    total: int = 0
    changed: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.verified / self.total) if self.total else 0

    def merge(self, other: Progress) -> None:
        self.total += other.total
        self.verified += other.verified
        self.changed += other.changed


def _saved(rows: Iterable[tuple[int, int, str, str, str]]) -> list[tuple[int, int, str, str]]:
    """(pk, participant, event, form) of the rows with data: saved, of a registered form."""
    skip = (FormState.NOT_STARTED, FormState.DELETED)
    return [
        (pk, pid, event, form)
        for pk, pid, event, form, status in rows
        if status not in skip and form in crf_registry.REGISTRY
    ]


def row_progress(rows: list[tuple[int, int, str, str]]) -> dict[int, Progress]:
    """Progress of each saved row, counted without reading its data: one query per item
    group for the group rows, one for the marks."""
    totals: dict[int, int] = {}
    by_form: dict[str, list[int]] = defaultdict(list)
    derived: dict[int, frozenset[str]] = {}
    for pk, _pid, _event, form in rows:
        spec = crf_registry.REGISTRY[form]
        # Derived values are not verified at source: they do not count.
        derived[pk] = spec.derived_items
        totals[pk] = len(spec.item_fields) - len(derived[pk])
        if spec.groups:
            by_form[form].append(pk)
    for form, ids in by_form.items():
        spec = crf_registry.REGISTRY[form]
        for group in spec.groups:
            parent = f"{group.parent_field}__form_status"
            counts = (
                group.model._default_manager.filter(**{f"{parent}__in": ids})
                .values_list(parent)
                .annotate(n=Count("pk"))
            )
            for pk, n in counts:
                totals[pk] += n * len(group.item_fields)
    result = {pk: Progress(total=total) for pk, total in totals.items()}
    for (pk, item), changed in _marks(totals).items():
        if item in derived[pk]:
            continue
        if changed:
            result[pk].changed += 1
        else:
            result[pk].verified += 1
    for progress in result.values():
        # A mark may outlive its item (a removed group row): never above 100 %.
        progress.verified = min(progress.verified, progress.total)
    return result


_ROW_COLUMNS = ("pk", "participant_id", "event", "form", "status")


def participant_progress(rows: list[FormStatus]) -> Progress:
    progress = Progress()
    saved = _saved((r.pk, r.participant_id, r.event, r.form, r.status) for r in rows)
    for row in row_progress(saved).values():
        progress.merge(row)
    return progress


@dataclass
class SiteProgress:
    by_form: list[tuple[str, bool, Progress]]
    by_participant: list[tuple[Any, Progress]]
    overall: Progress


def site_progress(participants: list[Any]) -> SiteProgress:
    """Percent verified by form (critical forms first) and by participant."""
    rows = _saved(
        FormStatus.objects.filter(participant__in=participants).values_list(*_ROW_COLUMNS)
    )
    progress = row_progress(rows)
    forms: dict[str, Progress] = defaultdict(Progress)
    critical: dict[str, bool] = {}
    people: dict[int, Progress] = defaultdict(Progress)
    overall = Progress()
    for pk, pid, event, form in rows:
        row_progress_ = progress[pk]
        label = schedule.form_label(form)
        if event == "ELIG" and form == "LAB":
            label = f"{label} (ELIG)"
        forms[label].merge(row_progress_)
        critical[label] = is_critical(event, form)
        people[pid].merge(row_progress_)
        overall.merge(row_progress_)
    by_form = sorted(
        ((label, critical[label], p) for label, p in forms.items()),
        key=lambda item: (not item[1], item[0]),
    )
    by_participant = [(p, people[p.pk]) for p in participants if p.pk in people]
    return SiteProgress(by_form, by_participant, overall)
