"""VS, Vital Signs: height and weight at screening, the eligibility vital signs, the weight of
each 68Ga PET (the SUVs' denominator) and the follow-up visits' vital signs."""

from __future__ import annotations

from decimal import Decimal
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
from submission.metadata import ASSIGNED, Domain, Variable, collected, derived, number
from submission.study import Study

PAGES = ("DEMOG", "VITALS", "PET_IAH", "PET_IV", "FU")
# (test code, field, unit), per form; the date field of each form.
ITEMS = {
    "DEMOG": (("HEIGHT", "height_cm", "cm"), ("WEIGHT", "weight_kg", "kg")),
    "VITALS": (
        ("SYSBP", "systolic_bp", "mmHg"),
        ("DIABP", "diastolic_bp", "mmHg"),
        ("PULSE", "heart_rate", "beats/min"),
        ("WEIGHT", "weight_kg", "kg"),
    ),
    "PET_IAH": (("WEIGHT", "weight_kg", "kg"),),
    "PET_IV": (("WEIGHT", "weight_kg", "kg"),),
    "FU": (
        ("SYSBP", "systolic_bp", "mmHg"),
        ("DIABP", "diastolic_bp", "mmHg"),
        ("PULSE", "heart_rate", "beats/min"),
        ("WEIGHT", "weight_kg", "kg"),
    ),
}
# The demographics form has no date of its own.
DATES = {
    "VITALS": "assessment_date",
    "PET_IAH": "scan_date",
    "PET_IV": "scan_date",
    "FU": "visit_date",
}
NAMES = dict(cl.VSTESTCD.terms)

DOMAIN = Domain(
    "VS",
    "Vital Signs",
    "FINDINGS",
    "One record per vital sign measurement per visit per subject",
    (
        *identifiers("VS"),
        seq("VS"),
        Variable(
            "VSTESTCD", "Vital Signs Test Short Name", "text", ASSIGNED, "Topic", "Req", cl.VSTESTCD
        ),
        Variable("VSTEST", "Vital Signs Test Name", "text", ASSIGNED, "Synonym Qualifier", "Req"),
        Variable(
            "VSORRES",
            "Result or Finding in Original Units",
            "text",
            collected(*PAGES),
            "Result Qualifier",
            "Exp",
        ),
        Variable(
            "VSORRESU", "Original Units", "text", ASSIGNED, "Variable Qualifier", "Exp", cl.UNIT
        ),
        Variable(
            "VSSTRESC",
            "Character Result/Finding in Std Format",
            "text",
            derived("VSORRES (the CRF's units are the standard ones)."),
            "Result Qualifier",
            "Exp",
        ),
        Variable(
            "VSSTRESN",
            "Numeric Result/Finding in Standard Units",
            "float",
            derived("VSORRES as a number."),
            "Result Qualifier",
            "Exp",
        ),
        Variable(
            "VSSTRESU", "Standard Units", "text", ASSIGNED, "Variable Qualifier", "Exp", cl.UNIT
        ),
        *visit_variables(),
        Variable("VSDTC", "Date/Time of Measurements", "date", collected(*PAGES), "Timing", "Exp"),
        study_day_variable("VSDY", "Study Day of Vital Signs", "VSDTC"),
    ),
    keys=("VSTESTCD", "VISITNUM"),
)


def _text(value: Any) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def records(study: Study) -> list[dict[str, Any]]:
    found = []
    for entry in study.forms(*ITEMS):
        if entry.values.get("missed"):
            continue
        day = entry.subject.dtc(entry.values.get(DATES.get(entry.form, ""), None))
        for code, field, unit in ITEMS[entry.form]:
            value = entry.values.get(field)
            if value is None:
                continue
            record = with_visit(base("VS", entry.subject), entry.event)
            record.update(
                VSTESTCD=code,
                VSTEST=NAMES[code],
                VSORRES=_text(value),
                VSORRESU=unit,
                VSSTRESC=_text(value),
                VSSTRESN=number(value),
                VSSTRESU=unit,
                VSDTC=day,
                VSDY=entry.subject.day(day),
            )
            found.append(record)
    order = {code: i for i, code in enumerate(NAMES)}
    return finish(
        DOMAIN, found, key=lambda r: (r["VISITNUM"] or 0, r["VSDTC"] or "", order[r["VSTESTCD"]])
    )
