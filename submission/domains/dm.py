"""DM, Demographics: one record per participant registered (screen failures included)."""

from __future__ import annotations

import contextlib
from typing import Any

from submission import codelists as cl
from submission import iso8601
from submission.domains import ex
from submission.domains.common import base, finish, identifiers
from submission.metadata import ASSIGNED, PROTOCOL, Domain, Variable, collected, derived
from submission.study import Study, Subject
from trial import schedule
from trial.calculations import age_in_years

ARM_IAH = "IAH"
ACTUAL_IAH_DOSE = "IAHDOSE"
ACTUAL_PET_ONLY = "PETONLY"
ARM_NAMES = dict(cl.ARM.terms)
# Participants who signed the consent in France: the trial's sites are French.
COUNTRY = "FRA"
NOT_COLLECTED = (
    "Not collected: French data-protection law does not allow recording ethnic or racial "
    "origin in this trial."
)

DOMAIN = Domain(
    "DM",
    "Demographics",
    "SPECIAL PURPOSE",
    "One record per subject",
    (
        *identifiers("DM"),
        Variable(
            "SUBJID",
            "Subject Identifier for the Study",
            "text",
            ASSIGNED,
            "Topic",
            "Req",
            comment="The participant code (site code and number), assigned at registration.",
        ),
        Variable(
            "RFSTDTC",
            "Subject Reference Start Date/Time",
            "date",
            derived(
                "The enrolment date: the day the investigator signed the participant "
                "eligible. Null for participants screening or screen failed."
            ),
            "Record Qualifier",
            "Exp",
        ),
        Variable(
            "RFENDTC",
            "Subject Reference End Date/Time",
            "date",
            derived("The end-of-study date; null while the participant is in the study."),
            "Record Qualifier",
            "Exp",
        ),
        Variable(
            "RFXSTDTC",
            "Date/Time of First Study Treatment",
            "partialDatetime",
            derived("The first LUTATHERA administration in EX (EXSTDTC)."),
            "Record Qualifier",
            "Exp",
        ),
        Variable(
            "RFXENDTC",
            "Date/Time of Last Study Treatment",
            "partialDatetime",
            derived("The last LUTATHERA administration in EX (EXENDTC)."),
            "Record Qualifier",
            "Exp",
        ),
        Variable(
            "RFICDTC",
            "Date/Time of Informed Consent",
            "datetime",
            collected("CONSENT"),
            "Record Qualifier",
            "Exp",
        ),
        Variable(
            "RFPENDTC",
            "Date/Time of End of Participation",
            "date",
            derived(
                "The end-of-study date, else the latest date of an event done (the data's "
                "last contact)."
            ),
            "Record Qualifier",
            "Exp",
        ),
        Variable(
            "DTHDTC", "Date/Time of Death", "date", collected("EOS"), "Record Qualifier", "Exp"
        ),
        Variable(
            "DTHFL",
            "Subject Death Flag",
            "text",
            derived("Y when the end-of-study form records a death, else null."),
            "Record Qualifier",
            "Exp",
            cl.NY,
        ),
        Variable("SITEID", "Study Site Identifier", "text", ASSIGNED, "Record Qualifier", "Req"),
        Variable(
            "BRTHDTC",
            "Date/Time of Birth",
            "partialDate",
            derived("The year of the date of birth collected: no more leaves the EDC."),
            "Record Qualifier",
            "Perm",
        ),
        Variable(
            "AGE",
            "Age",
            "integer",
            derived(
                "Completed years between the date of birth and the date of consent, in the "
                "site's time (trial/calculations.py age_in_years, as the eligibility rules)."
            ),
            "Record Qualifier",
            "Exp",
        ),
        Variable("AGEU", "Age Units", "text", ASSIGNED, "Variable Qualifier", "Exp", cl.AGEU),
        Variable("SEX", "Sex", "text", collected("DEMOG"), "Record Qualifier", "Req", cl.SEX),
        Variable(
            "RACE",
            "Race",
            "text",
            ASSIGNED,
            "Record Qualifier",
            "Exp",
            comment=NOT_COLLECTED,
        ),
        Variable(
            "ETHNIC",
            "Ethnicity",
            "text",
            ASSIGNED,
            "Record Qualifier",
            "Perm",
            comment=NOT_COLLECTED,
        ),
        Variable(
            "ARMCD",
            "Planned Arm Code",
            "text",
            derived("IAH for every enrolled participant (the trial has one planned arm)."),
            "Record Qualifier",
            "Exp",
            cl.ARM,
        ),
        Variable(
            "ARM",
            "Description of Planned Arm",
            "text",
            derived("The decode of ARMCD."),
            "Synonym Qualifier",
            "Exp",
        ),
        Variable(
            "ACTARMCD",
            "Actual Arm Code",
            "text",
            derived(
                "IAHDOSE when the IAH LUTATHERA dose is recorded, else PETONLY once the "
                "PET after IAH injection is recorded (as of the extraction); null before."
            ),
            "Record Qualifier",
            "Exp",
            cl.ARM,
        ),
        Variable(
            "ACTARM",
            "Description of Actual Arm",
            "text",
            derived("The decode of ACTARMCD."),
            "Synonym Qualifier",
            "Exp",
        ),
        Variable(
            "ARMNRS",
            "Reason Arm and/or Actual Arm is Null",
            "text",
            derived(
                "SCREEN FAILURE for a screen failure, NOT ASSIGNED while screening, "
                "ASSIGNED, NOT TREATED for an enrolled participant before the PET after IAH "
                "injection."
            ),
            "Record Qualifier",
            "Exp",
            cl.ARMNRS,
        ),
        Variable("COUNTRY", "Country", "text", PROTOCOL, "Record Qualifier", "Req", cl.COUNTRY),
    ),
)


def exposures(study: Study, subject: Subject) -> list[tuple[str, str | None]]:
    """(start, end) --DTC of each LUTATHERA administration of the subject, as EX has them."""
    return [
        (record["EXSTDTC"], record["EXENDTC"])
        for record in ex.subject_records(study, subject)
        if record["EXSTDTC"]
    ]


def _arms(study: Study, subject: Subject) -> dict[str, Any]:
    arms: dict[str, Any] = {"ARMCD": None, "ARM": None, "ACTARMCD": None, "ACTARM": None}
    if subject.status == schedule.SCREEN_FAILURE:
        return {**arms, "ARMNRS": "SCREEN FAILURE"}
    if subject.enrolment_date is None:
        return {**arms, "ARMNRS": "NOT ASSIGNED"}
    arms.update(ARMCD=ARM_IAH, ARM=ARM_NAMES[ARM_IAH], ARMNRS=None)
    dose = study.form_of(subject, "IAHDOSE", "IAH")
    if dose is not None and dose.values.get("infusion_date"):
        actual = ACTUAL_IAH_DOSE
    elif study.form_of(subject, "PET_IAH", "PET-IAH") is not None:
        actual = ACTUAL_PET_ONLY
    else:
        return {**arms, "ARMNRS": "ASSIGNED, NOT TREATED"}
    return {**arms, "ACTARMCD": actual, "ACTARM": ARM_NAMES[actual]}


def records(study: Study) -> list[dict[str, Any]]:
    result = []
    for subject in study.subjects:
        demog = study.form_of(subject, "DEMOG", "SCR")
        consent = study.form_of(subject, "CONSENT", "SCR")
        eos = study.form_of(subject, "EOS", "EOS")
        demog_values = demog.values if demog else {}
        consented = consent.values.get("consent_datetime") if consent else None
        born = demog_values.get("birth_date")
        age = None
        if born and consented:
            with contextlib.suppress(ValueError):  # a consent before birth: a data query
                age = age_in_years(born, consented.astimezone(subject.zone).date())
        end = eos.values.get("end_date") if eos else None
        death = eos.values.get("death_date") if eos else None
        given = exposures(study, subject)
        dates = list(subject.event_dates.values())
        last_contact = end or (max(dates) if dates else None)
        record = base("DM", subject)
        record.update(
            SUBJID=subject.code,
            RFSTDTC=subject.rfstdtc,
            RFENDTC=iso8601.dtc(end),
            RFXSTDTC=min(start for start, _end in given) if given else None,
            RFXENDTC=max((end or start) for start, end in given) if given else None,
            RFICDTC=subject.dtc(consented),
            RFPENDTC=iso8601.dtc(last_contact),
            DTHDTC=iso8601.dtc(death),
            DTHFL="Y" if death or (eos and eos.values.get("status") == "death") else None,
            SITEID=subject.site,
            BRTHDTC=iso8601.birth_year(born),
            AGE=age,
            AGEU="YEARS" if age is not None else None,
            SEX=demog_values.get("sex") or None,
            COUNTRY=COUNTRY,
            **_arms(study, subject),
        )
        result.append(record)
    return finish(DOMAIN, result, key=lambda r: 0)
