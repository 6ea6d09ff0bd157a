"""DS, Disposition: the consent, the eligibility decision, the gate decision and the end of
study, each on its date."""

from __future__ import annotations

from typing import Any

from submission import codelists as cl
from submission.domains.common import base, finish, identifiers, seq, study_day_variable
from submission.metadata import Domain, Variable, collected, derived
from submission.study import Study

END_STATUS = {
    "completed": "COMPLETED",
    "withdrew_consent": "WITHDRAWAL BY SUBJECT",
    "lost_to_follow_up": "LOST TO FOLLOW-UP",
    "death": "DEATH",
    "investigator_decision": "PHYSICIAN DECISION",
    "other": "OTHER",
}
GATE = {
    "proceed": "IAH DOSE: PROCEED",
    "not_eligible": "IAH DOSE: NOT ELIGIBLE",
    "declined": "IAH DOSE: DECLINED",
}
MILESTONE, DISPOSITION = "PROTOCOL MILESTONE", "DISPOSITION EVENT"

DOMAIN = Domain(
    "DS",
    "Disposition",
    "EVENTS",
    "One record per disposition status or protocol milestone per subject",
    (
        *identifiers("DS"),
        seq("DS"),
        Variable(
            "DSTERM",
            "Reported Term for the Disposition Event",
            "text",
            collected("CONSENT", "ELIGSIGN", "GATE", "EOS"),
            "Topic",
            "Req",
        ),
        Variable(
            "DSDECOD",
            "Standardized Disposition Term",
            "text",
            derived("The milestone, or the CRF's status in SDTM's wording."),
            "Synonym Qualifier",
            "Req",
        ),
        Variable(
            "DSCAT",
            "Category for Disposition Event",
            "text",
            derived(
                "PROTOCOL MILESTONE for consent, eligibility met and the gate; DISPOSITION EVENT "
                "for a screen failure and the end of study."
            ),
            "Grouping Qualifier",
            "Exp",
            cl.DSCAT,
        ),
        Variable(
            "EPOCH",
            "Epoch",
            "text",
            derived(
                "SCREENING for the consent and eligibility, TREATMENT for the gate, FOLLOW-UP for "
                "the end of study."
            ),
            "Timing",
            "Exp",
            cl.EPOCH,
        ),
        Variable(
            "DSSTDTC",
            "Start Date/Time of Disposition Event",
            "partialDatetime",
            collected("CONSENT", "ELIGSIGN", "GATE", "EOS"),
            "Timing",
            "Exp",
        ),
        study_day_variable("DSSTDY", "Study Day of Start of Disposition Event", "DSSTDTC"),
    ),
)


def records(study: Study) -> list[dict[str, Any]]:
    found = []

    def add(subject, term, decod, category, epoch, when) -> None:
        record = base("DS", subject)
        start = subject.dtc(when)
        record.update(
            DSTERM=term,
            DSDECOD=decod,
            DSCAT=category,
            EPOCH=epoch,
            DSSTDTC=start,
            DSSTDY=subject.day(start),
        )
        found.append(record)

    for subject in study.subjects:
        consent = study.form_of(subject, "CONSENT", "SCR")
        if consent and consent.values.get("consent_datetime"):
            term = "INFORMED CONSENT OBTAINED"
            add(subject, term, term, MILESTONE, "SCREENING", consent.values["consent_datetime"])
        sign = study.form_of(subject, "ELIGSIGN", "ELIG")
        decision = sign.values.get("decision") if sign else ""
        if sign and decision == "eligible":
            term = "ELIGIBILITY CRITERIA MET"
            add(subject, term, term, MILESTONE, "SCREENING", sign.values.get("signoff_date"))
        elif sign and decision == "screen_failure":
            failed = sign.values.get("failed_criteria") or ""
            term = f"SCREEN FAILURE: {failed}" if failed else "SCREEN FAILURE"
            add(
                subject,
                term[:200],
                "SCREEN FAILURE",
                DISPOSITION,
                "SCREENING",
                sign.values.get("signoff_date"),
            )
        gate = study.form_of(subject, "GATE", "GATE")
        if gate and gate.values.get("decision") in GATE:
            term = GATE[gate.values["decision"]]
            add(subject, term, term, MILESTONE, "TREATMENT", gate.values.get("decided_on"))
        eos = study.form_of(subject, "EOS", "EOS")
        if eos and eos.values.get("status") in END_STATUS:
            decod = END_STATUS[eos.values["status"]]
            term = eos.values.get("details") or decod
            add(subject, term, decod, DISPOSITION, "FOLLOW-UP", eos.values.get("end_date"))
    return finish(DOMAIN, found, key=lambda r: (r["DSSTDTC"] or "9999", r["DSCAT"]))
