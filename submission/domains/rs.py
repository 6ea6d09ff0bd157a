"""RS, Disease Response and Clin Classification: the RECIST 1.1 responses of each follow-up
assessment, and the ECOG performance status (a clinical classification, which SDTMIG 3.4
puts in RS).

Per assessment: the target response and the overall response the EDC derived and stored
(followup/derived.py), with what the investigator recorded beside the measurements: the
non-target response, whether new lesions appeared, and an unequivocal progression.
The best overall response is not here: it is computed from these at display and belongs to
the analysis datasets (ADaM ADRS).
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
from submission.metadata import (
    ASSIGNED,
    Domain,
    ValueSpec,
    Variable,
    collected,
    derived,
    yes_no,
)
from submission.study import Entry, Study

RECIST_CAT, ECOG_CAT = "RECIST 1.1", "ECOG"
NAMES = dict(cl.RSTESTCD.terms)
TARGET_METHOD = (
    "RECIST 1.1 target response from the sum of diameters (TR SUMDIAM): PD at +20 % and +5 mm "
    "from the nadir, CR when every target lesion has gone (nodes below 10 mm), PR at -30 % "
    "from baseline, else SD; NE when a target lesion was not evaluated "
    "(followup/calculations.py target_response)."
)
OVERALL_METHOD = (
    "RECIST 1.1 table 1 from the target response, the non-target response and new lesions "
    "(followup/calculations.py overall_response); PD when an unequivocal progression is "
    "recorded."
)
# The non-target answer "none at baseline": RECIST's not applicable.
NON_TARGET = {"NONE": "NOT APPLICABLE"}

DOMAIN = Domain(
    "RS",
    "Disease Response and Clin Classification",
    "FINDINGS",
    "One record per response assessment per visit per subject",
    (
        *identifiers("RS"),
        seq("RS"),
        Variable(
            "RSTESTCD", "Assessment Short Name", "text", ASSIGNED, "Topic", "Req", cl.RSTESTCD
        ),
        Variable("RSTEST", "Assessment Name", "text", ASSIGNED, "Synonym Qualifier", "Req"),
        Variable(
            "RSCAT",
            "Category for Assessment",
            "text",
            ASSIGNED,
            "Grouping Qualifier",
            "Exp",
            cl.RSCAT,
        ),
        Variable(
            "RSORRES",
            "Result or Finding in Original Units",
            "text",
            collected("RECIST", "VITALS", "FU"),
            "Result Qualifier",
            "Exp",
            values=(
                ValueSpec("RSTESTCD", "TRGRESP", derived(TARGET_METHOD), "Target Response"),
                ValueSpec("RSTESTCD", "OVRLRESP", derived(OVERALL_METHOD), "Overall Response"),
            ),
        ),
        Variable(
            "RSSTRESC",
            "Character Result/Finding in Std Format",
            "text",
            derived("RSORRES."),
            "Result Qualifier",
            "Exp",
        ),
        Variable(
            "RSSTRESN",
            "Numeric Result/Finding in Standard Units",
            "integer",
            derived("The ECOG grade as a number."),
            "Result Qualifier",
            "Perm",
        ),
        Variable(
            "RSSTAT",
            "Completion Status",
            "text",
            derived("NOT DONE when the non-target response was left blank."),
            "Record Qualifier",
            "Perm",
            cl.STAT,
        ),
        Variable("RSEVAL", "Evaluator", "text", ASSIGNED, "Record Qualifier", "Exp", cl.EVAL),
        *visit_variables(),
        Variable(
            "RSDTC",
            "Date/Time of Assessment",
            "date",
            collected("RECIST", "VITALS", "FU"),
            "Timing",
            "Exp",
        ),
        study_day_variable("RSDY", "Study Day of Assessment", "RSDTC"),
    ),
    keys=("RSCAT", "VISITNUM", "RSTESTCD"),
)


def _record(
    entry: Entry, test: str, category: str, result: str | None, when: Any
) -> dict[str, Any]:
    day = entry.subject.dtc(when)
    record = with_visit(base("RS", entry.subject), entry.event)
    record.update(
        RSTESTCD=test,
        RSTEST=NAMES[test],
        RSCAT=category,
        RSORRES=result,
        RSSTRESC=result,
        RSEVAL="INVESTIGATOR" if category == RECIST_CAT else None,
        RSDTC=day,
        RSDY=entry.subject.day(day),
    )
    return record


def _recist(entry: Entry) -> list[dict[str, Any]]:
    values = entry.values
    when = values.get("imaging_date")
    found = []
    if values.get("target_response"):
        found.append(_record(entry, "TRGRESP", RECIST_CAT, values["target_response"], when))
    status = values.get("non_target_status") or None
    record = _record(entry, "NTRGRESP", RECIST_CAT, NON_TARGET.get(status or "", status), when)
    if status is None:
        record["RSSTAT"] = "NOT DONE"
    found.append(record)
    for test, name in (("NEWLIND", "new_lesions"), ("UNEQPROG", "unequivocal_progression")):
        if values.get(name) is not None:
            found.append(_record(entry, test, RECIST_CAT, yes_no(values[name]), when))
    if values.get("overall_response"):
        found.append(_record(entry, "OVRLRESP", RECIST_CAT, values["overall_response"], when))
    return found


def _ecog(entry: Entry, field_date: str) -> dict[str, Any] | None:
    grade = entry.values.get("ecog")
    if grade is None or entry.values.get("missed"):
        return None
    record = _record(entry, "ECOG101", ECOG_CAT, str(grade), entry.values.get(field_date))
    record["RSSTRESN"] = int(grade)
    return record


def records(study: Study) -> list[dict[str, Any]]:
    found = []
    for entry in study.forms("RECIST"):
        if entry.values.get("imaging_date"):
            found += _recist(entry)
    for form, field_date in (("VITALS", "assessment_date"), ("FU", "visit_date")):
        for entry in study.forms(form):
            if record := _ecog(entry, field_date):
                found.append(record)
    tests = {
        code: i
        for i, code in enumerate(
            ("TRGRESP", "NTRGRESP", "NEWLIND", "UNEQPROG", "OVRLRESP", "ECOG101")
        )
    }
    return finish(
        DOMAIN,
        found,
        key=lambda r: (r["RSCAT"] != RECIST_CAT, r["VISITNUM"] or 0, tests[r["RSTESTCD"]]),
    )
