"""Eligibility engine for NCT04837885 (PROTOCOL.md section 4). Pure: standard library only.

Each criterion is one small function returning a three-valued condition (True, False or None for
"cannot be assessed") built with Kleene logic, so a criterion already decided by the items present
(one cardiovascular event flag set, say) is decided even when other items are missing.

Item keys are "<FORM>.<field>" (see ITEM_FORMS); IV cycle data are addressed as "C<n>.<field>".
A `CriterionResult.missing` lists the keys whose entry (or correction) could decide a criterion
that cannot be assessed yet; it is empty once the criterion is decided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from eligibility.calculations import (
    CP_ASCITES_POINTS,
    CP_ENCEPHALOPATHY_POINTS,
    SEXES,
    age_in_years,
    child_pugh,
    cockcroft_gault,
    meets,
    shown_against,
    uln_multiple,
)

T = TypeVar("T")


# --- Texts shown to the user ---------------------------------------------------------------------
# This module is pure (no Django), so it cannot translate: its notes and warnings are `Text`s,
# English strings that keep their message id and values, and eligibility.presentation shows them
# in the reader's language. `_` marks the ids for makemessages; it does not translate.
class Text(str):
    """An English message (str, as tests and the signature read it) with its id and values."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, params: Mapping[str, object] | None = None) -> Text:
        text = super().__new__(cls, msgid % params if params else msgid)
        text.msgid = msgid
        text.params = dict(params or {})
        return text


def _(msgid: str, **params: object) -> Text:
    return Text(msgid, params)


class Joined(str):
    """Values joined by a separator (", " by default), each shown in the reader's language."""

    parts: tuple[object, ...]
    separator: str

    def __new__(cls, parts: Iterable[object], separator: str = ", ") -> Joined:
        parts = tuple(parts)
        text = super().__new__(cls, separator.join(str(p) for p in parts))
        text.parts = parts
        text.separator = separator
        return text


class ItemName(str):
    """An item's field name as the rules print it ("cirrhosis"); the page shows its label."""

    key: str

    def __new__(cls, key: str) -> ItemName:
        text = super().__new__(cls, key.split(".", 1)[1])
        text.key = key
        return text


class ItemValue(str):
    """A coded value of an item ("small_intestine"); the page shows the choice's label."""

    key: str

    def __new__(cls, key: str, value: str) -> ItemValue:
        text = super().__new__(cls, value)
        text.key = key
        return text


MET = "met"
NOT_MET = "not met"
CANNOT_ASSESS = "cannot be assessed"
INCLUSION = "inclusion"
EXCLUSION = "exclusion"
ELIGIBLE = "eligible"
NOT_ELIGIBLE = "not eligible"
INCOMPLETE = "incomplete"

ITEM_FORMS: dict[str, str] = {
    "CONSENT": "Informed consent",
    "DEMOG": "Demographics",
    "DISEASE": "Disease history",
    "CARDIO": "Cardiovascular history (last 12 months)",
    "IAHCI": "IAH contraindications",
    "VITALS": "Vital signs and ECOG",
    "LAB": "Laboratory panel (eligibility)",
    "REPRO": "Reproduction and administrative",
    "IMAGING": "Inclusion imaging",
    "C1": "IV LUTATHERA cycle 1",
    "C2": "IV LUTATHERA cycle 2",
    "C3": "IV LUTATHERA cycle 3",
    "C4": "IV LUTATHERA cycle 4",
}

# --- Choices -------------------------------------------------------------------------------------
GEP_PRIMARY_SITES = frozenset(
    {"small_intestine", "pancreas", "stomach", "duodenum", "colon_rectum", "appendix", "other_gi"}
)
PRIMARY_SITES = GEP_PRIMARY_SITES | {"other_non_gep"}
DOSE_MODIFICATIONS = ("none", "delayed", "reduced", "cancelled")
MODIFICATION_REASONS = ("toxicity", "other")
PREGNANCY_TEST_RESULTS = ("positive", "negative", "not_done")
# The protocol lists the accepted methods but no code for "no method"; we read this value
# (case-insensitive) as an explicit "no contraception" and any other non-empty text as a method.
NO_CONTRACEPTION = "none"
IV_CYCLES = (1, 2, 3, 4)
ECOG_VALUES = range(0, 6)

# --- Thresholds ----------------------------------------------------------------------------------
SSA_PROGRESSION_WINDOW_DAYS = 365  # "within 12 months", counted back from the consent date
MIN_MEASURABLE_LESIONS = 1
MAX_RECIST_TARGET_LESIONS = 5
MAX_ECOG = 2
MIN_CLEARANCE_ML_MIN = 50
MAX_TRANSAMINASE_X_ULN = 2.5
LAB_MAX_AGE_DAYS = 28  # eligibility labs: after C4 and at most 28 days before sign-off
MIN_HAEMOGLOBIN_G_DL = 8
MIN_NEUTROPHILS_MM3 = 1500
MIN_PLATELETS_MM3 = 100_000
MIN_AGE_YEARS = 18
MIN_LVEF_PERCENT = 40
EXCLUDING_CHILD_PUGH_SCORE = 8  # "Child-Pugh B8 or C"
MIN_ALBUMIN_G_L = 30
MIN_NORMAL_PROTHROMBIN_PERCENT = 70
MAX_NORMAL_INR = 1.2
TREATED_HYPERTENSION_SYSTOLIC_MMHG = 160
TREATED_HYPERTENSION_DIASTOLIC_MMHG = 95
EXCLUDING_DOSE_MODIFICATIONS = frozenset({"reduced", "cancelled"})

# --- Decimal places shown ------------------------------------------------------------------------
# Every threshold is decided on the exact value (PROTOCOL.md section 5, Thresholds:
# calculations.meets, a float at 9 significant digits), never on a display rounding. Values are
# shown with these places, and with more when these would read as the other side of the
# threshold (calculations.shown_against: a clearance of 49.96 is "49.96 < 50", not "50.0").
from trial.calculations import CLEARANCE_PLACES  # noqa: E402 - one place for both apps

ULN_MULTIPLE_PLACES = 2
HAEMOGLOBIN_PLACES = 2
COUNT_PLACES = 2  # neutrophils, platelets (/mm3, converted from G/L)
LVEF_PLACES = 0
ALBUMIN_PLACES = 1
PROTHROMBIN_PLACES = 1
INR_PLACES = 2
BP_PLACES = 0

# --- Item groups ---------------------------------------------------------------------------------
CONSENT_KEY = "CONSENT.consent_datetime"
# Screening procedures that must not precede consent (I10).
SCREENING_PROCEDURE_KEYS = (
    "LAB.sample_date",
    "IMAGING.ct_date",
    "IMAGING.mri_date",
    "VITALS.assessment_date",
)
CARDIO_EVENT_KEYS = (
    "CARDIO.heart_failure",
    "CARDIO.myocardial_infarction",
    "CARDIO.stroke",
    "CARDIO.uncontrolled_hypertension",
    "CARDIO.pulmonary_embolism",
    "CARDIO.revascularisation",
    "CARDIO.unstable_angina",
    "CARDIO.uncontrolled_arrhythmia",
    "CARDIO.significant_bradycardia",
)
# The brief and the registry list cirrhosis among the IAH contraindications in its own right; the
# Child-Pugh score (B8 or C) is checked as well, for cirrhosis not ticked on the form.
IAH_CONTRAINDICATION_KEYS = (
    "IAHCI.coagulation_disorder",
    "IAHCI.portal_thrombosis",
    "IAHCI.biliary_dilatation",
    "IAHCI.anastomosis_or_fistula",
    "IAHCI.cirrhosis",
)
CHILD_PUGH_KEYS = (
    "IAHCI.bilirubin_umol_l",
    "IAHCI.albumin_g_l",
    "IAHCI.inr",
    "IAHCI.ascites",
    "IAHCI.encephalopathy",
)
# Values that give the fewest and the most Child-Pugh points, to bound a partly entered score.
_CHILD_PUGH_BEST = (1.0, 50.0, 1.0, "none", "none")
_CHILD_PUGH_WORST = (100.0, 20.0, 3.0, "moderate-severe", "grade 3-4")


# --- Public shapes -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cycle:
    """One IV LUTATHERA cycle as entered from source documents."""

    number: int
    administered: bool
    administration_date: date | None = None
    dose_modification: str = "none"
    modification_reason: str | None = None
    residual_uptake: bool | None = None

    def __post_init__(self) -> None:
        if self.number not in IV_CYCLES:
            raise ValueError(f"cycle number must be 1-4, got {self.number!r}")
        if self.dose_modification not in DOSE_MODIFICATIONS:
            raise ValueError(f"unknown dose_modification {self.dose_modification!r}")
        if self.modification_reason not in (*MODIFICATION_REASONS, None):
            raise ValueError(f"unknown modification_reason {self.modification_reason!r}")


@dataclass(frozen=True)
class Facts:
    """Everything the rules read. A missing key or a None value means "not entered"."""

    items: Mapping[str, object]
    cycles: Sequence[Cycle]
    signoff_date: date


@dataclass(frozen=True)
class CriterionResult:
    code: str
    kind: str
    text: str
    status: str
    sources: dict[str, object]
    missing: tuple[str, ...]
    warnings: tuple[str, ...]  # each a Text (see Text)
    detail: str
    notes: tuple[str, ...] = ()  # the detail's parts, each a Text or Joined, for translation

    @property
    def failed(self) -> bool:
        """True when this criterion alone makes the participant not eligible."""
        failing_status = NOT_MET if self.kind == INCLUSION else MET
        return self.status == failing_status


@dataclass(frozen=True)
class Evaluation:
    criteria: tuple[CriterionResult, ...]
    result: str

    @property
    def failed(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.failed)

    @property
    def unassessed(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.status == CANNOT_ASSESS)

    @property
    def missing(self) -> tuple[str, ...]:
        """Every item key still needed, in criterion order, without repeats."""
        return _merge(c.missing for c in self.criteria)


# --- Three-valued conditions ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Cond:
    value: bool | None
    missing: tuple[str, ...] = ()


def _merge(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(key for group in groups for key in group))


def _known(value: bool) -> _Cond:
    return _Cond(value)


def _unknown(*keys: str) -> _Cond:
    return _Cond(None, _merge([keys]))


def _all(*conds: _Cond) -> _Cond:
    if any(c.value is False for c in conds):
        return _known(False)
    undecided = [c for c in conds if c.value is None]
    return _Cond(None, _merge(c.missing for c in undecided)) if undecided else _known(True)


def _any(*conds: _Cond) -> _Cond:
    if any(c.value is True for c in conds):
        return _known(True)
    undecided = [c for c in conds if c.value is None]
    return _Cond(None, _merge(c.missing for c in undecided)) if undecided else _known(False)


def _not(cond: _Cond) -> _Cond:
    return cond if cond.value is None else _known(not cond.value)


def _test(key: str, value: T | None, predicate: Callable[[T], bool]) -> _Cond:
    return _unknown(key) if value is None else _known(predicate(value))


def _is_true(value: object) -> bool:
    return value is True


# --- Reading items -------------------------------------------------------------------------------
class _Reader:
    """Typed access to the facts for one criterion, recording the sources used and warnings."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.sources: dict[str, object] = {}
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def _raw(self, key: str) -> object | None:
        value = self.facts.items.get(key)
        if value is None or value == "":
            return None
        self.sources[key] = value
        return value

    def _unusable(self, key: str, value: object, expected: Text) -> None:
        # A value of the wrong type or out of range cannot decide anything: the fix is to
        # correct the entry, so it is reported like a missing one.
        self.warn(
            _(
                "%(key)s = %(value)s is not %(expected)s; treated as not entered",
                key=key,
                value=repr(value),
                expected=expected,
            )
        )

    def flag(self, key: str) -> bool | None:
        value = self._raw(key)
        if value is None or isinstance(value, bool):
            return value
        self._unusable(key, value, _("yes/no"))
        return None

    def number(self, key: str, *, positive: bool = False) -> float | None:
        value = self._raw(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            self._unusable(key, value, _("a number"))
            return None
        number = float(value)
        if number < 0 or (positive and number == 0):
            expected = _("a positive number") if positive else _(">= 0")
            self._unusable(key, value, expected)
            return None
        return number

    def integer(self, key: str, allowed: range | None = None) -> int | None:
        value = self._raw(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self._unusable(key, value, _("a whole number >= 0"))
            return None
        if allowed is not None and value not in allowed:
            expected = _("in %(low)s-%(high)s", low=allowed.start, high=allowed.stop - 1)
            self._unusable(key, value, expected)
            return None
        return value

    def day(self, key: str) -> date | None:
        value = self._raw(key)
        if value is None or isinstance(value, date):
            return _as_date(value)
        self._unusable(key, value, _("a date"))
        return None

    def text(self, key: str) -> str | None:
        value = self._raw(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self._unusable(key, value, _("text"))
            return None
        return value.strip() or None

    def choice(self, key: str, allowed: Iterable[str]) -> str | None:
        value = self._raw(key)
        allowed = tuple(allowed)
        if value is None:
            return None
        if isinstance(value, str) and value in allowed:
            return value
        self._unusable(key, value, _("one of %(values)s", values=Joined(sorted(allowed))))
        return None

    def cycle(self, number: int) -> Cycle | None:
        matches = [c for c in self.facts.cycles if c.number == number]
        if len(matches) > 1:
            self.warn(
                _(
                    "Cycle %(n)s is recorded %(times)s times; the first is used",
                    n=number,
                    times=len(matches),
                )
            )
        return matches[0] if matches else None

    def cycle_value(self, number: int, field_name: str) -> object | None:
        cycle = self.cycle(number)
        value = None if cycle is None else getattr(cycle, field_name)
        if value is not None:
            self.sources[f"C{number}.{field_name}"] = value
        return value


def _num(value: float) -> str:
    """An entered number as the nurse typed it (no trailing .0, no rounding)."""
    return f"{value:.10g}"


def _cmp(value: float, op: str, threshold: float, places: int) -> bool:
    """`value op threshold` on the exact values (`places` is the display's, unused here: kept
    beside each call so that the decision and its note name the same places)."""
    return meets(value, op, threshold)


def _shown_num(value: float, places: int, op: str, threshold: float) -> Decimal:
    """A value as shown beside its threshold (rounded to `places`, more when that would read as
    the other side), without trailing zeros (nor an exponent)."""
    number = shown_against(value, op, threshold, places).normalize()
    exponent = number.as_tuple().exponent
    return number.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else number


def _yes_no(value: bool) -> Text:
    return _("yes") if value else _("no")


# --- Criterion plumbing --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Outcome:
    cond: _Cond
    notes: tuple[str, ...] = ()


def _outcome(cond: _Cond, *notes: str | None) -> _Outcome:
    return _Outcome(cond, tuple(n for n in notes if n))


@dataclass(frozen=True)
class Criterion:
    code: str
    kind: str
    text: str
    items: tuple[str, ...]  # every item key the check may read
    check: Callable[[_Reader], _Outcome]


# --- Shared checks -------------------------------------------------------------------------------
def _as_date(value: object) -> date | None:
    # A datetime cannot be compared with a date: keep the calendar day only.
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _consent_date(r: _Reader) -> date | None:
    return r.day(CONSENT_KEY)


def _eligibility_lab(r: _Reader) -> _Cond:
    """True when the LAB panel was sampled after C4 and at most 28 days before sign-off."""
    sample = r.day("LAB.sample_date")
    c4_date = _as_date(r.cycle_value(4, "administration_date"))
    missing = [
        key
        for key, value in (("LAB.sample_date", sample), ("C4.administration_date", c4_date))
        if value is None
    ]
    if missing:
        return _unknown(*missing)
    assert sample is not None and c4_date is not None
    signoff = _as_date(r.facts.signoff_date) or r.facts.signoff_date
    # An out-of-window lab is not a failure: the fix is to draw and enter a new panel, so the
    # criterion waits for LAB.sample_date instead of being "not met".
    if sample <= c4_date:
        r.warn(
            _(
                "LAB.sample_date %(sample)s is not after cycle 4 (%(c4)s); enter a newer panel",
                sample=sample,
                c4=c4_date,
            )
        )
        return _unknown("LAB.sample_date")
    if sample > signoff:
        r.warn(
            _(
                "LAB.sample_date %(sample)s is after the sign-off date %(signoff)s",
                sample=sample,
                signoff=signoff,
            )
        )
        return _unknown("LAB.sample_date")
    age_days = (signoff - sample).days
    if age_days > LAB_MAX_AGE_DAYS:
        r.warn(
            _(
                "LAB.sample_date %(sample)s is %(days)s days before sign-off (%(signoff)s); "
                "the limit is %(limit)s days, enter a newer panel",
                sample=sample,
                days=age_days,
                signoff=signoff,
                limit=LAB_MAX_AGE_DAYS,
            )
        )
        return _unknown("LAB.sample_date")
    return _known(True)


def _on_valid_lab(r: _Reader, cond: _Cond, *notes: str | None) -> _Outcome:
    lab = _eligibility_lab(r)
    if lab.value:
        return _outcome(cond, *notes)
    # Values from an unusable panel must neither pass nor fail the criterion, nor be shown as
    # if they did.
    sample = r.day("LAB.sample_date")
    note = None
    if sample is not None:
        note = _("lab panel of %(sample)s not usable for eligibility", sample=sample)
    return _outcome(_Cond(None, _merge([lab.missing, cond.missing])), note)


def _weight(r: _Reader) -> tuple[str, float | None]:
    weight = r.number("VITALS.weight_kg", positive=True)
    if weight is not None:
        return "VITALS.weight_kg", weight
    fallback = r.number("DEMOG.weight_kg", positive=True)
    if fallback is not None:
        r.warn(_("VITALS.weight_kg not entered; the demographics weight is used"))
        return "DEMOG.weight_kg", fallback
    return "VITALS.weight_kg", None


def _clearance(r: _Reader) -> tuple[_Cond, Text | None]:
    birth = r.day("DEMOG.birth_date")
    sample = r.day("LAB.sample_date")
    weight_key, weight = _weight(r)
    creatinine = r.number("LAB.creatinine_umol_l", positive=True)
    sex = r.choice("DEMOG.sex", SEXES)
    inputs = {
        "DEMOG.birth_date": birth,
        "LAB.sample_date": sample,
        weight_key: weight,
        "LAB.creatinine_umol_l": creatinine,
        "DEMOG.sex": sex,
    }
    missing = [key for key, value in inputs.items() if value is None]
    if missing:
        return _unknown(*missing), None
    assert birth and sample and weight and creatinine and sex
    try:
        age = age_in_years(birth, sample)
        clearance = cockcroft_gault(age, weight, creatinine, sex)
    except ValueError as exc:
        # Weight, creatinine and sex are validated on reading: only the birth date can be wrong.
        r.warn(_("Clearance not computable from DEMOG.birth_date: %(error)s", error=exc))
        return _unknown("DEMOG.birth_date"), None
    ok = meets(clearance, ">=", MIN_CLEARANCE_ML_MIN)
    value = shown_against(clearance, ">=", MIN_CLEARANCE_ML_MIN, CLEARANCE_PLACES)
    note = _(
        "Clearance %(value)s mL/min %(sign)s %(min)s",
        value=value,
        sign=">=" if ok else "<",
        min=MIN_CLEARANCE_ML_MIN,
    )
    return _known(ok), note


def _transaminase(r: _Reader, name: Text, key: str, uln_key: str) -> tuple[_Cond, Text | None]:
    value = r.number(key)
    uln = r.number(uln_key, positive=True)
    if value is None or uln is None:
        return _unknown(*(k for k, v in ((key, value), (uln_key, uln)) if v is None)), None
    exact_multiple = uln_multiple(value, uln)
    ok = meets(exact_multiple, "<=", MAX_TRANSAMINASE_X_ULN)
    multiple = shown_against(exact_multiple, "<=", MAX_TRANSAMINASE_X_ULN, ULN_MULTIPLE_PLACES)
    return _known(ok), _(
        "%(name)s %(multiple)s x ULN %(sign)s %(max)s",
        name=name,
        multiple=multiple,
        sign="<=" if ok else ">",
        max=MAX_TRANSAMINASE_X_ULN,
    )


def _at_least(
    r: _Reader, key: str, label: Text, unit: str, minimum: float, places: int
) -> tuple[_Cond, Text | None]:
    value = r.number(key)
    if value is None:
        return _unknown(key), None
    ok = _cmp(value, ">=", minimum, places)
    return _known(ok), _(
        "%(label)s %(value)s %(unit)s %(sign)s %(min)s",
        label=label,
        value=_shown_num(value, places, ">=", minimum),
        unit=unit,
        sign=">=" if ok else "<",
        min=_num(minimum),
    )


# --- Inclusion criteria --------------------------------------------------------------------------
def _i1_gep_net(r: _Reader) -> _Outcome:
    well = r.flag("DISEASE.well_differentiated")
    site = r.choice("DISEASE.primary_site", PRIMARY_SITES)
    cond = _all(
        _test("DISEASE.well_differentiated", well, _is_true),
        _test("DISEASE.primary_site", site, lambda s: s in GEP_PRIMARY_SITES),
    )
    site_note = None
    if site is not None:
        origin = _("gastro-entero-pancreatic") if site in GEP_PRIMARY_SITES else _("not GEP")
        site_note = _(
            "primary site %(site)s (%(origin)s)",
            site=ItemValue("DISEASE.primary_site", site),
            origin=origin,
        )
    well_note = None if well is None else _("Well differentiated: %(answer)s", answer=_yes_no(well))
    return _outcome(cond, well_note, site_note)


def _recent_ssa_progression(r: _Reader) -> tuple[_Cond, Text | None]:
    progression = r.day("DISEASE.ssa_progression_date")
    consent = _consent_date(r)
    if progression is None or consent is None:
        pairs = (("DISEASE.ssa_progression_date", progression), (CONSENT_KEY, consent))
        return _unknown(*(k for k, v in pairs if v is None)), None
    start = r.day("DISEASE.cold_ssa_start_date")
    if start is not None and progression < start:
        r.warn(
            _(
                "SSA progression date %(progression)s is before the cold SSA start date %(start)s",
                progression=progression,
                start=start,
            )
        )
    days = (consent - progression).days
    if days < 0:
        r.warn(
            _(
                "SSA progression date %(progression)s is after the consent date %(consent)s",
                progression=progression,
                consent=consent,
            )
        )
        return _unknown("DISEASE.ssa_progression_date"), None
    ok = days <= SSA_PROGRESSION_WINDOW_DAYS
    return _known(ok), _(
        "SSA progression %(days)s days before consent %(sign)s %(limit)s",
        days=days,
        sign="<=" if ok else ">",
        limit=SSA_PROGRESSION_WINDOW_DAYS,
    )


def _i2_progression(r: _Reader) -> _Outcome:
    # A participant with no progression at all cannot be told from one whose progression date is
    # not entered yet; such a case stays "cannot be assessed" unless hepatic invasion > 50 %.
    recent, note = _recent_ssa_progression(r)
    invasion = r.flag("DISEASE.hepatic_invasion_over_50")
    cond = _any(recent, _test("DISEASE.hepatic_invasion_over_50", invasion, _is_true))
    invasion_note = None
    if invasion is not None:
        invasion_note = _("hepatic invasion > 50 %%: %(answer)s", answer=_yes_no(invasion))
    return _outcome(cond, note, invasion_note)


def _i3_four_cycles(r: _Reader) -> _Outcome:
    conds = []
    given: list[str] = []
    not_given: list[str] = []
    for number in IV_CYCLES:
        administered = r.cycle_value(number, "administered")
        conds.append(_test(f"C{number}.administered", administered, _is_true))
        if administered is not None:
            (given if administered else not_given).append(f"C{number}")
    return _outcome(
        _all(*conds),
        _("Administered: %(cycles)s", cycles=Joined(given)) if given else None,
        _("not administered: %(cycles)s", cycles=Joined(not_given)) if not_given else None,
    )


def _i4_liver_disease(r: _Reader) -> _Outcome:
    dominant = r.flag("IMAGING.liver_dominant_or_exclusive")
    lesions = r.integer("IMAGING.measurable_target_lesions")
    resectable = r.flag("IMAGING.resectable")
    if lesions is not None and lesions > MAX_RECIST_TARGET_LESIONS:
        r.warn(_("RECIST 1.1 allows at most %(max)s target lesions", max=MAX_RECIST_TARGET_LESIONS))
    cond = _all(
        _test("IMAGING.liver_dominant_or_exclusive", dominant, _is_true),
        _test("IMAGING.measurable_target_lesions", lesions, lambda n: n >= MIN_MEASURABLE_LESIONS),
        _test("IMAGING.resectable", resectable, lambda v: not v),
    )
    return _outcome(
        cond,
        None
        if dominant is None
        else _("Liver dominant or exclusive: %(answer)s", answer=_yes_no(dominant)),
        None if lesions is None else _("%(n)s measurable target lesion(s)", n=lesions),
        None if resectable is None else _("resectable: %(answer)s", answer=_yes_no(resectable)),
    )


def _i5_ecog(r: _Reader) -> _Outcome:
    ecog = r.integer("VITALS.ecog", ECOG_VALUES)
    cond = _test("VITALS.ecog", ecog, lambda v: v <= MAX_ECOG)
    if ecog is None:
        return _outcome(cond)
    sign = "<=" if ecog <= MAX_ECOG else ">"
    return _outcome(cond, _("ECOG %(ecog)s %(sign)s %(max)s", ecog=ecog, sign=sign, max=MAX_ECOG))


def _i6_kidney_liver(r: _Reader) -> _Outcome:
    clearance, clearance_note = _clearance(r)
    alt, alt_note = _transaminase(r, _("ALT"), "LAB.alt_u_l", "LAB.alt_uln")
    ast, ast_note = _transaminase(r, _("AST"), "LAB.ast_u_l", "LAB.ast_uln")
    return _on_valid_lab(r, _all(clearance, alt, ast), clearance_note, alt_note, ast_note)


def _i7_blood_counts(r: _Reader) -> _Outcome:
    hb, hb_note = _at_least(
        r,
        "LAB.haemoglobin_g_dl",
        _("Haemoglobin"),
        "g/dL",
        MIN_HAEMOGLOBIN_G_DL,
        HAEMOGLOBIN_PLACES,
    )
    neut, neut_note = _at_least(
        r, "LAB.neutrophils_mm3", _("neutrophils"), "/mm3", MIN_NEUTROPHILS_MM3, COUNT_PLACES
    )
    plt, plt_note = _at_least(
        r, "LAB.platelets_mm3", _("platelets"), "/mm3", MIN_PLATELETS_MM3, COUNT_PLACES
    )
    return _on_valid_lab(r, _all(hb, neut, plt), hb_note, neut_note, plt_note)


def _i8_adult(r: _Reader) -> _Outcome:
    birth = r.day("DEMOG.birth_date")
    consent = _consent_date(r)
    if birth is None or consent is None:
        pairs = (("DEMOG.birth_date", birth), (CONSENT_KEY, consent))
        return _outcome(_unknown(*(k for k, v in pairs if v is None)))
    if consent < birth:
        r.warn(
            _(
                "DEMOG.birth_date %(birth)s is after the consent date %(consent)s",
                birth=birth,
                consent=consent,
            )
        )
        return _outcome(_unknown("DEMOG.birth_date"))
    age = age_in_years(birth, consent)
    ok = age >= MIN_AGE_YEARS
    sign = ">=" if ok else "<"
    return _outcome(
        _known(ok),
        _("Age %(age)s at consent %(sign)s %(min)s", age=age, sign=sign, min=MIN_AGE_YEARS),
    )


def _contraception_required(r: _Reader, sex: str | None) -> tuple[_Cond, Text | None]:
    if sex == "M":
        return _known(True), _("Contraception required (male participant)")
    potential = r.flag("REPRO.childbearing_potential")
    by_potential = _test("REPRO.childbearing_potential", potential, _is_true)
    note = None
    if potential is not None:
        note = (
            _("Contraception required (childbearing potential)")
            if potential
            else _("Contraception not required (no childbearing potential)")
        )
    if sex == "F":
        return by_potential, note
    return _any(_unknown("DEMOG.sex"), by_potential), note


def _i9_contraception(r: _Reader) -> _Outcome:
    sex = r.choice("DEMOG.sex", SEXES)
    method = r.text("REPRO.contraception_method")
    required, required_note = _contraception_required(r, sex)
    provided = _test("REPRO.contraception_method", method, lambda m: m.lower() != NO_CONTRACEPTION)
    return _outcome(
        _any(_not(required), provided),
        required_note,
        None
        if method is None
        else _("method: %(method)s", method=ItemValue("REPRO.contraception_method", method)),
    )


def _i10_consent_first(r: _Reader) -> _Outcome:
    consent = _consent_date(r)
    procedures = {key: r.day(key) for key in SCREENING_PROCEDURE_KEYS}
    dated = {key: day for key, day in procedures.items() if day is not None}
    if consent is None:
        missing = [CONSENT_KEY, *(key for key, day in procedures.items() if day is None)]
        return _outcome(_unknown(*missing))
    # Procedures carry a date only: one on the consent day is taken as done after consent.
    # One procedure before consent decides "not met"; "met" needs every procedure date, since
    # any one still missing may turn out to precede consent.
    cond = _all(*(_test(key, day, lambda d: d >= consent) for key, day in procedures.items()))
    early = [f"{key} {day}" for key, day in dated.items() if day < consent]
    if early:
        return _outcome(
            cond, _("Before consent %(consent)s: %(early)s", consent=consent, early=Joined(early))
        )
    if cond.value is None:
        return _outcome(
            cond, _("Consent %(consent)s; no dated procedure before it so far", consent=consent)
        )
    first_key = min(dated, key=lambda k: dated[k])
    return _outcome(
        cond,
        _(
            "Consent %(consent)s on or before the first procedure (%(key)s %(day)s)",
            consent=consent,
            key=first_key,
            day=dated[first_key],
        ),
    )


def _flag_criterion(key: str, label: Text) -> Callable[[_Reader], _Outcome]:
    """A criterion decided by one yes/no item, true meaning met."""

    def check(r: _Reader) -> _Outcome:
        value = r.flag(key)
        note = (
            None
            if value is None
            else _("%(label)s: %(answer)s", label=label, answer=_yes_no(value))
        )
        return _outcome(_test(key, value, _is_true), note)

    check.__name__ = f"_flag_{key.replace('.', '_')}"
    return check


# --- Exclusion criteria (True = the exclusion applies) -------------------------------------------
def _e2_no_residual_uptake(r: _Reader) -> _Outcome:
    # Protocol: "no residual uptake ... after each IV treatment"; we exclude on C4 only and
    # show earlier "no" readings as warnings (PROTOCOL.md section 4, E2).
    for number in IV_CYCLES[:-1]:
        if r.cycle_value(number, "residual_uptake") is False:
            r.warn(_("No residual uptake on the 24-h scintigraphy after C%(n)s", n=number))
    uptake = r.cycle_value(4, "residual_uptake")
    cond = _test("C4.residual_uptake", uptake, lambda v: not v)
    note = None
    if uptake is not None:
        note = _("Residual uptake after C4: %(answer)s", answer=_yes_no(bool(uptake)))
    return _outcome(cond, note)


def _e3_carcinoid_heart(r: _Reader) -> _Outcome:
    disease = r.flag("CARDIO.carcinoid_heart_disease")
    lvef = r.number("CARDIO.lvef_percent")
    cond = _all(
        _test("CARDIO.carcinoid_heart_disease", disease, _is_true),
        _test("CARDIO.lvef_percent", lvef, lambda v: _cmp(v, "<", MIN_LVEF_PERCENT, LVEF_PLACES)),
    )
    lvef_note = None
    if lvef is not None:
        low = _cmp(lvef, "<", MIN_LVEF_PERCENT, LVEF_PLACES)
        lvef_note = _(
            "LVEF %(value)s %% %(sign)s %(min)s",
            value=_shown_num(lvef, LVEF_PLACES, "<", MIN_LVEF_PERCENT),
            sign="<" if low else ">=",
            min=MIN_LVEF_PERCENT,
        )
    return _outcome(
        cond,
        None
        if disease is None
        else _("Carcinoid heart disease: %(answer)s", answer=_yes_no(disease)),
        lvef_note,
    )


def _fill(values: Sequence[object], defaults: Sequence[object]) -> list:
    return [d if v is None else v for v, d in zip(values, defaults, strict=True)]


def _child_pugh_excludes(r: _Reader) -> tuple[_Cond, Text | None]:
    values = [
        r.number("IAHCI.bilirubin_umol_l", positive=True),
        r.number("IAHCI.albumin_g_l", positive=True),
        r.number("IAHCI.inr", positive=True),
        r.choice("IAHCI.ascites", CP_ASCITES_POINTS),
        r.choice("IAHCI.encephalopathy", CP_ENCEPHALOPATHY_POINTS),
    ]
    missing = [key for key, value in zip(CHILD_PUGH_KEYS, values, strict=True) if value is None]
    # Bound the score by filling the gaps with the best and worst values: a partly entered
    # score can already be decided either way.
    low, low_class = child_pugh(*_fill(values, _CHILD_PUGH_BEST))
    high, _high_class = child_pugh(*_fill(values, _CHILD_PUGH_WORST))
    if not missing:
        excluded = low >= EXCLUDING_CHILD_PUGH_SCORE
        sign = ">=" if excluded else "<"
        note = _(
            "Child-Pugh %(score)s (%(grade)s) %(sign)s %(limit)s",
            score=low,
            grade=low_class,
            sign=sign,
            limit=EXCLUDING_CHILD_PUGH_SCORE,
        )
        return _known(excluded), note
    limit = EXCLUDING_CHILD_PUGH_SCORE
    if low >= limit:
        return _known(True), _("Child-Pugh at least %(score)s >= %(limit)s", score=low, limit=limit)
    if high < limit:
        return _known(False), _("Child-Pugh at most %(score)s < %(limit)s", score=high, limit=limit)
    return _unknown(*missing), _("Child-Pugh between %(low)s and %(high)s", low=low, high=high)


def _e5_iah_contraindication(r: _Reader) -> _Outcome:
    flags = {key: r.flag(key) for key in IAH_CONTRAINDICATION_KEYS}
    child, child_note = _child_pugh_excludes(r)
    cond = _any(*(_test(k, v, _is_true) for k, v in flags.items()), child)
    present = [ItemName(k) for k, v in flags.items() if v]
    flags_note = None
    if present:
        flags_note = _("Contraindications: %(items)s", items=Joined(present))
    elif all(v is False for v in flags.values()):
        flags_note = _("No IAH contraindication ticked")
    return _outcome(cond, flags_note, child_note)


def _e6_low_albumin(r: _Reader) -> _Outcome:
    # The protocol does not say which lab; the eligibility panel (with its date window) is used.
    albumin = r.number("LAB.albumin_g_l")
    low = _test("LAB.albumin_g_l", albumin, lambda v: _cmp(v, "<", MIN_ALBUMIN_G_L, ALBUMIN_PLACES))
    if albumin is None or not low.value:
        shown_albumin = (
            None if albumin is None else _shown_num(albumin, ALBUMIN_PLACES, "<", MIN_ALBUMIN_G_L)
        )
        note = None
        if albumin is not None:
            note = _("Albumin %(value)s g/L >= %(min)s", value=shown_albumin, min=MIN_ALBUMIN_G_L)
        return _on_valid_lab(r, low, note)
    prothrombin = r.number("LAB.prothrombin_percent")
    inr = r.number("LAB.inr", positive=True)
    normal = _any(
        _test(
            "LAB.prothrombin_percent",
            prothrombin,
            lambda v: _cmp(v, ">=", MIN_NORMAL_PROTHROMBIN_PERCENT, PROTHROMBIN_PLACES),
        ),
        _test("LAB.inr", inr, lambda v: _cmp(v, "<=", MAX_NORMAL_INR, INR_PLACES)),
    )
    coag = [
        None
        if prothrombin is None
        else _(
            "prothrombin %(value)s %%",
            value=_shown_num(prothrombin, PROTHROMBIN_PLACES, ">=", MIN_NORMAL_PROTHROMBIN_PERCENT),
        ),
        None
        if inr is None
        else _("INR %(value)s", value=_shown_num(inr, INR_PLACES, "<=", MAX_NORMAL_INR)),
    ]
    values = Joined(c for c in coag if c)
    coag_note: str | None = values or None
    if normal.value is not None:
        coag_note = (
            _("%(values)s (normal)", values=values)
            if normal.value
            else _("%(values)s (not normal)", values=values)
        )
    return _on_valid_lab(
        r,
        _all(low, _not(normal)),
        _(
            "Albumin %(value)s g/L < %(min)s",
            value=_shown_num(albumin, ALBUMIN_PLACES, "<", MIN_ALBUMIN_G_L),
            min=MIN_ALBUMIN_G_L,
        ),
        coag_note,
    )


def _treated_hypertension(r: _Reader) -> tuple[_Cond, Text | None]:
    systolic = r.number("VITALS.systolic_bp", positive=True)
    diastolic = r.number("VITALS.diastolic_bp", positive=True)
    treated = r.flag("VITALS.on_antihypertensive")
    # "≥ 160/95" read as either pressure at or above its limit.
    high = _any(
        _test(
            "VITALS.systolic_bp",
            systolic,
            lambda v: _cmp(v, ">=", TREATED_HYPERTENSION_SYSTOLIC_MMHG, BP_PLACES),
        ),
        _test(
            "VITALS.diastolic_bp",
            diastolic,
            lambda v: _cmp(v, ">=", TREATED_HYPERTENSION_DIASTOLIC_MMHG, BP_PLACES),
        ),
    )
    cond = _all(_test("VITALS.on_antihypertensive", treated, _is_true), high)
    if systolic is None and diastolic is None and treated is None:
        return cond, None
    bp = "/".join(
        "?" if v is None else str(_shown_num(v, BP_PLACES, ">=", limit))
        for v, limit in (
            (systolic, TREATED_HYPERTENSION_SYSTOLIC_MMHG),
            (diastolic, TREATED_HYPERTENSION_DIASTOLIC_MMHG),
        )
    )
    treatment = {
        None: _("treatment not entered"),
        True: _("on treatment"),
        False: _("untreated"),
    }
    return cond, _("BP %(bp)s mmHg, %(treatment)s", bp=bp, treatment=treatment[treated])


def _e7_cardiovascular(r: _Reader) -> _Outcome:
    events = {key: r.flag(key) for key in CARDIO_EVENT_KEYS}
    bp, bp_note = _treated_hypertension(r)
    cond = _any(*(_test(k, v, _is_true) for k, v in events.items()), bp)
    present = [ItemName(k) for k, v in events.items() if v]
    events_note = None
    if present:
        events_note = _("Cardiovascular events: %(items)s", items=Joined(present))
    elif all(v is False for v in events.values()):
        events_note = _("No cardiovascular event in the last 12 months")
    return _outcome(cond, events_note, bp_note)


def _e8_legal_capacity(r: _Reader) -> _Outcome:
    protected = r.flag("REPRO.legal_protection")
    able = r.flag("REPRO.able_to_consent")
    cond = _any(
        _test("REPRO.legal_protection", protected, _is_true),
        _test("REPRO.able_to_consent", able, lambda v: not v),
    )
    return _outcome(
        cond,
        None if protected is None else _("Legal protection: %(answer)s", answer=_yes_no(protected)),
        None if able is None else _("able to consent: %(answer)s", answer=_yes_no(able)),
    )


def _pregnant(r: _Reader) -> _Cond:
    result = r.choice("REPRO.pregnancy_test_result", PREGNANCY_TEST_RESULTS)
    if result in ("positive", "negative"):
        return _known(result == "positive")
    # No test result: only someone without childbearing potential is known not to be pregnant.
    potential = r.flag("REPRO.childbearing_potential")
    if potential is False:
        return _known(False)
    if potential is None:
        keys = ["REPRO.childbearing_potential"] + (
            [] if result else ["REPRO.pregnancy_test_result"]
        )
        return _unknown(*keys)
    if result == "not_done":
        r.warn(_("Pregnancy test not done for a participant of childbearing potential"))
    return _unknown("REPRO.pregnancy_test_result")


def _e9_pregnancy(r: _Reader) -> _Outcome:
    sex = r.choice("DEMOG.sex", SEXES)
    if sex == "M":
        return _outcome(_known(False), _("Male participant"))
    result = r.choice("REPRO.pregnancy_test_result", PREGNANCY_TEST_RESULTS)
    feeding = r.flag("REPRO.breast_feeding")
    cond = _all(
        _test("DEMOG.sex", sex, lambda s: s != "M"),
        _any(_pregnant(r), _test("REPRO.breast_feeding", feeding, _is_true)),
    )
    return _outcome(
        cond,
        None
        if result is None
        else _(
            "Pregnancy test: %(result)s",
            result=ItemValue("REPRO.pregnancy_test_result", result),
        ),
        None if feeding is None else _("breast-feeding: %(answer)s", answer=_yes_no(feeding)),
    )


def _toxicity_modified_dose(r: _Reader, number: int) -> _Cond:
    if r.cycle(number) is None:
        return _unknown(f"C{number}.dose_modification")
    modification = r.cycle_value(number, "dose_modification")
    if modification not in EXCLUDING_DOSE_MODIFICATIONS:
        return _known(False)  # a delay alone is not an exclusion
    reason = r.cycle_value(number, "modification_reason")
    return _test(f"C{number}.modification_reason", reason, lambda v: v == "toxicity")


def _e12_lutathera(r: _Reader) -> _Outcome:
    contraindicated = r.flag("REPRO.lutathera_contraindication")
    toxicities = {number: _toxicity_modified_dose(r, number) for number in IV_CYCLES}
    cond = _any(
        _test("REPRO.lutathera_contraindication", contraindicated, _is_true), *toxicities.values()
    )
    toxic = [f"C{n}" for n, c in toxicities.items() if c.value]
    notes = []
    if contraindicated is not None:
        notes.append(_("LUTATHERA contraindicated: %(answer)s", answer=_yes_no(contraindicated)))
    if toxic:
        notes.append(_("dose reduced or cancelled for toxicity: %(cycles)s", cycles=Joined(toxic)))
    elif all(c.value is False for c in toxicities.values()):
        notes.append(_("no dose reduced or cancelled for toxicity"))
    return _outcome(cond, *notes)


def _cycle_keys(*fields: str) -> tuple[str, ...]:
    return tuple(f"C{n}.{f}" for n in IV_CYCLES for f in fields)


_LAB_WINDOW_KEYS = ("LAB.sample_date", "C4.administration_date")

CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "I1",
        INCLUSION,
        "Well-differentiated NET of gastro-intestinal or pancreatic origin",
        ("DISEASE.well_differentiated", "DISEASE.primary_site"),
        _i1_gep_net,
    ),
    Criterion(
        "I2",
        INCLUSION,
        "Progression under cold SSA within 12 months, or hepatic invasion over 50 % at diagnosis",
        (
            "DISEASE.ssa_progression_date",
            CONSENT_KEY,
            "DISEASE.cold_ssa_start_date",
            "DISEASE.hepatic_invasion_over_50",
        ),
        _i2_progression,
    ),
    Criterion(
        "I3",
        INCLUSION,
        "IV LUTATHERA cycles 1-4 administered",
        _cycle_keys("administered"),
        _i3_four_cycles,
    ),
    Criterion(
        "I4",
        INCLUSION,
        "Liver-dominant or exclusive disease, a measurable RECIST lesion, not resectable",
        (
            "IMAGING.liver_dominant_or_exclusive",
            "IMAGING.measurable_target_lesions",
            "IMAGING.resectable",
        ),
        _i4_liver_disease,
    ),
    Criterion("I5", INCLUSION, "ECOG performance status 0-2", ("VITALS.ecog",), _i5_ecog),
    Criterion(
        "I6",
        INCLUSION,
        "Creatinine clearance at least 50 mL/min; ALT and AST at most 2.5 x ULN",
        (
            *_LAB_WINDOW_KEYS,
            "DEMOG.birth_date",
            "VITALS.weight_kg",
            "DEMOG.weight_kg",
            "LAB.creatinine_umol_l",
            "DEMOG.sex",
            "LAB.alt_u_l",
            "LAB.alt_uln",
            "LAB.ast_u_l",
            "LAB.ast_uln",
        ),
        _i6_kidney_liver,
    ),
    Criterion(
        "I7",
        INCLUSION,
        "After C4: haemoglobin at least 8 g/dL, neutrophils at least 1500/mm3, "
        "platelets at least 100 000/mm3",
        (*_LAB_WINDOW_KEYS, "LAB.haemoglobin_g_dl", "LAB.neutrophils_mm3", "LAB.platelets_mm3"),
        _i7_blood_counts,
    ),
    Criterion(
        "I8",
        INCLUSION,
        "Aged 18 or over at consent",
        ("DEMOG.birth_date", CONSENT_KEY),
        _i8_adult,
    ),
    Criterion(
        "I9",
        INCLUSION,
        "Contraception where required (childbearing potential, or male participant)",
        ("DEMOG.sex", "REPRO.childbearing_potential", "REPRO.contraception_method"),
        _i9_contraception,
    ),
    Criterion(
        "I10",
        INCLUSION,
        "Consent signed before any study procedure",
        (CONSENT_KEY, *SCREENING_PROCEDURE_KEYS),
        _i10_consent_first,
    ),
    Criterion(
        "I11",
        INCLUSION,
        "Affiliated to social security",
        ("REPRO.social_security",),
        _flag_criterion("REPRO.social_security", _("Social security")),
    ),
    Criterion(
        "E1",
        EXCLUSION,
        "Complete response at inclusion imaging",
        ("IMAGING.complete_response",),
        _flag_criterion("IMAGING.complete_response", _("Complete response")),
    ),
    Criterion(
        "E2",
        EXCLUSION,
        "No residual uptake on the 24-h scintigraphy after C4",
        _cycle_keys("residual_uptake"),
        _e2_no_residual_uptake,
    ),
    Criterion(
        "E3",
        EXCLUSION,
        "Carcinoid heart disease with LVEF below 40 %",
        ("CARDIO.carcinoid_heart_disease", "CARDIO.lvef_percent"),
        _e3_carcinoid_heart,
    ),
    Criterion(
        "E4",
        EXCLUSION,
        "Dominant or threatening extra-hepatic metastases",
        ("DISEASE.extrahepatic_dominant_or_threatening",),
        _flag_criterion(
            "DISEASE.extrahepatic_dominant_or_threatening",
            _("Dominant or threatening extra-hepatic"),
        ),
    ),
    Criterion(
        "E5",
        EXCLUSION,
        "Any IAH contraindication, or Child-Pugh score 8 or more",
        (*IAH_CONTRAINDICATION_KEYS, *CHILD_PUGH_KEYS),
        _e5_iah_contraindication,
    ),
    Criterion(
        "E6",
        EXCLUSION,
        "Albumin below 30 g/L, unless prothrombin time is normal",
        (*_LAB_WINDOW_KEYS, "LAB.albumin_g_l", "LAB.prothrombin_percent", "LAB.inr"),
        _e6_low_albumin,
    ),
    Criterion(
        "E7",
        EXCLUSION,
        "Cardiovascular event in the last 12 months, or BP at least 160/95 mmHg under treatment",
        (
            *CARDIO_EVENT_KEYS,
            "VITALS.systolic_bp",
            "VITALS.diastolic_bp",
            "VITALS.on_antihypertensive",
        ),
        _e7_cardiovascular,
    ),
    Criterion(
        "E8",
        EXCLUSION,
        "Under legal protection, or unable to consent",
        ("REPRO.legal_protection", "REPRO.able_to_consent"),
        _e8_legal_capacity,
    ),
    Criterion(
        "E9",
        EXCLUSION,
        "Pregnant or breast-feeding",
        (
            "DEMOG.sex",
            "REPRO.pregnancy_test_result",
            "REPRO.childbearing_potential",
            "REPRO.breast_feeding",
        ),
        _e9_pregnancy,
    ),
    Criterion(
        "E10",
        EXCLUSION,
        "In another interventional trial",
        ("REPRO.other_interventional_trial",),
        _flag_criterion("REPRO.other_interventional_trial", _("Other interventional trial")),
    ),
    Criterion(
        "E11",
        EXCLUSION,
        "MRI contraindicated",
        ("REPRO.mri_contraindication",),
        _flag_criterion("REPRO.mri_contraindication", _("MRI contraindicated")),
    ),
    Criterion(
        "E12",
        EXCLUSION,
        "LUTATHERA contraindicated, or a toxicity during C1-C4 that reduced or cancelled a dose",
        (
            "REPRO.lutathera_contraindication",
            *_cycle_keys("dose_modification", "modification_reason"),
        ),
        _e12_lutathera,
    ),
)


# --- Evaluation ----------------------------------------------------------------------------------
_STATUS = {True: MET, False: NOT_MET, None: CANNOT_ASSESS}


def _detail_notes(status: str, missing: tuple[str, ...], notes: tuple[str, ...]) -> tuple[str, ...]:
    if status != CANNOT_ASSESS:
        return notes
    return (_("Cannot be assessed without %(items)s", items=Joined(missing)), *notes)


def _run(criterion: Criterion, facts: Facts) -> CriterionResult:
    reader = _Reader(facts)
    outcome = criterion.check(reader)
    status = _STATUS[outcome.cond.value]
    missing = outcome.cond.missing if status == CANNOT_ASSESS else ()
    notes = _detail_notes(status, missing, outcome.notes)
    return CriterionResult(
        code=criterion.code,
        kind=criterion.kind,
        text=criterion.text,
        status=status,
        sources=dict(reader.sources),
        missing=missing,
        warnings=tuple(dict.fromkeys(reader.warnings)),
        detail=Joined(notes, "; "),
        notes=notes,
    )


def _overall(results: Sequence[CriterionResult]) -> str:
    if any(r.failed for r in results):
        return NOT_ELIGIBLE
    if any(r.status == CANNOT_ASSESS for r in results):
        return INCOMPLETE
    return ELIGIBLE


def evaluate(facts: Facts) -> Evaluation:
    """Evaluate every inclusion and exclusion criterion, in protocol order."""
    results = tuple(_run(criterion, facts) for criterion in CRITERIA)
    return Evaluation(criteria=results, result=_overall(results))
