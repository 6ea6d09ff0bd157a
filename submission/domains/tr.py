"""TR, Tumor/Lesion Results (RECIST 1.1): the baseline diameters, each follow-up assessment's
measurement of every baseline target lesion, the sums of diameters, and the state of the
non-target and new lesions.

A target lesion is measured by its longest diameter (LDIAM), a lymph node by its short axis
(SAXIS). At follow-up the CRF says whether each target lesion is still present (TUMSTATE)
and its size; a lesion neither sized nor said absent, or marked not evaluable, was not
evaluated (TRSTAT NOT DONE). A lesion that split (RECIST 1.1 section 4.3.2) is TUMSTATE SPLIT
with the sum of its fragments' diameters; one merged into another is TUMSTATE MERGED with
size 0, TRLNKGRP naming the lesion it is measured under.
SUMDIAM is the sum the EDC derived and stored (followup/derived.py), at baseline the sum of
the baseline diameters.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from followup import calculations as recist
from submission import codelists as cl
from submission.domains import tu
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
    number,
)
from submission.study import Entry, Study, Subject

NAMES = dict(cl.TRTESTCD.terms)
# A measurement row's state (followup.models.LesionState) and its TUMSTATE result.
NOT_EVALUABLE, SPLIT, MERGED = "not_evaluable", "split", "merged"
STATES = {SPLIT: "SPLIT", MERGED: "MERGED"}
SUM_METHOD = (
    "RECIST 1.1 sum of diameters: longest diameters, short axes for lymph nodes; a non-nodal "
    "target lesion that has gone counts 0 (followup/derived.py, followup/calculations.py)."
)

DOMAIN = Domain(
    "TR",
    "Tumor/Lesion Results",
    "FINDINGS",
    "One record per tumor measurement/assessment per visit per subject",
    (
        *identifiers("TR"),
        seq("TR"),
        Variable(
            "TRGRPID",
            "Group ID",
            "text",
            ASSIGNED,
            "Identifier",
            "Perm",
            comment="TARGET, NON-TARGET or NEW: the lesions' RECIST category.",
        ),
        Variable(
            "TRLNKID", "Link ID", "text", derived("TULNKID of the lesion."), "Identifier", "Exp"
        ),
        Variable(
            "TRLNKGRP",
            "Link Group ID",
            "text",
            derived(
                "For a target lesion merged into another (RECIST 1.1 lesions that coalesce): "
                "the TRLNKID of the lesion it is measured under."
            ),
            "Identifier",
            "Perm",
        ),
        Variable(
            "TRTESTCD",
            "Tumor/Lesion Assessment Short Name",
            "text",
            ASSIGNED,
            "Topic",
            "Req",
            cl.TRTESTCD,
        ),
        Variable(
            "TRTEST",
            "Tumor/Lesion Assessment Test Name",
            "text",
            ASSIGNED,
            "Synonym Qualifier",
            "Req",
        ),
        Variable(
            "TRORRES",
            "Result or Finding in Original Units",
            "text",
            collected("IMAGING", "RECIST"),
            "Result Qualifier",
            "Exp",
            values=(ValueSpec("TRTESTCD", "SUMDIAM", derived(SUM_METHOD), "Sum of Diameters"),),
        ),
        Variable(
            "TRORRESU", "Original Units", "text", ASSIGNED, "Variable Qualifier", "Exp", cl.UNIT
        ),
        Variable(
            "TRSTRESC",
            "Character Result/Finding in Std Format",
            "text",
            derived("TRORRES."),
            "Result Qualifier",
            "Exp",
        ),
        Variable(
            "TRSTRESN",
            "Numeric Result/Finding in Standard Units",
            "float",
            derived("TRORRES as a number (diameters and sums, mm)."),
            "Result Qualifier",
            "Exp",
        ),
        Variable(
            "TRSTRESU", "Standard Units", "text", ASSIGNED, "Variable Qualifier", "Exp", cl.UNIT
        ),
        Variable(
            "TRSTAT",
            "Completion Status",
            "text",
            derived("NOT DONE for a target lesion neither measured nor said absent."),
            "Record Qualifier",
            "Perm",
            cl.STAT,
        ),
        Variable(
            "TRMETHOD",
            "Method of Test or Examination",
            "text",
            derived("MRI for a liver lesion, CT SCAN otherwise (the protocol's imaging)."),
            "Record Qualifier",
            "Exp",
            cl.METHOD,
        ),
        Variable("TREVAL", "Evaluator", "text", ASSIGNED, "Record Qualifier", "Exp", cl.EVAL),
        *visit_variables(),
        Variable(
            "TRDTC",
            "Date/Time of Tumor/Lesion Measurement",
            "date",
            collected("IMAGING", "RECIST"),
            "Timing",
            "Exp",
        ),
        study_day_variable("TRDY", "Study Day of Tumor/Lesion Measurement", "TRDTC"),
    ),
    keys=("VISITNUM", "TRLNKID", "TRTESTCD"),
)


def _text(value: Any) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def diameter_test(organ: str | None) -> str:
    return "SAXIS" if organ == tu.NODE else "LDIAM"


def _record(
    subject: Subject,
    event: str,
    group: str,
    link: str | None,
    test: str,
    when: Any,
    method: str | None,
) -> dict[str, Any]:
    day = subject.dtc(when)
    record = with_visit(base("TR", subject), event)
    record.update(
        TRGRPID=group,
        TRLNKID=link,
        TRTESTCD=test,
        TRTEST=NAMES[test],
        TRMETHOD=method,
        TREVAL="INVESTIGATOR",
        TRDTC=day,
        TRDY=subject.day(day),
    )
    return record


def _size(record: dict[str, Any], value: Any) -> dict[str, Any]:
    if value is None:
        record["TRSTAT"] = "NOT DONE"
    else:
        record.update(
            TRORRES=_text(value),
            TRORRESU="mm",
            TRSTRESC=_text(value),
            TRSTRESN=number(value),
            TRSTRESU="mm",
        )
    return record


def _state(record: dict[str, Any], present: bool) -> dict[str, Any]:
    state = "PRESENT" if present else "ABSENT"
    record.update(TRORRES=state, TRSTRESC=state)
    return record


def _baseline(entry: Entry) -> list[dict[str, Any]]:
    subject, found = entry.subject, []
    diameters = []
    for link, items in tu.targets(entry):
        organ = items.get("organ")
        when = tu.baseline_date(entry.values, organ)
        record = _record(
            subject, entry.event, tu.TARGET, link, diameter_test(organ), when, tu.method(organ)
        )
        found.append(_size(record, items.get("diameter_mm")))
        if items.get("diameter_mm") is not None:
            diameters.append(float(items["diameter_mm"]))
    for link, items in tu.non_targets(entry):
        organ = items.get("organ")
        record = _record(
            subject,
            entry.event,
            tu.NON_TARGET,
            link,
            "TUMSTATE",
            tu.baseline_date(entry.values, organ),
            tu.method(organ),
        )
        found.append(_state(record, True))
    if diameters:
        days = [d for d in (entry.values.get("ct_date"), entry.values.get("mri_date")) if d]
        total = Decimal(repr(recist.sum_of_diameters(diameters)))
        record = _record(
            subject, entry.event, tu.TARGET, None, "SUMDIAM", max(days) if days else None, None
        )
        found.append(_size(record, total))
    return found


def _follow_up(entry: Entry, baseline: Entry) -> list[dict[str, Any]]:
    subject, values, found = entry.subject, entry.values, []
    when = values.get("imaging_date")
    measured = {key: items for key, items in entry.group("measurements")}
    for (link, items), (key, _row) in zip(
        tu.targets(baseline), baseline.group("target_lesions"), strict=True
    ):
        organ = items.get("organ")
        row = measured.get(key, {})
        state = row.get("state") or ""
        if state == NOT_EVALUABLE:
            row = {}
        if state in STATES:
            record = _record(
                subject, entry.event, tu.TARGET, link, "TUMSTATE", when, tu.method(organ)
            )
            record.update(TRORRES=STATES[state], TRSTRESC=STATES[state])
            if state == MERGED:
                record["TRLNKGRP"] = row.get("merged_into") or None
            found.append(record)
        elif row.get("present") is not None:
            record = _record(
                subject, entry.event, tu.TARGET, link, "TUMSTATE", when, tu.method(organ)
            )
            found.append(_state(record, row["present"]))
        if row.get("size_mm") is not None or row.get("present") is not False:
            record = _record(
                subject, entry.event, tu.TARGET, link, diameter_test(organ), when, tu.method(organ)
            )
            found.append(_size(record, row.get("size_mm")))
    if values.get("sum_mm") is not None:
        record = _record(subject, entry.event, tu.TARGET, None, "SUMDIAM", when, None)
        found.append(_size(record, values["sum_mm"]))
    if values.get("new_lesions"):
        record = _record(
            subject, entry.event, tu.NEW, tu.new_lesion_id(entry.event), "TUMSTATE", when, None
        )
        found.append(_state(record, True))
    return found


def records(study: Study) -> list[dict[str, Any]]:
    found = []
    baselines = {e.subject.pk: e for e in study.forms("IMAGING")}
    for entry in baselines.values():
        found += _baseline(entry)
    for entry in study.forms("RECIST"):
        baseline = baselines.get(entry.subject.pk)
        if baseline is not None and entry.values.get("imaging_date"):
            found += _follow_up(entry, baseline)
    groups = {tu.TARGET: 0, tu.NON_TARGET: 1, tu.NEW: 2}
    tests = {"TUMSTATE": 0, "LDIAM": 1, "SAXIS": 1, "SUMDIAM": 2}
    return finish(
        DOMAIN,
        found,
        key=lambda r: (
            r["VISITNUM"] or 0,
            groups[r["TRGRPID"]],
            r["TRLNKID"] is None,
            len(r["TRLNKID"] or ""),
            r["TRLNKID"] or "",
            tests[r["TRTESTCD"]],
        ),
    )
