"""Read-only queries of the dosing data that other apps and pages use.

Each runs a fixed number of queries whatever the number of forms (a test pins it).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection

from dosing import labs
from dosing.models import (
    AdverseEvent,
    CycleAdministration,
    DoseModification,
    IahDose,
    LabPanel,
)
from trial import crf, schedule
from trial.models import FormState, FormStatus, Participant
from trial.rowsql import Columns, build_row

CYCLE_EVENTS = ("C1", "C2", "C3", "C4")


# The two reads the eligibility signature check makes on every save a signature covers, as
# statements built once from the models: the ORM's compiling them cost more than running them.
_CYCLE_COLUMNS = (
    "form_status__event",
    "form_status__status",
    "administration_date",
    "dose_modification",
    "modification_reason",
    "residual_uptake",
)


def _columns(model: Any, names: Iterable[str], alias: str) -> str:
    return ", ".join(f"{alias}.{model._meta.get_field(name).column}" for name in names)


@functools.cache
def _lab_sql() -> str:
    fk = LabPanel._meta.get_field("form_status").column
    return (
        f"SELECT {_columns(LabPanel, labs.CANONICAL_FIELDS, 'l')} "
        f"FROM {LabPanel._meta.db_table} l JOIN {FormStatus._meta.db_table} fs ON fs.id = l.{fk} "
        "WHERE fs.participant_id = %s AND fs.event = %s AND fs.form = 'LAB' "
        "AND fs.status <> %s ORDER BY fs.repeat LIMIT 1"
    )


@functools.cache
def _cycle_sql() -> str:
    fk = CycleAdministration._meta.get_field("form_status").column
    return (
        f"SELECT fs.event, fs.status, {_columns(CycleAdministration, _CYCLE_COLUMNS[2:], 'c')} "
        f"FROM {CycleAdministration._meta.db_table} c "
        f"JOIN {FormStatus._meta.db_table} fs ON fs.id = c.{fk} "
        "WHERE fs.participant_id = %s AND fs.event = ANY(%s) AND fs.form = 'CYCLE'"
    )


def lab_items(participant: Participant, event: str = "ELIG") -> dict[str, object]:
    """{"LAB.<field>": value} of the participant's lab panel at `event` (one query).

    Canonical units (see dosing.labs.CANONICAL_FIELDS); every key is present, None when the value
    (or the whole panel) has not been entered. Drafts count: the eligibility page shows what is
    entered so far, the sign-off requires complete forms on its own.
    """
    # The panel the running save has just stored (the first repeat, so the one the query
    # would find) is not read again.
    panel = crf.stored_slot(participant.pk, event, "LAB", 1)
    if panel is not None:
        row = tuple(getattr(panel, name) for name in labs.CANONICAL_FIELDS)
    else:
        with connection.cursor() as cursor:
            cursor.execute(_lab_sql(), [participant.pk, event, FormState.DELETED])
            row = cursor.fetchone()
    row = row or (None,) * len(labs.CANONICAL_FIELDS)
    return {f"LAB.{name}": value for name, value in zip(labs.CANONICAL_FIELDS, row, strict=True)}


def cycle_facts(participant: Participant) -> list[dict[str, Any]]:
    """One dict per IV cycle C1-C4, in order (one query).

    Keys: number, administered (the form is complete and the cycle was not cancelled),
    administration_date, dose_modification ("none" when not entered), modification_reason
    (None when not entered), residual_uptake (None when not entered). A cycle whose form is not
    complete yet is reported with administered False.
    """
    with connection.cursor() as cursor:
        cursor.execute(_cycle_sql(), [participant.pk, list(CYCLE_EVENTS)])
        recorded = {row[0]: dict(zip(_CYCLE_COLUMNS, row, strict=True)) for row in cursor}
    facts = []
    for number, event in enumerate(CYCLE_EVENTS, start=1):
        cycle = recorded.get(event)
        if cycle is None:
            facts.append(
                {
                    "number": number,
                    "administered": False,
                    "administration_date": None,
                    "dose_modification": DoseModification.NONE.value,
                    "modification_reason": None,
                    "residual_uptake": None,
                }
            )
            continue
        complete = cycle["form_status__status"] == FormState.COMPLETE
        modification = cycle["dose_modification"]
        facts.append(
            {
                "number": number,
                "administered": complete and modification != DoseModification.CANCELLED,
                "administration_date": cycle["administration_date"],
                "dose_modification": modification or DoseModification.NONE.value,
                "modification_reason": cycle["modification_reason"] or None,
                "residual_uptake": cycle["residual_uptake"],
            }
        )
    return facts


# The participant page's adverse-event card, written out: the ORM took longer to build and
# compile this (the row with its adverse event) than PostgreSQL took to run it.
_AE_SQL = """
SELECT {row}, {event}
FROM {rows} f
LEFT JOIN {events} ae ON ae.{link} = f.id
WHERE f.participant_id = %s AND f.event = %s AND f.form = 'AE' AND NOT (f.status = %s)
ORDER BY f.repeat
"""


@functools.cache
def _ae_statement() -> tuple[str, tuple[Columns, Columns]]:
    columns = Columns(FormStatus, "f"), Columns(AdverseEvent, "ae")
    sql = _AE_SQL.format(
        row=columns[0].sql,
        event=columns[1].sql,
        rows=connection.ops.quote_name(FormStatus._meta.db_table),
        events=connection.ops.quote_name(AdverseEvent._meta.db_table),
        link=connection.ops.quote_name(AdverseEvent._meta.get_field("form_status").column),
    )
    return sql, columns


def ae_summary(participant: Participant) -> list[dict[str, Any]]:
    """The participant's adverse events for the participant page (one query).

    Keys: row (the form-status row, for the link), term, specify, highest_grade (the grade
    form records the worst grade reached), serious, ongoing, onset_date, end_date, deadline
    (when a serious AE must reach the sponsor, None once reported), status. A deleted entry
    is not listed; an entry not yet saved has its row and no values.
    """
    sql, columns = _ae_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [participant.pk, schedule.LOG_EVENT, FormState.DELETED.value])
        found = cursor.fetchall()
    summary = []
    for values in found:
        row, event = build_row(values, columns)
        summary.append(
            {
                "row": row,
                "term": event.term if event else "",
                "specify": event.term_specify if event else "",
                "highest_grade": event.grade if event else None,
                "serious": event.serious if event else None,
                "ongoing": event.ongoing if event else False,
                "onset_date": event.onset_date if event else None,
                "end_date": event.end_date if event else None,
                "deadline": event.reporting_deadline if event else None,
                "status": row.status,
            }
        )
    return summary


@dataclass(frozen=True)
class GradedLab:
    """One graded lab value: its CTCAE v5 term and grade (0: below grade 1)."""

    participant_id: int
    event: str
    sample_date: date
    term: str
    grade: int
    baseline: bool  # the participant's earliest panel (by sample date)


def graded_labs(participants: Any, until: date | None = None) -> list[GradedLab]:
    """Every gradable lab value of the participants (`participants`: a queryset, the scope)
    with a sample date (up to `until`), graded as the lab page grades it (dosing.labs.grade,
    each later panel against the participant's earliest one): one query."""
    panels = (
        LabPanel.objects.filter(form_status__participant__in=participants.values("pk"))
        .exclude(form_status__status=FormState.DELETED)
        .exclude(sample_date=None)
        .order_by("form_status__participant_id", "sample_date", "form_status_id")
        .values_list("form_status__participant_id", "form_status__event", *labs.CANONICAL_FIELDS)
    )
    if until is not None:
        panels = panels.filter(sample_date__lte=until)
    found: list[GradedLab] = []
    first: dict[str, Any] | None = None
    current = None
    for pid, event, *values in panels:
        panel = dict(zip(labs.CANONICAL_FIELDS, values, strict=True))
        is_baseline = pid != current
        if is_baseline:
            current, first = pid, panel
        graded = labs.grades(panel, None if is_baseline else first)
        for result in graded.values():
            if result.grade is not None:
                found.append(
                    GradedLab(
                        pid, event, panel["sample_date"], result.term, result.grade, is_baseline
                    )
                )
    return found


def _iah_dose(participant: Participant) -> dict[str, Any]:
    found = IahDose.objects.filter(form_status__participant=participant).values(
        "infusion_start", "net_administered_gbq"
    )
    rows = list(found)
    return dict(rows[0]) if rows else {}


def iah_infusion(participant: Participant) -> Any:
    """The IAH infusion's start (a datetime), or None: the dosimetry's time zero."""
    return _iah_dose(participant).get("infusion_start")


def iah_net_activity_mbq(participant: Participant) -> Any:
    """The IAH dose's net administered activity in MBq, or None."""
    gbq = _iah_dose(participant).get("net_administered_gbq")
    return None if gbq is None else gbq * 1000


def iah_dose_facts(participant: Participant) -> tuple[Any, Any]:
    """Both IAH facts the dosimetry reads, in one query: (infusion start, net MBq)."""
    dose = _iah_dose(participant)
    gbq = dose.get("net_administered_gbq")
    return dose.get("infusion_start"), None if gbq is None else gbq * 1000


# --- An adverse event's causality, signed by the investigator (PROTOCOL.md section 6) -------

CAUSALITY_KIND = "ae_causality"
CAUSALITY_ITEMS = (
    "relationship_iv_lutathera",
    "relationship_iah_procedure",
    "relationship_iah_lutathera",
)
# The event's identity, signed with its relationships: a causality is of this event.
CAUSALITY_IDENTITY = ("term", "term_specify", "onset_date")


def causality_due(dates: dict[str, Any]) -> tuple[str, ...]:
    """The relationships an adverse event must state, by the participant's journey (event
    dates): to the IV cycles always; to the IAH procedure once the IAH angiography (PET-IAH)
    or the IAH dose happened; to IAH LUTATHERA once the dose was given."""
    due = ["relationship_iv_lutathera"]
    if "PET-IAH" in dates or "IAH" in dates:
        due.append("relationship_iah_procedure")
    if "IAH" in dates:
        due.append("relationship_iah_lutathera")
    return tuple(due)


def causality_payload(participant: Participant, row: Any) -> dict[str, Any]:
    """What the investigator signs for one adverse event (one query): the event as recorded
    (term, onset) and its three relationships; a change of any of them breaks the
    signature."""
    values = (
        AdverseEvent.objects.filter(form_status=row)
        .values(*CAUSALITY_IDENTITY, *CAUSALITY_ITEMS)
        .first()
    ) or dict.fromkeys((*CAUSALITY_IDENTITY, *CAUSALITY_ITEMS))
    return {"entry": f"{row.event}/{row.form}/{row.repeat}", **values}


def causality_covers(row: Any) -> bool:
    return row.form == "AE"
