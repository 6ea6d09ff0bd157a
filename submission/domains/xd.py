"""XD, Dosimetry: a custom findings domain (SDTMIG section 2.7; XD for "dosimetry").

Collected: the 177Lu activity (MBq, as present at scan time) in each volume of interest at
each SPECT/CT time point after the IAH dose, with the time point's planned elapsed time
(XDELTM) from the infusion start (XDRFTDTC) and the acquisition time (XDDTC).

Collected per volume, without a time point: the VOI volume (mL, from the CT) and the density
(g/mL) when one was entered (else 1.06 g/mL is used).

Derived per volume, from that volume's time-activity curve, by the pure functions of
imaging/calculations.py and imaging/dosimetry.py as the dosimetry page computes them: the
time-integrated activity by three methods (trapezoids and tail; mono-exponential fit with its
relative uncertainty; single time point), the residence time, and the absorbed dose of each
method in Gy and Gy/GBq. Each is a `DerivedTest`; a new quantity is one more entry of
DERIVED_TESTS (its `compute` reads the volume and density from `Curve.extras`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from imaging import calculations as calc
from imaging import selectors
from imaging.models import REGION_KEYS, TIME_POINTS, VOLUMES
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


def _region(curve: Curve) -> Any:
    volume, density = curve.extras.get("volume_ml"), curve.extras.get("density_g_ml")
    return selectors.region_dosimetry(
        curve.volume,
        curve.times_h,
        curve.activities_mbq,
        volume_ml=None if volume is None else float(volume),
        density_g_ml=None if density is None else float(density),
        administered_mbq=curve.administered_mbq,
    )


def _method(method: str, attribute: str) -> Callable[[Curve], float | None]:
    def compute(curve: Curve) -> float | None:
        return getattr(_region(curve).methods[method], attribute)

    return compute


def _uncertainty_percent(curve: Curve) -> float | None:
    relative = calc.mono_exponential_uncertainty(curve.times_h, curve.activities_mbq)
    return None if relative is None else relative * 100


_DOSE = (
    "Local energy deposition of the 177Lu electrons (147.9 keV per decay) in the VOI's mass, "
    "volume x density (1.06 g/mL unless entered), from the time-integrated activity "
)

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
    DerivedTest(
        "TIAUNC",
        "TIA Mono-Exp Fit, Relative SD",
        "%",
        "One standard deviation of the mono-exponential time-integrated activity, the OLS "
        "covariance of ln A propagated (Gear et al., EANM 2018); not defined with two fitted "
        "points or lambda set to lambda_phys (imaging/calculations.py "
        "mono_exponential_uncertainty).",
        _uncertainty_percent,
    ),
    DerivedTest(
        "TIASTP",
        "TIA, Single Time Point",
        "MBq.h",
        "A(t) x 2t / ln 2 from the time point closest to 96 h, from 72 to 144 h (Hanscheid et "
        "al., J Nucl Med 2018; imaging/calculations.py single_time_point_tia).",
        _method(selectors.SINGLE, "tia"),
    ),
    DerivedTest(
        "DOSE",
        "Absorbed Dose, Trapezoids",
        "Gy",
        _DOSE + "by the trapezoids (imaging/calculations.py absorbed_dose_gy).",
        _method(selectors.TRAPEZOIDS, "dose_gy"),
    ),
    DerivedTest(
        "DOSEMONO",
        "Absorbed Dose, Mono-Exp Fit",
        "Gy",
        _DOSE + "of the mono-exponential fit (imaging/calculations.py absorbed_dose_gy).",
        _method(selectors.MONO, "dose_gy"),
    ),
    DerivedTest(
        "DOSESTP",
        "Absorbed Dose, Single Time Point",
        "Gy",
        _DOSE + "of the single time point (imaging/calculations.py absorbed_dose_gy).",
        _method(selectors.SINGLE, "dose_gy"),
    ),
    DerivedTest(
        "DOSEGBQ",
        "Absorbed Dose per GBq, Trapezoids",
        "Gy/GBq",
        "The absorbed dose by the trapezoids divided by the net administered activity (GBq).",
        _method(selectors.TRAPEZOIDS, "gy_per_gbq"),
    ),
    DerivedTest(
        "DOSMOGBQ",
        "Absorbed Dose per GBq, Mono-Exp Fit",
        "Gy/GBq",
        "The absorbed dose of the mono-exponential fit divided by the net administered "
        "activity (GBq).",
        _method(selectors.MONO, "gy_per_gbq"),
    ),
    DerivedTest(
        "DOSSTGBQ",
        "Absorbed Dose per GBq, Single Time Pt",
        "Gy/GBq",
        "The absorbed dose of the single time point divided by the net administered activity "
        "(GBq).",
        _method(selectors.SINGLE, "gy_per_gbq"),
    ),
]
COLLECTED_TESTS = (
    ("VOLUME", "Volume of Interest, Volume", "mL", "volume_ml"),
    ("DENSITY", "Volume of Interest, Density", "g/mL", "density_g_ml"),
)


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
            *((code, name) for code, name, _unit, _item in COLLECTED_TESTS),
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
        "and the VOI volumes, and the dosimetry derived from them (time-integrated activity "
        "by three methods with the fit's uncertainty, residence time, absorbed dose in Gy and "
        "Gy/GBq).",
        keys=("XDSPID", "XDTESTCD", "XDTPTNUM"),
    )


DOMAIN = domain()


def derived_text(value: float) -> str:
    return format(value, ".9g")


def _text(value: Any) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def curves(
    points: list[tuple[str, dict[str, Any]]],
    infusion: Any,
    administered_mbq: float | None,
    volumes: Mapping[str, dict[str, Any]] | None = None,
) -> list[Curve]:
    """Each volume's curve: (hours since the infusion start, MBq) of the time points that
    have an acquisition time and a value for it, in time-point order; `volumes`: each volume
    name's VOI row (volume_ml, density_g_ml), its extras."""
    found = []
    volumes = volumes or {}
    for volume in VOLUMES:
        pairs = [
            ((items["acquired_at"] - infusion).total_seconds() / 3600, float(items[volume]))
            for _key, items in points
            if items.get("acquired_at") is not None and items.get(volume) is not None
        ]
        found.append(
            Curve(
                volume,
                tuple(t for t, _a in pairs),
                tuple(a for _t, a in pairs),
                administered_mbq,
                volumes.get(volume, {}),
            )
        )
    return found


REGION_NAMES = {str(number): name for name, number in REGION_KEYS.items()}


def _volumes(entry: Entry) -> dict[str, dict[str, Any]]:
    """The VOI rows by volume name (the group is keyed by region number)."""
    return {
        REGION_NAMES[key]: items for key, items in entry.group("volumes") if key in REGION_NAMES
    }


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
    volumes = _volumes(entry)
    for volume, items in volumes.items():
        for code, name, unit, item in COLLECTED_TESTS:
            value = items.get(item)
            if value is None:
                continue
            record = _record(subject, code, name, volume)
            record.update(
                XDORRES=_text(value),
                XDORRESU=unit,
                XDSTRESC=_text(value),
                XDSTRESN=number(value),
                XDSTRESU=unit,
            )
            found.append(record)
    if infusion is None:
        return found
    gbq = dose.values.get("net_administered_gbq") if dose else None
    administered = float(gbq) * 1000 if gbq is not None else None
    for curve in curves(points, infusion, administered, volumes):
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
    collected = [code for code, _name, _unit, _item in COLLECTED_TESTS]
    tests = {
        code: i for i, code in enumerate(["ACTIVITY", *collected, *(t.code for t in DERIVED_TESTS)])
    }
    return finish(
        domain(),
        found,
        key=lambda r: (volumes[r["XDSPID"]], tests[r["XDTESTCD"]], r["XDTPTNUM"] or 0),
    )
