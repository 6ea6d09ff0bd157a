"""The custom findings domains checked against the pure calculations: every enhancement ratio
of XE from XE's own SUVs, every time-integrated activity and residence time of XD from XD's
own activities and times and EX's administered activity (imaging/calculations.py, tested
on its own against the published worked examples)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from imaging import calculations as calc
from submission.domains import xd
from submission.study import Study
from trial.models import Site

PET_IAH, PET_IV, GATE = 7, 8, 9  # VISITNUM: the schedule's order


def test_every_enhancement_ratio_of_xe_is_the_pure_calculation_of_its_suvs(sdtm):
    xe = sdtm.records("XE")
    suv: dict = {}
    derived: dict = {}
    for r in xe:
        key = (r["USUBJID"], r["XECAT"], r["XESPID"], r["XETESTCD"])
        if r["VISITNUM"] in (PET_IAH, PET_IV):
            suv[(*key, r["VISITNUM"])] = r["XESTRESN"]
            assert r["XEMETHOD"] == "PET/CT" and r["XEDTC"]
        else:
            assert r["VISITNUM"] == GATE
            derived[key] = r
    checked = 0
    for (subject, category, spid, test), record in derived.items():
        if test in ("ERSUVMAX", "ERSUVMN"):
            source = "SUVMAX" if test == "ERSUVMAX" else "SUVMEAN"
            iah = suv[(subject, category, spid, source, PET_IAH)]
            iv = suv[(subject, category, spid, source, PET_IV)]
            (expected,) = calc.lesion_enhancement_ratios([iah], [iv])
            assert record["XESTRESN"] == expected, (subject, spid, test)
            assert record["XEORRES"] == format(expected, ".9g")
            checked += 1
    subjects = {s for (s, _c, _p, _t) in derived}
    patients = 0
    for subject in subjects:
        lesions = [f"L{n}" for n in range(1, 6)]
        pairs = [
            (
                suv.get((subject, "INDEX LESION", lesion, "SUVMAX", PET_IAH)),
                suv.get((subject, "INDEX LESION", lesion, "SUVMAX", PET_IV)),
            )
            for lesion in lesions
        ]
        record = derived.get((subject, "PATIENT", None, "PATER"))
        if any(a is None or b is None for a, b in pairs):
            assert record is None, subject  # defined only with all 5 lesions
            continue
        ratio = calc.patient_enhancement_ratio([a for a, _ in pairs], [b for _, b in pairs])
        assert record["XESTRESN"] == ratio
        met = derived[(subject, "PATIENT", None, "GATEMET")]["XEORRES"]
        assert met == ("Y" if calc.gate_met(ratio) else "N")
        patients += 1
    assert checked >= 40 and patients >= 5
    # The demo has patients on both sides of the gate.
    assert {r["XEORRES"] for r in xe if r["XETESTCD"] == "GATEMET"} == {"Y", "N"}


def _hours(zone: ZoneInfo, start: str, end: str) -> float:
    """Hours between two local SDTM date-times of one site (a DST change counts)."""
    first = datetime.fromisoformat(start).replace(tzinfo=zone)
    second = datetime.fromisoformat(end).replace(tzinfo=zone)
    return (second - first).total_seconds() / 3600


def test_every_dosimetry_value_of_xd_is_the_pure_calculation_of_its_curve(sdtm, demo):
    zones = {s.code: ZoneInfo(s.time_zone) for s in Site.objects.all()}
    site = {r["USUBJID"]: r["SITEID"] for r in sdtm.records("DM")}
    dose = {
        r["USUBJID"]: r["EXDOSE"] * 1000
        for r in sdtm.records("EX")
        if r["EXROUTE"] == "INTRA-ARTERIAL"
    }
    curves: dict = defaultdict(list)
    derived: dict = {}
    for r in sdtm.records("XD"):
        if r["XDTESTCD"] == "ACTIVITY":
            zone = zones[site[r["USUBJID"]]]
            curves[(r["USUBJID"], r["XDSPID"])].append(
                (r["XDTPTNUM"], _hours(zone, r["XDRFTDTC"], r["XDDTC"]), r["XDSTRESN"])
            )
            assert r["XDSTRESU"] == "MBq" and r["XDELTM"].startswith("PT")
        else:
            derived[(r["USUBJID"], r["XDSPID"], r["XDTESTCD"])] = r["XDSTRESN"]
    checked = doses = 0
    for (subject, volume), points in curves.items():
        points.sort()
        times = [t for _n, t, _a in points]
        activities = [a for _n, _t, a in points]
        tia = calc.time_integrated_activity(times, activities)
        assert derived[(subject, volume, "TIA")] == pytest.approx(tia, rel=1e-12)
        assert derived[(subject, volume, "RESTIME")] == pytest.approx(
            calc.residence_time(times, activities, dose[subject]), rel=1e-12
        )
        assert derived[(subject, volume, "TIAMONO")] == pytest.approx(
            calc.mono_exponential_tia(times, activities), rel=1e-12
        )
        relative = calc.mono_exponential_uncertainty(times, activities)
        assert derived.get((subject, volume, "TIAUNC")) == (
            None if relative is None else pytest.approx(relative * 100, rel=1e-12)
        )
        # The absorbed doses of the three methods, from the collected VOI volume and density.
        ml = derived[(subject, volume, "VOLUME")]
        density = derived.get((subject, volume, "DENSITY"), 1.06)
        single = calc.single_time_point_index(times)
        tias = {
            "DOSE": tia,
            "DOSEMONO": calc.mono_exponential_tia(times, activities),
            "DOSESTP": None
            if single is None
            else calc.single_time_point_tia(times[single], activities[single]),
        }
        per_gbq = {"DOSE": "DOSEGBQ", "DOSEMONO": "DOSMOGBQ", "DOSESTP": "DOSSTGBQ"}
        for code, value in tias.items():
            if value is None:
                assert (subject, volume, code) not in derived
                continue
            gray = calc.absorbed_dose_gy(value, ml, density)
            assert derived[(subject, volume, code)] == pytest.approx(gray, rel=1e-12)
            assert derived[(subject, volume, per_gbq[code])] == pytest.approx(
                gray / (dose[subject] / 1000), rel=1e-12
            )
            doses += 1
        checked += 1
    assert checked >= 20 and doses >= 40
    # The marrow's density is entered in the demo; the others are the default.
    assert {v for (_s, v, t) in derived if t == "DENSITY"} == {"MARROW"}
    # Nothing derived without its curve.
    assert {(s, v) for (s, v, _t) in derived} == set(curves)


def test_a_new_dosimetry_quantity_is_one_registered_test(demo, tmp_path):
    """An absorbed dose (local energy deposition, PROTOCOL.md: 100 MBq·h in 10 mL gives
    0.8048 Gy) added as one more derived test: its rows appear in XD, its code in the
    codelist and define.xml, and the package stays valid."""
    from submission import package
    from trial.exports.common import resolve_scope

    joules_per_mbq_h = 3.6e9 * 147.9e3 * 1.602176634e-19
    test = xd.DerivedTest(
        "ABSDOSE",
        "Absorbed Dose",
        "Gy",
        "Local energy deposition in a 10 mL volume (test only).",
        lambda curve: (
            calc.time_integrated_activity(curve.times_h, curve.activities_mbq)
            * joules_per_mbq_h
            / 0.0106
        ),
    )
    assert 100 * joules_per_mbq_h / 0.0106 == pytest.approx(0.8048, abs=5e-5)
    xd.register(test)
    try:
        result = package.build(resolve_scope(site="BDX"), tmp_path, crf_book=False)
        assert result.errors == []
        records = xd.records(Study())
        rows = [r for r in records if r["XDTESTCD"] == "ABSDOSE"]
        tia = {
            (r["USUBJID"], r["XDSPID"]): r["XDSTRESN"] for r in records if r["XDTESTCD"] == "TIA"
        }
        assert rows and len(rows) == len(tia)
        for r in rows:
            assert r["XDSTRESN"] == pytest.approx(
                tia[(r["USUBJID"], r["XDSPID"])] * joules_per_mbq_h / 0.0106, rel=1e-12
            )
        assert "ABSDOSE" in (tmp_path / "define.xml").read_text()
        with pytest.raises(ValueError, match="already registered"):
            xd.register(test)
    finally:
        xd.DERIVED_TESTS.remove(test)
