"""EX, Exposure: each LUTATHERA administration, the four IV cycles and the IAH dose.

A cancelled cycle gave nothing and has no record (the cancellation is in the ODM and in the
AE's action taken). The activity is the administered one: as recorded for an IV cycle, the
net activity (measured before minus residual after, both decayed to the infusion start) for
the IAH dose.
"""

from __future__ import annotations

from typing import Any

from submission import codelists as cl
from submission.domains.common import (
    base,
    finish,
    identifiers,
    seq,
    study_day_variable,
    visit_variables,
    with_visit,
)
from submission.metadata import ASSIGNED, Domain, Variable, collected, number
from submission.study import Study, Subject

TREATMENT = "LUTETIUM (177LU) OXODOTREOTIDE"
CYCLES = ("C1", "C2", "C3", "C4")
CANCELLED = "cancelled"
ADJUSTED = ("delayed", "reduced")

DOMAIN = Domain(
    "EX",
    "Exposure",
    "INTERVENTIONS",
    "One record per administration per subject",
    (
        *identifiers("EX"),
        seq("EX"),
        Variable(
            "EXTRT",
            "Name of Treatment",
            "text",
            ASSIGNED,
            "Topic",
            "Req",
            comment="LUTATHERA, by its INN.",
        ),
        Variable(
            "EXCAT",
            "Category of Treatment",
            "text",
            ASSIGNED,
            "Grouping Qualifier",
            "Perm",
            comment="IV CYCLE (standard of care, C1-C4) or IAH DOSE (the trial's 5th dose).",
        ),
        Variable(
            "EXDOSE",
            "Dose",
            "float",
            collected("CYCLE", "IAHDOSE"),
            "Record Qualifier",
            "Exp",
            comment="IAH dose: the net administered activity the EDC derives on save.",
        ),
        Variable("EXDOSU", "Dose Units", "text", ASSIGNED, "Variable Qualifier", "Exp", cl.UNIT),
        Variable("EXDOSFRM", "Dose Form", "text", ASSIGNED, "Variable Qualifier", "Exp"),
        Variable(
            "EXROUTE",
            "Route of Administration",
            "text",
            ASSIGNED,
            "Variable Qualifier",
            "Perm",
            cl.ROUTE,
        ),
        Variable(
            "EXADJ",
            "Reason for Dose Adjustment",
            "text",
            collected("CYCLE"),
            "Record Qualifier",
            "Perm",
        ),
        *visit_variables(),
        Variable(
            "EXSTDTC",
            "Start Date/Time of Treatment",
            "partialDatetime",
            collected("CYCLE", "IAHDOSE"),
            "Timing",
            "Exp",
        ),
        Variable(
            "EXENDTC",
            "End Date/Time of Treatment",
            "partialDatetime",
            collected("CYCLE", "IAHDOSE"),
            "Timing",
            "Perm",
        ),
        study_day_variable("EXSTDY", "Study Day of Start of Treatment", "EXSTDTC"),
        study_day_variable("EXENDY", "Study Day of End of Treatment", "EXENDTC"),
    ),
)


def _cycle(subject: Subject, event: str, values: dict[str, Any]) -> dict[str, Any] | None:
    if values.get("dose_modification") == CANCELLED or values.get("administered_gbq") is None:
        return None
    day = subject.dtc(values.get("administration_date"))
    adjusted = values.get("dose_modification") in ADJUSTED
    reason = (values.get("modification_reason") or "").upper() if adjusted else ""
    record = with_visit(base("EX", subject), event)
    record.update(
        EXTRT=TREATMENT,
        EXCAT="IV CYCLE",
        EXDOSE=number(values["administered_gbq"]),
        EXDOSU="GBq",
        EXDOSFRM="SOLUTION",
        EXROUTE="INTRAVENOUS",
        EXADJ=(f"{values['dose_modification'].upper()}: {reason}" if adjusted else None),
        EXSTDTC=day,
        EXENDTC=day,
        EXSTDY=subject.day(day),
        EXENDY=subject.day(day),
    )
    return record


def _iah(subject: Subject, values: dict[str, Any]) -> dict[str, Any] | None:
    if values.get("net_administered_gbq") is None:
        return None
    start = subject.dtc(values.get("infusion_start") or values.get("infusion_date"))
    end = subject.dtc(values.get("infusion_end")) or start
    record = with_visit(base("EX", subject), "IAH")
    record.update(
        EXTRT=TREATMENT,
        EXCAT="IAH DOSE",
        EXDOSE=number(values["net_administered_gbq"]),
        EXDOSU="GBq",
        EXDOSFRM="SOLUTION",
        EXROUTE="INTRA-ARTERIAL",
        EXSTDTC=start,
        EXENDTC=end,
        EXSTDY=subject.day(start),
        EXENDY=subject.day(end),
    )
    return record


def subject_records(study: Study, subject: Subject) -> list[dict[str, Any]]:
    found = []
    for event in CYCLES:
        entry = study.form_of(subject, "CYCLE", event)
        if entry is not None and (record := _cycle(subject, event, entry.values)):
            found.append(record)
    entry = study.form_of(subject, "IAHDOSE", "IAH")
    if entry is not None and (record := _iah(subject, entry.values)):
        found.append(record)
    return found


def records(study: Study) -> list[dict[str, Any]]:
    found = [r for subject in study.subjects for r in subject_records(study, subject)]
    return finish(DOMAIN, found, key=lambda r: (r["EXSTDTC"] or "", r["VISITNUM"] or 0))
