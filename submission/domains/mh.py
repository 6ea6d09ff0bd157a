"""MH, Medical History: the primary diagnosis (the neuroendocrine tumour), and the
pre-specified histories the screening asks about: the cardiovascular events of the last 12
months and the contraindications to an intra-arterial hepatic injection.

A pre-specified item answered no is a record too (MHPRESP = Y, MHOCCUR = N), as SDTMIG asks.
Terms are the CRF's item labels, in English.
"""

from __future__ import annotations

from typing import Any

from eligibility.models import CardiovascularHistory, DiseaseHistory, IahContraindications
from submission import codelists as cl
from submission.domains.common import base, finish, identifiers, seq, study_day_variable
from submission.metadata import ASSIGNED, Domain, Variable, collected, yes_no
from submission.study import Study

CARDIOVASCULAR = (
    "carcinoid_heart_disease",
    "heart_failure",
    "myocardial_infarction",
    "stroke",
    "uncontrolled_hypertension",
    "pulmonary_embolism",
    "revascularisation",
    "unstable_angina",
    "uncontrolled_arrhythmia",
    "significant_bradycardia",
)
IAH_CONTRAINDICATIONS = (
    "coagulation_disorder",
    "portal_thrombosis",
    "biliary_dilatation",
    "anastomosis_or_fistula",
    "cirrhosis",
)
PRESPECIFIED = (
    ("CARDIO", CardiovascularHistory, CARDIOVASCULAR, "CARDIOVASCULAR HISTORY"),
    ("IAHCI", IahContraindications, IAH_CONTRAINDICATIONS, "IAH CONTRAINDICATION"),
)

DOMAIN = Domain(
    "MH",
    "Medical History",
    "EVENTS",
    "One record per medical history event per subject",
    (
        *identifiers("MH"),
        seq("MH"),
        Variable(
            "MHTERM",
            "Reported Term for the Medical History",
            "text",
            collected("DISEASE", "CARDIO", "IAHCI"),
            "Topic",
            "Req",
            comment="The primary diagnosis in words built from the disease history "
            "form; else the CRF item's label.",
        ),
        Variable(
            "MHCAT",
            "Category for Medical History",
            "text",
            ASSIGNED,
            "Grouping Qualifier",
            "Perm",
            cl.MHCAT,
        ),
        Variable(
            "MHPRESP",
            "Medical History Event Pre-Specified",
            "text",
            ASSIGNED,
            "Variable Qualifier",
            "Perm",
            cl.NY,
        ),
        Variable(
            "MHOCCUR",
            "Medical History Occurrence",
            "text",
            collected("CARDIO", "IAHCI"),
            "Record Qualifier",
            "Perm",
            cl.NY,
        ),
        Variable(
            "MHSTDTC",
            "Start Date/Time of Medical History Event",
            "date",
            collected("DISEASE"),
            "Timing",
            "Perm",
        ),
        study_day_variable("MHSTDY", "Study Day of Start of Medical History", "MHSTDTC"),
        Variable(
            "MHEVLINT",
            "Evaluation Interval",
            "text",
            ASSIGNED,
            "Timing",
            "Perm",
            comment="-P12M: the cardiovascular history covers the last 12 months.",
        ),
    ),
    keys=("MHCAT", "MHTERM"),
)


def _label(model: Any, name: str) -> str:
    label = str(model._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def _diagnosis(values: dict[str, Any]) -> str | None:
    site = values.get("primary_site")
    if not site:
        return None
    field = DiseaseHistory._meta.get_field("primary_site")
    where = str(dict(field.flatchoices).get(site, site)).lower()
    differentiated = values.get("well_differentiated")
    kind = (
        "Well-differentiated neuroendocrine tumour" if differentiated else ("Neuroendocrine tumour")
    )
    grade = f", WHO {values['who_grade']}" if values.get("who_grade") else ""
    return f"{kind}, primary site: {where}{grade}"


def records(study: Study) -> list[dict[str, Any]]:
    found = []
    for entry in study.forms("DISEASE"):
        term = _diagnosis(entry.values)
        if term is None:
            continue
        start = entry.subject.dtc(entry.values.get("diagnosis_date"))
        record = base("MH", entry.subject)
        record.update(
            MHTERM=term, MHCAT="PRIMARY DIAGNOSIS", MHSTDTC=start, MHSTDY=entry.subject.day(start)
        )
        found.append(record)
    for form, model, items, category in PRESPECIFIED:
        for entry in study.forms(form):
            for name in items:
                answer = entry.values.get(name)
                if answer is None:
                    continue
                record = base("MH", entry.subject)
                record.update(
                    MHTERM=_label(model, name),
                    MHCAT=category,
                    MHPRESP="Y",
                    MHOCCUR=yes_no(answer),
                    MHEVLINT="-P12M" if form == "CARDIO" else None,
                )
                found.append(record)
    order = {
        c: i
        for i, c in enumerate(
            ("PRIMARY DIAGNOSIS", "CARDIOVASCULAR HISTORY", "IAH CONTRAINDICATION")
        )
    }
    return finish(DOMAIN, found, key=lambda r: (order[r["MHCAT"]], r["MHTERM"]))
