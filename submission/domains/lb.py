"""LB, Laboratory Test Results: every lab panel (eligibility, before each dose, follow-up),
and the Child-Pugh labs of the screening's IAH contraindications form.

LBORRES is the value as typed, in the unit typed (the CRF accepts G/L or /mm3, µmol/L or
mg/dL); LBSTRESN is the EDC's canonical value (converted on save), in the standard unit.
Counts are standardised to 10^9/L (the canonical /mm3 divided by 1000, exactly).
"""

from __future__ import annotations

from dataclasses import dataclass
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

PAGES = ("LAB", "IAHCI")
# The units the CRF offers, as SDTM writes them.
UNITS = {"G/L": "10^9/L", "/mm3": "/mm3", "µmol/L": "umol/L", "umol/L": "umol/L", "mg/dL": "mg/dL"}
PER_MM3_IN_10_9_L = Decimal(1000)


@dataclass(frozen=True)
class Test:
    code: str
    category: str
    value: str  # canonical field
    unit: str  # standard unit
    entered: str = ""  # the value as typed, when the unit may vary
    entered_unit: str = ""  # its unit field
    low: str = ""  # canonical lower limit of normal
    high: str = ""  # canonical upper limit of normal
    low_entered: str = ""
    high_entered: str = ""
    per_mm3: bool = False


TESTS = (
    Test("HGB", "HEMATOLOGY", "haemoglobin_g_dl", "g/dL", low="haemoglobin_lln"),
    Test(
        "NEUT",
        "HEMATOLOGY",
        "neutrophils_mm3",
        "10^9/L",
        "neutrophils_entered",
        "neutrophils_unit",
        low="neutrophils_lln",
        low_entered="neutrophils_lln_entered",
        per_mm3=True,
    ),
    Test(
        "LYM",
        "HEMATOLOGY",
        "lymphocytes_mm3",
        "10^9/L",
        "lymphocytes_entered",
        "lymphocytes_unit",
        low="lymphocytes_lln",
        low_entered="lymphocytes_lln_entered",
        per_mm3=True,
    ),
    Test(
        "PLAT",
        "HEMATOLOGY",
        "platelets_mm3",
        "10^9/L",
        "platelets_entered",
        "platelets_unit",
        low="platelets_lln",
        low_entered="platelets_lln_entered",
        per_mm3=True,
    ),
    Test(
        "CREAT",
        "CHEMISTRY",
        "creatinine_umol_l",
        "umol/L",
        "creatinine_entered",
        "creatinine_unit",
        high="creatinine_uln",
        high_entered="creatinine_uln_entered",
    ),
    Test("ALT", "CHEMISTRY", "alt_u_l", "U/L", high="alt_uln"),
    Test("AST", "CHEMISTRY", "ast_u_l", "U/L", high="ast_uln"),
    Test(
        "BILI",
        "CHEMISTRY",
        "bilirubin_umol_l",
        "umol/L",
        "bilirubin_entered",
        "bilirubin_unit",
        high="bilirubin_uln",
        high_entered="bilirubin_uln_entered",
    ),
    Test("ALB", "CHEMISTRY", "albumin_g_l", "g/L"),
    Test("PTAC", "COAGULATION", "prothrombin_percent", "%"),
    Test("INR", "COAGULATION", "inr", ""),
)
# The screening's Child-Pugh items (IAH contraindications form): no sample date on that form.
CHILD_PUGH = (
    Test("BILI", "CHEMISTRY", "bilirubin_umol_l", "umol/L", "bilirubin_entered", "bilirubin_unit"),
    Test("ALB", "CHEMISTRY", "albumin_g_l", "g/L"),
    Test("INR", "COAGULATION", "inr", ""),
)
NAMES = dict(cl.LBTESTCD.terms)


def _v(
    name: str,
    label: str,
    kind: str,
    origin,
    role: str,
    core: str = "Exp",
    codelist=None,
    comment: str = "",
) -> Variable:
    return Variable(name, label, kind, origin, role, core, codelist, comment=comment)


DOMAIN = Domain(
    "LB",
    "Laboratory Test Results",
    "FINDINGS",
    "One record per lab test per visit per subject",
    (
        *identifiers("LB"),
        seq("LB"),
        _v(
            "LBGRPID",
            "Group ID",
            "text",
            ASSIGNED,
            "Identifier",
            "Perm",
            comment="CHILD-PUGH for the labs of the IAH contraindications form.",
        ),
        _v(
            "LBTESTCD",
            "Lab Test or Examination Short Name",
            "text",
            ASSIGNED,
            "Topic",
            "Req",
            cl.LBTESTCD,
        ),
        _v("LBTEST", "Lab Test or Examination Name", "text", ASSIGNED, "Synonym Qualifier", "Req"),
        _v(
            "LBCAT",
            "Category for Lab Test",
            "text",
            ASSIGNED,
            "Grouping Qualifier",
            "Exp",
            cl.LBCAT,
        ),
        _v(
            "LBORRES",
            "Result or Finding in Original Units",
            "text",
            collected(*PAGES),
            "Result Qualifier",
        ),
        _v(
            "LBORRESU",
            "Original Units",
            "text",
            collected(*PAGES),
            "Variable Qualifier",
            codelist=cl.UNIT,
        ),
        _v(
            "LBORNRLO",
            "Reference Range Lower Limit in Orig Unit",
            "text",
            collected("LAB"),
            "Variable Qualifier",
        ),
        _v(
            "LBORNRHI",
            "Reference Range Upper Limit in Orig Unit",
            "text",
            collected("LAB"),
            "Variable Qualifier",
        ),
        _v(
            "LBSTRESC",
            "Character Result/Finding in Std Format",
            "text",
            derived("LBSTRESN as text."),
            "Result Qualifier",
        ),
        _v(
            "LBSTRESN",
            "Numeric Result/Finding in Standard Units",
            "float",
            derived(
                "The EDC's canonical value (converted from the unit typed on save); counts "
                "from /mm3 to 10^9/L: divided by 1000."
            ),
            "Result Qualifier",
        ),
        _v("LBSTRESU", "Standard Units", "text", ASSIGNED, "Variable Qualifier", codelist=cl.UNIT),
        _v(
            "LBSTNRLO",
            "Reference Range Lower Limit-Std Units",
            "float",
            derived("The lab's lower limit, canonical unit, as LBSTRESN."),
            "Variable Qualifier",
        ),
        _v(
            "LBSTNRHI",
            "Reference Range Upper Limit-Std Units",
            "float",
            derived("The lab's upper limit, canonical unit, as LBSTRESN."),
            "Variable Qualifier",
        ),
        *visit_variables(),
        _v("LBDTC", "Date/Time of Specimen Collection", "date", collected("LAB"), "Timing"),
        study_day_variable("LBDY", "Study Day of Specimen Collection", "LBDTC"),
    ),
)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def _standard(test: Test, value: Any) -> Any:
    if value is None:
        return None
    return value / PER_MM3_IN_10_9_L if test.per_mm3 else value


def _record(entry, test: Test, date: Any, group: str | None) -> dict[str, Any] | None:
    values = entry.values
    value = values.get(test.value)
    if value is None:
        return None
    typed = values.get(test.entered) if test.entered else value
    unit = UNITS.get(values.get(test.entered_unit), test.unit) if test.entered_unit else test.unit
    standard = _standard(test, value)
    day = entry.subject.dtc(date)
    record = with_visit(base("LB", entry.subject), entry.event)
    record.update(
        LBGRPID=group,
        LBTESTCD=test.code,
        LBTEST=NAMES[test.code],
        LBCAT=test.category,
        LBORRES=_text(typed if typed is not None else value),
        LBORRESU=(unit if typed is not None else test.unit) or None,
        LBORNRLO=_text(values.get(test.low_entered) if test.low_entered else values.get(test.low))
        if test.low
        else None,
        LBORNRHI=_text(
            values.get(test.high_entered) if test.high_entered else values.get(test.high)
        )
        if test.high
        else None,
        LBSTRESC=_text(standard),
        LBSTRESN=number(standard),
        LBSTRESU=test.unit or None,
        LBSTNRLO=number(_standard(test, values.get(test.low))) if test.low else None,
        LBSTNRHI=number(_standard(test, values.get(test.high))) if test.high else None,
        LBDTC=day,
        LBDY=entry.subject.day(day),
    )
    return record


def records(study: Study) -> list[dict[str, Any]]:
    found = []
    for entry in study.forms("LAB"):
        for test in TESTS:
            if record := _record(entry, test, entry.values.get("sample_date"), None):
                found.append(record)
    for entry in study.forms("IAHCI"):
        for test in CHILD_PUGH:
            if record := _record(entry, test, None, "CHILD-PUGH"):
                found.append(record)
    order = {t.code: i for i, t in enumerate(TESTS)}
    return finish(
        DOMAIN,
        found,
        key=lambda r: (
            r["VISITNUM"] or 0,
            r["LBGRPID"] or "",
            r["LBDTC"] or "",
            order[r["LBTESTCD"]],
        ),
    )
