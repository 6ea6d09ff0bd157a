"""The trial's data as the domain mappings read it: the participants in scope, and every
entered form with its stored values (trial.crf.snapshot: the values as the ODM Snapshot and
the signatures read them, items and item-group rows alike).

Read once per package: a fixed number of queries (one per form model and item group),
however many participants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from submission import iso8601
from trial import crf as crf_registry
from trial.models import FormState, FormStatus, Participant


def usubjid(code: str) -> str:
    """STUDYID-participant code: the code carries no name, hospital number or date."""
    return f"{settings.TRIAL_NUMBER}-{code}"


@dataclass
class Subject:
    pk: int
    code: str
    site: str
    zone: ZoneInfo
    status: str
    gate_decision: str
    screening_date: date
    enrolment_date: date | None
    event_dates: dict[str, date]

    @property
    def usubjid(self) -> str:
        return usubjid(self.code)

    @property
    def rfstdtc(self) -> str | None:
        """The reference start date: the enrolment date (the investigator's eligibility
        sign-off). Protocol procedures start there (the PET-IAH needs an enrolled
        participant); C1-C4 are standard care entered from the records, some of them given
        before consent; a screen failure has none (SDTMIG: null for those not treated)."""
        return iso8601.dtc(self.enrolment_date)

    def dtc(self, value: Any) -> str | None:
        return iso8601.dtc(value, self.zone)

    def day(self, dtc: str | None) -> int | None:
        return iso8601.study_day(dtc, self.rfstdtc)


@dataclass
class Entry:
    """One entered form of one subject: its slot (event, form, repeat) and stored values."""

    subject: Subject
    event: str
    form: str
    repeat: int
    status: str
    values: dict[str, Any] = field(default_factory=dict)

    def group(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        """An item group's rows as (repeat key, items), in repeat-key order."""
        rows = self.values.get(name) or {}
        return sorted(rows.items(), key=lambda kv: (len(kv[0]), kv[0]))


class Study:
    def __init__(self, participant_ids: list[int] | None = None) -> None:
        participants = Participant.objects.select_related("site").order_by("code")
        if participant_ids is not None:
            participants = participants.filter(pk__in=participant_ids)
        self.subjects = [
            Subject(
                pk=p.pk,
                code=p.code,
                site=p.site.code,
                zone=ZoneInfo(p.site.time_zone),
                status=p.status,
                gate_decision=p.gate_decision,
                screening_date=p.screening_date,
                enrolment_date=p.enrolment_date,
                event_dates=p.dates,
            )
            for p in participants
        ]
        by_pk = {s.pk: s for s in self.subjects}
        # Every form that holds data; a deleted log entry is gone from the datasets (it
        # stays in the audit trail and the ODM Transactional file).
        rows = list(
            FormStatus.objects.filter(participant_id__in=list(by_pk))
            .exclude(status__in=(FormState.NOT_STARTED, FormState.DELETED))
            .order_by("participant__code", "event", "form", "repeat")
        )
        stored = crf_registry.snapshot(rows)
        self.entries = [
            Entry(by_pk[r.participant_id], r.event, r.form, r.repeat, r.status, stored[r.pk])
            for r in rows
            if r.pk in stored
        ]
        self._index: dict[tuple[int, str, str], Entry] = {}
        for entry in self.entries:
            self._index.setdefault((entry.subject.pk, entry.form, entry.event), entry)

    def forms(self, *codes: str) -> list[Entry]:
        return [e for e in self.entries if e.form in codes]

    def form_of(self, subject: Subject, code: str, event: str) -> Entry | None:
        """The subject's form `code` at `event` (its first repeat)."""
        return self._index.get((subject.pk, code, event))
