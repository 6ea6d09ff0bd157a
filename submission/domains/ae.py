"""AE, Adverse Events: one record per adverse event form (the repeating log)."""

from __future__ import annotations

from typing import Any

from submission import codelists as cl
from submission.domains.common import base, finish, identifiers, seq, study_day_variable
from submission.metadata import Codelist, Domain, Variable, collected, derived, yes_no
from submission.study import Study

PAGE = "AE"
# The CRF's relationship scale, weakest first, and its SDTM wording.
RELATIONSHIP = {
    "not_related": "NOT RELATED",
    "unlikely": "UNLIKELY RELATED",
    "possible": "POSSIBLY RELATED",
    "probable": "PROBABLY RELATED",
    "definite": "RELATED",
}
RELATIONSHIPS = (
    "relationship_iv_lutathera",
    "relationship_iah_procedure",
    "relationship_iah_lutathera",
)
ACTION = {
    "dose_not_changed": "DOSE NOT CHANGED",
    # A LUTATHERA dose is delayed, not stopped part-way: CT's nearest term.
    "dose_delayed": "DRUG INTERRUPTED",
    "dose_reduced": "DOSE REDUCED",
    "drug_withdrawn": "DRUG WITHDRAWN",
    "not_applicable": "NOT APPLICABLE",
    "unknown": "UNKNOWN",
}
OUTCOME = {
    "recovered": "RECOVERED/RESOLVED",
    "recovering": "RECOVERING/RESOLVING",
    "not_recovered": "NOT RECOVERED/NOT RESOLVED",
    "sequelae": "RECOVERED/RESOLVED WITH SEQUELAE",
    "fatal": "FATAL",
    "unknown": "UNKNOWN",
}
SERIOUS = {
    "AESDTH": ("serious_death", "Results in Death"),
    "AESLIFE": ("serious_life_threatening", "Is Life Threatening"),
    "AESHOSP": ("serious_hospitalisation", "Requires or Prolongs Hospitalization"),
    "AESDISAB": ("serious_disability", "Persist or Signif Disability/Incapacity"),
    "AESCONG": ("serious_congenital_anomaly", "Congenital Anomaly or Birth Defect"),
    "AESMIE": ("serious_other_important", "Other Medically Important Serious Event"),
}
CTCAE = Codelist("CL.CTCAE", "CTCAE v5.0 term", (), dictionary="CTCAE", version="5.0")


def _collected(name: str, label: str, kind: str = "text", **options: Any) -> Variable:
    return Variable(name, label, kind, collected(PAGE), **options)


DOMAIN = Domain(
    "AE",
    "Adverse Events",
    "EVENTS",
    "One record per adverse event per subject",
    (
        *identifiers("AE"),
        seq("AE"),
        _collected(
            "AESPID",
            "Sponsor-Defined Identifier",
            role="Identifier",
            core="Perm",
            comment="The number of the adverse event form in the participant's log.",
        ),
        _collected(
            "AETERM",
            "Reported Term for the Adverse Event",
            role="Topic",
            core="Req",
            comment="The investigator's specification when given, else the CTCAE term chosen.",
        ),
        _collected(
            "AEDECOD",
            "Dictionary-Derived Term",
            role="Synonym Qualifier",
            core="Req",
            codelist=CTCAE,
            comment="The CTCAE v5.0 term chosen on the form (a MedDRA 20.1 lowest level term).",
        ),
        _collected(
            "AEBODSYS",
            "Body System or Organ Class",
            role="Grouping Qualifier",
            core="Exp",
            comment="The CTCAE term's MedDRA system organ class.",
        ),
        _collected("AESOC", "Primary System Organ Class", role="Variable Qualifier", core="Exp"),
        _collected("AESER", "Serious Event", role="Record Qualifier", core="Exp", codelist=cl.NY),
        _collected(
            "AEACN",
            "Action Taken with Study Treatment",
            role="Record Qualifier",
            core="Exp",
            codelist=cl.ACN,
        ),
        Variable(
            "AEREL",
            "Causality",
            "text",
            derived(
                "The strongest of the three relationships collected (to IV LUTATHERA, to the "
                "IAH procedure, to IAH LUTATHERA), on the scale not related < unlikely < "
                "possible < probable < definite."
            ),
            "Record Qualifier",
            "Exp",
            cl.AEREL,
        ),
        _collected(
            "AEOUT",
            "Outcome of Adverse Event",
            role="Record Qualifier",
            core="Perm",
            codelist=cl.OUT,
        ),
        *(
            _collected(name, label, role="Record Qualifier", core="Perm", codelist=cl.NY)
            for name, (_field, label) in SERIOUS.items()
        ),
        _collected(
            "AETOXGR",
            "Standard Toxicity Grade",
            role="Record Qualifier",
            core="Perm",
            codelist=cl.TOXGR,
        ),
        _collected(
            "AESTDTC", "Start Date/Time of Adverse Event", "date", role="Timing", core="Exp"
        ),
        _collected("AEENDTC", "End Date/Time of Adverse Event", "date", role="Timing", core="Exp"),
        study_day_variable("AESTDY", "Study Day of Start of Adverse Event", "AESTDTC"),
        study_day_variable("AEENDY", "Study Day of End of Adverse Event", "AEENDTC"),
        Variable(
            "AEENRTPT",
            "End Relative to Reference Time Point",
            "text",
            derived("ONGOING when the form says the event is ongoing."),
            "Timing",
            "Perm",
            cl.ONGOING,
        ),
        Variable(
            "AEENTPT",
            "End Reference Time Point",
            "text",
            derived("The data extraction (DATA CUTOFF) for an ongoing event."),
            "Timing",
            "Perm",
        ),
    ),
)


def strongest(values: dict[str, Any]) -> str | None:
    order = list(RELATIONSHIP)
    given = [str(values[name]) for name in RELATIONSHIPS if values.get(name) in RELATIONSHIP]
    if not given:
        return None
    return RELATIONSHIP[max(given, key=order.index)]


def records(study: Study) -> list[dict[str, Any]]:
    found = []
    for entry in study.forms("AE"):
        values, subject = entry.values, entry.subject
        if not values.get("term"):
            continue
        start = subject.dtc(values.get("onset_date"))
        end = subject.dtc(values.get("end_date"))
        record = base("AE", subject)
        record.update(
            AESPID=str(entry.repeat),
            AETERM=values.get("term_specify") or values["term"],
            AEDECOD=values["term"],
            AEBODSYS=values.get("soc") or None,
            AESOC=values.get("soc") or None,
            AESER=yes_no(values.get("serious")),
            AEACN=ACTION.get(values.get("action_taken") or ""),
            AEREL=strongest(values),
            AEOUT=OUTCOME.get(values.get("outcome") or ""),
            AETOXGR=str(values["grade"]) if values.get("grade") else None,
            AESTDTC=start,
            AEENDTC=end,
            AESTDY=subject.day(start),
            AEENDY=subject.day(end),
            AEENRTPT="ONGOING" if values.get("ongoing") else None,
            AEENTPT="DATA CUTOFF" if values.get("ongoing") else None,
        )
        if values.get("serious"):
            for name, (field, _label) in SERIOUS.items():
                record[name] = yes_no(bool(values.get(field)))
        found.append(record)
    return finish(DOMAIN, found, key=lambda r: (r["AESTDTC"] or "", int(r["AESPID"])))
