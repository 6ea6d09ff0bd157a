"""The dose-advice panel of the cycle pages (C2-C4), and advice_for for the IAH dose."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dosing.advice import advice_for
from eligibility.models import Demographics
from tests.dosing.conftest import cycle, lab, save

TODAY = timezone.localdate()
C1_DATE = TODAY - timedelta(weeks=12)
C2_DATE = C1_DATE + timedelta(weeks=8)


def record_c1_c2(nurse, participant, *, c2_lab=None, c2_cycle=None):
    save(nurse, participant, "C1", "LAB", lab(sample_date=C1_DATE - timedelta(days=3)))
    save(nurse, participant, "C1", "CYCLE", cycle(C1_DATE))
    save(nurse, participant, "C2", "LAB", c2_lab or lab(sample_date=C2_DATE - timedelta(days=2)))
    save(nurse, participant, "C2", "CYCLE", c2_cycle or cycle(C2_DATE))


def test_normal_labs_advise_the_full_dose_on_the_next_cycle_page(nurse, nurse_client, participant):
    record_c1_c2(nurse, participant)
    page = nurse_client.get(f"/p/{participant.code}/C3/CYCLE/1/").content.decode()
    assert 'data-testid="dose-advice" data-action="give"' in page
    assert "Give 7.4 GBq" in page
    assert "C2 · " in page  # the C2 panel is the latest before C3


def test_grade_3_neutropenia_before_c3_advises_withholding(nurse, nurse_client, participant):
    record_c1_c2(
        nurse,
        participant,
        c2_lab=lab(
            sample_date=C2_DATE - timedelta(days=2),
            neutrophils_entered="800",
            neutrophils_unit="/mm3",
            neutrophils_lln_entered="1800",
        ),
    )
    page = nurse_client.get(f"/p/{participant.code}/C3/CYCLE/1/").content.decode()
    assert 'data-action="withhold"' in page
    assert "Withhold the dose, then give 3.7 GBq" in page
    assert "neutrophil count decreased grade 3 (800/mm3)" in page
    assert 'data-testid="open-ae-neutrophils"' in page


def test_the_cycles_own_panel_is_used_when_entered(nurse, participant):
    record_c1_c2(nurse, participant)
    save(
        nurse,
        participant,
        "C3",
        "LAB",
        lab(sample_date=TODAY - timedelta(days=1), platelets_entered="60"),
    )
    view = advice_for(participant, "C3")
    assert view.lab_event == "C3"
    assert view.advice.action == "withhold"  # platelets grade 2
    assert "platelet count decreased grade 2" in view.advice.rule


def test_a_previous_reduction_for_toxicity_keeps_the_reduced_dose(nurse, participant):
    record_c1_c2(
        nurse,
        participant,
        c2_cycle=cycle(
            C2_DATE,
            prescribed_gbq="3.7",
            administered_gbq="3.7",
            dose_modification="reduced",
            modification_reason="toxicity",
        ),
    )
    view = advice_for(participant, "C3")
    assert (view.advice.action, view.advice.activity_gbq) == ("reduce", 3.7)
    assert view.history.previous_reduced


def test_no_panel_no_advice(nurse_client, participant):
    page = nurse_client.get(f"/p/{participant.code}/C2/CYCLE/1/").content.decode()
    assert "No advice: no lab panel has been entered yet." in page


def test_c1_has_no_advice_panel(nurse_client, participant):
    page = nurse_client.get(f"/p/{participant.code}/C1/CYCLE/1/").content.decode()
    assert 'data-testid="dose-advice"' not in page


def test_iah_advice_reads_the_latest_panel_before_it_and_the_clearance(
    nurse, participant, django_assert_num_queries
):
    record_c1_c2(nurse, participant)
    Demographics.objects.create(
        form_status=participant.forms.get(event="SCR", form="DEMOG"),
        birth_date=date(1950, 1, 1),
        sex="F",
        weight_kg=45,
    )
    elig = lab(
        sample_date=TODAY - timedelta(days=5),
        creatinine_entered="160",
        creatinine_uln_entered="104",
    )
    save(nurse, participant, "ELIG", "LAB", {**elig, "confirm_unusual": True})
    with django_assert_num_queries(3):
        view = advice_for(participant, "IAH", dose_date=TODAY)
    assert view.lab_event == "ELIG"
    assert view.clearance_ml_min < 40
    assert view.advice.action == "withhold"
    assert "renal toxicity" in view.advice.rule


def test_a_long_delay_with_toxicity_advises_stopping(nurse, participant):
    old_c1 = TODAY - timedelta(weeks=30)
    save(nurse, participant, "C1", "LAB", lab(sample_date=old_c1 - timedelta(days=2)))
    save(nurse, participant, "C1", "CYCLE", cycle(old_c1))
    save(
        nurse,
        participant,
        "C2",
        "LAB",
        lab(sample_date=TODAY - timedelta(days=1), haemoglobin_g_dl="7.5"),
    )
    view = advice_for(participant, "C2")
    assert view.advice.action == "stop"
    assert "16 weeks" in view.advice.rule


@pytest.mark.req("CALC.DOSE_ADVICE", "CALC.THRESHOLDS")
def test_clearance_is_decided_on_the_exact_value_and_shown_on_its_side(nurse, participant):
    # 52 x 36 / (72 x 57.5 / 88.4) = 39.97 mL/min: "40.0" at one decimal, yet below 40
    # (PROTOCOL.md section 5, Thresholds): renal toxicity, and never shown as 40.0.
    record_c1_c2(nurse, participant)
    sample = TODAY - timedelta(days=5)
    born = date(sample.year - 88, 1, 1) if sample.month > 1 else date(sample.year - 89, 6, 1)
    Demographics.objects.create(
        form_status=participant.forms.get(event="SCR", form="DEMOG"),
        birth_date=born,
        sex="M",
        weight_kg=36,
    )
    elig = lab(sample_date=sample, creatinine_entered="57.5")
    save(nurse, participant, "ELIG", "LAB", {**elig, "confirm_unusual": True})
    view = advice_for(participant, "IAH", dose_date=TODAY)
    assert 39.97 < view.clearance_ml_min < 39.98
    assert view.clearance_text == "39.97"
    assert view.advice.action == "withhold"
    assert "creatinine clearance 39.97 mL/min, below 40" in view.advice.rule


@pytest.mark.req("CALC.DOSE_ADVICE", "CALC.THRESHOLDS")
def test_a_value_on_the_limit_is_shown_with_the_places_it_needs():
    from dataclasses import replace

    from dosing.advice import advice_text
    from dosing.calculations import dose_advice
    from tests.unit.test_dose_advice import BASELINE, NORMAL, ON_TIME

    def words(**latest) -> str:
        advice = dose_advice(replace(NORMAL, **latest), baseline=BASELINE, history=ON_TIME)
        # The record (English, calculations') and the page's words.
        return advice.rule + " | " + " ".join(advice_text(part) for part in advice.parts)

    # 39.996 mL/min is below 40: two decimals would read "40".
    assert words(creatinine_clearance_ml_min=39.996).count("39.996 mL/min, below 40") == 2
    both = words(albumin_g_l=29.999, inr=1.5001)
    assert both.count("albumin 29.999 g/L below 30 with INR 1.5001 above 1.5") == 2
    # Far from the limit: two decimals at most, as before.
    assert "39.12 mL/min" in words(creatinine_clearance_ml_min=39.1234)
