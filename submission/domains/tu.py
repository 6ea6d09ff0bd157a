"""TU, Tumor/Lesion Identification (RECIST 1.1): the baseline target and non-target lesions
of the inclusion imaging, and the new lesions reported at follow-up.

Each lesion's TULNKID is the link TR and RS records use (common.lesion_id). The trial
collects whether new lesions appeared, not how many: one NEW record per assessment that
reports them, its TULNKID naming the visit.
"""

from __future__ import annotations

from typing import Any

from submission import codelists as cl
from submission.domains.common import (
    base,
    finish,
    identifiers,
    lesion_id,
    seq,
    study_day_variable,
    visit_variables,
    with_visit,
)
from submission.metadata import ASSIGNED, Domain, Variable, collected, derived
from submission.study import Entry, Study, Subject

TARGET, NON_TARGET, NEW = "TARGET", "NON-TARGET", "NEW"
LOCATION = {
    "liver": "LIVER",
    "lymph_node": "LYMPH NODE",
    "lung": "LUNG",
    "bone": "BONE",
    "peritoneum": "PERITONEUM",
    "pancreas": "PANCREAS",
    "bowel": "INTESTINE",
    "other": "OTHER",
}
NODE = "lymph_node"
# The protocol images the liver by MRI and the rest by CT (chest-abdomen-pelvis).
MRI, CT = "MRI", "CT SCAN"

DOMAIN = Domain(
    "TU",
    "Tumor/Lesion Identification",
    "FINDINGS",
    "One record per identified tumor per subject",
    (
        *identifiers("TU"),
        seq("TU"),
        Variable(
            "TULNKID",
            "Link ID",
            "text",
            derived(
                "The lesion's label: T and the target lesion's number, NT and the non-target "
                "lesion's number, NEW- and the visit for new lesions."
            ),
            "Identifier",
            "Exp",
        ),
        Variable(
            "TUTESTCD", "Tumor/Lesion ID Short Name", "text", ASSIGNED, "Topic", "Req", cl.TUTESTCD
        ),
        Variable(
            "TUTEST", "Tumor/Lesion ID Test Name", "text", ASSIGNED, "Synonym Qualifier", "Req"
        ),
        Variable(
            "TUORRES",
            "Tumor/Lesion ID Result",
            "text",
            collected("IMAGING", "RECIST"),
            "Result Qualifier",
            "Exp",
            cl.TUORRES,
        ),
        Variable(
            "TUSTRESC",
            "Tumor/Lesion ID Result Std. Format",
            "text",
            derived("TUORRES."),
            "Result Qualifier",
            "Exp",
            cl.TUORRES,
        ),
        Variable(
            "TULOC",
            "Location of the Tumor/Lesion",
            "text",
            collected("IMAGING"),
            "Record Qualifier",
            "Exp",
            cl.LOC,
        ),
        Variable(
            "TUMETHOD",
            "Method of Identification",
            "text",
            derived("MRI for a liver lesion, CT SCAN otherwise (the protocol's imaging)."),
            "Record Qualifier",
            "Exp",
            cl.METHOD,
        ),
        Variable("TUEVAL", "Evaluator", "text", ASSIGNED, "Record Qualifier", "Exp", cl.EVAL),
        *visit_variables(),
        Variable(
            "TUDTC",
            "Date/Time of Tumor/Lesion Identification",
            "date",
            collected("IMAGING", "RECIST"),
            "Timing",
            "Exp",
        ),
        study_day_variable("TUDY", "Study Day of Tumor/Lesion Identification", "TUDTC"),
    ),
    keys=("TULNKID",),
)


def method(organ: str | None) -> str:
    return MRI if organ == "liver" else CT


def baseline_date(values: dict[str, Any], organ: str | None) -> Any:
    """The lesion's baseline imaging: the MRI for the liver, the CT otherwise, else the other."""
    mri, ct = values.get("mri_date"), values.get("ct_date")
    return (mri or ct) if organ == "liver" else (ct or mri)


def targets(entry: Entry) -> list[tuple[str, dict[str, Any]]]:
    """(TULNKID, items) of each baseline target lesion."""
    return [
        (lesion_id(entry.form, "target_lesions", key), items)
        for key, items in entry.group("target_lesions")
    ]


def non_targets(entry: Entry) -> list[tuple[str, dict[str, Any]]]:
    return [
        (lesion_id(entry.form, "non_target_lesions", key), items)
        for key, items in entry.group("non_target_lesions")
    ]


def new_lesion_id(event: str) -> str:
    return f"NEW-{event}"


def _record(
    subject: Subject, event: str, link: str, result: str, organ: str | None, when: Any
) -> dict[str, Any]:
    day = subject.dtc(when)
    record = with_visit(base("TU", subject), event)
    record.update(
        TULNKID=link,
        TUTESTCD="TUMIDENT",
        TUTEST="Tumor Identification",
        TUORRES=result,
        TUSTRESC=result,
        TULOC=LOCATION.get(organ or ""),
        TUMETHOD=method(organ) if organ else None,
        TUEVAL="INVESTIGATOR",
        TUDTC=day,
        TUDY=subject.day(day),
    )
    return record


def records(study: Study) -> list[dict[str, Any]]:
    found = []
    for entry in study.forms("IMAGING"):
        for kind, lesions in ((TARGET, targets(entry)), (NON_TARGET, non_targets(entry))):
            for link, items in lesions:
                organ = items.get("organ")
                found.append(
                    _record(
                        entry.subject,
                        entry.event,
                        link,
                        kind,
                        organ,
                        baseline_date(entry.values, organ),
                    )
                )
    for entry in study.forms("RECIST"):
        if entry.values.get("new_lesions") and entry.values.get("imaging_date"):
            found.append(
                _record(
                    entry.subject,
                    entry.event,
                    new_lesion_id(entry.event),
                    NEW,
                    None,
                    entry.values["imaging_date"],
                )
            )
    kinds = {TARGET: 0, NON_TARGET: 1, NEW: 2}
    return finish(
        DOMAIN,
        found,
        key=lambda r: (kinds[r["TUORRES"]], r["VISITNUM"] or 0, len(r["TULNKID"]), r["TULNKID"]),
    )
