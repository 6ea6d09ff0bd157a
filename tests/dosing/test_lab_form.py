"""The lab panel: units converted into the canonical fields (typed values kept), implausible
values refused with the unit suggested, unusual ones confirmed, CTCAE grades beside the values."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dosing.models import LabPanel
from tests.dosing.conftest import build_form, lab, save


def checked(participant, values, event="C1", **kwargs):
    form = build_form(participant, event, "LAB", values, **kwargs)
    form.is_valid()
    return form


def test_counts_in_g_per_l_are_stored_per_mm3_with_the_typed_value_kept(nurse, participant):
    panel = save(
        nurse,
        participant,
        "C1",
        "LAB",
        lab(neutrophils_entered="0.8", neutrophils_unit="G/L", neutrophils_lln_entered="1.8"),
    )
    assert panel.neutrophils_mm3 == Decimal("800.00")
    assert panel.neutrophils_lln == Decimal("1800.00")
    assert (panel.neutrophils_entered, panel.neutrophils_unit) == (Decimal("0.800"), "G/L")
    assert panel.platelets_mm3 == Decimal("250000.00")


def test_counts_typed_per_mm3_are_kept_as_they_are(nurse, participant):
    panel = save(
        nurse,
        participant,
        "C1",
        "LAB",
        lab(platelets_entered="180000", platelets_unit="/mm3", platelets_lln_entered="150000"),
    )
    assert panel.platelets_mm3 == Decimal("180000.00")
    assert panel.platelets_unit == "/mm3"


def test_creatinine_and_bilirubin_in_mg_per_dl_are_stored_in_micromol(nurse, participant):
    panel = save(
        nurse,
        participant,
        "C1",
        "LAB",
        lab(
            creatinine_entered="1.2",
            creatinine_unit="mg/dL",
            creatinine_uln_entered="1.18",
            bilirubin_entered="1",
            bilirubin_unit="mg/dL",
            bilirubin_uln_entered="1.2",
        ),
    )
    assert panel.creatinine_umol_l == Decimal("106.08")  # 1.2 x 88.4
    assert panel.creatinine_uln == Decimal("104.312")  # 1.18 x 88.4, exact (not 104.31)
    assert panel.bilirubin_umol_l == Decimal("17.10")  # 1 x 17.1
    assert panel.bilirubin_uln == Decimal("20.52")
    assert (panel.creatinine_entered, panel.creatinine_unit) == (Decimal("1.200"), "mg/dL")


def test_a_negative_value_is_refused(participant):
    form = checked(participant, lab(haemoglobin_g_dl="-1"))
    assert form.errors["haemoglobin_g_dl"] == ["A lab value cannot be negative."]


def test_five_million_platelets_per_mm3_is_refused(participant):
    form = checked(participant, lab(platelets_entered="5000000", platelets_unit="/mm3"))
    message = str(form.errors["platelets_entered"])
    assert "5000000 /mm³ is not plausible for platelets" in message
    assert "1000 to 2000000 /mm³" in message


def test_a_count_typed_in_the_wrong_unit_suggests_the_right_one(participant):
    form = checked(participant, lab(neutrophils_entered="800", neutrophils_unit="G/L"))
    assert "Is it in /mm³?" in str(form.errors["neutrophils_entered"])
    form = checked(participant, lab(platelets_entered="150", platelets_unit="/mm3"))
    assert "Is it in G/L?" in str(form.errors["platelets_entered"])


@pytest.mark.parametrize("typed", ["1e400", "99999999999999999999", "0.0000001", "abc", "NaN"])
def test_nonsense_numbers_get_a_message_not_a_server_error(participant, typed):
    form = checked(participant, lab(creatinine_entered=typed, creatinine_unit="mg/dL"))
    assert form.errors["creatinine_entered"]


def test_haemoglobin_in_g_per_l_is_caught(participant):
    form = checked(participant, lab(haemoglobin_g_dl="123"))
    assert "enter 12.3 g/dL" in str(form.errors["haemoglobin_g_dl"])


def test_an_implausible_limit_is_refused(participant):
    form = checked(participant, lab(alt_uln="4000"))
    assert "not plausible for the ALT ULN" in str(form.errors["alt_uln"])


def test_an_unusual_value_is_confirmed_before_it_is_saved(nurse, participant):
    values = lab(alt_u_l="1500")
    form = checked(participant, values)
    assert form.needs_confirmation
    assert "1500 U/L is unusual for ALT" in str(form.errors["alt_u_l"])
    panel = save(nurse, participant, "C1", "LAB", {**values, "confirm_unusual": True})
    assert panel.alt_u_l == Decimal("1500.0")


def test_a_complete_panel_needs_its_core_items(participant):
    form = checked(participant, {"sample_date": date(2026, 1, 5)})
    assert {"haemoglobin_g_dl", "neutrophils_entered", "platelets_entered"} <= set(form.errors)


def test_the_eligibility_panel_needs_albumin_and_a_coagulation_value(participant):
    form = checked(participant, lab(albumin_g_l=None, prothrombin_percent=None, inr=None), "ELIG")
    assert "albumin_g_l" in form.errors
    assert form.errors["inr"] == ["Enter the prothrombin time or the INR."]


@pytest.mark.parametrize("sampled", [date(2026, 1, 8), date(2026, 1, 10)])
def test_an_eligibility_panel_sampled_on_or_before_cycle_4_is_refused(participant, sampled):
    participant.event_dates = {**participant.event_dates, "C4": "2026-01-10"}
    participant.save()
    data = {**lab(sample_date=sampled), "confirm_unusual": "on"}
    form = checked(participant, data, "ELIG")
    assert "sampled after cycle 4 (given on 2026-01-10)" in str(form.errors["sample_date"])
    assert not form.needs_confirmation  # an error, not a warning the nurse can confirm away


def test_an_eligibility_panel_sampled_the_day_after_cycle_4_is_accepted(participant):
    participant.event_dates = {**participant.event_dates, "C4": "2026-01-10"}
    participant.save()
    form = checked(participant, lab(sample_date=date(2026, 1, 11)), "ELIG")
    assert "sample_date" not in form.errors


def test_a_future_sample_date_is_refused(participant):
    form = checked(participant, lab(sample_date=date.today() + timedelta(days=3)))
    assert "in the future" in str(form.errors["sample_date"])


def test_grades_follow_ctcae_with_the_labs_limits(participant):
    form = checked(
        participant,
        lab(
            neutrophils_entered="800",
            neutrophils_unit="/mm3",
            neutrophils_lln_entered="1800",
            haemoglobin_g_dl="11",
            platelets_entered="60",
            alt_u_l="130",
        ),
    )
    grades = {key: g.grade for key, g in form.grades().items()}
    assert grades["neutrophils"] == 3  # < 1000-500/mm3
    assert grades["haemoglobin"] == 1  # < LLN (12)-10 g/dL
    assert grades["platelets"] == 2  # 60 000/mm3: < 75 000-50 000
    assert grades["alt"] == 2  # 130 U/L = 3.25 x ULN 40
    assert grades["lymphocytes"] == 0
    assert [f["term"] for f in form.findings()] == ["Neutrophil count decreased"]


def test_alt_uses_an_abnormal_baseline_from_the_earliest_earlier_panel(nurse, participant):
    save(nurse, participant, "C1", "LAB", lab(sample_date=date(2025, 10, 30), alt_u_l="100"))
    later = lab(sample_date=date(2025, 12, 22), alt_u_l="200")
    form = checked(participant, later, "C2")
    # Baseline 100 (above ULN 40): 200 is 2 x baseline, grade 1; against the ULN it would be G2.
    assert form.grades()["alt"].grade == 1
    first = build_form(participant, "C1", "LAB", lab(sample_date=date(2025, 10, 30), alt_u_l="200"))
    first.is_valid()
    assert first.grades()["alt"].grade == 2  # no earlier panel: graded against the ULN


def test_the_saved_page_shows_each_grade_and_offers_an_adverse_event(
    nurse, nurse_client, participant
):
    values = lab(neutrophils_entered="800", neutrophils_unit="/mm3", neutrophils_lln_entered="1800")
    save(nurse, participant, "C2", "LAB", values)
    page = nurse_client.get(f"/p/{participant.code}/C2/LAB/1/").content.decode()
    assert 'data-testid="grade-neutrophils" data-grade="3"' in page
    assert 'data-testid="grade-platelets" data-grade="0"' in page
    assert 'form="ae-open-neutrophils"' in page
    assert 'id="ae-open-neutrophils"' in page
    assert 'name="term" value="Neutrophil count decreased"' in page


def test_bad_values_on_the_page_keep_everything_typed(nurse_client, participant):
    data = {f"crf-{k}": (v.isoformat() if isinstance(v, date) else v) for k, v in lab().items()}
    data.update({"crf-platelets_entered": "5000000", "crf-platelets_unit": "/mm3", "version": "0"})
    response = nurse_client.post(f"/p/{participant.code}/C1/LAB/1/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="error_1_id_crf-platelets_entered"' in page
    assert 'value="5000000"' in page and 'value="13.2"' in page
    assert '<option value="/mm3" selected>' in page
    assert not LabPanel.objects.exists()


@pytest.mark.parametrize(
    ("unit", "typed", "stored"), [("G/L", "1.25", "1250.00"), ("/mm3", "1250", "1250.00")]
)
def test_lymphocytes_in_either_unit(nurse, participant, unit, typed, stored):
    panel = save(
        nurse,
        participant,
        "C1",
        "LAB",
        lab(lymphocytes_entered=typed, lymphocytes_unit=unit, lymphocytes_lln_entered=None),
    )
    assert panel.lymphocytes_mm3 == Decimal(stored)
