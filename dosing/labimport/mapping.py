"""Which panel item an imported result is, and its value in a unit the lab form takes.

The mapping is data (data/loinc_ucum.json): LOINC codes and lab test names to the panel's items,
and for each item the units a lab sends with the factor to a unit of the lab form (PROTOCOL.md
section 3). Conversions are decimal: 132 g/L of haemoglobin is 13.2 g/dL exactly, not
13.200000000000001. Standard library only.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from dosing.labimport.observations import LOINC_SYSTEM

DATA_FILE = Path(__file__).resolve().parent / "data" / "loinc_ucum.json"

# Between the two units a count or a micromolar item may be typed in on the lab form: a value
# converted into the unit the panel already uses (PROTOCOL.md section 3).
FORM_UNIT_FACTORS: dict[tuple[str, str], Decimal] = {
    ("G/L", "/mm3"): Decimal(1000),
    ("/mm3", "G/L"): Decimal("0.001"),
}
CREATININE_UMOL_PER_MG_DL = Decimal("88.4")
BILIRUBIN_UMOL_PER_MG_DL = Decimal("17.1")
MICROMOLAR_PER_MG_DL = {
    "creatinine": CREATININE_UMOL_PER_MG_DL,
    "bilirubin": BILIRUBIN_UMOL_PER_MG_DL,
}


@dataclass(frozen=True)
class Conversion:
    """A reported value in a unit the lab form takes."""

    value: Decimal
    unit: str  # the lab form's unit ("" for INR)
    factor: Decimal  # form unit per reported unit

    @property
    def converted(self) -> bool:
        return self.factor != 1


def fold(text: str) -> str:
    """Case-, accent- and space-insensitive form of a test name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def unit_key(unit: str) -> str:
    """A unit as the table writes it: the micro sign and the Greek mu read as "u"."""
    return unit.strip().replace("µ", "u").replace("μ", "u")


@cache
def _data() -> dict:
    with DATA_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)


@cache
def _names() -> dict[str, str]:
    return {fold(name): item for item, names in _data()["names"].items() for name in names}


def items() -> tuple[str, ...]:
    """The panel items the table maps onto (dosing.labs keys)."""
    return tuple(_data()["units"])


def codes() -> dict[str, dict[str, str]]:
    return dict(_data()["codes"])


def item_for(code_system: str, code: str, display: str = "") -> str | None:
    """The panel item a result is: by its LOINC code, else (no system: a lab's CSV) by the
    test's code or name; None when the table does not know it."""
    code = code.strip()
    known = _data()["codes"].get(code)
    if code_system == LOINC_SYSTEM:
        return known["item"] if known else None
    if code_system:
        return None  # a coding of another system names nothing we know
    if known:
        return known["item"]
    for text in (code, display):
        item = _names().get(fold(text)) if text else None
        if item:
            return item
    return None


def loinc_display(code: str) -> str:
    known = _data()["codes"].get(code.strip())
    return known["display"] if known else ""


def convert(item: str, value: Decimal, unit: str) -> Conversion | None:
    """The value in the lab form's unit for this item; None when the unit is not one we know
    for it (a mass for a count, % for an INR...)."""
    known = _data()["units"].get(item, {}).get(unit_key(unit))
    if known is None:
        return None
    form_unit, factor = known[0], Decimal(known[1])
    return Conversion(normal(value * factor), form_unit, factor)


def between_form_units(item: str, value: Decimal, source: str, target: str) -> Decimal:
    """A value the form takes in `source` expressed in `target`, the other unit the form offers
    for the item (used when the panel already holds the item in that unit)."""
    if source == target:
        return value
    factor = FORM_UNIT_FACTORS.get((source, target))
    if factor is not None:
        return normal(value * factor)
    per_mg_dl = MICROMOLAR_PER_MG_DL.get(item)
    if per_mg_dl is not None and (source, target) == ("mg/dL", "µmol/L"):
        return normal(value * per_mg_dl)
    if per_mg_dl is not None and (source, target) == ("µmol/L", "mg/dL"):
        return normal(value / per_mg_dl)
    raise ValueError(f"No conversion of {item} from {source!r} to {target!r}")


def normal(value: Decimal) -> Decimal:
    """Without trailing zeros, and without an exponent: 13.20 -> 13.2, 1.0E+3 -> 1000."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
