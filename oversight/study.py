"""What the oversight page and the DSMB report read, once, as plain records.

A fixed number of queries whatever the number of participants (tests/oversight pin it), each
read limited to the scope (a data manager's every site, a monitor's own) and to the data
cut-off: an observation dated after it (an onset, a sample, a visit, a query opened) is left
out, as are the participants screened after it. Derived values are computed here from the
current data (grades, ratios, responses), never read from a stored copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from dosing import selectors as dosing_selectors
from dosing.models import AdverseEvent
from followup.models import EndOfStudy, FollowUpVisit, RecistAssessment
from imaging import selectors as imaging_selectors
from oversight import memo
from trial import schedule
from trial.models import AuditEntry, FormState, FormStatus, Participant, Query


@dataclass
class Person:
    pk: int
    code: str
    site: str
    status: str
    screening_date: date
    enrolment_date: date | None
    gate_decision: str
    # Event dates up to the cut-off only.
    dates: dict[str, date]

    def plan(self) -> list[schedule.PlannedEvent]:
        return schedule.plan(
            self.status,
            self.gate_decision,
            self.dates,
            screening_date=self.screening_date,
            enrolment_date=self.enrolment_date,
        )


@dataclass(frozen=True)
class Ae:
    participant_id: int
    row_id: int
    repeat: int
    term: str
    soc: str
    grade: int | None
    onset: date | None
    serious: bool
    awareness_at: datetime | None
    reported_at: datetime | None
    outcome: str
    relationships: tuple[str, str, str]


@dataclass(frozen=True)
class Entry:
    """Forms of a dated visit first saved `days` after the visit (`times` of them)."""

    participant_id: int
    visit: date
    days: int
    times: int = 1


@dataclass(frozen=True)
class Recist:
    participant_id: int
    event: str
    imaging_date: date
    change_pct: float | None
    overall: str
    progression_date: date | None


@dataclass(frozen=True)
class Ending:
    status: str
    end_date: date | None
    death_date: date | None


@dataclass
class Study:
    as_of: date
    cutoff: bool  # True when the as-of date is a data cut-off chosen by someone
    moment: datetime  # now, or the end of the cut-off day if earlier
    sites: list[str]
    people: list[Person]
    aes: list[Ae] = field(default_factory=list)
    labs: list[dosing_selectors.GradedLab] = field(default_factory=list)
    queries: list[tuple[int, date, date | None]] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    missed: list[tuple[int, str]] = field(default_factory=list)
    recist: list[Recist] = field(default_factory=list)
    endings: dict[int, Ending] = field(default_factory=dict)
    # (participant, month) -> [items entered, items changed after entry]
    changes: dict[tuple[int, date], list[int]] = field(default_factory=dict)
    ratios: dict[int, float | None] = field(default_factory=dict)
    slots_used: int = 0
    # The read of each participant alone, when the study was put together from them (read
    # outside a transaction): what the indicators' points are computed and kept from.
    parts: list[Part] = field(default_factory=list)
    parts_key: Any = None  # what the parts are kept under (the scope, the day)

    @property
    def by_pk(self) -> dict[int, Person]:
        return {p.pk: p for p in self.people}


def _local_day(moment: datetime | None) -> date | None:
    return None if moment is None else timezone.localtime(moment).date()


def _end_of(day: date) -> datetime:
    """The first instant after the day, in the trial's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def moment_of(as_of: date) -> datetime:
    """Now, or the end of the as-of day when that is earlier (a cut-off in the past)."""
    return min(_end_of(as_of), timezone.now())


def read(participants: Any, sites: Any, as_of: date, *, cutoff: bool = False) -> Study:
    """Everything the page shows for these participants (a queryset) and sites, as of the
    day `as_of` (included), in one read-only transaction at the repeatable read level, so
    that every query sees the same data (a participant registered between two of them is in
    all or none). Outside a transaction, each participant's part of the last read is kept
    while their change mark stays the same (`_marks`): only the participants changed since
    are read again (the same queries, limited to them), so the queries are as many whatever
    the number of participants changed."""
    if connection.in_atomic_block:
        return _read(participants, sites, as_of, cutoff)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _read_by_participant(participants, sites, as_of, cutoff)


@dataclass(eq=False)
class Part:
    """One participant's observations (a Study of them alone, without the trial-wide counts),
    read under `mark`; `kept` keeps what the figures and tables compute from them
    (oversight.risk, oversight.safety), by name."""

    mark: tuple[Any, ...]
    study: Study
    kept: dict[str, Any] = field(default_factory=dict)


# A participant's change mark: their row's transaction id (any change of the journey: event
# dates, status, gate, enrolment), the count and summed versions of their form slots (every
# save, missed visit and deletion of a form raises its slot's version, through the write
# session: the adverse events, labs, visits, PETs, RECIST, end of study and the forms' first
# saves), and the count and summed transaction ids of their queries (opened, answered,
# closed). The ledger's change counts are not in it: they are counted for the whole scope
# (_changes), as the ledger is filed apart from the saves.
_MARKS_SQL = """
SELECT p.id, p.xmin::text, coalesce(f.n, 0), coalesce(f.versions, 0), coalesce(q.n, 0),
       coalesce(q.ids, 0)
FROM %(participants)s p
LEFT JOIN (SELECT participant_id, count(*) AS n, sum(version) AS versions FROM %(slots)s
           WHERE participant_id IN (%(scope)s) GROUP BY 1) f ON f.participant_id = p.id
LEFT JOIN (SELECT participant_id, count(*) AS n, sum(xmin::text::bigint) AS ids FROM %(queries)s
           WHERE participant_id IN (%(scope)s) GROUP BY 1) q ON q.participant_id = p.id
WHERE p.id IN (%(scope)s)
"""


def _marks(scope: Any) -> dict[int, tuple[Any, ...]]:
    inner, params = scope.values("pk").query.sql_with_params()
    sql = _MARKS_SQL % {
        "participants": Participant._meta.db_table,
        "slots": FormStatus._meta.db_table,
        "queries": Query._meta.db_table,
        "scope": inner,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *params, *params])
        return {row[0]: tuple(row[1:]) for row in cursor}


def _read_by_participant(participants: Any, sites: Any, as_of: date, cutoff: bool) -> Study:
    scope = participants.filter(screening_date__lte=as_of)
    marks = _marks(scope)
    key = ("parts", str(scope.query), as_of, cutoff)
    kept = memo.peek(key)
    before: dict[int, Part] = kept if isinstance(kept, dict) else {}
    changed = [pid for pid, mark in marks.items() if pid not in before or before[pid].mark != mark]
    fresh: dict[int, Study] = {}
    if changed:
        # Participants filtered by their ids and by the scope's own filter: the same rows.
        read = _read(scope.filter(pk__in=changed), sites, as_of, cutoff, whole=False)
        fresh = _split(read)
    parts = {pid: Part(marks[pid], fresh[pid]) if pid in fresh else before[pid] for pid in marks}
    memo.put(key, parts)
    ordered = sorted(parts.values(), key=lambda part: part.study.people[0].code)
    end = _end_of(as_of)
    study = Study(
        as_of,
        cutoff,
        moment_of(as_of),
        list(sites.order_by("code").values_list("code", flat=True)),
        [part.study.people[0] for part in ordered],
        parts=ordered,
        parts_key=key,
    )
    by_pk = sorted(ordered, key=lambda part: part.study.people[0].pk)
    for part in by_pk:
        one = part.study
        study.aes += one.aes
        study.labs += one.labs
        study.queries += one.queries
        study.entries += one.entries
        study.missed += one.missed
        study.recist += one.recist
        study.endings.update(one.endings)
        study.ratios.update(one.ratios)
    people_ids = tuple(p.pk for p in study.people)
    study.changes = _changes(scope, end, people_ids)
    study.slots_used = _slots_held(as_of)
    return study


def _split(read: Study) -> dict[int, Study]:
    """A read of several participants as one Study per participant."""
    alone = {
        person.pk: Study(read.as_of, read.cutoff, read.moment, read.sites, [person])
        for person in read.people
    }
    for ae in read.aes:
        alone[ae.participant_id].aes.append(ae)
    for lab in read.labs:
        alone[lab.participant_id].labs.append(lab)
    for query in read.queries:
        alone[query[0]].queries.append(query)
    for entry in read.entries:
        alone[entry.participant_id].entries.append(entry)
    for missed in read.missed:
        alone[missed[0]].missed.append(missed)
    for assessment in read.recist:
        alone[assessment.participant_id].recist.append(assessment)
    for pid, ending in read.endings.items():
        alone[pid].endings[pid] = ending
    for pid, ratio in read.ratios.items():
        alone[pid].ratios[pid] = ratio
    return alone


def _read(participants: Any, sites: Any, as_of: date, cutoff: bool, *, whole: bool = True) -> Study:
    """The read's queries; `whole`: with the sites and the trial-wide counts too (the
    ledger's change counts, the IAH slots held), which a read of some participants only
    leaves out."""
    scope = participants.filter(screening_date__lte=as_of)
    ids = scope.values("pk")
    people = [
        Person(
            pk,
            code,
            site,
            status,
            screening,
            enrolment if enrolment and enrolment <= as_of else None,
            gate,
            {
                event: day
                for event, text in (dates or {}).items()
                if (day := date.fromisoformat(text)) <= as_of
            },
        )
        for pk, code, site, status, screening, enrolment, gate, dates in scope.order_by(
            "code"
        ).values_list(
            "pk",
            "code",
            "site__code",
            "status",
            "screening_date",
            "enrolment_date",
            "gate_decision",
            "event_dates",
        )
    ]
    end = _end_of(as_of)
    # A read of some participants only is put together with the sites read once for all.
    site_codes = list(sites.order_by("code").values_list("code", flat=True)) if whole else []
    study = Study(as_of, cutoff, moment_of(as_of), site_codes, people)

    aes = (
        AdverseEvent.objects.filter(form_status__participant__in=ids)
        .exclude(form_status__status=FormState.DELETED)
        .exclude(onset_date=None)
        .filter(onset_date__lte=as_of)
        .order_by("form_status__participant_id", "onset_date", "form_status__repeat")
        .values_list(
            "form_status__participant_id",
            "form_status_id",
            "form_status__repeat",
            "term",
            "soc",
            "grade",
            "onset_date",
            "serious",
            "awareness_at",
            "reported_to_sponsor_at",
            "outcome",
            "relationship_iv_lutathera",
            "relationship_iah_procedure",
            "relationship_iah_lutathera",
        )
    )
    study.aes = [
        Ae(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8], r[9], r[10], r[11:14])
        for r in aes
    ]
    study.labs = dosing_selectors.graded_labs(scope, until=as_of)
    study.queries = [
        (pid, timezone.localtime(opened).date(), _local_day(closed))
        for pid, opened, closed in Query.objects.filter(participant__in=ids, opened_at__lt=end)
        .order_by("pk")
        .values_list("participant_id", "opened_at", "closed_at")
    ]
    study.entries = _entries(scope, as_of)
    study.missed = list(
        FollowUpVisit.objects.filter(form_status__participant__in=ids, missed=True)
        .exclude(form_status__status=FormState.DELETED)
        .values_list("form_status__participant_id", "form_status__event")
    )
    study.recist = [
        Recist(pid, event, day, None if pct is None else float(pct), overall or "", progression)
        for pid, event, day, pct, overall, progression in RecistAssessment.objects.filter(
            form_status__participant__in=ids, imaging_date__lte=as_of
        )
        .exclude(form_status__status=FormState.DELETED)
        .order_by("form_status__participant_id", "imaging_date", "pk")
        .values_list(
            "form_status__participant_id",
            "form_status__event",
            "imaging_date",
            "change_baseline_pct",
            "overall_response",
            "progression_date",
        )
        if day is not None
    ]
    study.endings = {
        pid: Ending(status, end_date, death if death and death <= as_of else None)
        for pid, status, end_date, death in EndOfStudy.objects.filter(
            form_status__participant__in=ids, end_date__lte=as_of
        )
        .exclude(form_status__status=FormState.DELETED)
        .values_list("form_status__participant_id", "status", "end_date", "death_date")
    }
    by_pk = study.by_pk
    study.ratios = {
        row.participant_id: row.patient_ratio
        for _code, row in imaging_selectors.study_rows(scope)
        if "PET-IV" in by_pk.get(row.participant_id, _NOBODY).dates
    }
    if whole:
        study.changes = _count_changes(scope, end)
        study.slots_used = _slots_held(as_of)
    return study


_NOBODY = Person(0, "", "", "", date.min, None, "", {})


def _slots_held(as_of: date) -> int:
    """The IAH slots held across the trial (every site: the cap is the trial's) at the end of
    the as-of day, as imaging.selectors.iah_slots counts them now: a dose given, or a
    "proceed" standing without a dose yet (its GATE date by then)."""
    held = 0
    rows = Participant.objects.filter(
        Q(event_dates__has_key="IAH") | Q(gate_decision=schedule.PROCEED)
    ).values_list("event_dates", "gate_decision")
    for dates, decision in rows:
        # Held by then: the dose given by then, or the "proceed" decided by then.
        days = [dates.get("IAH"), dates.get("GATE") if decision == schedule.PROCEED else None]
        held += any(day and date.fromisoformat(day) <= as_of for day in days)
    return held


# Each form of a dated visit (not the logs), with the days from the visit (the event's date on
# the participant) to its first save, in the trial's time zone; identical ones counted.
_ENTRIES_SQL = """
SELECT fs.participant_id, (p.event_dates ->> fs.event)::date AS visit,
       (fs.first_saved_at AT TIME ZONE %%s)::date - (p.event_dates ->> fs.event)::date,
       count(*)
FROM %(slots)s fs JOIN %(participants)s p ON p.id = fs.participant_id
WHERE fs.participant_id IN (%(scope)s) AND fs.first_saved_at IS NOT NULL
  AND fs.event <> %%s AND fs.status <> %%s AND p.event_dates ? fs.event
  AND (p.event_dates ->> fs.event)::date <= %%s
GROUP BY 1, 2, 3
"""


def _entries(scope: Any, as_of: date) -> list[Entry]:
    inner, params = scope.values("pk").query.sql_with_params()
    sql = _ENTRIES_SQL % {
        "slots": FormStatus._meta.db_table,
        "participants": Participant._meta.db_table,
        "scope": inner,
    }
    zone = timezone.get_current_timezone_name()
    with connection.cursor() as cursor:
        cursor.execute(sql, [zone, *params, schedule.LOG_EVENT, FormState.DELETED, as_of])
        return [Entry(pid, visit, days, times) for pid, visit, days, times in cursor]


# Items entered (a first value) and items changed after entry (a change from a value), per
# participant and month, from the audit ledger (trial/ledger.py), in one statement; %(above)s
# limits it to the entries after a given id.
_CHANGES_SQL = """
SELECT participant_id,
       date_trunc('month', at AT TIME ZONE %%s)::date,
       count(*) FILTER (WHERE old_value IS NULL AND new_value IS NOT NULL),
       count(*) FILTER (WHERE corrections > 0 AND old_value IS NOT NULL)
FROM %(ledger)s
WHERE kind IN ('item', 'group') AND participant_id IN (%(scope)s) AND at < %%s
  AND id > %%s
GROUP BY 1, 2
"""

Changes = dict[tuple[int, date], list[int]]


def _count_changes(scope: Any, end: datetime, above: int = 0) -> Changes:
    inner, params = scope.values("pk").query.sql_with_params()
    sql = _CHANGES_SQL % {"ledger": AuditEntry._meta.db_table, "scope": inner}
    zone = timezone.get_current_timezone_name()
    with connection.cursor() as cursor:
        cursor.execute(sql, [zone, *params, end, above])
        return {(pid, month): [entered, changed] for pid, month, entered, changed in cursor}


@dataclass(frozen=True)
class _Counted:
    last: int  # the highest id of an item or group entry counted
    changes: Changes


# The ledger's kinds the change counts read (_CHANGES_SQL).
_COUNTED_KINDS = ("item", "group")


def _changes(scope: Any, end: datetime, people: tuple[int, ...]) -> Changes:
    """The ledger's counts. The ledger is append-only (no row is ever deleted), so with the
    counts of an earlier read (the highest id of an item or group entry then), only the
    entries after that id are read. Those entries are written by the filing only, one filing
    at a time to its commit (trial/ledger.py: edc_review_file takes its advisory lock for the
    transaction), and the page files before it reads: an entry that appears later has a
    higher id than every one seen, so none is missed. (The login log's entries, written by
    its own trigger in any order, are of kind "auth" and not read here.)"""
    key = ("changes", str(scope.query), end, people)
    last = AuditEntry.objects.filter(kind__in=_COUNTED_KINDS).aggregate(last=Max("pk"))["last"] or 0
    before = memo.peek(key)
    if isinstance(before, _Counted) and before.last <= last:
        # The entries after the last counted, none as often as some: one query either way.
        merged = {k: list(v) for k, v in before.changes.items()}
        for k, (entered, changed) in _count_changes(scope, end, before.last).items():
            counts = merged.setdefault(k, [0, 0])
            counts[0] += entered
            counts[1] += changed
        memo.put(key, _Counted(last, merged))
        return merged
    counted = _Counted(last, _count_changes(scope, end))
    memo.put(key, counted)
    return counted.changes
