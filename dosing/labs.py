"""The laboratory panel's items: units, plausible ranges, normal limits and CTCAE v5 grading.

One table says, for each item, its canonical field (what the eligibility rules and the dose
advice read), the unit it is kept in, the units the nurse may type it in, the ranges outside which
a value is refused (plausible) or must be confirmed (usual), and the CTCAE term that grades it.
Ranges are in the canonical unit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.formats import get_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dosing import calculations as calc
from dosing import ctcae

Converter = Callable[[float, str], float]


@dataclass(frozen=True)
class LabItem:
    key: str  # short stem: the form's field names derive from it
    field: str  # canonical model field ("LAB.<field>" for the eligibility rules)
    label: str | Promise
    unit: str  # canonical unit
    plausible: tuple[float, float]  # outside: refused
    usual: tuple[float, float]  # outside: the nurse confirms
    limit: str | None = None  # canonical field of the lab's normal limit
    limit_kind: str = ""  # "LLN" or "ULN"
    limit_plausible: tuple[float, float] | None = None
    term: str | None = None  # CTCAE v5 term grading this item
    # Unit-switchable items: the converter to the canonical unit, the unit choices.
    convert: Converter | None = None
    # Fixed-unit items: another unit nurses commonly type by mistake, and its factor to the
    # canonical unit (haemoglobin in g/L: x 0.1), to suggest the right value.
    slip_unit: tuple[str, float] | None = None

    @property
    def switchable(self) -> bool:
        return self.convert is not None

    @property
    def input_field(self) -> str:
        """The form field the nurse types the value into."""
        return f"{self.key}_entered" if self.switchable else self.field

    @property
    def unit_field(self) -> str | None:
        return f"{self.key}_unit" if self.switchable else None

    @property
    def limit_input_field(self) -> str | None:
        if self.limit is None:
            return None
        return f"{self.limit}_entered" if self.switchable else self.limit

    @property
    def decreased(self) -> bool:
        return self.limit_kind == "LLN"


# Plausible and usual ranges (canonical units). Chosen wide: a refused value must be impossible,
# not merely alarming; alarming values are graded and, if unusual, confirmed.
HAEMOGLOBIN_G_DL = (2.0, 25.0)
HAEMOGLOBIN_USUAL_G_DL = (6.0, 19.0)
HAEMOGLOBIN_LLN_G_DL = (8.0, 16.0)
NEUTROPHILS_MM3 = (0.0, 100_000.0)
NEUTROPHILS_USUAL_MM3 = (200.0, 20_000.0)
NEUTROPHILS_LLN_MM3 = (500.0, 5_000.0)
LYMPHOCYTES_MM3 = (0.0, 100_000.0)
LYMPHOCYTES_USUAL_MM3 = (100.0, 10_000.0)
LYMPHOCYTES_LLN_MM3 = (300.0, 3_000.0)
PLATELETS_MM3 = (1_000.0, 2_000_000.0)
PLATELETS_USUAL_MM3 = (10_000.0, 800_000.0)
PLATELETS_LLN_MM3 = (50_000.0, 250_000.0)
CREATININE_UMOL_L = (10.0, 2_000.0)
CREATININE_USUAL_UMOL_L = (30.0, 400.0)
CREATININE_ULN_UMOL_L = (40.0, 200.0)
TRANSAMINASE_U_L = (0.0, 10_000.0)
TRANSAMINASE_USUAL_U_L = (3.0, 1_000.0)
TRANSAMINASE_ULN_U_L = (10.0, 200.0)
BILIRUBIN_UMOL_L = (0.0, 1_000.0)
BILIRUBIN_USUAL_UMOL_L = (1.0, 200.0)
BILIRUBIN_ULN_UMOL_L = (5.0, 50.0)
ALBUMIN_G_L = (5.0, 70.0)
ALBUMIN_USUAL_G_L = (20.0, 55.0)
PROTHROMBIN_PERCENT = (5.0, 150.0)
PROTHROMBIN_USUAL_PERCENT = (40.0, 130.0)
INR = (0.5, 15.0)
INR_USUAL = (0.8, 5.0)

# The lab's normal limit as the nurse reads it (limit_kind stays the code the grading reads).
LIMIT_LABELS: dict[str, str | Promise] = {
    "LLN": _("LLN"),  # lower limit of normal
    "ULN": _("ULN"),  # upper limit of normal
}

COUNT_UNITS = ("G/L", "/mm3")
MICROMOLAR_UNITS = ("µmol/L", "mg/dL")
UNIT_LABELS = {"/mm3": "/mm³", "G/L": "G/L"}


def _count(key: str, label, plausible, usual, lln_range, term: str) -> LabItem:
    return LabItem(
        key=key,
        field=f"{key}_mm3",
        label=label,
        unit="/mm3",
        plausible=plausible,
        usual=usual,
        limit=f"{key}_lln",
        limit_kind="LLN",
        limit_plausible=lln_range,
        term=term,
        convert=calc.count_to_per_mm3,
    )


LAB_ITEMS: tuple[LabItem, ...] = (
    LabItem(
        "haemoglobin",
        "haemoglobin_g_dl",
        _("Haemoglobin"),
        "g/dL",
        HAEMOGLOBIN_G_DL,
        HAEMOGLOBIN_USUAL_G_DL,
        limit="haemoglobin_lln",
        limit_kind="LLN",
        limit_plausible=HAEMOGLOBIN_LLN_G_DL,
        term=calc.ANEMIA,
        slip_unit=("g/L", 0.1),
    ),
    _count(
        "neutrophils",
        _("Neutrophils"),
        NEUTROPHILS_MM3,
        NEUTROPHILS_USUAL_MM3,
        NEUTROPHILS_LLN_MM3,
        calc.NEUTROPHILS_DECREASED,
    ),
    _count(
        "lymphocytes",
        _("Lymphocytes"),
        LYMPHOCYTES_MM3,
        LYMPHOCYTES_USUAL_MM3,
        LYMPHOCYTES_LLN_MM3,
        calc.LYMPHOCYTES_DECREASED,
    ),
    _count(
        "platelets",
        _("Platelets"),
        PLATELETS_MM3,
        PLATELETS_USUAL_MM3,
        PLATELETS_LLN_MM3,
        calc.PLATELETS_DECREASED,
    ),
    LabItem(
        "creatinine",
        "creatinine_umol_l",
        _("Creatinine"),
        "µmol/L",
        CREATININE_UMOL_L,
        CREATININE_USUAL_UMOL_L,
        limit="creatinine_uln",
        limit_kind="ULN",
        limit_plausible=CREATININE_ULN_UMOL_L,
        term=calc.CREATININE_INCREASED,
        convert=calc.creatinine_to_umol_l,
    ),
    LabItem(
        "alt",
        "alt_u_l",
        _("ALT"),
        "U/L",
        TRANSAMINASE_U_L,
        TRANSAMINASE_USUAL_U_L,
        limit="alt_uln",
        limit_kind="ULN",
        limit_plausible=TRANSAMINASE_ULN_U_L,
        term=calc.ALT_INCREASED,
    ),
    LabItem(
        "ast",
        "ast_u_l",
        _("AST"),
        "U/L",
        TRANSAMINASE_U_L,
        TRANSAMINASE_USUAL_U_L,
        limit="ast_uln",
        limit_kind="ULN",
        limit_plausible=TRANSAMINASE_ULN_U_L,
        term=calc.AST_INCREASED,
    ),
    LabItem(
        "bilirubin",
        "bilirubin_umol_l",
        _("Total bilirubin"),
        "µmol/L",
        BILIRUBIN_UMOL_L,
        BILIRUBIN_USUAL_UMOL_L,
        limit="bilirubin_uln",
        limit_kind="ULN",
        limit_plausible=BILIRUBIN_ULN_UMOL_L,
        term=calc.BILIRUBIN_INCREASED,
        convert=calc.bilirubin_to_umol_l,
    ),
    LabItem(
        "albumin",
        "albumin_g_l",
        _("Albumin"),
        "g/L",
        ALBUMIN_G_L,
        ALBUMIN_USUAL_G_L,
        slip_unit=("g/dL", 10.0),
    ),
    LabItem(
        "prothrombin",
        "prothrombin_percent",
        _("Prothrombin time"),
        "%",
        PROTHROMBIN_PERCENT,
        PROTHROMBIN_USUAL_PERCENT,
    ),
    LabItem("inr", "inr", _("INR"), "", INR, INR_USUAL),
)
ITEMS_BY_KEY: dict[str, LabItem] = {item.key: item for item in LAB_ITEMS}

# What the eligibility rules and the dose advice read, in canonical units.
CANONICAL_FIELDS: tuple[str, ...] = (
    "sample_date",
    "haemoglobin_g_dl",
    "neutrophils_mm3",
    "lymphocytes_mm3",
    "platelets_mm3",
    "creatinine_umol_l",
    "alt_u_l",
    "alt_uln",
    "ast_u_l",
    "ast_uln",
    "bilirubin_umol_l",
    "bilirubin_uln",
    "albumin_g_l",
    "prothrombin_percent",
    "inr",
    "haemoglobin_lln",
    "neutrophils_lln",
    "lymphocytes_lln",
    "platelets_lln",
    "creatinine_uln",
)
VALUE_FIELDS = tuple(name for name in CANONICAL_FIELDS if name != "sample_date")


def unit_choices(item: LabItem) -> tuple[str, ...]:
    if item.convert is calc.count_to_per_mm3:
        return COUNT_UNITS
    return MICROMOLAR_UNITS


def to_canonical(item: LabItem, value: Decimal, unit: str | None) -> Decimal:
    """The value in the item's canonical unit, exact (PROTOCOL.md section 5, Thresholds).

    Decimal arithmetic on the value as typed: every factor (1000, 88.4, 17.1) is an exact
    decimal, and each canonical column keeps the typed places plus the factor's (1.988 mg/dL is
    33.9948 µmol/L, never 34.0), so grades, the dose advice and the eligibility rules read what
    was typed; tests/dosing/test_lab_exact.py holds the columns to it.
    """
    if item.convert is None or unit is None:
        return value
    return value * unit_factor(item, unit)


def unit_factor(item: LabItem, unit: str) -> Decimal:
    """Canonical units per typed unit, as the exact decimal it is (17.1, not 17.100000000000001)."""
    assert item.convert is not None  # only a unit-switchable item has units to convert
    return Decimal(repr(item.convert(1.0, unit)))


def factor(item: LabItem, unit: str | None) -> float:
    """Canonical units per typed unit (1 for the canonical unit itself)."""
    if item.convert is None or unit is None:
        return 1.0
    return item.convert(1.0, unit)


# Beyond this, a number is shown compactly (1e+308): an absurd value typed must not print
# hundreds of digits into a message and break the page.
COMPACT_FROM = 1e7


def number(value: Any) -> str:
    """A number as a person would write it: no trailing zeros, no exponent for lab ranges,
    a short exponent form for absurdly large values; a decimal comma in French."""
    if value is None:
        return ""
    figure = float(value)
    if not math.isfinite(figure):
        return "∞"
    if abs(figure) >= COMPACT_FROM:
        return f"{figure:.3g}".replace(".", get_format("DECIMAL_SEPARATOR"))
    text = f"{figure:.6f}".rstrip("0").rstrip(".")
    # In the reader's language: 7,4 in French (forms read both).
    return (text or "0").replace(".", get_format("DECIMAL_SEPARATOR"))


def unit_label(unit: str) -> str:
    return UNIT_LABELS.get(unit, unit)


# --- Grades -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grade:
    item: LabItem
    term: str
    grade: int | None  # None: not gradable yet (the ULN is missing)
    text: str = ""  # CTCAE's wording for this grade
    note: str | Promise = ""

    @property
    def severe(self) -> bool:
        return self.grade is not None and self.grade >= 3


def grade(
    item: LabItem,
    values: Mapping[str, Any],
    baseline: Mapping[str, Any] | None = None,
) -> Grade | None:
    """The CTCAE v5 grade of one item from canonical values; None when there is nothing to grade.

    `baseline` holds the participant's earliest panel before this one: ctcae_grade switches ALT,
    AST and bilirubin to their baseline-abnormal rules when it lies above the ULN, and uses it
    for creatinine's "x baseline" rule.
    """
    value = values.get(item.field)
    if item.term is None or value is None:
        return None
    limit = values.get(item.limit) if item.limit else None
    if item.decreased:
        result = calc.ctcae_grade(item.term, float(value), lln=_float(limit))
    else:
        if limit is None:
            return Grade(item, item.term, None, note=_("Enter the ULN to grade this value."))
        base = baseline.get(item.field) if baseline else None
        # A baseline of 0 (ALT, bilirubin) cannot anchor a multiple: grade against the ULN.
        result = calc.ctcae_grade(
            item.term, float(value), uln=float(limit), baseline=_float(base) or None
        )
    text = ctcae.get(item.term).grades.get(result, "") if result else ""
    return Grade(item, item.term, result, text)


def grades(
    values: Mapping[str, Any], baseline: Mapping[str, Any] | None = None
) -> dict[str, Grade]:
    """Grades of every graded item present, by item key."""
    found = {}
    for item in LAB_ITEMS:
        result = grade(item, values, baseline)
        if result is not None:
            found[item.key] = result
    return found


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def panel_values(panel: Any) -> dict[str, Any]:
    """The canonical values of a saved panel, as a dict."""
    return {name: getattr(panel, name) for name in CANONICAL_FIELDS}


def _converter(item: LabItem) -> Callable[[Decimal | None, str | None], Decimal | None]:
    def convert(value: Decimal | None, unit: str | None) -> Decimal | None:
        return None if value is None else to_canonical(item, value, unit)

    return convert


def derivations() -> list[tuple[tuple[str, ...], Callable, tuple[str, ...]]]:
    """(outputs, function, inputs) of each canonical value typed in a choice of units: the
    value and its normal limit, from what was typed and its unit."""
    result: list[tuple[tuple[str, ...], Callable, tuple[str, ...]]] = []
    for item in LAB_ITEMS:
        if not item.switchable or not item.unit_field:
            continue
        result.append(((item.field,), _converter(item), (item.input_field, item.unit_field)))
        if item.limit and item.limit_input_field:
            result.append(
                ((item.limit,), _converter(item), (item.limit_input_field, item.unit_field))
            )
    return result
