"""The LOINC/UCUM table: every code maps onto a panel item, every unit converts into a unit the
lab form takes, by the factors of PROTOCOL.md section 3; % and INR never convert into each
other, and a mass is never read as a count."""

from decimal import Decimal

import pytest

from dosing import labs
from dosing.labimport import mapping
from dosing.labimport.observations import LOINC_SYSTEM


def test_every_mapped_item_is_a_panel_item_and_every_unit_one_the_form_takes():
    assert set(mapping.items()) == set(labs.ITEMS_BY_KEY)
    for item_key in mapping.items():
        item = labs.ITEMS_BY_KEY[item_key]
        choices = labs.unit_choices(item) if item.switchable else (item.unit,)
        for unit in mapping._data()["units"][item_key]:
            conversion = mapping.convert(item_key, Decimal(1), unit)
            assert conversion.unit in choices, (item_key, unit, conversion.unit)
    for code, known in mapping.codes().items():
        assert known["item"] in labs.ITEMS_BY_KEY, code
    for item_key in mapping._data()["names"]:
        assert item_key in labs.ITEMS_BY_KEY


@pytest.mark.parametrize(
    ("item", "value", "unit", "expected", "form_unit"),
    [
        ("haemoglobin", "132", "g/L", "13.2", "g/dL"),
        ("haemoglobin", "13.2", "g/dL", "13.2", "g/dL"),
        ("albumin", "4.1", "g/dL", "41", "g/L"),
        ("albumin", "41", "g/L", "41", "g/L"),
        ("neutrophils", "2.9", "10*9/L", "2.9", "G/L"),
        ("neutrophils", "2.9", "G/L", "2.9", "G/L"),
        ("neutrophils", "2.9", "10*3/uL", "2.9", "G/L"),
        ("neutrophils", "2900", "/uL", "2900", "/mm3"),
        ("platelets", "210000", "/mm3", "210000", "/mm3"),
        ("lymphocytes", "1200", "/µL", "1200", "/mm3"),  # micro sign
        ("lymphocytes", "1200", "/μL", "1200", "/mm3"),  # Greek mu
        ("creatinine", "84", "umol/L", "84", "µmol/L"),
        ("creatinine", "84", "µmol/L", "84", "µmol/L"),
        ("creatinine", "0.084", "mmol/L", "84", "µmol/L"),
        ("creatinine", "0.95", "mg/dL", "0.95", "mg/dL"),
        ("creatinine", "9.5", "mg/L", "0.95", "mg/dL"),
        ("bilirubin", "0.5", "mg/dL", "0.5", "mg/dL"),
        ("bilirubin", "8", "umol/L", "8", "µmol/L"),
        ("alt", "28", "[IU]/L", "28", "U/L"),
        ("alt", "28", "UI/L", "28", "U/L"),
        ("ast", "0.5", "ukat/L", "30", "U/L"),  # 1 µkat/L = 60 U/L
        ("prothrombin", "92", "%", "92", "%"),
        ("inr", "1.05", "{INR}", "1.05", ""),
        ("inr", "1.05", "", "1.05", ""),
    ],
)
def test_units_convert_exactly_into_the_lab_forms_units(item, value, unit, expected, form_unit):
    conversion = mapping.convert(item, Decimal(value), unit)
    assert (conversion.value, conversion.unit) == (Decimal(expected), form_unit)
    assert str(conversion.value) == expected  # no trailing zeros, no exponent


@pytest.mark.parametrize(
    ("item", "unit"),
    [
        ("inr", "%"),  # % and INR kept apart
        ("prothrombin", "{INR}"),
        ("prothrombin", "s"),  # a prothrombin time in seconds is not a percentage
        ("platelets", "g/L"),  # a mass concentration, not G/L (a count)
        ("haemoglobin", "mmol/L"),
        ("creatinine", "g/dL"),
        ("alt", "mg/dL"),
    ],
)
def test_units_of_another_quantity_are_unknown(item, unit):
    assert mapping.convert(item, Decimal(1), unit) is None


def test_codes_and_names_find_their_item():
    assert mapping.item_for(LOINC_SYSTEM, "718-7") == "haemoglobin"
    assert mapping.item_for(LOINC_SYSTEM, "5894-1") == "prothrombin"
    assert mapping.item_for(LOINC_SYSTEM, "6301-6") == "inr"
    assert mapping.item_for(LOINC_SYSTEM, "2951-2") is None  # sodium: not a panel item
    assert mapping.item_for(LOINC_SYSTEM, "Hémoglobine") is None  # a LOINC code or nothing
    # A CSV names the test by a LOINC code or by the lab's own name, any case, any accents.
    assert mapping.item_for("", "777-3") == "platelets"
    assert mapping.item_for("", "HÉMOGLOBINE") == "haemoglobin"
    assert mapping.item_for("", "polynucleaires  neutrophiles") == "neutrophils"
    assert mapping.item_for("", "TP") == "prothrombin"
    assert mapping.item_for("", "Sodium") is None
    # A code of another system names nothing we know, even if its number looks like LOINC.
    assert mapping.item_for("http://snomed.info/sct", "718-7") is None


def test_a_value_moves_between_the_two_units_the_form_offers():
    assert mapping.between_form_units("platelets", Decimal("210"), "G/L", "/mm3") == 210000
    assert mapping.between_form_units("platelets", Decimal("1500"), "/mm3", "G/L") == Decimal("1.5")
    assert mapping.between_form_units("creatinine", Decimal("1.2"), "mg/dL", "µmol/L") == Decimal(
        "106.08"
    )
    assert mapping.between_form_units("bilirubin", Decimal("17.1"), "µmol/L", "mg/dL") == 1
    assert mapping.between_form_units("albumin", Decimal("41"), "g/L", "g/L") == 41
