"""CM, Concomitant/Prior Medications: the concomitant medication log, and the cold
somatostatin analogue of the disease history (the treatment the disease progressed on)."""

from __future__ import annotations

from typing import Any

from eligibility.models import DiseaseHistory
from submission import codelists as cl
from submission.domains.common import base, finish, identifiers, seq, study_day_variable
from submission.metadata import ASSIGNED, Domain, Variable, collected, derived
from submission.study import Study

ROUTE = {
    "oral": "ORAL",
    "iv": "INTRAVENOUS",
    "sc": "SUBCUTANEOUS",
    "im": "INTRAMUSCULAR",
    "topical": "TOPICAL",
    "inhaled": "RESPIRATORY (INHALATION)",
    "rectal": "RECTAL",
    "other": "OTHER",
}

DOMAIN = Domain(
    "CM",
    "Concomitant/Prior Medications",
    "INTERVENTIONS",
    "One record per recorded medication per subject",
    (
        *identifiers("CM"),
        seq("CM"),
        Variable(
            "CMSPID",
            "Sponsor-Defined Identifier",
            "text",
            ASSIGNED,
            "Identifier",
            "Perm",
            comment="The number of the medication form in the participant's log.",
        ),
        Variable(
            "CMTRT",
            "Reported Name of Drug, Med, or Therapy",
            "text",
            collected("CM", "DISEASE"),
            "Topic",
            "Req",
        ),
        Variable(
            "CMCAT",
            "Category for Medication",
            "text",
            ASSIGNED,
            "Grouping Qualifier",
            "Perm",
            cl.CMCAT,
        ),
        Variable("CMINDC", "Indication", "text", collected("CM"), "Record Qualifier", "Perm"),
        Variable(
            "CMDOSTXT", "Dose Description", "text", collected("CM"), "Record Qualifier", "Perm"
        ),
        Variable(
            "CMROUTE",
            "Route of Administration",
            "text",
            collected("CM"),
            "Variable Qualifier",
            "Perm",
            cl.ROUTE,
        ),
        Variable(
            "CMSTDTC",
            "Start Date/Time of Medication",
            "date",
            collected("CM", "DISEASE"),
            "Timing",
            "Perm",
        ),
        Variable(
            "CMENDTC", "End Date/Time of Medication", "date", collected("CM"), "Timing", "Perm"
        ),
        study_day_variable("CMSTDY", "Study Day of Start of Medication", "CMSTDTC"),
        study_day_variable("CMENDY", "Study Day of End of Medication", "CMENDTC"),
        Variable(
            "CMENRTPT",
            "End Relative to Reference Time Point",
            "text",
            derived("ONGOING when the form says the medication is ongoing."),
            "Timing",
            "Perm",
            cl.ONGOING,
        ),
        Variable(
            "CMENTPT",
            "End Reference Time Point",
            "text",
            derived("DATA CUTOFF for an ongoing medication."),
            "Timing",
            "Perm",
        ),
    ),
    keys=("CMTRT", "CMSTDTC"),
)


def records(study: Study) -> list[dict[str, Any]]:
    found = []
    for entry in study.forms("CM"):
        values, subject = entry.values, entry.subject
        if not values.get("name"):
            continue
        start, end = subject.dtc(values.get("start_date")), subject.dtc(values.get("stop_date"))
        record = base("CM", subject)
        record.update(
            CMSPID=str(entry.repeat),
            CMTRT=values["name"],
            CMCAT="CONCOMITANT MEDICATION",
            CMINDC=values.get("indication") or None,
            CMDOSTXT=values.get("dose") or None,
            CMROUTE=ROUTE.get(values.get("route") or ""),
            CMSTDTC=start,
            CMENDTC=end,
            CMSTDY=subject.day(start),
            CMENDY=subject.day(end),
            CMENRTPT="ONGOING" if values.get("ongoing") else None,
            CMENTPT="DATA CUTOFF" if values.get("ongoing") else None,
        )
        found.append(record)
    drug_names = dict(DiseaseHistory._meta.get_field("cold_ssa_drug").flatchoices)
    for entry in study.forms("DISEASE"):
        drug = entry.values.get("cold_ssa_drug")
        if not drug:
            continue
        start = entry.subject.dtc(entry.values.get("cold_ssa_start_date"))
        record = base("CM", entry.subject)
        record.update(
            CMTRT=str(drug_names.get(drug, drug)),
            CMCAT="COLD SOMATOSTATIN ANALOGUE",
            CMSTDTC=start,
            CMSTDY=entry.subject.day(start),
        )
        found.append(record)
    return finish(DOMAIN, found, key=lambda r: (r["CMSTDTC"] or "", r["CMTRT"]))
