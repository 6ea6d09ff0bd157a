"""XD, Dosimetry: a custom findings domain (SDTMIG section 2.7; XD for "dosimetry").

Collected: the 177Lu activity (MBq, as present at scan time) in each volume of interest at
each SPECT/CT time point after the IAH dose, with the time point's planned elapsed time
(XDELTM) from the infusion start (XDRFTDTC) and the acquisition time (XDDTC).

Derived per volume, from that volume's time-activity curve, by the pure functions of
imaging/calculations.py as the dosimetry page computes them: the time-integrated activity
(trapezoids and tail), the residence time, and the mono-exponential cross-check. Each is a
`DerivedTest`; a new quantity is one more entry of DERIVED_TESTS (e.g. the absorbed dose,
once the volumes' masses are collected: its `compute` reads them from `Curve.extras`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from imaging import calculations as calc
from imaging.models import TIME_POINTS, VOLUMES
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
    Codelist,
    Domain,
    ValueSpec,
    Variable,
    collected,
    derived,
    number,
)
from submission.study import Entry, Study, Subject

EVENT = "DOSI"
REFERENCE = "IAH INFUSION START"
# Each volume of interest (the dosimetry form's columns): (XDSPID, XDLOC, XDLAT).
VOLUME_IDS = {
    "act_l1": ("L1", "LIVER", None),
    "act_l2": ("L2", "LIVER", None),
    "act_l3": ("L3", "LIVER", None),
    "act_l4": ("L4", "LIVER", None),
    "act_l5": ("L5", "LIVER", None),
    "act_liver": ("LIVER", "LIVER", None),
    "act_kidney_l": ("KIDNEY-L", "KIDNEY", "LEFT"),
    "act_kidney_r": ("KIDNEY-R", "KIDNEY", "RIGHT"),
    "act_spleen": ("SPLEEN", "SPLEEN", None),
    "act_marrow": ("MARROW", "BONE MARROW", None),
}
assert set(VOLUME_IDS) == set(VOLUMES), "every volume of the dosimetry form has an XDSPID"


@dataclass(frozen=True)
class Curve:
    """One volume's time-activity curve after the IAH dose, what a derived test reads."""

    volume: str
    times_h: tuple[float, ...]
    activities_mbq: tuple[float, ...]
    administered_mbq: float | None
    # What other forms add per volume (a VOI's volume and density, for an absorbed dose).
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DerivedTest:
    code: str
    name: str
    unit: str
    method: str
    # The value, or None when it cannot be computed (ValueError is taken as None too).
    compute: Callable[[Curve], float | None]


def _residence(curve: Curve) -> float | None:
    if not curve.administered_mbq:
        return None
    return calc.residence_time(curve.times_h, curve.activities_mbq, curve.administered_mbq)


DERIVED_TESTS: list[DerivedTest] = [
    DerivedTest(
        "TIA",
        "Time-Integrated Activity",
        "MBq.h",
        "Trapezoids from A(0) = 0 through the last time point, plus a tail A_n / max(lambda_eff, "
        "lambda_phys) (MIRD; imaging/calculations.py time_integrated_activity).",
        lambda curve: calc.time_integrated_activity(curve.times_h, curve.activities_mbq),
    ),
    DerivedTest(
        "RESTIME",
        "Residence Time",
        "h",
        "The time-integrated activity divided by the net administered activity of the IAH "
        "dose (imaging/calculations.py residence_time).",
        _residence,
    ),
    DerivedTest(
        "TIAMONO",
        "Time-Integrated Activity, Mono-Exp Fit",
        "MBq.h",
        "A0 / lambda of a mono-exponential fitted by least squares to ln A from the highest "
        "activity on (imaging/calculations.py mono_exponential_tia).",
        lambda curve: calc.mono_exponential_tia(curve.times_h, curve.activities_mbq),
    ),
]


def register(test: DerivedTest) -> None:
    """Add a derived quantity (one XD record per volume where it can be computed)."""
    if any(t.code == test.code for t in DERIVED_TESTS):
        raise ValueError(f"XD test {test.code} is already registered")
    DERIVED_TESTS.append(test)


def domain() -> Domain:
    """XD's metadata, with the derived tests registered now."""
    tests = Codelist(
        "CL.XDTESTCD",
        "Dosimetry tests",
        (
            ("ACTIVITY", "Activity in Volume of Interest"),
            *((t.code, t.name) for t in DERIVED_TESTS),
        ),
    )
    return Domain(
        "XD",
        "Dosimetry",
        "FINDINGS",
        "One record per test per volume per time point per subject",
        (
            *identifiers("XD"),
            seq("XD"),
            Variable(
                "XDSPID",
                "Sponsor-Defined Identifier",
                "text",
                ASSIGNED,
                "Identifier",
                "Exp",
                comment="The volume of interest: L1-L5 (PET index lesions), "
                "LIVER (healthy liver), KIDNEY-L, KIDNEY-R, SPLEEN, MARROW.",
            ),
            Variable("XDTESTCD", "Test Short Name", "text", ASSIGNED, "Topic", "Req", tests),
            Variable("XDTEST", "Test Name", "text", ASSIGNED, "Synonym Qualifier", "Req"),
            Variable(
                "XDORRES",
                "Result or Finding in Original Units",
                "text",
                collected("DOSI"),
                "Result Qualifier",
                "Exp",
                values=tuple(
                    ValueSpec("XDTESTCD", t.code, derived(t.method), t.name) for t in DERIVED_TESTS
                ),
                comment="A derived value is written to 9 significant digits; XDSTRESN holds "
                "the double.",
            ),
            Variable(
                "XDORRESU", "Original Units", "text", ASSIGNED, "Variable Qualifier", "Exp", cl.UNIT
            ),
            Variable(
                "XDSTRESC",
                "Character Result/Finding in Std Format",
                "text",
                derived("XDORRES."),
                "Result Qualifier",
                "Exp",
            ),
            Variable(
                "XDSTRESN",
                "Numeric Result/Finding in Standard Units",
                "float",
                derived("XDORRES as a number."),
                "Result Qualifier",
                "Exp",
            ),
            Variable(
                "XDSTRESU", "Standard Units", "text", ASSIGNED, "Variable Qualifier", "Exp", cl.UNIT
            ),
            Variable(
                "XDLOC",
                "Location Used for the Measurement",
                "text",
                ASSIGNED,
                "Record Qualifier",
                "Perm",
                cl.LOC,
            ),
            Variable("XDLAT", "Laterality", "text", ASSIGNED, "Variable Qualifier", "Perm", cl.LAT),
            Variable(
                "XDMETHOD",
                "Method of Test or Examination",
                "text",
                ASSIGNED,
                "Record Qualifier",
                "Perm",
                cl.METHOD,
            ),
            *visit_variables(),
            Variable(
                "XDDTC",
                "Date/Time of Collection",
                "datetime",
                collected("DOSI"),
                "Timing",
                "Exp",
                comment="The SPECT/CT acquisition time.",
            ),
            study_day_variable("XDDY", "Study Day of Collection", "XDDTC"),
            Variable("XDTPT", "Planned Time Point Name", "text", ASSIGNED, "Timing", "Perm"),
            Variable(
                "XDTPTNUM", "Planned Time Point Number", "integer", ASSIGNED, "Timing", "Perm"
            ),
            Variable(
                "XDELTM",
                "Planned Elapsed Time from Time Point Ref",
                "text",
                ASSIGNED,
                "Timing",
                "Perm",
            ),
            Variable("XDTPTREF", "Time Point Reference", "text", ASSIGNED, "Timing", "Perm"),
            Variable(
                "XDRFTDTC",
                "Date/Time of Reference Time Point",
                "datetime",
                collected("IAHDOSE"),
                "Timing",
                "Perm",
            ),
        ),
        custom=True,
        comment="Custom findings domain: the SPECT/CT activities after the IAH LUTATHERA dose "
        "and the dosimetry derived from them (time-integrated activity, residence time).",
        keys=("XDSPID", "XDTESTCD", "XDTPTNUM"),
    )


DOMAIN = domain()


def derived_text(value: float) -> str:
    return format(value, ".9g")


def _text(value: Any) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def curves(
    points: list[tuple[str, dict[str, Any]]], infusion: Any, administered_mbq: float | None
) -> list[Curve]:
    """Each volume's curve: (hours since the infusion start, MBq) of the time points that
    have an acquisition time and a value for it, in time-point order."""
    found = []
    for volume in VOLUMES:
        pairs = [
            ((items["acquired_at"] - infusion).total_seconds() / 3600, float(items[volume]))
            for _key, items in points
            if items.get("acquired_at") is not None and items.get(volume) is not None
        ]
        found.append(
            Curve(
                volume, tuple(t for t, _a in pairs), tuple(a for _t, a in pairs), administered_mbq
            )
        )
    return found


def _record(subject: Subject, test: str, name: str, volume: str) -> dict[str, Any]:
    spid, loc, lat = VOLUME_IDS[volume]
    record = with_visit(base("XD", subject), EVENT)
    record.update(
        XDSPID=spid, XDTESTCD=test, XDTEST=name, XDLOC=loc, XDLAT=lat, XDMETHOD="SPECT/CT"
    )
    return record


def _subject_records(entry: Entry, dose: Entry | None) -> list[dict[str, Any]]:
    subject, found = entry.subject, []
    infusion = dose.values.get("infusion_start") if dose else None
    reference = subject.dtc(infusion)
    points = entry.group("time_points")
    for key, items in points:
        hours, _window = TIME_POINTS.get(int(key), (None, None))
        when = subject.dtc(items.get("acquired_at"))
        for volume in VOLUMES:
            if items.get(volume) is None:
                continue
            record = _record(subject, "ACTIVITY", "Activity in Volume of Interest", volume)
            value = items[volume]
            record.update(
                XDORRES=_text(value),
                XDORRESU="MBq",
                XDSTRESC=_text(value),
                XDSTRESN=number(value),
                XDSTRESU="MBq",
                XDDTC=when,
                XDDY=subject.day(when),
                XDTPT=f"{hours} H" if hours is not None else None,
                XDTPTNUM=int(key),
                XDELTM=f"PT{hours}H" if hours is not None else None,
                XDTPTREF=REFERENCE,
                XDRFTDTC=reference,
            )
            found.append(record)
    if infusion is None:
        return found
    gbq = dose.values.get("net_administered_gbq") if dose else None
    administered = float(gbq) * 1000 if gbq is not None else None
    for curve in curves(points, infusion, administered):
        for test in DERIVED_TESTS:
            try:
                value = test.compute(curve)
            except ValueError:
                value = None
            if value is None:
                continue
            record = _record(subject, test.code, test.name, curve.volume)
            text = derived_text(value)
            record.update(
                XDORRES=text,
                XDORRESU=test.unit,
                XDSTRESC=text,
                XDSTRESN=float(value),
                XDSTRESU=test.unit,
                XDTPTREF=REFERENCE,
                XDRFTDTC=reference,
            )
            found.append(record)
    return found


def records(study: Study) -> list[dict[str, Any]]:
    found = []
    for entry in study.forms("DOSI"):
        found += _subject_records(entry, study.form_of(entry.subject, "IAHDOSE", "IAH"))
    volumes = {VOLUME_IDS[v][0]: i for i, v in enumerate(VOLUMES)}
    tests = {"ACTIVITY": 0, **{t.code: i + 1 for i, t in enumerate(DERIVED_TESTS)}}
    return finish(
        domain(),
        found,
        key=lambda r: (volumes[r["XDSPID"]], tests[r["XDTESTCD"]], r["XDTPTNUM"] or 0),
    )
