"""What every domain mapping shares: the identifier variables, visits, sequence numbers and
the sort, and the one function that names a RECIST lesion."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

from submission import codelists as cl
from submission.metadata import ASSIGNED, Domain, Variable, derived
from submission.study import Subject
from trial import crf as crf_registry
from trial import schedule


def studyid() -> str:
    return settings.TRIAL_NUMBER


def identifiers(code: str) -> tuple[Variable, ...]:
    return (
        Variable("STUDYID", "Study Identifier", "text", ASSIGNED, "Identifier", "Req"),
        Variable("DOMAIN", "Domain Abbreviation", "text", ASSIGNED, "Identifier", "Req", cl.DOMAIN),
        Variable(
            "USUBJID",
            "Unique Subject Identifier",
            "text",
            derived("STUDYID, a hyphen, then the participant code (site code and number)."),
            "Identifier",
            "Req",
        ),
    )


def seq(code: str) -> Variable:
    return Variable(
        f"{code}SEQ",
        "Sequence Number",
        "integer",
        ASSIGNED,
        "Identifier",
        "Req",
    )


def visit_variables() -> tuple[Variable, ...]:
    return (
        Variable(
            "VISITNUM",
            "Visit Number",
            "integer",
            derived("The event's rank in the protocol's schedule (SCR = 1, C1 = 2, ...)."),
            "Timing",
            "Exp",
        ),
        Variable(
            "VISIT",
            "Visit Name",
            "text",
            derived("The event's name in the protocol's schedule, in capitals."),
            "Timing",
            "Perm",
        ),
    )


def study_day_variable(name: str, label: str, of: str) -> Variable:
    return Variable(
        name,
        label,
        "integer",
        derived(
            f"Days from RFSTDTC to {of} (dates only): day 1 is RFSTDTC's day, the day before "
            "is -1; no day 0."
        ),
        "Timing",
        "Perm",
    )


def visit(event: str) -> tuple[int | None, str | None]:
    """(VISITNUM, VISIT) of an event of the schedule; (None, None) for the logs (AE, CM)."""
    if event not in schedule.EVENT_ORDER:
        return None, None
    return schedule.EVENT_ORDER[event] + 1, schedule.EVENTS_BY_CODE[event].name.upper()


def base(domain: str, subject: Subject) -> dict[str, Any]:
    return {"STUDYID": studyid(), "DOMAIN": domain, "USUBJID": subject.usubjid}


def with_visit(record: dict[str, Any], event: str) -> dict[str, Any]:
    record["VISITNUM"], record["VISIT"] = visit(event)
    return record


def finish(
    domain: Domain, records: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any]
) -> list[dict[str, Any]]:
    """Give every record every variable of the domain (None where it has no value), sort by
    subject then `key`, and number --SEQ within each subject."""
    complete = []
    for record in records:
        unknown = set(record) - set(domain.names)
        if unknown:
            raise ValueError(f"{domain.code}: variables not declared: {sorted(unknown)}")
        complete.append({name: record.get(name) for name in domain.names})
    ordered = sorted(complete, key=lambda r: (r["USUBJID"], key(r)))
    seq_name = f"{domain.code}SEQ"
    current, count = None, 0
    for record in ordered:
        if record["USUBJID"] != current:
            current, count = record["USUBJID"], 0
        count += 1
        if seq_name in record:
            record[seq_name] = count
    return ordered


def lesion_id(form: str, group: str, key: Any) -> str:
    """TULNKID / TRLNKID (and the XE lesions' --SPID) of a lesion: its permanent label, as
    the item group gives it (T2, NT1, L3, E4), the label the form, History and the PDFs
    show. A row keeps its label for good (trial.crf.ItemGroup.prefix), and a follow-up
    measurement carries its baseline lesion's number, so the link holds across visits."""
    spec = crf_registry.get(form)
    if spec is None:
        raise KeyError(form)
    return spec.group(group).label_of(key)
