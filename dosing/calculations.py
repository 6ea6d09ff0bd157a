"""Dosing science for NCT04837885: CTCAE v5 lab grades, unit conversions, LUTATHERA dose
advice and the checks shown on the IV-cycle forms (PROTOCOL.md sections 2, 3 and 5).

Standard library only (and trial.calculations, as pure): forms, views, tasks and tests all
import this, and it must stay testable without Django. Messages are plain English; the form
layer wraps them for translation. The dose advice also says what it found as `Message`s (a
wording key and its values), which dosing.advice words in the user's language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Literal

from trial.calculations import shown_against

# --- Units (PROTOCOL.md section 3) -------------------------------------------------------------

PER_MM3_PER_G_L = 1000.0
CREATININE_UMOL_L_PER_MG_DL = 88.4
BILIRUBIN_UMOL_L_PER_MG_DL = 17.1

# Count units are matched exactly: "g/L" is a mass concentration (haemoglobin), so a case-folded
# match would silently accept the wrong quantity.
_COUNT_FACTORS = {
    "G/L": PER_MM3_PER_G_L,
    "10^9/L": PER_MM3_PER_G_L,
    "/mm3": 1.0,
    "/mm³": 1.0,
    "/µL": 1.0,  # micro sign
    "/μL": 1.0,  # Greek mu: both reach us from lab exports
    "/uL": 1.0,
}


def _micromolar_factors(per_mg_dl: float) -> dict[str, float]:
    # Case-folded keys: "mg/dl" and "umol/l" are common spellings of the same units.
    return {"umol/l": 1.0, "µmol/l": 1.0, "μmol/l": 1.0, "mg/dl": per_mg_dl}


_CREATININE_FACTORS = _micromolar_factors(CREATININE_UMOL_L_PER_MG_DL)
_BILIRUBIN_FACTORS = _micromolar_factors(BILIRUBIN_UMOL_L_PER_MG_DL)


def _require_finite(name: str, value: float, *, allow_negative: bool = False) -> float:
    if value is None or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < 0 and not allow_negative:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return float(value)


def _convert(value: float, unit: str, factors: dict[str, float], quantity: str) -> float:
    factor = factors.get(unit)
    if factor is None:
        raise ValueError(f"Unknown {quantity} unit {unit!r}; expected one of {sorted(factors)}")
    return _require_finite(quantity, value) * factor


def count_to_per_mm3(value: float, unit: str) -> float:
    """Convert a blood cell count to /mm3 (1 G/L = 1000/mm3)."""
    return _convert(value, unit.strip(), _COUNT_FACTORS, "cell count")


def creatinine_to_umol_l(value: float, unit: str) -> float:
    """Convert serum creatinine to µmol/L (1 mg/dL = 88.4 µmol/L)."""
    return _convert(value, unit.strip().casefold(), _CREATININE_FACTORS, "creatinine")


def bilirubin_to_umol_l(value: float, unit: str) -> float:
    """Convert total bilirubin to µmol/L (1 mg/dL = 17.1 µmol/L)."""
    return _convert(value, unit.strip().casefold(), _BILIRUBIN_FACTORS, "bilirubin")


def umol_l_to_mg_dl_creatinine(value: float) -> float:
    """Convert serum creatinine from µmol/L to mg/dL (Cockcroft-Gault wants mg/dL)."""
    return _require_finite("creatinine", value) / CREATININE_UMOL_L_PER_MG_DL


# --- CTCAE v5 lab grades (PROTOCOL.md section 5) -------------------------------------------------

ANEMIA = "Anemia"
NEUTROPHILS_DECREASED = "Neutrophil count decreased"
PLATELETS_DECREASED = "Platelet count decreased"
LYMPHOCYTES_DECREASED = "Lymphocyte count decreased"
ALT_INCREASED = "Alanine aminotransferase increased"
AST_INCREASED = "Aspartate aminotransferase increased"
BILIRUBIN_INCREASED = "Blood bilirubin increased"
CREATININE_INCREASED = "Creatinine increased"

# Boundaries are compared with a relative tolerance so that a value that sits on a boundary after a
# unit conversion or a multiplication (3 x 0.3 = 0.8999...) lands on the side CTCAE says it does.
_REL_TOL = 1e-9


def _below(value: float, limit: float) -> bool:
    return value < limit and not math.isclose(value, limit, rel_tol=_REL_TOL)


def _above(value: float, limit: float) -> bool:
    return value > limit and not math.isclose(value, limit, rel_tol=_REL_TOL)


def _at_least(value: float, limit: float) -> bool:
    return not _below(value, limit)


# Decreased terms: the lower bounds of G1, G2, G3 in the term's unit. Anemia has no G4 by value
# (CTCAE G4 is "life-threatening consequences"), so it stops at G3.
_DECREASED_FLOORS: dict[str, tuple[float, ...]] = {
    ANEMIA: (10.0, 8.0),
    NEUTROPHILS_DECREASED: (1500.0, 1000.0, 500.0),
    PLATELETS_DECREASED: (75000.0, 50000.0, 25000.0),
    LYMPHOCYTES_DECREASED: (800.0, 500.0, 200.0),
}

# Increased terms: (grade, multiple, inclusive): a value above (or at, when inclusive) multiple x
# the reference reaches that grade.
_Band = tuple[int, float, bool]


def _bands(
    *multiples: float, first_grade: int = 1, first_inclusive: bool = False
) -> tuple[_Band, ...]:
    return tuple(
        (first_grade + i, multiple, first_inclusive and i == 0)
        for i, multiple in enumerate(multiples)
    )


_TRANSAMINASE_ULN = _bands(1.0, 3.0, 5.0, 20.0)
# CTCAE writes G1 for an abnormal baseline as "1.5 - 3.0 x baseline": 1.5 itself is included.
_TRANSAMINASE_BASELINE = _bands(1.5, 3.0, 5.0, 20.0, first_inclusive=True)
_BILIRUBIN_BANDS = _bands(1.0, 1.5, 3.0, 10.0)
_CREATININE_ULN = _bands(1.0, 1.5, 3.0, 6.0)
_CREATININE_BASELINE = _bands(1.5, 3.0, first_grade=2)

# term -> (bands against ULN, bands against an abnormal baseline)
_INCREASED_BANDS: dict[str, tuple[tuple[_Band, ...], tuple[_Band, ...]]] = {
    ALT_INCREASED: (_TRANSAMINASE_ULN, _TRANSAMINASE_BASELINE),
    AST_INCREASED: (_TRANSAMINASE_ULN, _TRANSAMINASE_BASELINE),
    BILIRUBIN_INCREASED: (_BILIRUBIN_BANDS, _BILIRUBIN_BANDS),
}

GRADED_TERMS = (*_DECREASED_FLOORS, *_INCREASED_BANDS, CREATININE_INCREASED)


def _grade_above(value: float, reference: float, bands: tuple[_Band, ...]) -> int:
    grade = 0
    for band_grade, multiple, inclusive in bands:
        limit = multiple * reference
        if _above(value, limit) or (inclusive and _at_least(value, limit)):
            grade = band_grade
    return grade


def _grade_decreased(term: str, value: float, lln: float | None) -> int:
    floors = _DECREASED_FLOORS[term]
    # The absolute bands win over the LLN: a lab whose LLN sits below the G1 floor must not hide a
    # G2 value. With no LLN we cannot tell G1 from normal, so values at or above the G2 threshold
    # (the G1 floor) grade 0 rather than guessing.
    below = sum(1 for floor in floors if _below(value, floor))
    if below:
        return below + 1
    if lln is not None and _below(value, lln):
        return 1
    return 0


def _grade_increased(term: str, value: float, uln: float | None, baseline: float | None) -> int:
    if uln is None:
        raise ValueError(f"{term}: the upper limit of normal (uln) is needed to grade this value")
    if term == CREATININE_INCREASED:
        grade = _grade_above(value, uln, _CREATININE_ULN)
        if baseline is not None:
            grade = max(grade, _grade_above(value, baseline, _CREATININE_BASELINE))
        return grade
    uln_bands, baseline_bands = _INCREASED_BANDS[term]
    if baseline is not None and _above(baseline, uln):
        return _grade_above(value, baseline, baseline_bands)
    return _grade_above(value, uln, uln_bands)


def ctcae_grade(
    term: str,
    value: float,
    *,
    lln: float | None = None,
    uln: float | None = None,
    baseline: float | None = None,
) -> int:
    """CTCAE v5 grade of one lab value; 0 when the value is not graded.

    Counts are per mm3, haemoglobin in g/dL; for increased terms value, uln and baseline share one
    unit. A baseline above the ULN switches ALT, AST and bilirubin to their baseline-abnormal rules;
    for creatinine any baseline adds its baseline rule and the higher grade wins.
    """
    if term not in GRADED_TERMS:
        raise ValueError(f"No lab grading for CTCAE term {term!r}; graded terms: {GRADED_TERMS}")
    value = _require_finite(f"{term} value", value)
    for name, limit in (("lln", lln), ("uln", uln), ("baseline", baseline)):
        if limit is not None and _require_finite(f"{term} {name}", limit) == 0:
            raise ValueError(f"{term}: {name} must be positive")
    if term in _DECREASED_FLOORS:
        return _grade_decreased(term, value, lln)
    return _grade_increased(term, value, uln, baseline)


# --- LUTATHERA dose advice (label, PROTOCOL.md section 5) ----------------------------------------

FULL_ACTIVITY_GBQ = 7.4
REDUCED_ACTIVITY_GBQ = 3.7
MAX_TOXICITY_DELAY_WEEKS = 16.0
RENAL_CLEARANCE_MIN_ML_MIN = 40.0
RENAL_CHANGE_FRACTION = 0.40
HEPATIC_BILIRUBIN_ULN_MULTIPLE = 3.0
HEPATIC_ALBUMIN_MIN_G_L = 30.0
HEPATIC_INR_MAX = 1.5

Action = Literal["give", "withhold", "reduce", "stop"]


@dataclass(frozen=True)
class LabSnapshot:
    """One lab panel in the units the advice works in (convert first with the unit helpers)."""

    haemoglobin_g_dl: float | None = None
    neutrophils_mm3: float | None = None
    platelets_mm3: float | None = None
    lymphocytes_mm3: float | None = None
    creatinine_umol_l: float | None = None
    creatinine_clearance_ml_min: float | None = None
    bilirubin_umol_l: float | None = None
    bilirubin_uln: float | None = None
    albumin_g_l: float | None = None
    inr: float | None = None
    haemoglobin_lln: float | None = None
    neutrophils_lln: float | None = None
    platelets_lln: float | None = None
    lymphocytes_lln: float | None = None

    def __post_init__(self) -> None:
        # Fail at construction: a negative or NaN value would otherwise read as "no toxicity".
        for item in fields(self):
            value = getattr(self, item.name)
            if value is not None:
                _require_finite(item.name, value)


@dataclass(frozen=True)
class CycleHistory:
    """What the advice needs to know about the doses before this one.

    previous_reduced: a previous dose was already reduced to 3.7 GBq for toxicity.
    weeks_since_last_dose: time since the last LUTATHERA dose, None when unknown.
    withheld_for_toxicity: the dose due now was already withheld for a toxicity, so the wait counts
    towards the 16-week limit and, once resolved, the next dose is the reduced one.
    """

    previous_reduced: bool
    weeks_since_last_dose: float | None
    withheld_for_toxicity: bool = False


@dataclass(frozen=True)
class Message:
    """One phrase of the advice for the translation layer: `key` names its wording (dosing.advice
    holds the words), `params` its values (numbers as floats, nested Messages, lists of them)."""

    key: str
    params: dict = field(default_factory=dict)


def _msg(key: str, **params: object) -> Message:
    return Message(key, params)


@dataclass(frozen=True)
class DoseAdvice:
    """action: give (7.4 GBq), reduce (give 3.7 GBq), withhold (wait until resolved, then 3.7 GBq)
    or stop (discontinue for good). activity_gbq is the activity of the next dose (for withhold,
    once the toxicity has resolved); None for stop. rule names the rule that produced the advice.
    """

    action: Action
    activity_gbq: float | None
    rule: str
    # The rule as Messages (headline, notes, what is missing), for the translated page.
    parts: tuple[Message, ...] = field(default=(), compare=False)


def _fmt(value: float | Decimal) -> str:
    if isinstance(value, Decimal):  # already shown against its threshold (_against)
        return format(value, "f")
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _against(value: float, op: str, limit: float) -> Decimal:
    """A value named beside its limit: two decimals, more when two would read as the other
    side (PROTOCOL.md section 5, Thresholds: a clearance of 39.996 is below 40, never "40")."""
    return shown_against(value, op, limit, 2).normalize()


# term -> (lowest grade that modifies the dose, grades to wait for, unit shown)
_HAEMATOLOGY_RULES = {
    PLATELETS_DECREASED: (2, "0-1", "/mm3"),
    ANEMIA: (3, "0-2", " g/dL"),
    NEUTROPHILS_DECREASED: (3, "0-2", "/mm3"),
}


@dataclass
class _Findings:
    toxicities: list[tuple[str, str]] = field(default_factory=list)  # (what was found, wait for)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The same, as Messages: (what, wait for) and notes.
    toxic_messages: list[tuple[Message, Message]] = field(default_factory=list)
    note_messages: list[Message] = field(default_factory=list)

    def toxic(
        self, what: str, message: Message, wait_for: str = "resolved", grades: str = ""
    ) -> None:
        self.toxicities.append((what, wait_for))
        wait = _msg("wait_grade", grades=grades) if grades else _msg("wait_resolved")
        self.toxic_messages.append((message, wait))


def _check_haematology(latest: LabSnapshot, found: _Findings) -> None:
    checks = (
        (PLATELETS_DECREASED, latest.platelets_mm3, latest.platelets_lln, "platelets"),
        (ANEMIA, latest.haemoglobin_g_dl, latest.haemoglobin_lln, "haemoglobin"),
        (NEUTROPHILS_DECREASED, latest.neutrophils_mm3, latest.neutrophils_lln, "neutrophils"),
    )
    for term, value, lln, label in checks:
        min_grade, wait_for, unit = _HAEMATOLOGY_RULES[term]
        if value is None:
            found.missing.append(label)
            continue
        grade = ctcae_grade(term, value, lln=lln)
        if grade >= min_grade:
            found.toxic(
                f"{term.lower()} grade {grade} ({_fmt(value)}{unit})",
                _msg("haematology", term=term, grade=grade, value=value, unit=unit),
                f"grade {wait_for}",
                grades=wait_for,
            )
    if latest.lymphocytes_mm3 is not None:
        lymphocytes = latest.lymphocytes_mm3
        grade = ctcae_grade(LYMPHOCYTES_DECREASED, lymphocytes, lln=latest.lymphocytes_lln)
        if grade:
            found.notes.append(
                f"{LYMPHOCYTES_DECREASED} grade {grade} alone does not change the dose."
            )
            found.note_messages.append(
                _msg("lymphocytes_alone", term=LYMPHOCYTES_DECREASED, grade=grade)
            )


def _check_renal(latest: LabSnapshot, baseline: LabSnapshot | None, found: _Findings) -> None:
    base = baseline or LabSnapshot()
    clearance, base_clearance = latest.creatinine_clearance_ml_min, base.creatinine_clearance_ml_min
    creatinine, base_creatinine = latest.creatinine_umol_l, base.creatinine_umol_l
    for name, value in (
        ("creatinine clearance", clearance),
        ("baseline creatinine clearance", base_clearance),
        ("creatinine", creatinine),
        ("baseline creatinine", base_creatinine),
    ):
        if value is None:
            found.missing.append(name)
    if clearance is not None and _below(clearance, RENAL_CLEARANCE_MIN_ML_MIN):
        low = _against(clearance, "<", RENAL_CLEARANCE_MIN_ML_MIN)
        found.toxic(
            f"renal toxicity (creatinine clearance {_fmt(low)} mL/min, below 40)",
            _msg("renal_clearance_low", clearance=low),
        )
    # "A 40 % fall" and "creatinine up 40 %" are read as at least 40 %, the label's wording.
    if (
        clearance is not None
        and base_clearance is not None
        and not _above(clearance, (1 - RENAL_CHANGE_FRACTION) * base_clearance)
    ):
        fallen = _against(clearance, "<=", (1 - RENAL_CHANGE_FRACTION) * base_clearance)
        found.toxic(
            f"renal toxicity (creatinine clearance {_fmt(fallen)} mL/min, at least 40 % "
            f"below baseline {_fmt(base_clearance)})",
            _msg("renal_clearance_fall", clearance=fallen, baseline=base_clearance),
        )
    if (
        creatinine is not None
        and base_creatinine is not None
        and _at_least(creatinine, (1 + RENAL_CHANGE_FRACTION) * base_creatinine)
    ):
        risen = _against(creatinine, ">=", (1 + RENAL_CHANGE_FRACTION) * base_creatinine)
        found.toxic(
            f"renal toxicity (creatinine {_fmt(risen)} µmol/L, at least 40 % above "
            f"baseline {_fmt(base_creatinine)})",
            _msg("renal_creatinine_rise", creatinine=risen, baseline=base_creatinine),
        )


def _check_hepatic(latest: LabSnapshot, found: _Findings) -> None:
    bilirubin, uln = latest.bilirubin_umol_l, latest.bilirubin_uln
    if bilirubin is None:
        found.missing.append("bilirubin")
    if uln is None:
        found.missing.append("bilirubin ULN")
    if (
        bilirubin is not None
        and uln is not None
        and _above(bilirubin, HEPATIC_BILIRUBIN_ULN_MULTIPLE * uln)
    ):
        high = _against(bilirubin, ">", HEPATIC_BILIRUBIN_ULN_MULTIPLE * uln)
        found.toxic(
            f"hepatotoxicity (bilirubin {_fmt(high)} µmol/L, above 3 x ULN {_fmt(uln)})",
            _msg("hepatic_bilirubin", bilirubin=high, uln=uln),
        )
    albumin, inr = latest.albumin_g_l, latest.inr
    low_albumin = None if albumin is None else _below(albumin, HEPATIC_ALBUMIN_MIN_G_L)
    high_inr = None if inr is None else _above(inr, HEPATIC_INR_MAX)
    if low_albumin and high_inr and albumin is not None and inr is not None:
        albumin_shown = _against(albumin, "<", HEPATIC_ALBUMIN_MIN_G_L)
        inr_shown = _against(inr, ">", HEPATIC_INR_MAX)
        found.toxic(
            f"hepatotoxicity (albumin {_fmt(albumin_shown)} g/L below 30 with INR "
            f"{_fmt(inr_shown)} above 1.5)",
            _msg("hepatic_albumin_inr", albumin=albumin_shown, inr=inr_shown),
        )
    # Either value alone can rule the criterion out; only name what would still decide it.
    elif low_albumin is not False and high_inr is not False:
        found.missing.extend(
            name for name, flag in (("albumin", low_albumin), ("INR", high_inr)) if flag is None
        )


def _advice_text(headline: str, found: _Findings) -> str:
    parts = [headline, *found.notes]
    if found.missing:
        parts.append(f"Not available: {', '.join(found.missing)}; check before dosing.")
    return " ".join(parts)


def _advice(
    action: Action, gbq: float | None, text: str, headline: Message, found: _Findings
) -> DoseAdvice:
    parts = [headline, *found.note_messages]
    if found.missing:
        parts.append(_msg("missing", names=list(found.missing)))
    return DoseAdvice(action, gbq, _advice_text(text, found), tuple(parts))


def dose_advice(
    latest: LabSnapshot, *, baseline: LabSnapshot | None, history: CycleHistory
) -> DoseAdvice:
    """LUTATHERA dose-modification advice for the next dose, from the latest labs."""
    found = _Findings()
    _check_haematology(latest, found)
    _check_renal(latest, baseline, found)
    _check_hepatic(latest, found)
    toxic = bool(found.toxicities)
    found_text = "; ".join(what for what, _ in found.toxicities)
    found_list = [what for what, _ in found.toxic_messages]
    weeks = history.weeks_since_last_dose
    if (toxic or history.withheld_for_toxicity) and weeks is None:
        found.missing.append("weeks since last dose (16-week limit not checked)")

    # "Recurs after a reduced dose" is read as any dose-modifying toxicity after a dose that was
    # already reduced for toxicity: the history does not say which toxicity caused the reduction.
    toxicity_recurred_after_reduction = toxic and history.previous_reduced
    if toxicity_recurred_after_reduction:
        text = f"Stop LUTATHERA for good: toxicity recurred after a reduced dose ({found_text})."
        headline = _msg("stop_recurred", found=found_list)
        return _advice("stop", None, text, headline, found)

    delayed_for_toxicity = toxic or history.withheld_for_toxicity
    if delayed_for_toxicity and weeks is not None and _at_least(weeks, MAX_TOXICITY_DELAY_WEEKS):
        still = f"; {found_text}" if toxic else ""
        text = (
            f"Stop LUTATHERA for good: the delay for toxicity has reached 16 weeks "
            f"({_fmt(weeks)} weeks since the last dose{still})."
        )
        headline = _msg("stop_delay", weeks=weeks, found=found_list)
        return _advice("stop", None, text, headline, found)

    if toxic:
        until = "; ".join(f"{what}, withhold until {wait}" for what, wait in found.toxicities)
        text = f"Withhold the dose: {until}; then give {_fmt(REDUCED_ACTIVITY_GBQ)} GBq."
        headline = _msg("withhold", until=found.toxic_messages, gbq=REDUCED_ACTIVITY_GBQ)
        return _advice("withhold", REDUCED_ACTIVITY_GBQ, text, headline, found)

    # Say so when the "no toxicity" verdict rests on an incomplete panel.
    none_found = "No dose-modifying toxicity" + (
        " in the results available" if found.missing else ""
    )
    # Once reduced for toxicity, we keep 3.7 GBq for the remaining doses. The label lets a
    # well-tolerated reduced dose go back to 7.4 GBq after thrombocytopenia; the protocol's summary
    # does not, and the cautious reading stands until the investigators say otherwise.
    if history.previous_reduced or history.withheld_for_toxicity:
        reason = (
            "a previous dose was reduced for toxicity"
            if history.previous_reduced
            else "this dose was withheld for a toxicity that has now resolved"
        )
        text = (
            f"{none_found}, but {reason}: give the reduced {_fmt(REDUCED_ACTIVITY_GBQ)} GBq dose."
        )
        key = "reduce_previous" if history.previous_reduced else "reduce_withheld"
        headline = _msg(key, partial=bool(found.missing), gbq=REDUCED_ACTIVITY_GBQ)
        return _advice("reduce", REDUCED_ACTIVITY_GBQ, text, headline, found)

    text = f"{none_found}: give the full {_fmt(FULL_ACTIVITY_GBQ)} GBq dose."
    headline = _msg("give", partial=bool(found.missing), gbq=FULL_ACTIVITY_GBQ)
    return _advice("give", FULL_ACTIVITY_GBQ, text, headline, found)


# --- Checks shown on the IV-cycle forms ----------------------------------------------------------

Level = Literal["ok", "warning", "error"]

CYCLE_INTERVAL_DAYS = 56
CYCLE_WINDOW_DAYS = 7
MAX_CYCLE_INTERVAL_DAYS = 16 * 7
SSA_MIN_GAP_DAYS = 28
ACTIVITY_MIN_GBQ = 0.5
ACTIVITY_MAX_GBQ = 8.0


@dataclass(frozen=True)
class Check:
    level: Level
    message: str


def cycle_interval_check(previous_date: date, this_date: date, *, after_toxicity: bool) -> Check:
    """Interval between two IV cycles: 8 weeks ± 1 week, up to 16 weeks after a toxicity."""
    days = (this_date - previous_date).days
    if days <= 0:
        return Check("error", f"Cycle date must be after the previous cycle ({previous_date}).")
    interval = f"{days} days ({_fmt(days / 7)} weeks) after the previous cycle"
    if days > MAX_CYCLE_INTERVAL_DAYS:
        return Check("error", f"{interval}: more than 16 weeks, the longest delay allowed.")
    low, high = CYCLE_INTERVAL_DAYS - CYCLE_WINDOW_DAYS, CYCLE_INTERVAL_DAYS + CYCLE_WINDOW_DAYS
    if after_toxicity:
        high = MAX_CYCLE_INTERVAL_DAYS
    if low <= days <= high:
        return Check("ok", f"{interval}: within the window.")
    expected = "8 weeks ± 1 week" if not after_toxicity else "7 to 16 weeks after a toxicity"
    return Check("warning", f"{interval}: outside the expected {expected}; please confirm.")


def ssa_gap_check(last_ssa: date | None, administration: date) -> Check:
    """The label wants long-acting somatostatin analogues stopped at least 4 weeks before a dose."""
    if last_ssa is None:
        return Check("ok", "No long-acting somatostatin analogue injection recorded.")
    days = (administration - last_ssa).days
    gap = f"{days} day{'' if days == 1 else 's'}"
    if days < 0:
        return Check(
            "error", "The last long-acting SSA injection is dated after this administration."
        )
    if days < SSA_MIN_GAP_DAYS:
        return Check(
            "warning",
            f"Last long-acting SSA injection {gap} before administration; "
            "the label asks for at least 4 weeks (28 days).",
        )
    return Check("ok", f"Last long-acting SSA injection {gap} before administration.")


def activity_check(gbq: float) -> Check:
    """Administered activity in GBq: 0.5-8.0 GBq is plausible, a MBq value is caught."""
    if gbq is None or not math.isfinite(gbq):
        return Check("error", "Activity must be a number in GBq.")
    if ACTIVITY_MIN_GBQ <= gbq <= ACTIVITY_MAX_GBQ:
        return Check("ok", f"{_fmt(gbq)} GBq.")
    # Values in the same range x 1000 are almost always MBq typed into the GBq field.
    if ACTIVITY_MIN_GBQ * 1000 <= gbq <= ACTIVITY_MAX_GBQ * 1000:
        return Check(
            "error",
            f"{_fmt(gbq)} GBq looks like MBq: did you mean {gbq / 1000:.4g} GBq?",
        )
    return Check(
        "error",
        f"{_fmt(gbq)} GBq is outside the plausible range "
        f"{ACTIVITY_MIN_GBQ}-{ACTIVITY_MAX_GBQ} GBq.",
    )


def mbq_suggestion(gbq: float) -> float | None:
    """The GBq value meant when a MBq value was typed into a GBq field (7400 -> 7.4), else None.

    The same rule activity_check applies, exposed so that forms can word their own message.
    """
    if gbq is None or not math.isfinite(gbq):
        return None
    if ACTIVITY_MIN_GBQ * 1000 <= gbq <= ACTIVITY_MAX_GBQ * 1000:
        return float(f"{gbq / 1000:.4g}")
    return None
