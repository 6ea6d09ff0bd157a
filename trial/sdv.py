"""Source-data verification as the pages read it: each item verified, not yet, or changed
after verification; progress per form, participant and site, critical items first.

Derived, not stored: an item is verified while its latest mark holds its current value, so a
later change clears exactly that item's verification without any write on the save path.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from trial import crf as crf_registry
from trial import queries
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


def is_critical(row: FormStatus) -> bool:
    return row.form in CRITICAL_FORMS or (row.event, row.form) in CRITICAL_EVENT_FORMS


def _latest_marks(rows: list[FormStatus]) -> dict[tuple[int, str], SdvMark]:
    latest: dict[tuple[int, str], SdvMark] = {}
    marks = SdvMark.objects.filter(row__in=[r.pk for r in rows]).order_by("verified_at", "pk")
    for mark in marks:
        latest[(mark.row_id, mark.item)] = mark
    return latest


def item_states(rows: list[FormStatus]) -> dict[int, dict[str, str]]:
    """Each saved row's items and their state (one query per form model, plus the marks)."""
    saved = [r for r in rows if r.status not in (FormState.NOT_STARTED, FormState.DELETED)]
    snapshot = crf_registry.snapshot(saved)
    latest = _latest_marks(saved)
    result: dict[int, dict[str, str]] = {}
    for row in saved:
        values = snapshot.get(row.pk)
        if values is None:
            continue
        plain = queries.plain_items(row, values)
        states = {}
        for item, value in plain.items():
            mark = latest.get((row.pk, item))
            if mark is None:
                states[item] = TO_VERIFY
            else:
                states[item] = VERIFIED if mark.value == value else CHANGED
        result[row.pk] = states
    return result


@dataclass
class Progress:
    verified: int = 0
    total: int = 0
    changed: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.verified / self.total) if self.total else 0

    def add(self, states: dict[str, str]) -> None:
        self.total += len(states)
        self.verified += sum(1 for s in states.values() if s == VERIFIED)
        self.changed += sum(1 for s in states.values() if s == CHANGED)


def participant_progress(rows: list[FormStatus]) -> Progress:
    progress = Progress()
    for states in item_states(rows).values():
        progress.add(states)
    return progress


@dataclass
class SiteProgress:
    by_form: list[tuple[str, bool, Progress]]
    by_participant: list[tuple[Any, Progress]]
    overall: Progress


def site_progress(participants: list[Any]) -> SiteProgress:
    """Percent verified by form (critical forms first) and by participant."""
    rows = list(
        FormStatus.objects.filter(participant__in=participants).select_related("participant")
    )
    states = item_states(rows)
    forms: dict[str, Progress] = defaultdict(Progress)
    critical: dict[str, bool] = {}
    people: dict[int, Progress] = defaultdict(Progress)
    overall = Progress()
    for row in rows:
        row_states = states.get(row.pk)
        if not row_states:
            continue
        label = row.label if row.event != "ELIG" or row.form != "LAB" else f"{row.label} (ELIG)"
        forms[label].add(row_states)
        critical[label] = is_critical(row)
        people[row.participant_id].add(row_states)
        overall.add(row_states)
    by_form = sorted(
        ((label, critical[label], p) for label, p in forms.items()),
        key=lambda item: (not item[1], item[0]),
    )
    by_participant = [(p, people[p.pk]) for p in participants if p.pk in people]
    return SiteProgress(by_form, by_participant, overall)
