"""XE, PET Uptake and Enhancement Ratios: a custom findings domain (SDTMIG section 2.7:
two letters starting with X, Y or Z are reserved for sponsor domains; XE for "enhancement").

The 68Ga PET after the intra-arterial hepatic (IAH) injection and the one after the IV
injection each give the SUVmax and SUVmean of the 5 PET index lesions (L1-L5, not the
RECIST targets), the SUVmean of the dose-limiting organs and the SUVmax of extra-hepatic
lesions (collected, at the PET's visit). Derived from them, at the gate's visit: each
lesion's enhancement ratio (SUVmax IAH / IV, and of the SUVmean), each organ's ratio of
SUVmean, the patient's ratio (the mean of the 5 lesion ratios, defined only when all 5 are
present) and whether the gate is met: as the gate page computes them (imaging.selectors).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from imaging import selectors as imaging
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
from submission.metadata import (
    ASSIGNED,
    Codelist,
    Domain,
    ValueSpec,
    Variable,
    collected,
    derived,
    number,
)
from submission.study import Study, Subject

PETS = {"PET_IAH": "PET-IAH", "PET_IV": "PET-IV"}
GATE_EVENT = "GATE"
# The organ SUV group's repeat key (imaging.models.Organ): (XESPID, XELOC, XELAT).
ORGANS = {
    1: ("KIDNEY-L", "KIDNEY", "LEFT"),
    2: ("KIDNEY-R", "KIDNEY", "RIGHT"),
    3: ("SPLEEN", "SPLEEN", None),
    4: ("LIVER", "LIVER", None),
    5: ("MARROW", "BONE MARROW", None),
}
TESTS = Codelist(
    "CL.XETESTCD",
    "PET uptake and enhancement ratio tests",
    (
        ("SUVMAX", "Maximum Standardized Uptake Value"),
        ("SUVMEAN", "Mean Standardized Uptake Value"),
        ("ERSUVMAX", "Enhancement Ratio of SUVmax (IAH/IV)"),
        ("ERSUVMN", "Enhancement Ratio of SUVmean (IAH/IV)"),
        ("PATER", "Patient Enhancement Ratio"),
        ("GATEMET", "Enhancement-Ratio Gate Met"),
    ),
)
CATEGORIES = Codelist(
    "CL.XECAT",
    "PET volumes",
    (
        ("INDEX LESION", ""),
        ("ORGAN", ""),
        ("EXTRA-HEPATIC LESION", ""),
        ("PATIENT", ""),
    ),
)
NAMES = dict(TESTS.terms)
RATIO_METHOD = (
    "The IAH value divided by the IV value of the same volume, when both are present and "
    "not zero (imaging/calculations.py lesion_enhancement_ratios)."
)
PATIENT_METHOD = (
    "The arithmetic mean of the 5 index lesions' SUVmax ratios, defined only when all 5 are "
    "present (imaging/calculations.py patient_enhancement_ratio)."
)
GATE_METHOD = (
    "Y when the patient enhancement ratio meets the protocol's threshold of 3.0 "
    "(imaging/calculations.py gate_met), else N."
)

DOMAIN = Domain(
    "XE",
    "PET Uptake and Enhancement Ratios",
    "FINDINGS",
    "One record per test per volume per PET or gate per subject",
    (
        *identifiers("XE"),
        seq("XE"),
        Variable(
            "XESPID",
            "Sponsor-Defined Identifier",
            "text",
            derived(
                "The volume: L1-L5 (PET index lesions), E1-En (extra-hepatic lesions) or the organ."
            ),
            "Identifier",
            "Exp",
        ),
        Variable("XETESTCD", "Test Short Name", "text", ASSIGNED, "Topic", "Req", TESTS),
        Variable("XETEST", "Test Name", "text", ASSIGNED, "Synonym Qualifier", "Req"),
        Variable("XECAT", "Category", "text", ASSIGNED, "Grouping Qualifier", "Exp", CATEGORIES),
        Variable(
            "XEORRES",
            "Result or Finding in Original Units",
            "text",
            collected("PET_IAH", "PET_IV"),
            "Result Qualifier",
            "Exp",
            values=(
                ValueSpec("XETESTCD", "ERSUVMAX", derived(RATIO_METHOD), "SUVmax ratio"),
                ValueSpec("XETESTCD", "ERSUVMN", derived(RATIO_METHOD), "SUVmean ratio"),
                ValueSpec("XETESTCD", "PATER", derived(PATIENT_METHOD), "Patient ratio"),
                ValueSpec("XETESTCD", "GATEMET", derived(GATE_METHOD), "Gate met"),
            ),
            comment="A ratio is written to 9 significant digits (binary noise removed); "
            "XESTRESN holds the double.",
        ),
        Variable(
            "XESTRESC",
            "Character Result/Finding in Std Format",
            "text",
            derived("XEORRES."),
            "Result Qualifier",
            "Exp",
        ),
        Variable(
            "XESTRESN",
            "Numeric Result/Finding in Standard Units",
            "float",
            derived("XEORRES as a number (not for GATEMET)."),
            "Result Qualifier",
            "Exp",
        ),
        Variable(
            "XELOC",
            "Location Used for the Measurement",
            "text",
            derived("LIVER for the index lesions; the organ."),
            "Record Qualifier",
            "Perm",
            cl.LOC,
        ),
        Variable("XELAT", "Laterality", "text", ASSIGNED, "Variable Qualifier", "Perm", cl.LAT),
        Variable(
            "XEMETHOD",
            "Method of Test or Examination",
            "text",
            ASSIGNED,
            "Record Qualifier",
            "Perm",
            cl.METHOD,
        ),
        *visit_variables(),
        Variable(
            "XEDTC",
            "Date/Time of Collection",
            "datetime",
            collected("PET_IAH", "PET_IV"),
            "Timing",
            "Exp",
            comment="The PET's scan start.",
        ),
        study_day_variable("XEDY", "Study Day of Collection", "XEDTC"),
    ),
    custom=True,
    comment="Custom findings domain: the 68Ga PET uptake of the IAH and IV scans and the "
    "enhancement ratios the trial's gate is decided on.",
    keys=("XECAT", "XESPID", "XETESTCD", "VISITNUM"),
)


def ratio_text(value: float) -> str:
    """A ratio to 9 significant digits: what the thresholds are decided on, binary noise
    removed (3.3 / 1.1 is 3, not 2.9999999999999996)."""
    return format(value, ".9g")


def _text(value: Any) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def _record(
    subject: Subject,
    event: str,
    test: str,
    category: str,
    spid: str | None,
    loc: str | None,
    lat: str | None,
    when: Any,
) -> dict[str, Any]:
    day = subject.dtc(when)
    record = with_visit(base("XE", subject), event)
    record.update(
        XESPID=spid,
        XETESTCD=test,
        XETEST=NAMES[test],
        XECAT=category,
        XELOC=loc,
        XELAT=lat,
        # Measured on a PET (its visit), or derived at the gate from both.
        XEMETHOD="PET/CT" if event != GATE_EVENT else None,
        XEDTC=day,
        XEDY=subject.day(day),
    )
    return record


def _value(record: dict[str, Any], value: Any) -> dict[str, Any]:
    text = ratio_text(value) if isinstance(value, float) else _text(value)
    record.update(XEORRES=text, XESTRESC=text, XESTRESN=number(value))
    return record


def _collected(study: Study) -> list[dict[str, Any]]:
    found = []
    for entry in study.forms(*PETS):
        subject, when = entry.subject, entry.values.get("scan_start_at")
        for key, items in entry.group("lesion_suvs"):
            spid = lesion_id(entry.form, "lesion_suvs", key)
            for test, field in (("SUVMAX", "suv_max"), ("SUVMEAN", "suv_mean")):
                if items.get(field) is not None:
                    record = _record(
                        subject, entry.event, test, "INDEX LESION", spid, "LIVER", None, when
                    )
                    found.append(_value(record, items[field]))
        for key, items in entry.group("organ_suvs"):
            spid, loc, lat = ORGANS[int(key)]
            if items.get("suv_mean") is not None:
                record = _record(subject, entry.event, "SUVMEAN", "ORGAN", spid, loc, lat, when)
                found.append(_value(record, items["suv_mean"]))
        for key, items in entry.group("extrahepatic"):
            if items.get("suv_max") is not None:
                spid = lesion_id(entry.form, "extrahepatic", key)
                record = _record(
                    subject, entry.event, "SUVMAX", "EXTRA-HEPATIC LESION", spid, None, None, when
                )
                found.append(_value(record, items["suv_max"]))
    return found


def _derived(study: Study) -> list[dict[str, Any]]:
    with_pets = [
        s
        for s in study.subjects
        if any(study.form_of(s, form, event) for form, event in PETS.items())
    ]
    summaries = imaging.summaries([s.pk for s in with_pets])
    found = []
    for subject in with_pets:
        summary = summaries[subject.pk]
        for lesion in summary.lesions:
            spid = lesion_id("PETLES", "index_lesions", lesion.number)
            for test, ratio in (("ERSUVMAX", lesion.ratio_max), ("ERSUVMN", lesion.ratio_mean)):
                if ratio is not None:
                    record = _record(
                        subject, GATE_EVENT, test, "INDEX LESION", spid, "LIVER", None, None
                    )
                    found.append(_value(record, ratio))
        for organ in summary.organs:
            spid, loc, lat = ORGANS[organ.organ]
            if organ.ratio is not None:
                record = _record(subject, GATE_EVENT, "ERSUVMN", "ORGAN", spid, loc, lat, None)
                found.append(_value(record, organ.ratio))
        if summary.patient_ratio is not None:
            record = _record(subject, GATE_EVENT, "PATER", "PATIENT", None, None, None, None)
            found.append(_value(record, summary.patient_ratio))
            record = _record(subject, GATE_EVENT, "GATEMET", "PATIENT", None, None, None, None)
            met = "Y" if summary.met else "N"
            record.update(XEORRES=met, XESTRESC=met)
            found.append(record)
    return found


def records(study: Study) -> list[dict[str, Any]]:
    categories = {name: i for i, (name, _d) in enumerate(CATEGORIES.terms)}
    tests = {name: i for i, (name, _d) in enumerate(TESTS.terms)}
    return finish(
        DOMAIN,
        _collected(study) + _derived(study),
        key=lambda r: (
            r["VISITNUM"] or 0,
            categories[r["XECAT"]],
            len(r["XESPID"] or ""),
            r["XESPID"] or "",
            tests[r["XETESTCD"]],
        ),
    )
