"""Lab values typed in another unit are kept exact in the canonical unit every threshold reads
(PROTOCOL.md section 5, Thresholds): grades, the dose advice and the eligibility rules decide on
what was typed, never on a rounding of its conversion."""

from datetime import timedelta
from decimal import Decimal

import pytest

from dosing import labs
from dosing.advice import advice_for
from dosing.models import LabPanel
from tests.dosing.conftest import lab, save
from tests.dosing.test_advice import C2_DATE, record_c1_c2
from trial.crf import model_field


def _places(name: str) -> int:
    return model_field(LabPanel, name).decimal_places  # type: ignore[attr-defined]


@pytest.mark.req("CALC.THRESHOLDS")
@pytest.mark.parametrize(
    "item", [i for i in labs.LAB_ITEMS if i.switchable], ids=lambda item: item.key
)
def test_every_canonical_column_holds_its_conversion_exactly(item):
    for unit in labs.unit_choices(item):
        factor = labs.unit_factor(item, unit)
        factor_places = max(0, -factor.normalize().as_tuple().exponent)
        pairs = [(item.input_field, item.field)]
        if item.limit and item.limit_input_field:
            pairs.append((item.limit_input_field, item.limit))
        for typed, canonical in pairs:
            assert _places(canonical) >= _places(typed) + factor_places, (canonical, unit)


@pytest.mark.req("CALC.THRESHOLDS")
@pytest.mark.parametrize(
    ("key", "typed", "unit", "canonical"),
    [
        ("bilirubin", "1.988", "mg/dL", "33.9948"),  # not 33.99, nor 34.0
        ("bilirubin", "2.983", "mg/dL", "51.0093"),
        ("creatinine", "1.005", "mg/dL", "88.842"),
        ("creatinine", "0.565", "mg/dL", "49.946"),
        ("neutrophils", "1499.999", "/mm3", "1499.999"),  # not 1500.00
        ("neutrophils", "1.5", "G/L", "1500"),
        ("platelets", "74999.999", "/mm3", "74999.999"),
    ],
)
def test_to_canonical_is_exact(key, typed, unit, canonical):
    assert labs.to_canonical(labs.ITEMS_BY_KEY[key], Decimal(typed), unit) == Decimal(canonical)


@pytest.mark.req("CALC.THRESHOLDS")
@pytest.mark.parametrize(
    ("typed", "grade"),
    [("1499.999", 2), ("1500", 1), ("999.999", 3), ("1000", 2)],
)
def test_a_count_just_under_its_ctcae_edge_is_graded_below_it(nurse, participant, typed, grade):
    save(
        nurse,
        participant,
        "C1",
        "LAB",
        lab(neutrophils_entered=typed, neutrophils_unit="/mm3", neutrophils_lln_entered="1800"),
    )
    panel = LabPanel.objects.get()
    assert panel.neutrophils_mm3 == Decimal(typed)
    assert labs.grades(labs.panel_values(panel))["neutrophils"].grade == grade


@pytest.mark.req("CALC.THRESHOLDS")
@pytest.mark.parametrize(
    ("bilirubin", "unit", "uln", "action"),
    [
        ("51.004", "µmol/L", "17", "withhold"),  # above 3 x ULN by 0.004 (was kept as 51.00)
        ("51", "µmol/L", "17", "give"),  # 3 x ULN itself: not above
        ("3.001", "mg/dL", "1", "withhold"),  # 51.3171 > 51.3
        ("3", "mg/dL", "1", "give"),  # 51.3 = 3 x 17.1
    ],
)
def test_hepatotoxicity_reads_the_exact_bilirubin(nurse, participant, bilirubin, unit, uln, action):
    c2_lab = lab(
        sample_date=C2_DATE - timedelta(days=2),
        bilirubin_entered=bilirubin,
        bilirubin_unit=unit,
        bilirubin_uln_entered=uln,
    )
    record_c1_c2(nurse, participant, c2_lab=c2_lab)
    view = advice_for(participant, "C3")
    assert view.advice.action == action, view.advice.rule


def test_a_value_read_back_is_trimmed_and_a_fresh_derivation_equals_it(nurse, participant):
    from trial import crf as crf_registry

    save(
        nurse,
        participant,
        "C1",
        "LAB",
        lab(
            creatinine_entered="1.005",
            creatinine_unit="mg/dL",
            creatinine_uln_entered="1.2",
            platelets_entered="250",
        ),
    )
    panel = LabPanel.objects.get()
    # Read without the column's trailing zeros, never fewer places than before: what the
    # signatures and the audit trail held stays the same text.
    assert str(panel.creatinine_umol_l) == "88.842"
    assert str(panel.platelets_mm3) == "250000.00"
    spec = crf_registry.get("LAB")
    typed = {name: getattr(panel, name) for name in spec.form_class._meta.fields}
    derived = crf_registry.derive(spec, typed)
    for name in labs.VALUE_FIELDS:
        assert str(derived[name]) == str(getattr(panel, name)), name
